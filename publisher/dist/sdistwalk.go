package dist

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/bytesize"
)

// A streaming reader for sdists (.tar.gz): one pass decompresses the archive
// (never more than the compression-ratio ceiling allows), checks every
// member's path, and captures {top}/PKG-INFO.

type tarMember struct {
	Name     string // without a leading "./"
	Type     byte
	Linkname string
}

type sdistWalk struct {
	fileSize     int64
	maxRatio     float64
	captureLimit int64

	members         []tarMember
	pkgInfo         map[string][]byte // top directory → its PKG-INFO
	pkgInfoTooLarge map[string]bool
	findings        []finding
	readable        bool // the tar could be listed to its end

	// onMember, when set, reads each member's data instead of the
	// PKG-INFO capture (ReadSdistMembers). An error stops the walk; one
	// wrapping errBudget is reported as the compression-ratio finding.
	onMember func(hdr *tar.Header, name string, data io.Reader) error
}

func newSdistWalk(fileSize int64, maxRatio float64, captureLimit int64) *sdistWalk {
	if maxRatio <= 0 {
		maxRatio = DefaultMaxCompressionRatio
	}
	return &sdistWalk{fileSize: fileSize, maxRatio: maxRatio, captureLimit: captureLimit,
		pkgInfo: map[string][]byte{}, pkgInfoTooLarge: map[string]bool{}}
}

var errBudget = errors.New("decompression budget exceeded")

// budgetReader fails once more than left bytes were read through it.
type budgetReader struct {
	r    io.Reader
	left int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errBudget
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (s *sdistWalk) add(rule, format string, args ...any) {
	s.findings = append(s.findings, finding{rule, fmt.Sprintf(format, args...)})
}

// run reads the archive from r; r must be drained by the caller afterwards
// (bytes after the gzip member are not an sdist's business).
func (s *sdistWalk) run(r io.Reader) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		s.add("archive", "File is not a tarfile: it is not gzip-compressed (%v); an sdist is a .tar.gz archive", err)
		return
	}
	gz.Multistream(false)
	limit := int64(s.maxRatio * float64(s.fileSize))
	if limit < int64(compressionRatioMinSize) {
		limit = int64(compressionRatioMinSize)
	}
	br := &budgetReader{r: gz, left: limit}
	defer func() {
		if errors.Is(err, errBudget) {
			s.add("compression-ratio", "File exceeds compression ratio of %g: it decompresses to more than %s, over %g times its size; refusing to decompress further (a decompression bomb?)", s.maxRatio, bytesize.Format(limit), s.maxRatio)
		}
	}()
	tr := tar.NewReader(br)
	for {
		var hdr *tar.Header
		hdr, err = tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !errors.Is(err, errBudget) {
				s.add("archive", "File is not a valid tarfile: %v", err)
			}
			return
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		switch hdr.Typeflag {
		case tar.TypeXGlobalHeader:
			continue
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			s.add("archive-path", "member %q is a device or FIFO, which has no place in an sdist", hdr.Name)
		}
		if why := unsafeMemberPath(hdr.Name); why != "" {
			s.add("archive-path", "member %q %s", hdr.Name, why)
		}
		s.members = append(s.members, tarMember{Name: name, Type: hdr.Typeflag, Linkname: hdr.Linkname})
		if s.onMember != nil {
			if err = s.onMember(hdr, name, tr); err != nil {
				if !errors.Is(err, errBudget) {
					s.add("archive", "member %q: %v", hdr.Name, err)
				}
				return
			}
			continue
		}
		if top, rest, ok := strings.Cut(name, "/"); ok && rest == "PKG-INFO" && hdr.Typeflag == tar.TypeReg {
			var buf bytes.Buffer
			var over bool
			if _, err = io.Copy(&limitedBuffer{buf: &buf, limit: s.captureLimit, over: &over}, tr); err != nil {
				if !errors.Is(err, errBudget) {
					s.add("archive", "File is not a valid tarfile: reading %s: %v", hdr.Name, err)
				}
				return
			}
			s.pkgInfo[top] = buf.Bytes()
			s.pkgInfoTooLarge[top] = over
		}
	}
	// Read the gzip member to its end so its CRC-32 is verified.
	if _, err = io.Copy(io.Discard, br); err != nil && !errors.Is(err, errBudget) {
		s.add("archive", "the gzip stream is corrupt: %v", err)
		return
	}
	s.readable = err == nil
}

// top returns the single top-level directory, or a problem.
func (s *sdistWalk) top() (string, *finding) {
	tops := map[string]bool{}
	for _, m := range s.members {
		if m.Name == "" || m.Name == "." {
			continue
		}
		first, _, _ := strings.Cut(m.Name, "/")
		tops[first] = true
	}
	if len(tops) == 1 {
		for t := range tops {
			return t, nil
		}
	}
	names := make([]string, 0, len(tops))
	for t := range tops {
		names = append(names, t)
	}
	sort.Strings(names)
	if len(names) > 5 {
		names = append(names[:5], "…")
	}
	return "", &finding{"sdist-layout", fmt.Sprintf("Incorrect number of top-level directories in sdist: %d (%s); an sdist holds exactly one {name}-{version}/ directory", len(tops), strings.Join(names, ", "))}
}

func (s *sdistWalk) has(name string) bool {
	for _, m := range s.members {
		if strings.TrimSuffix(m.Name, "/") == name {
			return true
		}
	}
	return false
}

// linkFindings reports symlinks and hard links that point outside top.
func (s *sdistWalk) linkFindings(top string) []finding {
	var out []finding
	for _, m := range s.members {
		switch m.Type {
		case tar.TypeSymlink:
			if linkEscapes(top, m.Name, m.Linkname) {
				out = append(out, finding{"archive-path", fmt.Sprintf("symlink %q points to %q, outside the sdist's directory", m.Name, m.Linkname)})
			}
		case tar.TypeLink:
			target := strings.TrimPrefix(m.Linkname, "./")
			if unsafeMemberPath(target) != "" || (top != "" && target != top && !strings.HasPrefix(target, top+"/")) {
				out = append(out, finding{"archive-path", fmt.Sprintf("hard link %q points to %q, outside the sdist's directory", m.Name, m.Linkname)})
			}
		}
	}
	return out
}
