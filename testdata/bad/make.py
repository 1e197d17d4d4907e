#!/usr/bin/python3
"""Generates testdata/bad: deliberately broken distributions, one defect each.

Usage: make.py GOOD_DIR BAD_DIR   (run by testdata/build.sh)

Every case is declared once in CASES below (file, defect, expected rejection)
and this script writes the file, bad/README.md and bad/cases.json from it, so
the documentation cannot drift from the files. Archives are written byte by
byte by a small ZIP/tar writer here (fixed timestamps, no randomness), so a
rerun gives identical files, and defects that Python's zipfile refuses to
produce (duplicate names, data descriptors) are possible.

The real-tool outputs that build.sh copies here (demo-py-0.1.0.tar.gz,
flit-hello-0.3.0.tar.gz) are declared in REAL_CASES so they are documented
alongside.

CLIENT_WARNS names the cases the index refuses but a client can only warn
about, because the answer depends on data the index has and the client may
not (an up-to-date trove-classifiers list): cases.json marks them
"client": "warning", and `check` refuses them only with --strict.
"""

import base64
import bz2
import gzip
import hashlib
import io
import json
import os
import struct
import sys
import tarfile
import zlib

EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "1767225600"))
# DOS date/time of 2026-01-01 00:00:00 (zip stores local time; fixed for reproducibility).
DOS_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1
DOS_TIME = 0
DOCS = "https://packaging.python.org/specifications/core-metadata"
ZIPDOCS = "https://docs.pypi.org/archives"

STORED, DEFLATED, BZIP2 = 0, 8, 12

# --------------------------------------------------------------------------
# ZIP writer


class Entry:
    """One ZIP member. data may be a callable yielding chunks (for the bomb)."""

    def __init__(self, name, data=b"", method=DEFLATED, comment=b""):
        self.name = name.encode() if isinstance(name, str) else name
        self.method = method
        self.comment = comment
        if callable(data):
            self.chunks = data
        else:
            self.chunks = lambda d=data: iter([d])

    def payload(self):
        """Returns (crc32, uncompressed size, compressed bytes)."""
        crc, size = 0, 0
        if self.method == DEFLATED:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
        elif self.method == BZIP2:
            c = bz2.BZ2Compressor()
        else:
            c = None
        out = []
        for chunk in self.chunks():
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            out.append(c.compress(chunk) if c else chunk)
        if c:
            out.append(c.flush())
        return crc, size, b"".join(out)


def zip_bytes(entries, *, archive_comment=b"", trailing=b"", data_descriptor=False):
    buf = io.BytesIO()
    central = []
    for e in entries:
        crc, size, comp = e.payload()
        offset = buf.tell()
        flags = 0x08 if data_descriptor else 0
        version = 46 if e.method == BZIP2 else 20
        if data_descriptor:
            # Streaming style, as Go's zip.Writer.CreateHeader writes: zeros in
            # the local header, the real values in a trailing descriptor.
            lcrc, lcsize, lsize = 0, 0, 0
        else:
            lcrc, lcsize, lsize = crc, len(comp), size
        buf.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, version, flags, e.method,
                              DOS_TIME, DOS_DATE, lcrc, lcsize, lsize, len(e.name), 0))
        buf.write(e.name)
        buf.write(comp)
        if data_descriptor:
            buf.write(struct.pack("<IIII", 0x08074B50, crc, len(comp), size))
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, (3 << 8) | version,
                                   version, flags, e.method, DOS_TIME, DOS_DATE, crc,
                                   len(comp), size, len(e.name), 0, len(e.comment), 0, 0,
                                   0o100644 << 16, offset) + e.name + e.comment)
    cd_offset = buf.tell()
    for c in central:
        buf.write(c)
    cd_size = buf.tell() - cd_offset
    buf.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                          cd_size, cd_offset, len(archive_comment)))
    buf.write(archive_comment)
    buf.write(trailing)
    return buf.getvalue()


def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def record_for(entries, record_name):
    lines = []
    for e in entries:
        h = hashlib.sha256()
        size = 0
        for chunk in e.chunks():
            h.update(chunk)
            size += len(chunk)
        digest = base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode()
        lines.append(f"{e.name.decode('utf-8', 'surrogateescape')},sha256={digest},{size}\n")
    lines.append(f"{record_name},,\n")
    return "".join(lines).encode("utf-8", "surrogateescape")


def metadata(name, version, summary="A deliberately broken test distribution", mv="2.1", extra=""):
    head = ""
    if mv is not None:
        head += f"Metadata-Version: {mv}\n"
    if name is not None:
        head += f"Name: {name}\n"
    if version is not None:
        head += f"Version: {version}\n"
    head += f"Summary: {summary}\n"
    return (head + extra).encode()


def wheel_entries(fname_name, fname_version, meta, *, package=None, extra=(), omit=(),
                  record=True, tag="py3-none-any", distinfo=None):
    """The entries of a wheel like setuptools writes it, minus `omit`, plus
    `extra`, with a RECORD that lists every other entry correctly."""
    di = distinfo or f"{fname_name}-{fname_version}.dist-info"
    package = package or fname_name
    entries = [Entry(f"{package}/__init__.py", f'__version__ = "{fname_version}"\n'.encode())]
    entries += list(extra)
    entries += [
        Entry(f"{di}/METADATA", meta),
        Entry(f"{di}/WHEEL",
              f"Wheel-Version: 1.0\nGenerator: testdata/bad/make.py\nRoot-Is-Purelib: true\nTag: {tag}\n\n".encode()),
    ]
    entries = [e for e in entries if e.name.decode() not in {f"{di}/{o}" for o in omit}]
    if record and "RECORD" not in omit:
        entries.append(Entry(f"{di}/RECORD", record_for(entries, f"{di}/RECORD")))
    return entries


# --------------------------------------------------------------------------
# tar.gz writer


def tar_member(name, data=None, *, kind="file", linkname=""):
    info = tarfile.TarInfo(name)
    info.mtime = EPOCH
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    if kind == "dir":
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        return info, None
    if kind == "symlink":
        info.type, info.mode, info.linkname = tarfile.SYMTYPE, 0o777, linkname
        return info, None
    info.mode = 0o644
    info.size = len(data)
    return info, data


def tar_bytes(members):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return raw.getvalue()


def gz(data):
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=EPOCH) as g:
        g.write(data)
    return out.getvalue()


def sdist_members(top, pkginfo, *, package, extra=(), omit_pkginfo=False):
    members = [tar_member(top + "/", kind="dir")]
    if not omit_pkginfo:
        members.append(tar_member(f"{top}/PKG-INFO", pkginfo))
    members.append(tar_member(f"{top}/pyproject.toml",
                              b'[build-system]\nrequires = ["setuptools>=61"]\n'
                              b'build-backend = "setuptools.build_meta"\n'))
    members.append(tar_member(f"{top}/{package}/", kind="dir"))
    members.append(tar_member(f"{top}/{package}/__init__.py", b'__version__ = "0.1.0"\n'))
    members += list(extra)
    return members


def sdist(name, version, *, meta=None, top=None, extra=(), omit_pkginfo=False):
    norm = name.lower().replace("-", "_").replace(".", "_")
    top = top or f"{norm}-{version}"
    meta = meta if meta is not None else metadata(name, version)
    return gz(tar_bytes(sdist_members(top, meta, package=norm, extra=extra, omit_pkginfo=omit_pkginfo)))


# --------------------------------------------------------------------------
# the cases


def simple_wheel(name, version="0.1.0", *, mv="2.1", summary=None, extra_headers="",
                 meta_name=None, meta_version=None, **kw):
    n = name.replace("_", "-")
    m = metadata(n if meta_name is None else meta_name,
                 version if meta_version is None else meta_version,
                 mv=mv, extra=extra_headers,
                 **({"summary": summary} if summary is not None else {}))
    return zip_bytes(wheel_entries(name, version, m, **kw))


def zeros(total, chunk=1 << 20):
    def gen():
        left = total
        block = bytes(chunk)
        while left > 0:
            n = min(chunk, left)
            yield block[:n]
            left -= n
    return gen


def bomb_wheel():
    name = "bad_zip_bomb"
    bomb = Entry(f"{name}/zeros.bin", zeros(200 << 20))
    m = metadata("bad-zip-bomb", "0.1.0")
    return zip_bytes(wheel_entries(name, "0.1.0", m, extra=[bomb]))


def duplicate_entry_wheel():
    name = "bad_duplicate_entry"
    entries = wheel_entries(name, "0.1.0", metadata("bad-duplicate-entry", "0.1.0"))
    # The same name twice with different content: which one an installer
    # extracts depends on the zip reader (central directory vs local headers).
    entries.insert(1, Entry(f"{name}/__init__.py", b"raise SystemExit('second copy')\n"))
    return zip_bytes(entries)


def entry_comment_wheel():
    name = "bad_entry_comment"
    entries = wheel_entries(name, "0.1.0", metadata("bad-entry-comment", "0.1.0"))
    entries[0].comment = b"per-file comment in the central directory"
    return zip_bytes(entries)


def record_mismatch_wheel():
    name = "bad_record_mismatch"
    entries = wheel_entries(name, "0.1.0", metadata("bad-record-mismatch", "0.1.0"))
    # Change a file after RECORD was computed.
    entries[0] = Entry(f"{name}/__init__.py", b'__version__ = "tampered"\n')
    return zip_bytes(entries)


def two_dist_info_wheel():
    name = "bad_two_dist_info"
    other = metadata("other-project", "9.9")
    extra = [Entry("other_project-9.9.dist-info/METADATA", other),
             Entry("other_project-9.9.dist-info/WHEEL",
                   b"Wheel-Version: 1.0\nGenerator: testdata/bad/make.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n\n")]
    return zip_bytes(wheel_entries(name, "0.1.0", metadata("bad-two-dist-info", "0.1.0"), extra=extra))


def egg():
    pkg = metadata("bad-egg", "0.1.0", mv="1.1")
    return zip_bytes([Entry("bad_egg/__init__.py", b'__version__ = "0.1.0"\n'),
                      Entry("EGG-INFO/PKG-INFO", pkg),
                      Entry("EGG-INFO/top_level.txt", b"bad_egg\n")])


def zip_sdist():
    top = "bad_zip_sdist-0.1.0"
    return zip_bytes([Entry(f"{top}/PKG-INFO", metadata("bad-zip-sdist", "0.1.0")),
                      Entry(f"{top}/bad_zip_sdist/__init__.py", b'__version__ = "0.1.0"\n')])


def truncated(good_dir, fname, keep):
    with open(os.path.join(good_dir, fname), "rb") as f:
        data = f.read()
    return data[: int(len(data) * keep)]


LONG_SUMMARY = "x" * 513
LICENSE = b"MIT License\n\nCopyright (c) 2026 goreleaser-pypi test data\n"

# (file, what is wrong, rule, message PyPI/the client gives, builder(good_dir) -> bytes)
# rule: a short identifier of the rule that rejects it; "server" messages are
# Warehouse's exact texts (after "400 "); "client" rules are ones PyPI does not
# (fully) enforce but a publisher must, because installers break or are unsafe.
CASES = [
    # --- not an archive / broken archive -------------------------------------------
    ("bad_not_zip-0.1.0-py3-none-any.whl", "a text file with a .whl name",
     "wheel-not-zip", "server: Invalid distribution file. File is not a zipfile",
     lambda g: b"this is not a zip archive, just text with a .whl name\n"),
    ("bad_truncated-0.1.0-py3-none-any.whl", "a valid wheel without its last 300 bytes (central directory and end record gone)",
     "wheel-not-zip", "server: Invalid distribution file. File is not a zipfile",
     lambda g: zip_bytes(wheel_entries("bad_truncated", "0.1.0", metadata("bad-truncated", "0.1.0")))[:-300]),
    ("bad_truncated_sdist-0.1.0.tar.gz", "a valid sdist cut in the middle of the gzip stream",
     "sdist-not-targz", "server: Invalid distribution file. (tarfile/EOFError, no detail) / client: unexpected EOF",
     lambda g: sdist("bad-truncated-sdist", "0.1.0")[:200]),
    ("bad_not_gzip-0.1.0.tar.gz", "a plain (uncompressed) tar named .tar.gz",
     "sdist-not-targz", "server: Invalid distribution file. (tarfile.ReadError on r:gz)",
     lambda g: tar_bytes(sdist_members("bad_not_gzip-0.1.0", metadata("bad-not-gzip", "0.1.0"), package="bad_not_gzip"))),

    # --- wheel layout ----------------------------------------------------------------
    ("bad_version_mismatch-0.1.0-py3-none-any.whl", "file name and dist-info say 0.1.0, METADATA Version is 0.2.0",
     "filename-version", "server: Version in filename should be '0.2.0' not '0.1.0'.",
     lambda g: simple_wheel("bad_version_mismatch", meta_version="0.2.0")),
    ("bad_no_metadata-0.1.0-py3-none-any.whl", "no bad_no_metadata-0.1.0.dist-info/METADATA (RECORD does not list it either)",
     "wheel-metadata-missing", "server: Wheel 'bad_no_metadata-0.1.0-py3-none-any.whl' does not contain the required METADATA file: bad_no_metadata-0.1.0.dist-info/METADATA (a client cannot even fill the form)",
     lambda g: simple_wheel("bad_no_metadata", omit=("METADATA",))),
    ("bad_no_record-0.1.0-py3-none-any.whl", "no dist-info/RECORD",
     "wheel-record-missing", "server: Wheel 'bad_no_record-0.1.0-py3-none-any.whl' does not contain the required RECORD file: bad_no_record-0.1.0.dist-info/RECORD",
     lambda g: simple_wheel("bad_no_record", omit=("RECORD",))),
    ("bad_no_wheel_file-0.1.0-py3-none-any.whl", "no dist-info/WHEEL",
     "wheel-wheel-missing", "server: Invalid distribution file. WHEEL not found at bad_no_wheel_file-0.1.0.dist-info/WHEEL",
     lambda g: simple_wheel("bad_no_wheel_file", omit=("WHEEL",))),
    ("bad_record_mismatch-0.1.0-py3-none-any.whl", "RECORD's sha256 for bad_record_mismatch/__init__.py does not match the file",
     "wheel-record-mismatch", "server: accepted, but the project owners get a 'wheel RECORD mismatch' email; pip installs it without checking RECORD hashes. A publisher should refuse it",
     lambda g: record_mismatch_wheel()),
    ("bad_two_dist_info-0.1.0-py3-none-any.whl", "two .dist-info directories (bad_two_dist_info-0.1.0.dist-info and other_project-9.9.dist-info)",
     "wheel-dist-info-multiple", "client: pip: 'multiple .dist-info directories found'; PEP 427 allows exactly one",
     lambda g: two_dist_info_wheel()),
    ("Bad.Name-0.1.0-py3-none-any.whl", "file name's name part is 'Bad.Name', not the normalized 'bad_name' (METADATA Name: Bad.Name, dist-info Bad.Name-0.1.0.dist-info)",
     "filename-name-normalized", "server: Filename 'Bad.Name-0.1.0-py3-none-any.whl' should contain the normalized project name 'bad_name', not 'Bad.Name'.",
     lambda g: simple_wheel("Bad.Name", meta_name="Bad.Name", package="bad_name")),
    ("bad_linux_tag-0.1.0-cp311-cp311-linux_x86_64.whl", "platform tag linux_x86_64 (a local build, not manylinux)",
     "wheel-platform-tag", "server: Binary wheel 'bad_linux_tag-0.1.0-cp311-cp311-linux_x86_64.whl' has an unsupported platform tag 'linux_x86_64'.",
     lambda g: simple_wheel("bad_linux_tag", tag="cp311-cp311-linux_x86_64")),
    ("bad_made_up_tag-0.1.0-py3-none-plan9_amd64.whl", "made-up platform tag plan9_amd64",
     "wheel-platform-tag", "server: Binary wheel 'bad_made_up_tag-0.1.0-py3-none-plan9_amd64.whl' has an unsupported platform tag 'plan9_amd64'.",
     lambda g: simple_wheel("bad_made_up_tag", tag="py3-none-plan9_amd64")),
    ("bad_egg-0.1.0-py3.11.egg", "an egg (zip with EGG-INFO/PKG-INFO)",
     "filetype-egg", "server: Invalid file extension: Use .tar.gz, .whl or .zip extension. See https://www.python.org/dev/peps/pep-0527 and https://peps.python.org/pep-0715/ for more information (eggs: PEP 715)",
     lambda g: egg()),

    # --- dangerous member paths ------------------------------------------------------
    ("bad_path_traversal-0.1.0-py3-none-any.whl", "member '../evil.py' (listed in RECORD)",
     "archive-path-traversal", "client: refuse; pip: 'The wheel has a file '../evil.py' trying to install outside the target directory'",
     lambda g: simple_wheel("bad_path_traversal", extra=[Entry("../evil.py", b"print('escaped')\n")])),
    ("bad_absolute_path-0.1.0-py3-none-any.whl", "member '/tmp/evil.py' (absolute path, listed in RECORD)",
     "archive-path-absolute", "client: refuse; pip: '... trying to install outside the target directory'",
     lambda g: simple_wheel("bad_absolute_path", extra=[Entry("/tmp/evil.py", b"print('escaped')\n")])),
    ("bad_symlink-0.1.0.tar.gz", "member bad_symlink-0.1.0/evil -> ../../../../etc/passwd (symlink escaping the tree)",
     "archive-symlink-escape", "client: refuse; tarfile's 'data' filter (pip, Python >= 3.12): LinkOutsideDestinationError",
     lambda g: sdist("bad-symlink", "0.1.0", extra=[tar_member("bad_symlink-0.1.0/evil", kind="symlink", linkname="../../../../etc/passwd")])),
    ("bad_sdist_traversal-0.1.0.tar.gz", "member 'bad_sdist_traversal-0.1.0/../../evil.py'",
     "archive-path-traversal", "client: refuse; tarfile 'data' filter: OutsideDestinationError",
     lambda g: sdist("bad-sdist-traversal", "0.1.0", extra=[tar_member("bad_sdist_traversal-0.1.0/../../evil.py", b"print('escaped')\n")])),

    # --- ZIP framing (Warehouse's zipfiles.validate_zipfile, 2025+) ----------------
    ("bad_duplicate_entry-0.1.0-py3-none-any.whl", "bad_duplicate_entry/__init__.py appears twice, different contents",
     "zip-duplicate-name", f"server: Invalid distribution file. ZIP archive not accepted: Duplicate filename in local headers. See {ZIPDOCS} for more information",
     lambda g: duplicate_entry_wheel()),
    ("bad_data_descriptor-0.1.0-py3-none-any.whl", "every entry has general-purpose flag bit 3 and a data descriptor (what Go's zip.Writer.CreateHeader writes)",
     "zip-data-descriptor", f"server: Invalid distribution file. ZIP archive not accepted: ZIP contains a data descriptor. See {ZIPDOCS} for more information",
     lambda g: zip_bytes(wheel_entries("bad_data_descriptor", "0.1.0", metadata("bad-data-descriptor", "0.1.0")), data_descriptor=True)),
    ("bad_zip_comment-0.1.0-py3-none-any.whl", "archive comment in the end-of-central-directory record",
     "zip-comment", "PROTOCOL.md §1.12: no archive comment (current zipfiles.py skips the EOCD comment; our rule, and the acceptance index, reject it)",
     lambda g: zip_bytes(wheel_entries("bad_zip_comment", "0.1.0", metadata("bad-zip-comment", "0.1.0")), archive_comment=b"an archive comment")),
    ("bad_entry_comment-0.1.0-py3-none-any.whl", "a per-file comment in a central directory record",
     "zip-comment", f"server: Invalid distribution file. ZIP archive not accepted: Comment in central directory. See {ZIPDOCS} for more information",
     lambda g: entry_comment_wheel()),
    ("bad_trailing_bytes-0.1.0-py3-none-any.whl", "64 bytes after the end-of-central-directory record",
     "zip-trailing-data", f"server: Invalid distribution file. ZIP archive not accepted: Trailing data. See {ZIPDOCS} for more information",
     lambda g: zip_bytes(wheel_entries("bad_trailing_bytes", "0.1.0", metadata("bad-trailing-bytes", "0.1.0")), trailing=b"\xde\xad\xbe\xef" * 16)),
    ("bad_zip_bomb-0.1.0-py3-none-any.whl", "bad_zip_bomb/zeros.bin: 200 MiB of zeros deflated to ~200 KiB (ratio ~1000; RECORD is correct)",
     "zip-compression-ratio", "server: Invalid distribution file. File exceeds compression ratio of 50 (decompressed > 64 MiB and > 50x the file size)",
     lambda g: bomb_wheel()),
    ("bad_bzip2-0.1.0-py3-none-any.whl", "entries compressed with bzip2 (method 12)",
     "zip-compression-method", "server: Invalid distribution file. File does not use a supported compression type",
     lambda g: zip_bytes([Entry(e.name, b"".join(e.chunks()), method=BZIP2) for e in wheel_entries("bad_bzip2", "0.1.0", metadata("bad-bzip2", "0.1.0"))])),

    # --- sdist layout / name -----------------------------------------------------------
    ("bad_zip_sdist-0.1.0.zip", "a .zip sdist (top dir + PKG-INFO, otherwise fine)",
     "sdist-extension", "server: Filename 'bad_zip_sdist-0.1.0.zip' is invalid, should be 'bad_zip_sdist-0.1.0.tar.gz'. (PEP 625; older Warehouse: 'Invalid file extension: Extension .zip is invalid for filetype sdist ...')",
     lambda g: zip_sdist()),
    ("Demo.Py-0.1.0.tar.gz", "not a PEP 625 name (Name: Demo.Py, top dir Demo.Py-0.1.0, otherwise consistent)",
     "sdist-filename", "server: Filename 'Demo.Py-0.1.0.tar.gz' is invalid, should be 'demo_py-0.1.0.tar.gz'.",
     lambda g: sdist("Demo.Py", "0.1.0", top="Demo.Py-0.1.0")),
    ("bad_two_tops-0.1.0.tar.gz", "two top-level directories: bad_two_tops-0.1.0/ and other/",
     "sdist-top-dir", "server: Invalid distribution file. Incorrect number of top-level directories in sdist",
     lambda g: sdist("bad-two-tops", "0.1.0", extra=[tar_member("other/", kind="dir"), tar_member("other/setup.py", b"")])),
    ("bad_no_pkg_info-0.1.0.tar.gz", "no bad_no_pkg_info-0.1.0/PKG-INFO",
     "sdist-pkg-info-missing", "server: Invalid distribution file. PKG-INFO not found at bad_no_pkg_info-0.1.0/PKG-INFO",
     lambda g: sdist("bad-no-pkg-info", "0.1.0", omit_pkginfo=True)),
    ("bad_sdist_version-0.1.0.tar.gz", "file name and top dir say 0.1.0, PKG-INFO Version is 0.2.0",
     "sdist-filename", "server: Filename 'bad_sdist_version-0.1.0.tar.gz' is invalid, should be 'bad_sdist_version-0.2.0.tar.gz'.",
     lambda g: sdist("bad-sdist-version", "0.1.0", meta=metadata("bad-sdist-version", "0.2.0"))),
    ("bad_sdist_license_file-0.1.0.tar.gz", "Metadata-Version 2.4, License-File: LICENSE, no bad_sdist_license_file-0.1.0/LICENSE",
     "license-file-missing", "server: License-File LICENSE does not exist in distribution file bad_sdist_license_file-0.1.0.tar.gz at bad_sdist_license_file-0.1.0/LICENSE",
     lambda g: sdist("bad-sdist-license-file", "0.1.0", meta=metadata("bad-sdist-license-file", "0.1.0", mv="2.4", extra="License-Expression: MIT\nLicense-File: LICENSE\n"))),

    # --- METADATA content ---------------------------------------------------------------
    ("bad_invalid_utf8-0.1.0-py3-none-any.whl", "METADATA Summary contains the bytes ff fe (not UTF-8)",
     "metadata-encoding", "client: core metadata must be UTF-8 (packaging: the field is 'unparsed' / invalid data); nothing valid can be sent",
     lambda g: zip_bytes(wheel_entries("bad_invalid_utf8", "0.1.0",
                                       metadata("bad-invalid-utf8", "0.1.0").replace(b"deliberately", b"deliberately \xff\xfe")))),
    ("bad_nul_bytes-0.1.0-py3-none-any.whl", "METADATA Summary contains a NUL byte",
     "metadata-nul", "client: refuse (Warehouse silently rewrites NUL in form values to the text \\x00, so the server would accept garbage)",
     lambda g: simple_wheel("bad_nul_bytes", summary="A broken\x00summary")),
    ("bad_metadata_20-0.1.0-py3-none-any.whl", "Metadata-Version: 2.0 (never a real version; old bdist_wheel wrote it)",
     "metadata-version", f"server: '2.0' is not a valid metadata version. See {DOCS} for more information.",
     lambda g: simple_wheel("bad_metadata_20", mv="2.0")),
    ("bad_metadata_26-0.1.0-py3-none-any.whl", "Metadata-Version: 2.6 (not defined yet)",
     "metadata-version", f"server: '2.6' is not a valid metadata version. See {DOCS} for more information.",
     lambda g: simple_wheel("bad_metadata_26", mv="2.6")),
    ("bad_missing_name-0.1.0-py3-none-any.whl", "METADATA has no Name header",
     "metadata-name", f"server: 'name' is a required field. See {DOCS} for more information.",
     lambda g: zip_bytes(wheel_entries("bad_missing_name", "0.1.0", metadata(None, "0.1.0")))),
    ("bad_invalid_version-dog-py3-none-any.whl", "Version: dog (file name too)",
     "metadata-version-invalid", f"server: 'dog' is invalid for 'version'. See {DOCS} for more information.",
     lambda g: simple_wheel("bad_invalid_version", version="dog")),
    ("bad_local_version-0.1.0+local-py3-none-any.whl", "Version: 0.1.0+local (a PEP 440 local version)",
     "metadata-version-local", f"server: The use of local versions in '0.1.0+local' is not allowed. See {DOCS} for more information.",
     lambda g: simple_wheel("bad_local_version", version="0.1.0+local")),
    ("bad_license_and_expression-0.1.0-py3-none-any.whl", "Metadata-Version 2.4 with both License: MIT and License-Expression: MIT",
     "metadata-license-conflict", f"server: License is deprecated when License-Expression is present. Only License-Expression should be present. See {DOCS} for more information.",
     lambda g: simple_wheel("bad_license_and_expression", mv="2.4", extra_headers="License: MIT\nLicense-Expression: MIT\n")),
    ("bad_license_file_missing-0.1.0-py3-none-any.whl", "Metadata-Version 2.4, License-File: LICENSE, but no dist-info/licenses/LICENSE in the wheel",
     "license-file-missing", "server: License-File LICENSE does not exist in distribution file bad_license_file_missing-0.1.0-py3-none-any.whl at bad_license_file_missing-0.1.0.dist-info/licenses/LICENSE",
     lambda g: simple_wheel("bad_license_file_missing", mv="2.4", extra_headers="License-Expression: MIT\nLicense-File: LICENSE\n")),
    ("bad_license_file_path-0.1.0-py3-none-any.whl", "Metadata-Version 2.4, License-File: ../LICENSE (a '..' path; the file exists at dist-info/LICENSE)",
     "license-file-path", f"server: packaging rejects the path: License-File must be relative, '/'-separated, without '..' or '*'. See {DOCS} for more information.",
     lambda g: simple_wheel("bad_license_file_path", mv="2.4", extra_headers="License-Expression: MIT\nLicense-File: ../LICENSE\n",
                            extra=[Entry("bad_license_file_path-0.1.0.dist-info/LICENSE", LICENSE)])),
    ("bad_spdx_syntax-0.1.0-py3-none-any.whl", "License-Expression: MIT OR (not a valid SPDX expression)",
     "metadata-license-expression", f"server: 'MIT OR' is invalid for 'license-expression'. See {DOCS} for more information.",
     lambda g: simple_wheel("bad_spdx_syntax", mv="2.4", extra_headers="License-Expression: MIT OR\n")),
    ("bad_spdx_unknown-0.1.0-py3-none-any.whl", "License-Expression: Not-A-License-1.0 (unknown SPDX identifier)",
     "metadata-license-expression", f"server: 'Not-A-License-1.0' is invalid for 'license-expression'. See {DOCS} for more information.",
     lambda g: simple_wheel("bad_spdx_unknown", mv="2.4", extra_headers="License-Expression: Not-A-License-1.0\n")),
    ("bad_field_too_new-0.1.0-py3-none-any.whl", "Metadata-Version 2.1 with License-Expression (a 2.4 field)",
     "metadata-field-version", f"server: license-expression introduced in metadata version 2.4, not 2.1. See {DOCS} for more information.",
     lambda g: simple_wheel("bad_field_too_new", extra_headers="License-Expression: MIT\n")),
    ("bad_summary_newline-0.1.0-py3-none-any.whl", "Summary folded over two lines ('first line\\n second line')",
     "metadata-summary", f"server: 'summary' must be a single line. See {DOCS} for more information.",
     lambda g: simple_wheel("bad_summary_newline", summary="first line\n second line")),
    ("bad_summary_long-0.1.0-py3-none-any.whl", "Summary of 513 characters",
     "metadata-summary", f"server: 'summary' field must be 512 characters or less. See {DOCS} for more information.",
     lambda g: simple_wheel("bad_summary_long", summary=LONG_SUMMARY)),
    ("bad_direct_url-0.1.0-py3-none-any.whl", "Requires-Dist: foo @ https://example.org/foo-1.0.tar.gz",
     "metadata-direct-url", f"server: Can't have direct dependency: foo@ https://example.org/foo-1.0.tar.gz. See {DOCS} for more information.",
     lambda g: simple_wheel("bad_direct_url", extra_headers="Requires-Dist: foo @ https://example.org/foo-1.0.tar.gz\n")),
    ("bad_classifier-0.1.0-py3-none-any.whl", "Classifier: Framework :: Not A Real Framework",
     "metadata-classifier", f"server: 'Framework :: Not A Real Framework' is not a valid classifier. See {DOCS} for more information.",
     lambda g: simple_wheel("bad_classifier", extra_headers="Classifier: Programming Language :: Python :: 3\nClassifier: Framework :: Not A Real Framework\n")),
    ("bad_project_url-0.1.0-py3-none-any.whl", "Project-URL: Source, ftp://example.org/src (not http/https)",
     "metadata-url", f"server: 'ftp://example.org/src' is not a valid url. See {DOCS} for more information.",
     lambda g: simple_wheel("bad_project_url", extra_headers="Project-URL: Source, ftp://example.org/src\n")),
]

# Built by the real tools in build.sh and copied here; documented, not generated.
REAL_CASES = [
    ("demo-py-0.1.0.tar.gz", "setuptools 66 (Debian 12) output for project demo-py: pre-PEP 625 name with a dash (top dir demo-py-0.1.0, PKG-INFO Name: demo-py). GoReleaser predicted dist/demo_py-0.1.0.tar.gz for it",
     "sdist-filename", "server: Filename 'demo-py-0.1.0.tar.gz' is invalid, should be 'demo_py-0.1.0.tar.gz'. (fix: a backend that writes PEP 625 names: setuptools >= 69.3, flit >= 3.10, hatchling, uv)"),
    ("flit-hello-0.3.0.tar.gz", "flit 3.8 (Debian 12) output for project flit-hello: pre-PEP 625 name (top dir flit-hello-0.3.0)",
     "sdist-filename", "server: Filename 'flit-hello-0.3.0.tar.gz' is invalid, should be 'flit_hello-0.3.0.tar.gz'."),
]

# The index refuses these, the client warns (see the module docstring).
CLIENT_WARNS = {
    "bad_classifier-0.1.0-py3-none-any.whl": "a classifier unknown to the client's list may have been added to trove-classifiers since",
}


def readme(sizes):
    out = ["# testdata/bad: distributions that must be rejected", "",
           "Every file here breaks exactly one rule (noted where a file necessarily breaks more).",
           "Generated by `make.py` (run by `../build.sh`; the table and `cases.json` come from",
           "the same declarations as the files), except the two real-tool outputs at the end,",
           "which build.sh builds from `../src/` with Debian's setuptools 66 and flit 3.8.", "",
           "Columns: **rule** is a short identifier for the check that should reject the file;",
           "**rejection** is `server:` Warehouse's exact message (the HTTP reason phrase after",
           "`400 `; from pypi/warehouse forklift/legacy.py, forklift/metadata.py,",
           "utils/zipfiles.py and packaging.metadata) or `client:` a rule PyPI does not (fully)",
           "enforce but a publisher must, because installers break on it or it is unsafe.",
           "`cases.json` holds the same table for tests: `[{\"file\", \"kind\", \"defect\", \"rule\", \"rejection\", \"source\"}]`,",
           "plus `\"client\": \"warning\"` on the cases the index refuses but a client can only warn",
           "about (marked *(client: warning)* below): `check` refuses them only with `--strict`.", "",
           "setuptools 56-76 output with `License-File` under Metadata-Version 2.1 is not here:",
           "PyPI accepts it when the field is left out of the upload form, as twine >= 6.1 does",
           "(see `../corpus/`).", "",
           "Not committed, generated at run time instead: an **oversize** wheel (over PyPI's",
           "100 MiB default per-file limit; `400 File too large. Limit for project 'NAME' is 100 MB. See ...`)",
           "— tests create it with `internal/wheelgen` (`wheelgen.Write(dir, wheelgen.Spec{Name, Version, Size: 101 << 20})`),",
           "which streams a valid, incompressible wheel of any size without holding it in memory.", "",
           "| file | size | what is wrong | rule | rejection |", "|---|---|---|---|---|"]
    def esc(s):
        return s.replace("|", "\\|").replace("\n", "\\n")
    for f, defect, rule, msg, *_ in CASES + REAL_CASES:
        if f in CLIENT_WARNS:
            msg += f" *(client: warning, {CLIENT_WARNS[f]})*"
        out.append(f"| `{f}` | {sizes.get(f, '?')} | {esc(defect)} | `{rule}` | {esc(msg)} |")
    out.append("")
    return "\n".join(out)


def kind(f):
    if f.endswith(".whl"):
        return "wheel"
    if f.endswith(".tar.gz") or f.endswith(".zip"):
        return "sdist"
    return "other"


def main(good_dir, bad_dir):
    sizes = {}
    cases = []
    for f, defect, rule, msg, build in CASES:
        data = build(good_dir)
        if len(data) >= 1 << 20:
            raise SystemExit(f"{f}: {len(data)} bytes, keep committed test files under 1 MiB")
        with open(os.path.join(bad_dir, f), "wb") as fp:
            fp.write(data)
        sizes[f] = f"{len(data)} B"
        case = {"file": f, "kind": kind(f), "defect": defect, "rule": rule,
                "rejection": msg, "source": "make.py"}
        if f in CLIENT_WARNS:
            case["client"] = "warning"
        cases.append(case)
    for f, defect, rule, msg in REAL_CASES:
        p = os.path.join(bad_dir, f)
        if not os.path.exists(p):
            raise SystemExit(f"{p}: missing; build.sh copies it from the real build")
        sizes[f] = f"{os.path.getsize(p)} B"
        cases.append({"file": f, "kind": kind(f), "defect": defect, "rule": rule,
                      "rejection": msg, "source": "real tool (build.sh)"})
    with open(os.path.join(bad_dir, "README.md"), "w") as fp:
        fp.write(readme(sizes))
    with open(os.path.join(bad_dir, "cases.json"), "w") as fp:
        json.dump(cases, fp, indent=1)
        fp.write("\n")
    known = {c["file"] for c in cases} | {"README.md", "cases.json", "make.py"}
    stray = sorted(set(os.listdir(bad_dir)) - known)
    if stray:
        raise SystemExit(f"{bad_dir}: files not declared in make.py: {stray}")
    print(f"make.py: {len(cases)} broken distributions in {bad_dir}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
