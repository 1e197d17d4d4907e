package pypitest

import (
	"fmt"
	"mime"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/github/go-spdx/v2/spdxexp"
)

// Core metadata validation of the upload form: packaging.metadata's
// Metadata.from_raw (field types, values, "introduced in metadata version")
// followed by Warehouse's own rules (warehouse/forklift/metadata.py), with
// their messages. The first phase stops at its errors; the second only runs
// on metadata that parsed.

// metaField describes one core metadata field.
type metaField struct {
	raw   string // packaging's RawMetadata key
	email string // lower-cased email header name, used in messages
	form  string // upload form field name
	kind  int
	added string // metadata version that introduced it
}

const (
	kindString = iota
	kindList
	kindKeywords
	kindURLs
)

var metaFields = []metaField{
	{"metadata_version", "metadata-version", "metadata_version", kindString, "1.0"},
	{"name", "name", "name", kindString, "1.0"},
	{"version", "version", "version", kindString, "1.0"},
	{"platforms", "platform", "platform", kindList, "1.0"},
	{"summary", "summary", "summary", kindString, "1.0"},
	{"description", "description", "description", kindString, "1.0"},
	{"keywords", "keywords", "keywords", kindKeywords, "1.0"},
	{"home_page", "home-page", "home_page", kindString, "1.0"},
	{"author", "author", "author", kindString, "1.0"},
	{"author_email", "author-email", "author_email", kindString, "1.0"},
	{"license", "license", "license", kindString, "1.0"},
	{"supported_platforms", "supported-platform", "supported_platform", kindList, "1.1"},
	{"download_url", "download-url", "download_url", kindString, "1.1"},
	{"classifiers", "classifier", "classifiers", kindList, "1.1"},
	{"requires", "requires", "requires", kindList, "1.1"},
	{"provides", "provides", "provides", kindList, "1.1"},
	{"obsoletes", "obsoletes", "obsoletes", kindList, "1.1"},
	{"maintainer", "maintainer", "maintainer", kindString, "1.2"},
	{"maintainer_email", "maintainer-email", "maintainer_email", kindString, "1.2"},
	{"requires_dist", "requires-dist", "requires_dist", kindList, "1.2"},
	{"provides_dist", "provides-dist", "provides_dist", kindList, "1.2"},
	{"obsoletes_dist", "obsoletes-dist", "obsoletes_dist", kindList, "1.2"},
	{"requires_python", "requires-python", "requires_python", kindString, "1.2"},
	{"requires_external", "requires-external", "requires_external", kindList, "1.2"},
	{"project_urls", "project-url", "project_urls", kindURLs, "1.2"},
	{"description_content_type", "description-content-type", "description_content_type", kindString, "2.1"},
	{"provides_extra", "provides-extra", "provides_extra", kindList, "2.1"},
	{"dynamic", "dynamic", "dynamic", kindList, "2.2"},
	{"license_expression", "license-expression", "license_expression", kindString, "2.4"},
	{"license_files", "license-file", "license_file", kindList, "2.4"},
	{"import_names", "import-name", "import_name", kindList, "2.5"},
	{"import_namespaces", "import-namespace", "import_namespace", kindList, "2.5"},
}

// validMetadataVersions is packaging's _VALID_METADATA_VERSIONS (2.0 was
// never a real version); Warehouse accepts all of them.
var validMetadataVersions = []string{"1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"}

func metadataVersionIndex(v string) int {
	for i, mv := range validMetadataVersions {
		if mv == v {
			return i
		}
	}
	return -1
}

// dynamicFields is Warehouse's DYNAMIC_FIELDS.
var dynamicFields = setOf("platform", "supported-platform", "summary", "description",
	"description-content-type", "keywords", "home-page", "download-url", "author",
	"author-email", "maintainer", "maintainer-email", "license", "license-expression",
	"license-file", "classifier", "requires-dist", "requires-python", "requires-external",
	"project-url", "provides-extra", "provides-dist", "obsoletes-dist", "requires", "provides",
	"obsoletes", "import-name", "import-namespace")

// coreMetadata is the parsed, validated metadata of an upload.
type coreMetadata struct {
	strings  map[string]string   // raw key → value
	lists    map[string][]string // raw key → values
	keywords []string
	urls     [][2]string // project URLs in order
	version  *version
}

func (m *coreMetadata) get(raw string) string { return m.strings[raw] }

// metadataError is one InvalidMetadata: the field (email name or form key)
// and its message.
type metadataError struct{ field, msg string }

// parseFormMetadata turns form fields into core metadata and validates it.
// It returns Warehouse's message for the first error, or "".
func parseFormMetadata(f *form) (*coreMetadata, string) {
	m := &coreMetadata{strings: map[string]string{}, lists: map[string][]string{}}
	present := map[string]bool{}
	var errs []metadataError
	for _, mf := range metaFields {
		values := f.getAll(mf.form)
		if len(values) == 0 || len(values) == 1 && values[0] == "" {
			continue
		}
		switch {
		case mf.kind == kindString && len(values) == 1:
			m.strings[mf.raw] = values[0]
		case mf.kind == kindList:
			m.lists[mf.raw] = values
		case mf.kind == kindKeywords && len(values) == 1:
			for _, k := range strings.Split(values[0], ",") {
				m.keywords = append(m.keywords, strings.TrimSpace(k))
			}
		case mf.kind == kindURLs:
			seen := map[string]bool{}
			dup := false
			for _, pair := range values {
				label, u, _ := strings.Cut(pair, ",")
				label, u = strings.TrimSpace(label), strings.TrimSpace(u)
				if seen[label] {
					dup = true
				}
				seen[label] = true
				m.urls = append(m.urls, [2]string{label, u})
			}
			if dup {
				errs = append(errs, metadataError{mf.form, fmt.Sprintf("%s has invalid data", pyRepr(mf.form))})
				continue
			}
		default: // a single-valued field sent more than once
			errs = append(errs, metadataError{mf.form, fmt.Sprintf("%s has invalid data", pyRepr(mf.form))})
			continue
		}
		present[mf.raw] = true
	}
	if len(errs) > 0 {
		return nil, metadataMessage(errs)
	}

	// packaging.metadata.Metadata.from_raw
	mv := m.get("metadata_version")
	mvIndex := metadataVersionIndex(mv)
	if mvIndex < 0 {
		value := "None"
		if present["metadata_version"] {
			value = pyRepr(mv)
		}
		errs = append(errs, metadataError{"metadata-version", value + " is not a valid metadata version"})
	}
	for _, mf := range metaFields {
		if mf.raw == "metadata_version" || !present[mf.raw] && mf.raw != "name" && mf.raw != "version" {
			continue
		}
		if mvIndex >= 0 && metadataVersionIndex(mf.added) > mvIndex {
			errs = append(errs, metadataError{mf.email, fmt.Sprintf("%s introduced in metadata version %s, not %s", mf.email, mf.added, mv)})
			continue
		}
		if msg := m.processField(mf); msg != "" {
			errs = append(errs, metadataError{mf.email, msg})
		}
	}
	if len(errs) > 0 {
		return nil, metadataMessage(errs)
	}
	if errs = m.warehouseRules(); len(errs) > 0 {
		return nil, metadataMessage(errs)
	}
	return m, ""
}

// processField is packaging's _Validator._process_<field>: "" when valid.
func (m *coreMetadata) processField(mf metaField) string {
	field := pyRepr(mf.email)
	value := m.get(mf.raw)
	invalid := func(v string) string { return fmt.Sprintf("%s is invalid for %s", pyRepr(v), field) }
	switch mf.raw {
	case "name":
		if value == "" {
			return field + " is a required field"
		}
		if !pyMatch(projectNameRe, value) {
			return invalid(value)
		}
	case "version":
		if value == "" {
			return field + " is a required field"
		}
		v, ok := parseVersion(value)
		if !ok {
			return invalid(value)
		}
		m.version = v
	case "summary":
		if strings.Contains(value, "\n") {
			return field + " must be a single line"
		}
	case "description_content_type":
		return checkDescriptionContentType(field, value)
	case "dynamic":
		for _, d := range m.lists["dynamic"] {
			d = strings.ToLower(d)
			switch {
			case d == "name" || d == "version" || d == "metadata-version":
				return fmt.Sprintf("%s is not allowed as a dynamic field", pyRepr(d))
			case !isEmailField(d):
				return fmt.Sprintf("%s is not a valid dynamic field", pyRepr(d))
			}
		}
	case "provides_extra":
		for _, e := range m.lists["provides_extra"] {
			if !pyMatch(projectNameRe, e) {
				return invalid(e)
			}
		}
	case "requires_python":
		if parseSpecifierSet(value) != nil {
			return invalid(value)
		}
	case "requires_dist":
		for _, r := range m.lists["requires_dist"] {
			if _, err := parseRequirement(r); err != nil {
				return invalid(r)
			}
		}
	case "license_expression":
		if !validLicenseExpression(value) {
			return invalid(value)
		}
	case "license_files":
		for _, p := range m.lists["license_files"] {
			switch {
			case strings.Contains(p, ".."):
				return fmt.Sprintf("%s is invalid for %s, parent directory indicators are not allowed", pyRepr(p), field)
			case strings.Contains(p, "*"):
				return fmt.Sprintf("%s is invalid for %s, paths must be resolved", pyRepr(p), field)
			case strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\\`) || len(p) > 2 && p[1] == ':' && (p[2] == '\\' || p[2] == '/'):
				return fmt.Sprintf("%s is invalid for %s, paths must be relative", pyRepr(p), field)
			case strings.Contains(p, `\`):
				return fmt.Sprintf("%s is invalid for %s, paths must use '/' delimiter", pyRepr(p), field)
			}
		}
	case "import_names", "import_namespaces":
		// packaging's _process_import_names (PEP 794).
		for _, n := range m.lists[mf.raw] {
			name, private, semicolon := strings.Cut(n, ";")
			name = strings.TrimRight(name, " \t")
			for _, part := range strings.Split(name, ".") {
				if !isIdentifier(part) {
					return fmt.Sprintf("%s is invalid for %s; %s is not a valid identifier", pyRepr(name), field, pyRepr(part))
				}
				if pythonKeywords[part] {
					return fmt.Sprintf("%s is invalid for %s; %s is a keyword", pyRepr(name), field, pyRepr(part))
				}
			}
			if semicolon && strings.TrimLeft(private, " \t") != "private" {
				return fmt.Sprintf("%s is invalid for %s; the only valid option is 'private'", pyRepr(n), field)
			}
		}
	}
	return ""
}

func isEmailField(name string) bool {
	for _, mf := range metaFields {
		if mf.email == name {
			return true
		}
	}
	return false
}

// pythonKeywords are keyword.kwlist: not valid in an import name.
var pythonKeywords = map[string]bool{
	"False": true, "None": true, "True": true, "and": true, "as": true, "assert": true, "async": true,
	"await": true, "break": true, "class": true, "continue": true, "def": true, "del": true, "elif": true,
	"else": true, "except": true, "finally": true, "for": true, "from": true, "global": true, "if": true,
	"import": true, "in": true, "is": true, "lambda": true, "nonlocal": true, "not": true, "or": true,
	"pass": true, "raise": true, "return": true, "try": true, "while": true, "with": true, "yield": true,
}

func isIdentifier(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// checkDescriptionContentType is packaging's
// _process_description_content_type.
func checkDescriptionContentType(field, value string) string {
	mediaType, params, err := mime.ParseMediaType(value)
	if err == mime.ErrInvalidMediaParameter {
		err = nil // Python keeps the type and records a defect
	}
	contentType := strings.ToLower(mediaType)
	if err != nil || !strings.Contains(contentType, "/") {
		contentType = "text/plain" // what Python's email parser falls back to
	}
	if contentType != "text/plain" && contentType != "text/x-rst" && contentType != "text/markdown" ||
		!strings.Contains(strings.ToLower(value), contentType) {
		return fmt.Sprintf("%s must be one of ['text/plain', 'text/x-rst', 'text/markdown'], not %s", field, pyRepr(value))
	}
	if charset, ok := params["charset"]; ok && charset != "UTF-8" {
		chars := make([]string, 0, len(charset))
		for _, r := range charset {
			chars = append(chars, string(r))
		}
		return fmt.Sprintf("%s can only specify the UTF-8 charset, not %s", field, pyList(chars))
	}
	if variant, ok := params["variant"]; ok && contentType == "text/markdown" && variant != "GFM" && variant != "CommonMark" {
		return fmt.Sprintf("valid Markdown variants for %s are ['GFM', 'CommonMark'], not %s", field, pyRepr(variant))
	}
	return ""
}

// validLicenseExpression is packaging.licenses.canonicalize_license_expression
// succeeding: SPDX identifiers (any case), LicenseRef-*, AND/OR/WITH in any
// case, parentheses.
func validLicenseExpression(expr string) bool {
	tokens := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(expr))
	if len(tokens) == 0 {
		return false
	}
	for i, t := range tokens {
		switch lower := strings.ToLower(t); {
		case lower == "and" || lower == "or" || lower == "with":
			tokens[i] = strings.ToUpper(lower)
		case strings.HasPrefix(lower, "documentref-"):
			return false
		case strings.HasPrefix(lower, "licenseref-"):
			tokens[i] = "LicenseRef-" + t[len("licenseref-"):]
		}
	}
	ok, _ := spdxexp.ValidateLicenses([]string{strings.Join(tokens, " ")})
	return ok
}

// warehouseRules is warehouse.forklift.metadata._validate_metadata.
func (m *coreMetadata) warehouseRules() []metadataError {
	var errs []metadataError
	if len(m.version.local) > 0 {
		errs = append(errs, metadataError{"version", fmt.Sprintf("The use of local versions in '%s' is not allowed.", m.version)})
	}
	if summary := m.get("summary"); utf8.RuneCountInString(summary) > 512 {
		errs = append(errs, metadataError{"summary", "'summary' field must be 512 characters or less."})
	}
	for _, f := range []struct{ raw, email string }{{"author_email", "author-email"}, {"maintainer_email", "maintainer-email"}} {
		if addr := parseAddr(m.get(f.raw)); addr != "" {
			if reason := emailProblem(addr); reason != "" {
				errs = append(errs, metadataError{f.email, fmt.Sprintf("%s is not a valid email address: %s", pyRepr(addr), reason)})
			}
		}
	}
	classifiers := uniqueSorted(m.lists["classifiers"])
	for _, c := range classifiers {
		if !knownClassifier(c) {
			errs = append(errs, metadataError{"classifier", fmt.Sprintf("%s is not a valid classifier.", pyRepr(c))})
		}
	}
	for _, c := range classifiers {
		if by, deprecated := deprecatedClassifier(c); deprecated {
			if len(by) > 0 {
				errs = append(errs, metadataError{"classifier", fmt.Sprintf("The classifier %s has been deprecated, use one of %s instead.", pyRepr(c), pyList(by))})
			} else {
				errs = append(errs, metadataError{"classifier", fmt.Sprintf("The classifier %s has been deprecated.", pyRepr(c))})
			}
		}
	}
	for _, f := range []struct{ raw, email string }{{"home_page", "home-page"}, {"download_url", "download-url"}} {
		if u, ok := m.strings[f.raw]; ok && !validURI(u) {
			errs = append(errs, metadataError{f.email, fmt.Sprintf("%s is not a valid url.", pyRepr(u))})
		}
	}
	for _, pu := range m.urls {
		label, u := pu[0], pu[1]
		switch {
		case label == "":
			errs = append(errs, metadataError{"project-url", "Must have a label"})
		case utf8.RuneCountInString(label) > 32:
			errs = append(errs, metadataError{"project-url", fmt.Sprintf("%s must be 32 characters or less.", pyRepr(label))})
		case u == "":
			errs = append(errs, metadataError{"project-url", "Must have a URL"})
		case !validURI(u):
			errs = append(errs, metadataError{"project-url", fmt.Sprintf("%s is not a valid url", pyRepr(u))})
		}
	}
	for _, f := range []struct{ raw, email string }{{"provides_dist", "provides-dist"}, {"obsoletes_dist", "obsoletes-dist"}} {
		for _, s := range m.lists[f.raw] {
			r, err := parseRequirement(s)
			switch {
			case err != nil:
				errs = append(errs, metadataError{f.email, fmt.Sprintf("%s is invalid: Expected end or semicolon", pyRepr(s))})
			case r.url != "":
				errs = append(errs, metadataError{f.email, fmt.Sprintf("Can't have direct dependency: %s", pyRepr(s))})
			}
		}
	}
	for _, s := range m.lists["requires_dist"] {
		if r, err := parseRequirement(s); err == nil && r.url != "" {
			errs = append(errs, metadataError{"requires-dist", fmt.Sprintf("Can't have direct dependency: %s", r)})
		}
	}
	for _, d := range m.lists["dynamic"] {
		if d = strings.ToLower(d); !dynamicFields[d] {
			errs = append(errs, metadataError{"dynamic", fmt.Sprintf("Dynamic field %s is not a valid dynamic field.", pyRepr(d))})
		}
	}
	if m.get("license") != "" && m.get("license_expression") != "" {
		errs = append(errs, metadataError{"license", "License is deprecated when License-Expression is present. Only License-Expression should be present."})
	}
	return errs
}

// metadataMessage picks the error Warehouse reports: metadata-version, name
// or version first, else the first field in sorted order; the field's first
// error, with a period and a pointer to the core metadata specification.
func metadataMessage(errs []metadataError) string {
	byField := map[string][]string{}
	for _, e := range errs {
		byField[e.field] = append(byField[e.field], e.msg)
	}
	field := ""
	for _, f := range []string{"metadata-version", "name", "version"} {
		if _, ok := byField[f]; ok {
			field = f
			break
		}
	}
	if field == "" {
		keys := make([]string, 0, len(byField))
		for k := range byField {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		field = keys[0]
	}
	msg := byField[field][0]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg + " See " + coreMetadataSpec + " for more information."
}

// validURI is warehouse.utils.http.is_valid_uri(url, require_authority=False):
// an http(s) URI with valid components.
func validURI(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return false
	}
	return !strings.ContainsAny(s, " \t\r\n<>\"{}|^`")
}

// parseAddr is email.utils.parseaddr (strict): the address part of a
// single "Name <addr>" or bare address; "" for lists or garbage.
func parseAddr(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	inQuote, depth := false, 0
	for _, r := range s {
		switch {
		case r == '"':
			inQuote = !inQuote
		case r == '<' && !inQuote:
			depth++
		case r == '>' && !inQuote:
			depth--
		case r == ',' && !inQuote && depth == 0:
			return "" // several addresses: parseaddr gives up
		}
	}
	if i := strings.LastIndex(s, "<"); i >= 0 {
		if j := strings.Index(s[i:], ">"); j > 0 {
			return strings.TrimSpace(s[i+1 : i+j])
		}
		return ""
	}
	if strings.ContainsAny(s, " \t") {
		return "" // a display name without an address
	}
	return s
}

// emailProblem approximates email_validator.validate_email's syntax checks
// (check_deliverability=False); "" when the address is acceptable.
func emailProblem(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	switch {
	case !ok:
		return "An email address must have an @-sign."
	case strings.Contains(domain, "@"):
		return "The email address is not valid. It must have exactly one @-sign."
	case local == "":
		return "There must be something before the @-sign."
	case domain == "":
		return "There must be something after the @-sign."
	case strings.HasPrefix(local, ".") || strings.HasSuffix(local, "."):
		return "An email address cannot start or end with a period."
	case strings.Contains(local, ".."):
		return "An email address cannot have two periods in a row."
	case strings.HasSuffix(domain, "."):
		return "An email address cannot end with a period."
	case !strings.Contains(domain, "."):
		return "The part after the @-sign is not valid. It should have a period."
	case strings.ContainsAny(addr, " \t()<>[]\\,;:\""):
		return "The email address contains invalid characters."
	}
	return ""
}

func uniqueSorted(items []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, i := range items {
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	sort.Strings(out)
	return out
}
