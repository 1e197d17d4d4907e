package pypitest

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// The upload form: ordered fields as the client sent them, the clean-up
// Warehouse applies before validating, and its UploadForm
// (warehouse/forklift/forms.py) with the message it builds from the first
// failing field.

// Field is one upload form field, in the order the client sent it.
type Field struct {
	Name  string
	Value string
}

// form holds the non-file fields of an upload, in order.
type form struct {
	fields []Field
	// fileFields names parts other than "content" that carried a filename
	// (Warehouse: "{field}: Should not be a tuple.").
	fileFields []string
}

// getAll returns every value of name, in order.
func (f *form) getAll(name string) []string {
	var vs []string
	for _, fl := range f.fields {
		if fl.Name == name {
			vs = append(vs, fl.Value)
		}
	}
	return vs
}

// first returns the first value of name ("" when absent), as a wtforms
// StringField reads it.
func (f *form) first(name string) string {
	for _, fl := range f.fields {
		if fl.Name == name {
			return fl.Value
		}
	}
	return ""
}

// last returns the last value of name, as webob's MultiDict.get does.
func (f *form) last(name string) (string, bool) {
	for i := len(f.fields) - 1; i >= 0; i-- {
		if f.fields[i].Name == name {
			return f.fields[i].Value, true
		}
	}
	return "", false
}

// keys returns the distinct field names, sorted.
func (f *form) keys() []string {
	seen := map[string]bool{}
	var ks []string
	for _, fl := range f.fields {
		if !seen[fl.Name] {
			seen[fl.Name] = true
			ks = append(ks, fl.Name)
		}
	}
	sort.Strings(ks)
	return ks
}

// cleanup is the start of Warehouse's file_upload: a field whose (last)
// value is "UNKNOWN" is dropped (distutils' placeholder), and NUL
// characters are escaped (the field then keeps that single value).
func (f *form) cleanup() {
	for _, key := range f.keys() {
		value, _ := f.last(key)
		if strings.TrimSpace(value) == "UNKNOWN" {
			f.remove(key)
			continue
		}
		if strings.Contains(value, "\x00") {
			f.remove(key)
			f.fields = append(f.fields, Field{key, strings.ReplaceAll(value, "\x00", `\x00`)})
		}
	}
}

func (f *form) remove(name string) {
	kept := f.fields[:0]
	for _, fl := range f.fields {
		if fl.Name != name {
			kept = append(kept, fl)
		}
	}
	f.fields = kept
}

var (
	sha256DigestRe   = regexp.MustCompile(`(?i)^[A-F0-9]{64}$`)
	coreMetadataSpec = "https://packaging.python.org/specifications/core-metadata"
)

// pyMatch is Python's re.match for a pattern ending in "$", which also
// matches before one trailing newline.
func pyMatch(re *regexp.Regexp, s string) bool {
	return re.MatchString(s) || strings.HasSuffix(s, "\n") && re.MatchString(strings.TrimSuffix(s, "\n"))
}

// validateUploadForm runs UploadForm.validate() and returns Warehouse's
// message for the first error, or "" when the form is valid.
func validateUploadForm(f *form) string {
	errs := map[string]string{}

	// name: InputRequired, then the project name pattern.
	if names := f.getAll("name"); len(names) == 0 || names[0] == "" {
		errs["name"] = "This field is required."
	} else if !pyMatch(projectNameRe, names[0]) {
		errs["name"] = "Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'."
	}

	// filetype: InputRequired, then AnyOf.
	if types := f.getAll("filetype"); len(types) == 0 || types[0] == "" {
		errs["filetype"] = "This field is required."
	} else if types[0] != "sdist" && types[0] != "bdist_wheel" {
		errs["filetype"] = "Use a known file type."
	}

	// Digests: Optional (blank stops validation), then the hex pattern.
	for field, msg := range map[string]string{
		"sha256_digest":     "Use a valid, hex-encoded, SHA256 message digest.",
		"blake2_256_digest": "Use a valid, hex-encoded, BLAKE2 message digest.",
	} {
		vs := f.getAll(field)
		if len(vs) == 0 || strings.TrimSpace(vs[0]) == "" {
			continue
		}
		if !pyMatch(sha256DigestRe, vs[0]) {
			errs[field] = msg
		}
	}

	// full_validate: form-level errors, reported under "__all__".
	filetype, pyversion := f.first("filetype"), f.first("pyversion")
	switch {
	case filetype != "" && filetype != "sdist" && pyversion == "":
		errs["__all__"] = "Python version is required for binary distribution uploads."
	case filetype == "sdist" && pyversion != "" && pyversion != "source":
		errs["__all__"] = "Use 'source' as Python version for an sdist."
	case f.first("md5_digest") == "" && f.first("sha256_digest") == "" && f.first("blake2_256_digest") == "":
		errs["__all__"] = "Include at least one message digest."
	}

	if len(errs) == 0 {
		return ""
	}
	// _error_message_order puts "name" first; otherwise the first key in
	// sorted order ("__all__" sorts before every field name).
	key := "name"
	if _, ok := errs[key]; !ok {
		keys := make([]string, 0, len(errs))
		for k := range errs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		key = keys[0]
	}
	switch key {
	case "__all__":
		return "Error: " + errs[key]
	case "name":
		value := f.first("name")
		if r := []rune(value); len(r) > 60 {
			value = string(r[:30]) + "..." + string(r[len(r)-30:])
		}
		return fmt.Sprintf("%s is an invalid value for Name. Error: %s See %s for more information.",
			pyRepr(value), errs[key], coreMetadataSpec)
	default:
		return fmt.Sprintf("Invalid value for %s. Error: %s", key, errs[key])
	}
}
