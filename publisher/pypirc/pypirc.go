// Package pypirc reads repositories from a .pypirc file the way twine does
// (https://packaging.python.org/specifications/pypirc/, twine's
// utils.get_config): the sections named by `[distutils] index-servers`
// (default "pypi testpypi") give a repository URL, a user name and a
// password; `pypi` always has PyPI's upload URL and `testpypi`, when listed,
// TestPyPI's; `[server-login]` supplies a default user name and password.
// Sections not listed in index-servers are not read, as twine ignores them.
//
// The file is parsed as Python's configparser.RawConfigParser reads it:
// `key = value` or `key: value`, keys case-insensitive, full-line comments
// starting with # or ;, indented continuation lines, a [DEFAULT] section
// whose keys every section inherits, no inline comments, no interpolation,
// and duplicate sections or keys refused.
//
// A password read here is kept out of every error, log and printed form of
// a Repository: read it with Password, to authenticate. Keyring is never
// consulted.
package pypirc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The repository URLs twine builds in.
const (
	PyPIURL     = "https://upload.pypi.org/legacy/"
	TestPyPIURL = "https://test.pypi.org/legacy/"
)

// FileName is the file twine reads by default, in the home directory.
const FileName = ".pypirc"

// Spec is where the format is described, quoted in errors.
const Spec = "https://packaging.python.org/specifications/pypirc/"

// maxFileSize bounds what is read: a .pypirc is a few lines.
const maxFileSize = 1 << 20

// DefaultPath is twine's default file, ~/.pypirc, with the home directory
// taken from getenv("HOME") (nil means os.Getenv), else the user's home.
func DefaultPath(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find the home directory that holds %s: %w", FileName, err)
		}
		home = h
	}
	return filepath.Join(home, FileName), nil
}

// Repository is one repository of a .pypirc file. It prints without its
// password (String, GoString, Format, MarshalJSON are value methods and the
// password sits behind a pointer, as in credential.Token).
type Repository struct {
	// Name is the section name, as given to --repository.
	Name string
	// URL is the upload endpoint (the section's `repository`).
	URL string
	// Username is the section's (or [server-login]'s) user name, "" if none.
	Username string
	// File is the file the repository was read from.
	File string
	// Ignored lists keys twine reads that goreleaser-pypi does not use
	// (ca_cert, client_cert), for a warning.
	Ignored []string
	// Warnings are about the file itself (readable by other users).
	Warnings []string

	password *string
}

// Password is the section's (or [server-login]'s) password, "" if none.
// Call it only to authenticate a request.
func (r Repository) Password() string {
	if r.password == nil {
		return ""
	}
	return *r.password
}

// HasPassword reports whether the file gives a password for the repository.
func (r Repository) HasPassword() bool { return r.password != nil && *r.password != "" }

// String names the repository and never shows the password.
func (r Repository) String() string {
	return fmt.Sprintf("%s [%s] (%s)", r.File, r.Name, r.URL)
}

// GoString never shows the password either (%#v).
func (r Repository) GoString() string { return r.String() }

// Format renders every verb as String.
func (r Repository) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// MarshalJSON renders the repository without its password.
func (r Repository) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"name":%q,"url":%q,"username":%q,"file":%q}`, r.Name, r.URL, r.Username, r.File), nil
}

// Error is a problem with a .pypirc file or with a repository looked up in
// it. It names the file and never contains a value read from it.
type Error struct {
	File       string
	Line       int    // 0 when not about one line
	Repository string // the repository asked for, if any
	Msg        string
	Err        error // e.g. fs.ErrNotExist
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	return loc + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Lookup returns the repository called name from the .pypirc file at path.
// When that file does not exist and mustExist is false (it is the default
// ~/.pypirc), it behaves as twine does with an empty file: "pypi" and
// "testpypi" still resolve to their built-in URLs, without credentials.
func Lookup(path, name string, mustExist bool) (*Repository, error) {
	data, warnings, err := read(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !mustExist:
		data = nil
		if name != "pypi" && name != "testpypi" {
			return nil, &Error{File: path, Repository: name, Err: err,
				Msg: fmt.Sprintf("no such file, so there is no repository %q: create it with a [%s] section giving repository = <upload URL>, "+
					"username and password, list it under [distutils] index-servers (see %s), or give the URL with --repository-url", name, name, Spec)}
		}
	case err != nil:
		return nil, &Error{File: path, Repository: name, Msg: "cannot read it: " + errText(err), Err: err}
	}
	f, err := parse(path, data)
	if err != nil {
		return nil, err
	}
	r, err := f.repository(name)
	if err != nil {
		return nil, err
	}
	if r.HasPassword() {
		r.Warnings = warnings
	}
	return r, nil
}

// errText is err's text without the path (the Error names the file).
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// read reads the file, bounded, and notes when others may read it.
func read(path string) ([]byte, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.IsDir() {
		return nil, nil, errors.New("is a directory")
	}
	var warnings []string
	if st.Mode().Perm()&0o077 != 0 {
		warnings = append(warnings, fmt.Sprintf("%s holds a password and other users may read it (mode %04o): chmod 600 %s", path, st.Mode().Perm(), path))
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > maxFileSize {
		return nil, nil, fmt.Errorf("larger than %d KiB, not a .pypirc", maxFileSize>>10)
	}
	return data, warnings, nil
}

// file is a parsed configuration: sections of lower-cased keys.
type file struct {
	path     string
	sections map[string]map[string]string
	defaults map[string]string // [DEFAULT]
	lineOf   map[string]int    // section name → line of its header
}

const defaultSection = "DEFAULT"

// parse reads data as configparser.RawConfigParser(strict=True) does.
// Errors name the line, never its value.
func parse(path string, data []byte) (*file, error) {
	f := &file{path: path, sections: map[string]map[string]string{}, defaults: map[string]string{}, lineOf: map[string]int{}}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var (
		cur        map[string]string // current section, nil before the first header
		curName    string
		key        string // the option being read, for continuation lines
		keyIndent  int
		blankAfter int // blank lines since key's last line, kept if the value goes on
	)
	fail := func(line int, format string, args ...any) error {
		return &Error{File: path, Line: line, Msg: fmt.Sprintf(format, args...) + " (see " + Spec + ")"}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), maxFileSize)
	n := 0
	for sc.Scan() {
		n++
		raw := strings.TrimRight(sc.Text(), "\r")
		stripped := strings.TrimSpace(raw)
		if strings.HasPrefix(stripped, "#") || strings.HasPrefix(stripped, ";") {
			continue
		}
		if stripped == "" {
			if key != "" {
				blankAfter++
			}
			continue
		}
		indent := len(raw) - len(strings.TrimLeft(raw, " \t"))
		if cur != nil && key != "" && indent > keyIndent {
			// A continuation line of key's value.
			cur[key] += strings.Repeat("\n", blankAfter+1) + stripped
			blankAfter = 0
			continue
		}
		key, blankAfter = "", 0
		if strings.HasPrefix(stripped, "[") && strings.Contains(stripped[1:], "]") {
			name := stripped[1:strings.LastIndex(stripped, "]")]
			if name == "" {
				return nil, fail(n, "an empty section name")
			}
			if name == defaultSection {
				cur, curName = f.defaults, name
				continue
			}
			if _, dup := f.sections[name]; dup {
				return nil, fail(n, "section [%s] appears twice (first at line %d); merge them", name, f.lineOf[name])
			}
			cur, curName = map[string]string{}, name
			f.sections[name], f.lineOf[name] = cur, n
			continue
		}
		if cur == nil {
			return nil, fail(n, "a setting before the first [section] header")
		}
		i := strings.IndexAny(stripped, "=:")
		if i < 0 {
			return nil, fail(n, "not a `key = value` line")
		}
		k := strings.ToLower(strings.TrimSpace(stripped[:i]))
		if k == "" {
			return nil, fail(n, "a value without a key")
		}
		if _, dup := cur[k]; dup {
			return nil, fail(n, "%q is set twice in [%s]", k, curName)
		}
		cur[k] = strings.TrimSpace(stripped[i+1:])
		key, keyIndent = k, indent
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{File: path, Line: n + 1, Msg: "cannot read it: " + err.Error()}
	}
	return f, nil
}

// get is RawConfigParser.get(section, key, fallback=""): the section's
// value, else [DEFAULT]'s; ok is false when neither has it.
func (f *file) get(section, key string) (string, bool) {
	s, exists := f.sections[section]
	if !exists {
		return "", false
	}
	if v, ok := s[key]; ok {
		return v, true
	}
	v, ok := f.defaults[key]
	return v, ok
}

// repository is twine's get_config(path)[name], then its checks.
func (f *file) repository(name string) (*Repository, error) {
	servers := strings.Fields("pypi testpypi")
	if v, ok := f.get("distutils", "index-servers"); ok {
		servers = strings.Fields(v)
	}
	r := &Repository{Name: name, File: f.path}
	var password *string
	if v, ok := f.get("server-login", "username"); ok {
		r.Username = v
	}
	if v, ok := f.get("server-login", "password"); ok {
		password = &v
	}
	listed := slices.Contains(servers, name)
	switch {
	case name == "pypi":
		r.URL = PyPIURL
	case name == "testpypi" && listed:
		r.URL = TestPyPIURL
	case !listed:
		msg := fmt.Sprintf("no repository %q: [distutils] index-servers lists %s", name, quoteList(servers))
		if _, ok := f.sections[name]; ok {
			msg = fmt.Sprintf("has a [%s] section, but [distutils] index-servers does not list it (twine ignores such sections): "+
				"add %s to index-servers", name, name)
		} else if len(servers) == 0 {
			msg = fmt.Sprintf("no repository %q: [distutils] index-servers is empty", name)
		}
		return nil, &Error{File: f.path, Repository: name, Msg: msg + " (see " + Spec + ")"}
	}
	if listed {
		if v, ok := f.get(name, "username"); ok {
			r.Username = v
		}
		if v, ok := f.get(name, "password"); ok {
			password = &v
		}
		if v, ok := f.get(name, "repository"); ok {
			r.URL = v
		}
		for _, k := range []string{"ca_cert", "client_cert"} {
			if _, ok := f.get(name, k); ok {
				r.Ignored = append(r.Ignored, k)
			}
		}
	}
	r.password = password
	if strings.TrimSpace(r.URL) == "" {
		what := fmt.Sprintf("no section [%s]", name)
		if _, ok := f.sections[name]; ok {
			what = fmt.Sprintf("[%s] has no repository key", name)
		}
		return nil, &Error{File: f.path, Repository: name, Msg: fmt.Sprintf(
			"[distutils] index-servers lists %q but %s: add `repository = <upload URL>`, e.g. https://upload.pypi.org/legacy/ (see %s)", name, what, Spec)}
	}
	r.URL = normalizeURL(r.URL)
	return r, nil
}

// normalizeURL is twine's normalize_repository_url: PyPI's and TestPyPI's
// hosts are always reached over https.
func normalizeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	switch u.Host {
	case "pypi.python.org", "testpypi.python.org", "upload.pypi.org", "test.pypi.org":
		u.Scheme = "https"
		return u.String()
	}
	return raw
}

func quoteList(names []string) string {
	if len(names) == 0 {
		return "nothing"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
