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
	MD5        string `json:"md5,omitempty"` // only when asked for (Options.MD5)
}

// Header is one core metadata header line (folded continuation lines joined).
type Header struct {
	Name  string // as written in the file, e.g. "Requires-Dist"
	Value string
	// Folded is true when the value continued on indented lines in the
	// file. PyPI's parser keeps those line breaks, so a folded Summary is
	// a multi-line one.
	Folded bool
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

	// Wheel is the parsed wheel filename (nil for sdists and unparsable names).
	Wheel *WheelName
	// Warnings are findings PyPI accepts but a person should know about
	// (e.g. a RECORD that does not list every file). They never block.
	Warnings []Problem
}

// Name is the project name from the metadata, as written.
func (d *Distribution) Name() string { return d.meta().Name() }

// Version is the version from the metadata, as written.
func (d *Distribution) Version() string { return d.meta().Version() }

func (d *Distribution) meta() *Metadata {
	if d.Metadata == nil {
		return &Metadata{}
	}
	return d.Metadata
}

// Field is one upload form field. Multi-valued metadata appears as repeated
// fields with the same name, in file order.
type Field struct {
	Name  string
	Value string
}

// coreField describes one core metadata field: its header, its upload form
// name (PROTOCOL.md §1) and the metadata version that introduced it.
type coreField struct {
	Header string
	Form   string
	Added  string
	Multi  bool
}

// coreFields are the core metadata fields, in the order twine sends them.
var coreFields = []coreField{
	{"Metadata-Version", "metadata_version", "1.0", false},
	{"Name", "name", "1.0", false},
	{"Version", "version", "1.0", false},
	{"Summary", "summary", "1.0", false},
	{"Home-page", "home_page", "1.0", false},
	{"Author", "author", "1.0", false},
	{"Author-email", "author_email", "1.0", false},
	{"Maintainer", "maintainer", "1.2", false},
	{"Maintainer-email", "maintainer_email", "1.2", false},
	{"License", "license", "1.0", false},
	{"Description", "description", "1.0", false},
	{"Keywords", "keywords", "1.0", false},
	{"Platform", "platform", "1.0", true},
	{"Classifier", "classifiers", "1.1", true},
	{"Download-URL", "download_url", "1.1", false},
	{"Supported-Platform", "supported_platform", "1.1", true},
	{"Provides", "provides", "1.1", true},
	{"Requires", "requires", "1.1", true},
	{"Obsoletes", "obsoletes", "1.1", true},
	{"Project-URL", "project_urls", "1.2", true},
	{"Provides-Dist", "provides_dist", "1.2", true},
	{"Obsoletes-Dist", "obsoletes_dist", "1.2", true},
	{"Requires-Dist", "requires_dist", "1.2", true},
	{"Requires-External", "requires_external", "1.2", true},
	{"Requires-Python", "requires_python", "1.2", false},
	{"Provides-Extra", "provides_extra", "2.1", true},
	{"Description-Content-Type", "description_content_type", "2.1", false},
	{"Dynamic", "dynamic", "2.2", true},
	{"License-Expression", "license_expression", "2.4", false},
	{"License-File", "license_file", "2.4", true},
	{"Import-Name", "import_name", "2.5", true},
	{"Import-Namespace", "import_namespace", "2.5", true},
}

// MetadataVersions are the Metadata-Version values PyPI accepts, oldest first.
var MetadataVersions = []string{"1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"}

func lookupCoreField(header string) (coreField, bool) {
	for _, f := range coreFields {
		if strings.EqualFold(f.Header, header) {
			return f, true
		}
	}
	return coreField{}, false
}

// metadataAge is the index of v in MetadataVersions, or -1.
func metadataAge(v string) int {
	for i, x := range MetadataVersions {
		if x == v {
			return i
		}
	}
	return -1
}

// definedIn reports whether the field exists in metadata version mv. For a
// version PyPI does not accept every field counts as defined (the check
// reports the version itself).
func (f coreField) definedIn(mv string) bool {
	age := metadataAge(mv)
	return age < 0 || metadataAge(f.Added) <= age
}

// FormFieldName returns the upload form field name for a core metadata
// header: lower-cased with "_" for "-", and the plural "classifiers" and
// "project_urls".
func FormFieldName(header string) string {
	if f, ok := lookupCoreField(header); ok {
		return f.Form
	}
	return strings.ReplaceAll(strings.ToLower(header), "-", "_")
}

// FormFields returns the upload form fields for d, in order, without the
// file itself ("content"): the protocol fields, identity, every core
// metadata field with PyPI's spelling, and the digests.
//
// What is sent, and why it differs from twine 4 where it does:
//   - every core metadata field in the file, and only those (twine 4 sends
//     only the fields its pkginfo knows for the declared Metadata-Version);
//   - except License-File under a Metadata-Version before 2.4: setuptools
//     56–76 write it into 2.1/2.2 metadata, where the field does not exist,
//     and PyPI would refuse it ("license-file introduced in metadata version
//     2.4"). twine >= 6.1 leaves it out of the form for such metadata, and
//     only it (twine/package.py: meta.pop("license_files") when the
//     metadata version is < 2.4), so the upload is accepted: we do the same,
//     and the check warns (RuleLicenseFileIgnored);
//   - a single-use field whose value is exactly "UNKNOWN" (old setuptools'
//     placeholder) is left out, as twine does; PyPI drops such values anyway;
//   - "name" is the Name field as written; twine sends a "safe" spelling
//     (runs of other characters replaced by "-"), which PyPI then shows as
//     the project's display name;
//   - "provides_extra", the name PyPI reads; twine 4 sends "provides_extras",
//     which PyPI ignores;
//   - the metadata 2.4 fields (license_expression, license_file), which twine
//     4 cannot read;
//   - no empty "comment" and no "md5_digest" when the digest is unknown;
//   - no description that is only whitespace (PyPI would refuse it: it
//     renders to nothing).
func (d *Distribution) FormFields() []Field {
	m := d.meta()
	mv := m.MetadataVersion()
	fields := []Field{
		{":action", "file_upload"},
		{"protocol_version", "1"},
		{"name", m.Name()},
		{"version", m.Version()},
		{"filetype", string(d.Type)},
		{"pyversion", d.PyVersion},
		{"metadata_version", mv},
	}
	byForm := map[string][]string{}
	for _, h := range m.Headers {
		f, ok := lookupCoreField(h.Name)
		if !ok {
			continue
		}
		switch f.Form {
		case "metadata_version", "name", "version", "description":
			continue // sent above, or once from Description()
		}
		if !f.Multi && h.Value == "UNKNOWN" {
			continue
		}
		if f.Form == "license_file" && licenseFileIgnored(mv) {
			continue
		}
		byForm[f.Form] = append(byForm[f.Form], h.Value)
	}
	if desc := m.Description(); strings.TrimSpace(desc) != "" && desc != "UNKNOWN" {
		// A blank description is left out: PyPI would render it (as
		// reStructuredText, to nothing) and refuse the upload.
		byForm["description"] = []string{desc}
	}
	if kw := byForm["keywords"]; len(kw) > 1 {
		// Keywords is a single comma-joined string on the wire.
		byForm["keywords"] = []string{strings.Join(kw, ",")}
	}
	for _, f := range coreFields[3:] {
		for _, v := range byForm[f.Form] {
			fields = append(fields, Field{f.Form, v})
		}
	}
	if d.Digests.SHA256 != "" {
		fields = append(fields, Field{"sha256_digest", d.Digests.SHA256})
	}
	if d.Digests.BLAKE2b256 != "" {
		fields = append(fields, Field{"blake2_256_digest", d.Digests.BLAKE2b256})
	}
	if d.Digests.MD5 != "" {
		fields = append(fields, Field{"md5_digest", d.Digests.MD5})
	}
	return fields
}

// licenseFileIgnored reports whether License-File fields are left out of the
// upload form: when the declared Metadata-Version is a version before 2.4,
// as twine (>= 6.1) compares it. An unparsable Metadata-Version keeps them
// (the check refuses the version itself).
func licenseFileIgnored(mv string) bool {
	v, err := ParseVersion(strings.TrimSpace(mv))
	if err != nil {
		return false
	}
	return v.Compare(metadataVersion24) < 0
}

var metadataVersion24, _ = ParseVersion("2.4")
