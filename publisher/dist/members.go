package dist

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/bytesize"
)

// Reading every member of a wheel or sdist, as an installer would extract
// it, for comparing two builds (publisher/index). The walks are the ones
// Inspect uses, with the same framing checks and the same decompression
// bounds (Warehouse's compression-ratio rule); each member is hashed as it
// is decompressed and never held in memory, except the few a caller asks to
// capture (a wheel's RECORD), up to a limit.

// DefaultMaxMembers bounds how many members ReadWheelMembers and
// ReadSdistMembers list. The largest wheels on PyPI hold a few tens of
// thousands of files; each listed member costs a few hundred bytes.
const DefaultMaxMembers = 200_000

// MemberKind is what a member is once extracted.
type MemberKind uint8

// The kinds of members an installer extracts.
const (
	RegularMember MemberKind = iota + 1
	DirMember
	SymlinkMember
	HardlinkMember
)

func (k MemberKind) String() string {
	switch k {
	case RegularMember:
		return "regular file"
	case DirMember:
		return "directory"
	case SymlinkMember:
		return "symlink"
	case HardlinkMember:
		return "hard link"
	}
	return fmt.Sprintf("member kind %d", uint8(k))
}

// Member is one member of a wheel or sdist.
type Member struct {
	// Name is the path in the archive: for sdists without a leading "./",
	// for directories without the trailing "/".
	Name string
	Kind MemberKind
	// Size and SHA256 describe the uncompressed data: a regular file's
	// content (for a wheel's symlink, its target, which is its data).
	Size   int64
	SHA256 [sha256.Size]byte
	// Executable: the member has an execute bit (any of 0o111) in its
	// Unix mode, which pip and uv carry over to the installed file.
	// Always false for directories and links.
	Executable bool
	// Linkname is the target of an sdist's symlink or hard link, or of a
	// wheel's symlink (up to 4 KiB).
	Linkname string
	// Data is the content of a member MemberOptions.Capture chose.
	Data []byte
}

// MemberOptions tune ReadWheelMembers and ReadSdistMembers.
type MemberOptions struct {
	// MaxCompressionRatio is Options.MaxCompressionRatio: 0 means PyPI's 50.
	MaxCompressionRatio float64
	// MaxMembers bounds the number of members; 0 means DefaultMaxMembers.
	MaxMembers int
	// Capture selects members whose data is returned in Member.Data.
	Capture func(name string) bool
	// CaptureLimit bounds a captured member; 0 means
	// DefaultMaxMetadataSize. A larger one is an error.
	CaptureLimit int64
}

func (o MemberOptions) maxMembers() int {
	if o.MaxMembers > 0 {
		return o.MaxMembers
	}
	return DefaultMaxMembers
}

func (o MemberOptions) captureLimit() int64 {
	if o.CaptureLimit > 0 {
		return o.CaptureLimit
	}
	return DefaultMaxMetadataSize
}

// ArchiveError says why an archive's members could not be read: the rules
// it breaks, as Inspect would report them (File is empty).
type ArchiveError struct {
	Problems []Problem
}

func (e *ArchiveError) Error() string {
	msgs := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		msgs = append(msgs, p.Message)
	}
	return shortList(msgs)
}

func archiveError(fs []finding) error {
	if len(fs) == 0 {
		return nil
	}
	e := &ArchiveError{}
	for _, f := range fs {
		e.Problems = append(e.Problems, Problem{Rule: f.rule, Message: f.msg})
	}
	return e
}

// ReadWheelMembers reads the wheel in f (size bytes) once, front to back,
// and returns its members in archive order. Any finding that makes a member
// unreadable or unsafe — the ZIP framing, a corrupt or encrypted member, an
// unsupported compression method, the compression-ratio ceiling, a path
// that escapes the extraction directory, more than MaxMembers members — is
// an *ArchiveError; I/O failures are returned as they are.
func ReadWheelMembers(f io.ReaderAt, size int64, opts MemberOptions) ([]Member, error) {
	captureLimit := opts.captureLimit()
	capture := opts.Capture
	if capture == nil {
		capture = func(string) bool { return false }
	}
	walk := newZipWalk(size, opts.MaxCompressionRatio, captureLimit, capture)
	walk.maxMembers = opts.maxMembers()
	if err := walk.run(&offsetReader{r: bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 64<<10)}); err != nil {
		return nil, err
	}
	findings := walk.findings
	if r := walk.ratioFinding(); r != nil {
		findings = append(findings, *r)
	}
	if err := archiveError(findings); err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(walk.members))
	for _, m := range walk.members {
		if why := unsafeMemberPath(m.Name); why != "" {
			findings = append(findings, finding{RuleArchivePath, fmt.Sprintf("member %q %s", m.Name, why)})
			continue
		}
		if !m.Verified {
			// Every finding that leaves a member unread is reported
			// above; this is a guard against a silent gap.
			findings = append(findings, finding{RuleArchive, fmt.Sprintf("member %q could not be read", m.Name)})
			continue
		}
		mode := m.ExtAttrs >> 16
		mb := Member{Name: m.Name, Kind: RegularMember, Size: int64(m.Size), SHA256: m.SHA256}
		switch {
		case m.isDir():
			mb.Kind, mb.Name = DirMember, strings.TrimRight(m.Name, `/\`)
		case m.isSymlink():
			mb.Kind = SymlinkMember
			target, err := readMember(f, m, 4096)
			if err != nil {
				return nil, fmt.Errorf("reading symlink %q: %w", m.Name, err)
			}
			mb.Linkname = string(target)
			if linkEscapes("", m.Name, mb.Linkname) {
				findings = append(findings, finding{RuleArchivePath, fmt.Sprintf("symlink %q points to %q, outside the wheel", m.Name, target)})
			}
		default:
			// pip: executable when the mode is a regular file's with any
			// execute bit; uv: any execute bit. The wider rule counts.
			mb.Executable = mode&0o111 != 0
		}
		if capture(m.Name) {
			if m.DataTooLarge {
				findings = append(findings, finding{RuleArchive, fmt.Sprintf("member %q is larger than %s; refusing to read it", m.Name, bytesize.Format(captureLimit))})
				continue
			}
			mb.Data = m.Data
			if mb.Data == nil {
				mb.Data = []byte{}
			}
		}
		out = append(out, mb)
	}
	if err := archiveError(findings); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadSdistMembers reads the .tar.gz sdist in f (size bytes) once and
// returns its members in archive order (pax global headers aside). Findings
// that make a member unreadable or unsafe — the gzip or tar framing, the
// compression-ratio ceiling, a path or a link that escapes the sdist, a
// device or FIFO, a member listed twice, more than MaxMembers members — are
// an *ArchiveError.
func ReadSdistMembers(f io.ReaderAt, size int64, opts MemberOptions) ([]Member, error) {
	captureLimit := opts.captureLimit()
	maxMembers := opts.maxMembers()
	walk := newSdistWalk(size, opts.MaxCompressionRatio, captureLimit)
	var out []Member
	seen := map[string]bool{}
	walk.onMember = func(hdr *tar.Header, name string, data io.Reader) error {
		if len(out) >= maxMembers {
			return fmt.Errorf("the archive has more than %d members, the most that are listed", maxMembers)
		}
		mb := Member{Name: name, Linkname: hdr.Linkname}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeCont, tar.TypeGNUSparse:
			mb.Kind = RegularMember
			mb.Executable = hdr.Mode&0o111 != 0
		case tar.TypeDir:
			mb.Kind = DirMember
			mb.Name = strings.TrimRight(name, "/")
		case tar.TypeSymlink:
			mb.Kind = SymlinkMember
		case tar.TypeLink:
			mb.Kind = HardlinkMember
			mb.Linkname = strings.TrimPrefix(hdr.Linkname, "./")
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			return nil // reported by the walk
		default:
			return fmt.Errorf("unsupported tar member type %q", hdr.Typeflag)
		}
		if seen[mb.Name] {
			return errors.New("the archive lists this path twice; installers would keep only one of them")
		}
		seen[mb.Name] = true
		if mb.Kind == RegularMember {
			sum := sha256.New()
			var dst io.Writer = sum
			var buf *bytes.Buffer
			var over bool
			if opts.Capture != nil && opts.Capture(mb.Name) {
				buf = &bytes.Buffer{}
				dst = io.MultiWriter(sum, &limitedBuffer{buf: buf, limit: captureLimit, over: &over})
			}
			n, err := io.Copy(dst, data)
			if err != nil {
				return err
			}
			if over {
				return fmt.Errorf("larger than %s; refusing to read it", bytesize.Format(captureLimit))
			}
			mb.Size = n
			copy(mb.SHA256[:], sum.Sum(nil))
			if buf != nil {
				mb.Data = buf.Bytes()
			}
		}
		out = append(out, mb)
		return nil
	}
	walk.run(bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 64<<10))
	findings := walk.findings
	if len(findings) == 0 && !walk.readable {
		findings = append(findings, finding{RuleArchive, "File is not a valid tarfile: it could not be read to its end"})
	}
	findings = append(findings, walk.linkFindings("")...)
	if err := archiveError(findings); err != nil {
		return nil, err
	}
	return out, nil
}
