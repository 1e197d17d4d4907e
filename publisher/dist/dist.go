// Package dist inspects and verifies Python distributions (wheels and
// sdists) before anything is uploaded: it reads their core metadata, computes
// their digests in one streaming pass, checks them against the rules the index
// (Warehouse) enforces, and turns them into upload form fields.
package dist

import (
	"strings"
)

// Type is the upload form's filetype.
type Type string

// The distribution types PyPI accepts.
const (
	Wheel Type = "bdist_wheel"
	Sdist Type = "sdist"
)

// String is the name GoReleaser gives the artifact type ("Wheel", "Source Dist").
func (t Type) String() string {
	switch t {
	case Wheel:
		return "Wheel"
	case Sdist:
		return "Source Dist"
	}
	return string(t)
}

// Digests are the lowercase hex digests the upload API takes.
type Digests struct {
	SHA256     string `json:"sha256"`
	BLAKE2b256 string `json:"blake2_256"`
	MD5        string `json:"md5"`
}

// Header is one core metadata header line (folded continuation lines joined).
type Header struct {
	Name  string // as written in the file, e.g. "Requires-Dist"
	Value string
}

// Metadata is a distribution's core metadata (wheel METADATA or sdist PKG-INFO).
type Metadata struct {
	// Headers in file order; a multi-valued field appears once per value.
	Headers []Header
	// Body is the text after the first blank line: the description in
	// metadata 2.1+ (empty when there is none).
	Body string
}

// Get returns the first value of the header name (case-insensitive), or "".
func (m *Metadata) Get(name string) string {
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// Has reports whether the header is present at least once.
func (m *Metadata) Has(name string) bool {
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}

// Values returns every value of the header name (case-insensitive).
func (m *Metadata) Values(name string) []string {
	var vs []string
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			vs = append(vs, h.Value)
		}
	}
	return vs
}

// MetadataVersion is the Metadata-Version header.
func (m *Metadata) MetadataVersion() string { return m.Get("Metadata-Version") }

// Name is the Name header, as written.
func (m *Metadata) Name() string { return m.Get("Name") }

// Version is the Version header, as written.
func (m *Metadata) Version() string { return m.Get("Version") }

// Description is the body, or the legacy Description header when there is no body.
func (m *Metadata) Description() string {
	if m.Body != "" {
		return m.Body
	}
	return m.Get("Description")
}

// Distribution is one wheel or sdist, inspected and hashed.
type Distribution struct {
	Path      string // as given by the user
	Filename  string // base name, the name it is uploaded under
	Type      Type
	Size      int64
	PyVersion string // form "pyversion": the wheel's python tag, "source" for sdists
	Metadata  *Metadata
	Digests   Digests
}

// Field is one upload form field. Multi-valued metadata appears as repeated
// fields with the same name, in file order.
type Field struct {
	Name  string
	Value string
}

// formName maps a core metadata header (lower-cased) to its upload form
// field, where the form does not simply lower-case and use "_" for "-".
var formName = map[string]string{
	"classifier":   "classifiers",
	"project-url":  "project_urls",
	"home-page":    "home_page",
	"download-url": "download_url",
	// "platform", "supported-platform", "license-file", "dynamic",
	// "requires-dist", "provides-extra" stay singular.
}

// FormFieldName returns the upload form field name for a core metadata header.
func FormFieldName(header string) string {
	h := strings.ToLower(header)
	if n, ok := formName[h]; ok {
		return n
	}
	return strings.ReplaceAll(h, "-", "_")
}

// fieldOrder is the order twine 4 sends fields in; fields not listed follow
// in file order. The order does not matter to the index; keeping twine's
// makes side-by-side comparison easy.
var fieldOrder = []string{
	"metadata_version", "summary", "home_page", "author", "author_email",
	"maintainer", "maintainer_email", "license", "description", "keywords",
	"platform", "classifiers", "download_url", "supported_platform",
	"provides", "requires", "obsoletes", "project_urls", "provides_dist",
	"obsoletes_dist", "requires_dist", "requires_external", "requires_python",
	"provides_extra", "description_content_type", "dynamic",
	"license_expression", "license_file",
}

// skipHeaders are metadata headers that are not sent as form fields: name and
// version are sent first, and the description is sent once from Description().
var skipHeaders = map[string]bool{"name": true, "version": true, "description": true, "metadata_version": true}

// FormFields returns the upload form fields for d, in order, without the
// file itself ("content"): the protocol fields, identity, every core
// metadata field with PyPI's spelling, and the digests.
func (d *Distribution) FormFields() []Field {
	m := d.Metadata
	fields := []Field{
		{":action", "file_upload"},
		{"protocol_version", "1"},
		{"name", m.Name()},
		{"version", m.Version()},
		{"filetype", string(d.Type)},
		{"pyversion", d.PyVersion},
		{"metadata_version", m.MetadataVersion()},
	}
	byName := map[string][]string{}
	var extra []string
	for _, h := range m.Headers {
		n := FormFieldName(h.Name)
		if skipHeaders[n] {
			continue
		}
		if _, seen := byName[n]; !seen && !contains(fieldOrder, n) {
			extra = append(extra, n)
		}
		byName[n] = append(byName[n], h.Value)
	}
	if desc := m.Description(); desc != "" {
		byName["description"] = []string{desc}
	}
	if kw := byName["keywords"]; len(kw) > 1 {
		// Keywords is a single comma-joined string on the wire.
		byName["keywords"] = []string{strings.Join(kw, ",")}
	}
	for _, n := range append(append([]string{}, fieldOrder[1:]...), extra...) {
		for _, v := range byName[n] {
			fields = append(fields, Field{n, v})
		}
	}
	fields = append(fields,
		Field{"sha256_digest", d.Digests.SHA256},
		Field{"blake2_256_digest", d.Digests.BLAKE2b256},
	)
	if d.Digests.MD5 != "" {
		fields = append(fields, Field{"md5_digest", d.Digests.MD5})
	}
	return fields
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
