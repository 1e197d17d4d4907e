package dist

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/bytesize"
)

// DefaultMaxMetadataSize caps how much of a METADATA or PKG-INFO file is read.
// Real ones are a few KiB plus the README; 4 MiB leaves room for the largest
// descriptions while keeping a hostile archive from making us buffer much.
const DefaultMaxMetadataSize = 4 << 20

// ErrMetadataTooLarge is returned when a metadata file exceeds the cap.
var ErrMetadataTooLarge = errors.New("metadata file is larger than the limit")

// ParseMetadata reads a core metadata file (wheel METADATA, sdist PKG-INFO):
// RFC 822 style headers, then a blank line, then the body (the description in
// metadata 2.1+). It reads at most DefaultMaxMetadataSize bytes.
//
// Header values are unfolded the way twine (pkginfo) and pip read them:
// continuation lines are stripped and joined with a space; the legacy
// Description header keeps its line breaks, minus the 8-column indent (or the
// 7 spaces and "|" that setuptools writes). The file must be UTF-8, as the
// core metadata specification requires.
func ParseMetadata(r io.Reader) (*Metadata, error) {
	return parseMetadataLimit(r, DefaultMaxMetadataSize)
}

func parseMetadataLimit(r io.Reader, limit int64) (*Metadata, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w (%s)", ErrMetadataTooLarge, bytesize.Format(limit))
	}
	return parseMetadataBytes(data)
}

// MetadataSyntaxError locates a malformed metadata file.
type MetadataSyntaxError struct {
	Line int // 1-based
	Msg  string
}

func (e *MetadataSyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

func parseMetadataBytes(data []byte) (*Metadata, error) {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return nil, &MetadataSyntaxError{Line: 1, Msg: "starts with a UTF-8 byte order mark, which hides the first header from installers; write the file without a BOM"}
	}
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalidUTF8(data)], []byte("\n"))
		return nil, &MetadataSyntaxError{Line: line, Msg: "not valid UTF-8 (core metadata must be UTF-8)"}
	}
	text := string(data)
	m := &Metadata{}
	type raw struct {
		name  string
		lines []string
		line  int
	}
	var cur *raw
	var headers []*raw
	pos, lineNo := 0, 0
	for pos < len(text) {
		lineNo++
		line, next := nextLine(text, pos)
		if line == "" { // the blank line: the rest is the body
			m.Body = text[next:]
			break
		}
		pos = next
		if line[0] == ' ' || line[0] == '\t' {
			if cur == nil {
				return nil, &MetadataSyntaxError{Line: lineNo, Msg: "continuation line before the first header"}
			}
			cur.lines = append(cur.lines, line)
			continue
		}
		colon := strings.IndexByte(line, ':')
		if colon <= 0 || !validHeaderName(line[:colon]) {
			return nil, &MetadataSyntaxError{Line: lineNo, Msg: fmt.Sprintf("expected a \"Name: value\" header or the blank line before the description, got %q", truncate(line, 60))}
		}
		cur = &raw{name: line[:colon], lines: []string{strings.TrimLeft(line[colon+1:], " \t")}, line: lineNo}
		headers = append(headers, cur)
	}
	for _, h := range headers {
		m.Headers = append(m.Headers, Header{Name: h.name, Value: unfold(h.name, h.lines), Folded: len(h.lines) > 1})
	}
	return m, nil
}

// nextLine returns the line starting at pos without its terminator (\r\n,
// \r or \n, as Python's email parser splits) and the offset after it.
func nextLine(s string, pos int) (string, int) {
	for i := pos; i < len(s); i++ {
		switch s[i] {
		case '\n':
			return s[pos:i], i + 1
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				return s[pos:i], i + 2
			}
			return s[pos:i], i + 1
		}
	}
	return s[pos:], len(s)
}

// validHeaderName: printable ASCII except space and colon (RFC 822, and the
// header pattern of Python's email.feedparser).
func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e || s[i] == ':' {
			return false
		}
	}
	return true
}

func unfold(name string, lines []string) string {
	if strings.EqualFold(name, "Description") {
		// Keep line breaks; drop the indent that folding added.
		all := strings.TrimSpace(strings.Join(lines, "\n"))
		parts := splitLines(all)
		for i, p := range parts {
			switch {
			case strings.HasPrefix(p, "       |"):
				parts[i] = p[8:]
			case strings.HasPrefix(p, "        "):
				parts[i] = p[8:]
			}
		}
		return strings.Join(parts, "\n")
	}
	parts := make([]string, 0, len(lines))
	for _, l := range lines {
		parts = append(parts, strings.TrimSpace(l))
	}
	return strings.Join(parts, " ")
}

func splitLines(s string) []string {
	var out []string
	for pos := 0; pos < len(s); {
		l, next := nextLine(s, pos)
		out = append(out, l)
		pos = next
	}
	return out
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// Typed accessors for the fields the checks and the uploader use. Values
// that the index treats as absent ("UNKNOWN", written by old setuptools for
// missing fields) are returned as is: callers decide.

// Summary is the one-line summary.
func (m *Metadata) Summary() string { return m.Get("Summary") }

// Keywords splits the Keywords field on commas (packaging's reading); a
// field repeated several times contributes all its words.
func (m *Metadata) Keywords() []string {
	var out []string
	for _, v := range m.Values("Keywords") {
		for _, k := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(k))
		}
	}
	return out
}

// Classifiers are the trove classifiers.
func (m *Metadata) Classifiers() []string { return m.Values("Classifier") }

// RequiresDist are the dependency specifications (PEP 508).
func (m *Metadata) RequiresDist() []string { return m.Values("Requires-Dist") }

// RequiresPython is the Requires-Python specifier set.
func (m *Metadata) RequiresPython() string { return m.Get("Requires-Python") }

// ProvidesExtra are the extras names.
func (m *Metadata) ProvidesExtra() []string { return m.Values("Provides-Extra") }

// LicenseExpression is the SPDX License-Expression (metadata 2.4+).
func (m *Metadata) LicenseExpression() string { return m.Get("License-Expression") }

// LicenseFiles are the License-File paths (metadata 2.4+).
func (m *Metadata) LicenseFiles() []string { return m.Values("License-File") }

// DescriptionContentType is the Description-Content-Type field.
func (m *Metadata) DescriptionContentType() string { return m.Get("Description-Content-Type") }

// ProjectURL is one "Label, URL" Project-URL entry.
type ProjectURL struct {
	Label string
	URL   string
}

// ProjectURLs parses the Project-URL fields ("Label, https://...").
func (m *Metadata) ProjectURLs() []ProjectURL {
	var out []ProjectURL
	for _, v := range m.Values("Project-URL") {
		label, url, _ := strings.Cut(v, ",")
		out = append(out, ProjectURL{Label: strings.TrimSpace(label), URL: strings.TrimSpace(url)})
	}
	return out
}
