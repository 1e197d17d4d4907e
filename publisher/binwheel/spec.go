package binwheel

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// Spec is the PyPI project a Go binary is published as. Its fields are
// the binary_wheels settings of .goreleaser-pypi.yaml.
type Spec struct {
	// Name is the project name (default: the first binary's name).
	Name string
	// Version is the release version, a tag such as "v1.2.3-rc.1" or a
	// PEP 440 version; the wheel carries its PEP 440 form ("1.2.3rc1").
	Version string
	// Summary is the one-line description.
	Summary string
	// Readme is a file whose content becomes the long description, its
	// content type from the extension: .md/.markdown → text/markdown,
	// .rst → text/x-rst, anything else text/plain.
	Readme string
	// License is an SPDX expression ("MIT", "Apache-2.0 OR MIT"): the
	// wheel then has Metadata-Version 2.4 and License-Expression. Anything
	// else is written as the free-text License field of Metadata 2.1.
	License string
	// LicenseFiles are copied into the wheel under
	// {dist-info}/licenses/{path}: a relative path is kept (slash form), an
	// absolute one or one going up ("../x") becomes its base name. With
	// Metadata 2.4 each is also named by a License-File field.
	LicenseFiles []string
	// URLs are the Project-URL entries, label → URL, written sorted by label.
	URLs map[string]string
	// Keywords, Classifiers and RequiresPython are written as given.
	Keywords       []string
	Classifiers    []string
	RequiresPython string
	// PythonModule, when set, adds an importable package of that name whose
	// __main__ runs the (first) binary, so `python -m {module}` works.
	PythonModule string

	// Generator names the tool in the WHEEL file, e.g. "goreleaser-pypi
	// 1.4.0" (default "goreleaser-pypi").
	Generator string
	// Modified is the timestamp of every entry; zero means 1980-01-01, the
	// oldest a ZIP can hold. Use SourceDateEpoch for SOURCE_DATE_EPOCH.
	Modified time.Time
}

// zipEpoch is the earliest time a ZIP (MS-DOS) timestamp can hold.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// SourceDateEpoch turns the value of SOURCE_DATE_EPOCH (seconds since
// 1970) into Spec.Modified: times before 1980 become 1980-01-01, the ZIP
// format's earliest. An empty value gives the zero time (the default).
func SourceDateEpoch(value string) (time.Time, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return time.Time{}, nil
	}
	secs, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970", value)
	}
	t := time.Unix(secs, 0).UTC()
	if t.Before(zipEpoch) {
		return zipEpoch, nil
	}
	if t.Year() > 2107 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is after 2107, the last year a ZIP timestamp can hold", value)
	}
	return t, nil
}

// project is a Spec checked and resolved: the normalized version, the
// metadata version, the license files' archive names.
type project struct {
	Spec
	version     string // PEP 440 normalized
	expression  string // canonical SPDX expression, "" for Metadata 2.1
	readme      []byte
	contentType string
	licenses    []licenseFile
}

type licenseFile struct {
	src  string // path on disk
	name string // relative path under licenses/, "/"-separated
}

var moduleRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// pythonKeywords cannot name a module: `python -m class` is a syntax error
// for the import machinery.
var pythonKeywords = map[string]bool{
	"False": true, "None": true, "True": true, "and": true, "as": true, "assert": true, "async": true,
	"await": true, "break": true, "class": true, "continue": true, "def": true, "del": true, "elif": true,
	"else": true, "except": true, "finally": true, "for": true, "from": true, "global": true, "if": true,
	"import": true, "in": true, "is": true, "lambda": true, "nonlocal": true, "not": true, "or": true,
	"pass": true, "raise": true, "return": true, "try": true, "while": true, "with": true, "yield": true,
}

// resolve checks what would corrupt the files we write or cannot be
// expressed at all; the rules PyPI applies to the values themselves
// (classifiers, URLs, Requires-Python...) are dist.Check's, run on the
// finished wheel.
func (s Spec) resolve() (*project, error) {
	p := &project{Spec: s}
	if !dist.ValidName(s.Name) {
		return nil, fmt.Errorf("project name %q is invalid: a PyPI project name starts and ends with an ASCII letter or digit and contains only letters, digits, '.', '_' and '-'", s.Name)
	}
	v, err := dist.ParseVersion(s.Version)
	if err != nil {
		return nil, fmt.Errorf("version %q: %w (a tag such as v1.2.3 or v1.2.3-rc.1 is turned into its PEP 440 form)", s.Version, err)
	}
	p.version = v.String()
	if s.Modified.Year() > 2107 {
		return nil, fmt.Errorf("timestamp %s is after 2107, the last year a ZIP timestamp can hold", s.Modified.Format(time.RFC3339))
	}
	oneLine := map[string]string{"summary": s.Summary, "license": s.License, "requires_python": s.RequiresPython}
	for _, k := range s.Keywords {
		oneLine["keyword "+k] = k
		if strings.Contains(k, ",") {
			return nil, fmt.Errorf("keyword %q contains a comma: core metadata joins keywords with commas, so it would become two", k)
		}
	}
	for _, c := range s.Classifiers {
		oneLine["classifier "+c] = c
	}
	for label, u := range s.URLs {
		oneLine["url "+label] = label + u
		if strings.Contains(label, ",") || strings.TrimSpace(label) == "" {
			return nil, fmt.Errorf("URL label %q must be non-empty and contain no comma (Project-URL is \"Label, URL\")", label)
		}
	}
	for what, val := range oneLine {
		if strings.ContainsAny(val, "\r\n\x00") || !utf8.ValidString(val) {
			return nil, fmt.Errorf("%s %q must be one line of UTF-8 text", what, val)
		}
	}
	if s.PythonModule != "" && (!moduleRE.MatchString(s.PythonModule) || pythonKeywords[s.PythonModule]) {
		return nil, fmt.Errorf("python module %q is not a Python identifier (letters, digits and '_', not starting with a digit, not a keyword)", s.PythonModule)
	}
	if s.License != "" {
		if expr, err := dist.CanonicalLicenseExpression(s.License); err == nil {
			p.expression = expr
		}
	}
	if s.Readme != "" {
		if p.readme, err = readText(s.Readme); err != nil {
			return nil, fmt.Errorf("readme: %w", err)
		}
		p.contentType = readmeContentType(s.Readme)
	}
	seen := map[string]string{}
	for _, src := range s.LicenseFiles {
		name := licenseName(src)
		if prev, dup := seen[name]; dup {
			return nil, fmt.Errorf("license files %s and %s would both be stored as licenses/%s; give only one", prev, src, name)
		}
		seen[name] = src
		fi, err := os.Stat(src)
		if err != nil {
			return nil, fmt.Errorf("license file: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("license file %s is not a regular file", src)
		}
		p.licenses = append(p.licenses, licenseFile{src: src, name: name})
	}
	sort.Slice(p.licenses, func(i, j int) bool { return p.licenses[i].name < p.licenses[j].name })
	return p, nil
}

// licenseName is the path a license file gets under licenses/.
func licenseName(src string) string {
	clean := filepath.ToSlash(filepath.Clean(src))
	if filepath.IsAbs(src) || clean == ".." || strings.HasPrefix(clean, "../") || filepath.VolumeName(src) != "" {
		return path.Base(clean)
	}
	return clean
}

// readText reads a description file: UTF-8, at most what dist.Check
// reads of a METADATA file.
func readText(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, dist.DefaultMaxMetadataSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > dist.DefaultMaxMetadataSize {
		return nil, fmt.Errorf("%s is larger than %d MiB, the most a wheel's METADATA may hold", name, dist.DefaultMaxMetadataSize>>20)
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%s is not UTF-8 text", name)
	}
	if strings.ContainsRune(string(b), 0) {
		return nil, errors.New(name + " contains a NUL character")
	}
	return b, nil
}

func readmeContentType(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".md", ".markdown":
		return "text/markdown"
	case ".rst":
		return "text/x-rst"
	}
	return "text/plain"
}

// metadata renders METADATA: 2.4 with License-Expression and License-File
// when the license is an SPDX expression, else 2.1 (which twine 4 and
// older tools still read) with the free-text License field.
func (p *project) metadata() []byte {
	var b strings.Builder
	h := func(k, v string) { b.WriteString(k + ": " + v + "\n") }
	if p.expression != "" {
		h("Metadata-Version", "2.4")
	} else {
		h("Metadata-Version", "2.1")
	}
	h("Name", p.Name)
	h("Version", p.version)
	if p.Summary != "" {
		h("Summary", p.Summary)
	}
	if len(p.Keywords) > 0 {
		h("Keywords", strings.Join(p.Keywords, ","))
	}
	labels := make([]string, 0, len(p.URLs))
	for l := range p.URLs {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		h("Project-URL", strings.TrimSpace(l)+", "+strings.TrimSpace(p.URLs[l]))
	}
	switch {
	case p.expression != "":
		h("License-Expression", p.expression)
		for _, lf := range p.licenses {
			h("License-File", lf.name)
		}
	case p.License != "":
		h("License", p.License)
	}
	for _, c := range p.Classifiers {
		h("Classifier", c)
	}
	if p.RequiresPython != "" {
		h("Requires-Python", p.RequiresPython)
	}
	if p.readme != nil {
		h("Description-Content-Type", p.contentType)
		b.WriteString("\n")
		b.Write(p.readme)
		if len(p.readme) > 0 && p.readme[len(p.readme)-1] != '\n' {
			b.WriteString("\n")
		}
	}
	return []byte(b.String())
}

func (p *project) generator() string {
	if p.Generator != "" {
		return p.Generator
	}
	return "goreleaser-pypi"
}

func (p *project) modified() time.Time {
	if p.Modified.IsZero() || p.Modified.Before(zipEpoch) {
		return zipEpoch
	}
	return p.Modified.UTC()
}
