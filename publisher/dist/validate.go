package dist

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Metadata rules: what PyPI (packaging.metadata and Warehouse's own
// forklift/metadata.py) refuses in the metadata of an upload. PyPI validates
// the metadata it receives in the upload form, so these checks run over the
// form fields we would send (Distribution.FormFields), with the same
// clean-up the server applies first: a field whose value is "UNKNOWN" or
// empty counts as absent.

// Rule identifiers, stable for scripts reading `check --json`.
const (
	RuleFileMissing        = "file-missing"
	RuleSdistPrePEP625     = "sdist-pre-pep625-name"
	RuleFileUnreadable     = "file-unreadable"
	RuleFileType           = "file-type"
	RuleFileSize           = "file-size"
	RuleFilenameChars      = "filename-chars"
	RuleFilename           = "filename"
	RuleFilenameName       = "filename-name"
	RuleFilenameVersion    = "filename-version"
	RuleSdistFilename      = "sdist-filename"
	RulePlatformTag        = "platform-tag"
	RuleArchive            = "archive"
	RuleZipStructure       = "zip-structure"
	RuleZipComment         = "zip-comment"
	RuleZipCompression     = "zip-compression"
	RuleCompressionRatio   = "compression-ratio"
	RuleArchivePath        = "archive-path"
	RuleWheelContents      = "wheel-contents"
	RuleSdistLayout        = "sdist-layout"
	RuleEntryPoints        = "entry-points"
	RuleMetadataFile       = "metadata-file"
	RuleMetadataVersion    = "metadata-version"
	RuleName               = "name"
	RuleVersion            = "version"
	RuleLocalVersion       = "local-version"
	RuleDuplicateField     = "duplicate-field"
	RuleFieldVersion       = "field-metadata-version"
	RuleSummary            = "summary"
	RuleURL                = "url"
	RuleProjectURL         = "project-url"
	RuleEmail              = "email"
	RuleClassifier         = "classifier"
	RuleRequiresDist       = "requires-dist"
	RuleDirectReference    = "direct-reference"
	RuleRequiresPython     = "requires-python"
	RuleProvidesExtra      = "provides-extra"
	RuleDynamic            = "dynamic"
	RuleContentType        = "description-content-type"
	RuleLicenseExpression  = "license-expression"
	RuleLicenseFile        = "license-file"
	RuleLicenseConflict    = "license-conflict"
	RuleImportName         = "import-name"
	RuleDescriptionRender  = "description-render"
	RuleDuplicateFilename  = "duplicate-filename"
	RuleDuplicateSdist     = "duplicate-sdist"
	RuleChecksum           = "checksum"               // the file differs from the checksum its builder recorded
	RuleTagVersion         = "tag-version"            // the file's version is not the release tag's
	RuleRecordMismatch     = "record-mismatch"        // warning
	RuleFilenameNotNormal  = "filename-version-form"  // warning
	RuleFieldNotSent       = "field-not-sent"         // warning
	RuleLicenseFileIgnored = "license-file-ignored"   // warning
	RuleWheelTags          = "wheel-tags"             // warning
	RuleDuplicateFile      = "duplicate-file"         // warning
	RuleDescriptionSource  = "description-duplicated" // warning
)

// formView is the form as the server sees it after its clean-up.
type formView map[string][]string

func newFormView(fields []Field) formView {
	v := formView{}
	for _, f := range fields {
		v[f.Name] = append(v[f.Name], f.Value)
	}
	for k, vals := range v {
		// Warehouse deletes a key whose (last) value is "UNKNOWN", and
		// packaging ignores a key whose only value is empty.
		if strings.TrimSpace(vals[len(vals)-1]) == "UNKNOWN" || (len(vals) == 1 && vals[0] == "") {
			delete(v, k)
		}
	}
	return v
}

func (v formView) one(k string) string {
	if vals := v[k]; len(vals) > 0 {
		return vals[0]
	}
	return ""
}

// headerFor is the metadata header spelling of a form field, for messages.
func headerFor(form string) string {
	for _, f := range coreFields {
		if f.Form == form {
			return f.Header
		}
	}
	return form
}

type ruleSink struct {
	problems []Problem
	severity Severity
}

func (s *ruleSink) add(rule, format string, args ...any) {
	s.problems = append(s.problems, Problem{Rule: rule, Message: fmt.Sprintf(format, args...), Severity: s.severity})
}

// validateMetadata returns the problems PyPI would find in the metadata of d
// and the warnings worth showing. allow lists extra accepted classifiers.
func validateMetadata(d *Distribution, allow map[string]bool) (problems, warnings []Problem) {
	p, w := ruleSink{severity: SeverityError}, ruleSink{severity: SeverityWarning}
	m := d.meta()
	mv := m.MetadataVersion()
	form := newFormView(d.FormFields())

	// The three required fields first: they decide how the rest reads.
	switch {
	case !m.Has("Metadata-Version"):
		p.add(RuleMetadataVersion, "metadata has no Metadata-Version field")
	case metadataAge(mv) < 0:
		p.add(RuleMetadataVersion, "Metadata-Version %q is not accepted by PyPI (it accepts %s); rebuild with a current build backend", mv, strings.Join(MetadataVersions, ", "))
	}
	name := form.one("name")
	switch {
	case name == "":
		p.add(RuleName, "metadata has no Name field (it is required)")
	case !ValidName(name):
		p.add(RuleName, "Name %q is invalid: a project name starts and ends with an ASCII letter or digit and contains only letters, digits, '.', '_' and '-'", name)
	}
	version := form.one("version")
	if version == "" {
		p.add(RuleVersion, "metadata has no Version field (it is required)")
	} else if v, err := ParseVersion(version); err != nil {
		p.add(RuleVersion, "Version %q is not a valid PEP 440 version", version)
	} else if len(v.Local) > 0 {
		p.add(RuleLocalVersion, "Version %q has a local version label (+%s); PyPI does not accept local versions: release %s", version, strings.Join(v.Local, "."), v.Public())
	}

	// Single-use fields given more than once: the server cannot tell which
	// to keep and refuses the upload.
	counts := map[string]int{}
	for _, h := range m.Headers {
		if f, ok := lookupCoreField(h.Name); ok && !f.Multi {
			counts[f.Header]++
		}
	}
	for _, f := range coreFields {
		if n := counts[f.Header]; n > 1 && f.Form != "keywords" {
			p.add(RuleDuplicateField, "%s appears %d times; it may appear only once", f.Header, n)
		}
	}
	if m.Body != "" && m.Has("Description") {
		w.add(RuleDescriptionSource, "metadata has both a Description field and a body; the body is sent as the description")
	}

	// Fields newer than the declared Metadata-Version.
	if metadataAge(mv) >= 0 {
		reported := map[string]bool{}
		for _, h := range m.Headers {
			f, ok := lookupCoreField(h.Name)
			if !ok || f.definedIn(mv) || reported[f.Header] {
				continue
			}
			reported[f.Header] = true
			if f.Form == "license_file" && licenseFileIgnored(mv) {
				w.add(RuleLicenseFileIgnored, "License-File is a Metadata-Version 2.4 field, but the file declares Metadata-Version %s (as setuptools 56–76 and hatchling < 1.27 write it): it is left out of the upload, as twine does, and PyPI accepts the file without it. To publish the license files as such, build with a backend that writes Metadata-Version 2.4 (setuptools >= 77, hatchling >= 1.27, flit >= 3.11)", mv)
				continue
			}
			hint := ""
			if f.Added == "2.4" {
				hint = " (setuptools >= 77, hatchling >= 1.27, flit >= 3.11)"
			}
			p.add(RuleFieldVersion, "%s was introduced in metadata version %s, but the file declares Metadata-Version %s; PyPI refuses it: rebuild with a backend that writes Metadata-Version %s or later%s, or drop the field", f.Header, f.Added, mv, f.Added, hint)
		}
	}
	for _, h := range m.Headers {
		if strings.ContainsRune(h.Value, 0) {
			p.add(RuleMetadataFile, "%s contains a NUL character; remove it (PyPI would store it as the text \\x00)", h.Name)
		}
		if h.Folded && strings.EqualFold(h.Name, "Summary") {
			p.add(RuleSummary, "Summary must be a single line, but it is folded over several lines in the metadata file")
		}
	}
	if strings.ContainsRune(m.Body, 0) {
		p.add(RuleMetadataFile, "the description (metadata body) contains a NUL character; remove it")
	}

	if s, ok := form["summary"]; ok && len(s) == 1 {
		switch {
		case strings.ContainsAny(s[0], "\r\n"):
			p.add(RuleSummary, "Summary must be a single line")
		case utf8.RuneCountInString(s[0]) > 512:
			p.add(RuleSummary, "Summary is %d characters long; PyPI accepts at most 512", utf8.RuneCountInString(s[0]))
		}
	}
	for _, k := range []string{"home_page", "download_url"} {
		if u := form.one(k); u != "" && !validHTTPURL(u) {
			p.add(RuleURL, "%s %q is not a valid URL (PyPI accepts http and https URLs)", headerFor(k), u)
		}
	}
	labels := map[string]bool{}
	for _, pu := range form["project_urls"] {
		label, u, _ := strings.Cut(pu, ",")
		label, u = strings.TrimSpace(label), strings.TrimSpace(u)
		switch {
		case labels[label]:
			p.add(RuleProjectURL, "Project-URL label %q is used twice; labels must be unique", label)
		case label == "":
			p.add(RuleProjectURL, "Project-URL %q has no label (write \"Label, https://...\")", pu)
		case utf8.RuneCountInString(label) > 32:
			p.add(RuleProjectURL, "Project-URL label %q is longer than 32 characters", label)
		case u == "":
			p.add(RuleProjectURL, "Project-URL %q has no URL (write \"Label, https://...\")", pu)
		case !validHTTPURL(u):
			p.add(RuleProjectURL, "Project-URL %q: %q is not a valid URL (PyPI accepts http and https URLs)", label, u)
		}
		labels[label] = true
	}
	for _, k := range []string{"author_email", "maintainer_email"} {
		if v := form.one(k); v != "" {
			for _, e := range emailErrors(v) {
				p.add(RuleEmail, "%s: %s", headerFor(k), e)
			}
		}
	}
	for _, c := range sortedUnique(form["classifiers"]) {
		switch severity, why := checkClassifier(c, allow); severity {
		case SeverityError:
			p.add(RuleClassifier, "%s", why)
		case SeverityWarning:
			w.add(RuleClassifier, "%s", why)
		}
	}
	for _, k := range []string{"requires_dist", "provides_dist", "obsoletes_dist"} {
		for _, r := range form[k] {
			req, err := ParseRequirement(r)
			if err != nil {
				p.add(RuleRequiresDist, "%s %q is invalid: %v", headerFor(k), r, err)
				continue
			}
			if req.URL != "" {
				p.add(RuleDirectReference, "%s %q is a direct reference (name @ URL); PyPI does not accept dependencies on URLs: depend on a released version instead", headerFor(k), r)
			}
		}
	}
	if rp := form.one("requires_python"); rp != "" {
		if err := ValidSpecifierSet(rp); err != nil {
			p.add(RuleRequiresPython, "Requires-Python %q is invalid: %v", rp, err)
		}
	}
	for _, e := range form["provides_extra"] {
		if !ValidName(e) {
			p.add(RuleProvidesExtra, "Provides-Extra %q is invalid: an extra name follows the project name rules (PEP 685)", e)
		}
	}
	for _, dyn := range form["dynamic"] {
		lf := strings.ToLower(strings.TrimSpace(dyn))
		_, known := lookupCoreField(lf)
		switch {
		case lf == "name" || lf == "version" || lf == "metadata-version":
			p.add(RuleDynamic, "Dynamic %q is not allowed: %s cannot be dynamic", dyn, dyn)
		case !known:
			p.add(RuleDynamic, "Dynamic %q is not a core metadata field", dyn)
		}
	}
	if ct := form.one("description_content_type"); ct != "" {
		if msg := contentTypeError(ct); msg != "" {
			p.add(RuleContentType, "%s", msg)
		}
	}
	switch severity, msg := descriptionRenderError(form); severity {
	case SeverityError:
		p.add(RuleDescriptionRender, "%s", msg)
	case SeverityWarning:
		w.add(RuleDescriptionRender, "%s", msg)
	}
	if le := form.one("license_expression"); le != "" {
		if _, err := CanonicalLicenseExpression(le); err != nil {
			p.add(RuleLicenseExpression, "License-Expression %q is not a valid SPDX expression: %v", le, err)
		}
		if form.one("license") != "" {
			p.add(RuleLicenseConflict, "License is deprecated when License-Expression is present; only License-Expression should be present (remove the License field)")
		}
	}
	for _, k := range []string{"import_name", "import_namespace"} {
		for _, v := range form[k] {
			if why := importNameError(v); why != "" {
				p.add(RuleImportName, "%s %q is invalid: %s", headerFor(k), v, why)
			}
		}
	}
	for _, lf := range form["license_file"] {
		if why := licenseFileError(lf); why != "" {
			p.add(RuleLicenseFile, "License-File %q is invalid: %s", lf, why)
		}
	}
	return p.problems, w.problems
}

func sortedUnique(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}
