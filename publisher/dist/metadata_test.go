package dist

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMetadata(t *testing.T) {
	in := "Metadata-Version: 2.1\r\n" +
		"Name: demo-py\n" +
		"Version: 0.1.0\n" +
		"Summary: a summary\n" +
		"  folded on\n" +
		"\tthree lines\n" +
		"Classifier: A :: B\n" +
		"classifier: C :: D\n" +
		"Keywords: a,b, c\n" +
		"Project-URL: Source, https://example.org/src\n" +
		"Description: legacy\n" +
		"        |indented\n" +
		"        second\n" +
		"Author: Jürgen ✓\n" +
		"Empty:\n" +
		"\n" +
		"# Title\r\n\nbody ✓\n"
	m, err := ParseMetadata(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]string{
		"metadata-version": "2.1",
		"NAME":             "demo-py",
		"Summary":          "a summary folded on three lines",
		"Author":           "Jürgen ✓",
		"Empty":            "",
		"Description":      "legacy\n|indented\nsecond",
	}
	for k, want := range checks {
		if got := m.Get(k); got != want {
			t.Errorf("Get(%q) = %q, want %q", k, got, want)
		}
	}
	if got := m.Classifiers(); len(got) != 2 || got[1] != "C :: D" {
		t.Errorf("Classifiers() = %q", got)
	}
	if got := m.Keywords(); strings.Join(got, "|") != "a|b|c" {
		t.Errorf("Keywords() = %q", got)
	}
	if got := m.ProjectURLs(); len(got) != 1 || got[0] != (ProjectURL{"Source", "https://example.org/src"}) {
		t.Errorf("ProjectURLs() = %+v", got)
	}
	if m.Body != "# Title\r\n\nbody ✓\n" || m.Description() != m.Body {
		t.Errorf("Body = %q", m.Body)
	}
	if !m.Headers[3].Folded || m.Headers[2].Folded {
		t.Error("Folded not recorded")
	}
	// 7 spaces and "|" (setuptools' escaping) is removed too.
	m, _ = ParseMetadata(strings.NewReader("Description: a\n       |  b\n"))
	if got := m.Get("Description"); got != "a\n  b" {
		t.Errorf("pipe-escaped Description = %q", got)
	}
}

func TestParseMetadataErrors(t *testing.T) {
	for name, in := range map[string]string{
		"not utf-8":          "Metadata-Version: 2.1\nSummary: \xff\xfe\n",
		"bom":                "\xef\xbb\xbfMetadata-Version: 2.1\n",
		"continuation first": " Name: x\n",
		"not a header":       "Name: x\nthis is not a header\n",
		"space in the name":  "Bad Name: x\n",
		"empty name":         ": x\n",
	} {
		if _, err := ParseMetadata(strings.NewReader(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	big := strings.NewReader("Name: x\n\n" + strings.Repeat("x", DefaultMaxMetadataSize))
	if _, err := ParseMetadata(big); !errors.Is(err, ErrMetadataTooLarge) {
		t.Errorf("oversize: %v", err)
	}
	// Only headers, no body; only a body.
	if m, err := ParseMetadata(strings.NewReader("Name: x")); err != nil || m.Name() != "x" || m.Body != "" {
		t.Errorf("no trailing newline: %+v %v", m, err)
	}
	if m, err := ParseMetadata(strings.NewReader("\nbody")); err != nil || len(m.Headers) != 0 || m.Body != "body" {
		t.Errorf("body only: %+v %v", m, err)
	}
}

func TestFormFields(t *testing.T) {
	m, err := ParseMetadata(strings.NewReader(metadataText("2.4", "Demo.Py", "1.0",
		"Summary: s", "Home-page: UNKNOWN", "Platform: UNKNOWN", "Classifier: A", "Classifier: B",
		"Keywords: k1,k2", "Project-URL: Docs, https://d", "Provides-Extra: x", "License-Expression: MIT",
		"License-File: LICENSE", "X-Custom: ignored", "\nthe body\n")))
	if err != nil {
		t.Fatal(err)
	}
	d := &Distribution{Type: Wheel, PyVersion: "py3", Metadata: m, Digests: Digests{SHA256: "s", BLAKE2b256: "b", MD5: "m"}}
	var got []string
	for _, f := range d.FormFields() {
		got = append(got, f.Name+"="+f.Value)
	}
	want := []string{":action=file_upload", "protocol_version=1", "name=Demo.Py", "version=1.0", "filetype=bdist_wheel", "pyversion=py3", "metadata_version=2.4",
		"summary=s", "description=the body\n", "keywords=k1,k2", "platform=UNKNOWN", "classifiers=A", "classifiers=B", "project_urls=Docs, https://d",
		"provides_extra=x", "license_expression=MIT", "license_file=LICENSE", "sha256_digest=s", "blake2_256_digest=b", "md5_digest=m"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("FormFields:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A distribution that could not be read still renders (no panic).
	if f := (&Distribution{}).FormFields(); len(f) != 7 {
		t.Errorf("empty distribution: %v", f)
	}
}
