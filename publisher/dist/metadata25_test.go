package dist

import (
	"slices"
	"strings"
	"testing"
)

// Metadata-Version 2.5 (PEP 794, accepted by PyPI since 2026-02): the
// Import-Name and Import-Namespace fields.
func TestMetadata25(t *testing.T) {
	meta := metadataText("2.5", "demo-py", "0.1.0",
		"Import-Name: demo_py", "Import-Name: demo_py._impl; private", "Import-Name: démo", "Import-Namespace: demo_ns",
		"License-Expression: MIT", "License-File: LICENSE")
	data := okWheel(t, meta, func(s *wheelSpec) {
		s.extra = append(s.extra, member{name: "demo_py-0.1.0.dist-info/licenses/LICENSE", data: "MIT\n"})
	})
	d, problems := inspectBytes(t, "demo_py-0.1.0-py3-none-any.whl", data)
	if len(problems) != 0 || len(d.Warnings) != 0 {
		t.Fatalf("a valid 2.5 wheel: %v %v", problems, d.Warnings)
	}
	fields := d.FormFields()
	for _, want := range []Field{{"metadata_version", "2.5"}, {"import_name", "demo_py"}, {"import_name", "demo_py._impl; private"},
		{"import_name", "démo"}, {"import_namespace", "demo_ns"}, {"license_file", "LICENSE"}} {
		if !slices.Contains(fields, want) {
			t.Errorf("form lacks %v: %v", want, fields)
		}
	}
	sd, problems := inspectBytes(t, "demo_py-0.1.0.tar.gz", buildTarGz(t, sdistEntries("demo_py-0.1.0", meta, tarEntry{name: "demo_py-0.1.0/LICENSE", data: "MIT\n"})))
	if len(problems) != 0 || len(sd.Warnings) != 0 {
		t.Fatalf("a valid 2.5 sdist: %v %v", problems, sd.Warnings)
	}

	for _, c := range []struct {
		mv, header, rule, contains string
	}{
		{"2.4", "Import-Name: demo_py", RuleFieldVersion, "Import-Name was introduced in metadata version 2.5, but the file declares Metadata-Version 2.4"},
		{"2.5", "Import-Name: demo-py", RuleImportName, `"demo-py" is not a valid Python identifier`},
		{"2.5", "Import-Name: 1demo", RuleImportName, "not a valid Python identifier"},
		{"2.5", "Import-Namespace: demo.class", RuleImportName, `"class" is a Python keyword`},
		{"2.5", "Import-Name: demo; public", RuleImportName, "the only option after ';' is 'private'"},
		{"2.5", "Import-Name: demo..x", RuleImportName, "not a valid Python identifier"},
		{"2.6", "Import-Name: demo", RuleMetadataVersion, `Metadata-Version "2.6" is not accepted by PyPI`},
	} {
		_, problems := inspectBytes(t, "demo_py-0.1.0-py3-none-any.whl", okWheel(t, metadataText(c.mv, "demo-py", "0.1.0", c.header)))
		found := false
		for _, p := range problems {
			found = found || p.Rule == c.rule && strings.Contains(p.Message, c.contains)
		}
		if !found {
			t.Errorf("%s under %s: want %s containing %q, got %v", c.header, c.mv, c.rule, c.contains, problems)
		}
	}
}
