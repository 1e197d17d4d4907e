// Package index reads a package index back, without credentials: which
// files a release has and their sha256 (Release: PyPI's JSON API, PEP 691
// JSON and PEP 503 HTML simple pages, streamed and bounded), what an
// index's answers say (StatusLine: the message of an error, from its JSON,
// status line or body), and whether a file it already holds under a local
// file's name is that file, or a rebuild of it (Compare).
//
// PyPI never lets a file name be used twice. A release that is run again
// for the same tag rebuilds its wheel and sdist, and build backends write
// timestamps into archives, so the rebuilt files have the names of the
// published ones and other bytes. Compare tells a rebuild from a real
// change: it downloads the index's copy and compares what an installer
// would extract from each file.
//
// # Same contents
//
// Two files of the same name have the same contents when:
//
//   - they hold the same members: the same set of paths, directories
//     included (pip skips directory entries, but an archive extracted as
//     it is creates them); a path on one side only is a difference;
//   - every regular member has the same data: the same size and sha256 of
//     its decompressed bytes. Core metadata is data: PKG-INFO, METADATA,
//     WHEEL and entry_points.txt are compared byte for byte (a rebuild with
//     another setuptools, which writes its version into WHEEL, is a
//     different file);
//   - every member is of the same kind (regular file, directory, symlink,
//     hard link) and has the same execute bit: a member with any of the
//     0o111 bits in its Unix mode is installed executable by pip (sdists
//     and wheels) and uv, so a script that became executable, or stopped
//     being, is a difference;
//   - symlinks and hard links point to the same targets;
//   - a wheel's .dist-info/RECORD lists the same rows (path, hash, size),
//     in any order. The build backend writes RECORD from the members, so
//     with the same members it lists the same rows, in the order the
//     backend wrote the archive in; installers read it as CSV and write
//     their own, so row order, CSV quoting and line endings never reach an
//     installed environment. RECORD is compared last: when a member
//     differs, that member is named, not RECORD, which then differs too.
//
// Ignored, because no installer carries them into what it installs:
// timestamps (ZIP dates, extended-timestamp extras, tar mtimes, the gzip
// header's time and name), ownership (uid, gid, user and group names),
// permission bits other than execute, and the archive's encoding (ZIP extra
// fields, creator system, compression method and level, ustar/pax/GNU tar
// format, gzip level), the order of entries, and a ZIP archive comment.
//
// Anything else makes the files different, and Compare names the first
// member that differs, in byte order of paths, and how: missing on the
// index, only on the index, content differs (both sizes and sha256s), mode
// differs (execute bit or kind), or link target differs.
//
// # Reading the index's copy
//
// The file is downloaded from the URL the index lists (PyPI's JSON API or a
// PEP 691/503 simple page; a relative URL is resolved against the page),
// without credentials or cookies, over https (plain http only to a loopback
// host), following redirects but never from https down to http, within a
// size limit and a timeout. It is streamed to a temporary file while
// hashed; a sha256 or size other than the one the index lists is an error,
// never a verdict. Both files are then read once each by publisher/dist's
// streaming walks, with the rules Inspect applies: Warehouse's ZIP framing
// checks and compression-ratio ceiling, member paths and links that would
// escape the extraction directory refused. A member is hashed as it is
// decompressed and never held in memory (only a wheel's RECORD is, within
// the metadata size limit): memory does not grow with the size of the
// files, only with the number of members they list (bounded by
// Options.MaxMembers).
package index
