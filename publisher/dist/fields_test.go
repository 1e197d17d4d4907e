package dist

import (
	"regexp"
	"strings"
	"testing"
)

func TestParseWheelFilename(t *testing.T) {
	w, err := ParseWheelFilename("demo_py-0.1.0-1abc-py2.py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
	if err != nil {
		t.Fatal(err)
	}
	if w.Name != "demo_py" || w.Version != "0.1.0" || w.Build != "1abc" || w.Python != "py2.py3" || w.ABI != "none" || w.DistInfo() != "demo_py-0.1.0.dist-info" {
		t.Errorf("%+v", w)
	}
	if len(w.Tags()) != 4 || w.Tags()[0] != "py2-none-manylinux_2_17_x86_64" {
		t.Errorf("Tags() = %v", w.Tags())
	}
	if w.String() != "demo_py-0.1.0-1abc-py2.py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl" {
		t.Errorf("String() = %s", w)
	}
	for _, bad := range []string{
		"demo-0.1.0-py3-none-any.zip", "demo-0.1.0-py3-none.whl", "a-b-c-d-e-f-g.whl", "demo__x-1.0-py3-none-any.whl",
		"demo!-1.0-py3-none-any.whl", "demo-dog-py3-none-any.whl", "demo-1.0-x1-py3-none-any.whl", "demo-1.0--none-any.whl",
		"-1.0-py3-none-any.whl",
	} {
		if _, err := ParseWheelFilename(bad); err == nil {
			t.Errorf("ParseWheelFilename(%q): no error", bad)
		}
	}
}

func TestParseSdistFilename(t *testing.T) {
	s, err := ParseSdistFilename("demo-py-0.1.0.tar.gz")
	if err != nil || s.Name != "demo-py" || s.Version != "0.1.0" || s.Ext != ".tar.gz" {
		t.Errorf("%+v %v", s, err)
	}
	if s, err := ParseSdistFilename("x-1.0.zip"); err != nil || s.Ext != ".zip" {
		t.Errorf("zip: %+v %v", s, err)
	}
	for _, bad := range []string{"demo.tar.gz", "demo-dog.tar.gz", "-1.0.tar.gz", "demo-1.0.tar.bz2"} {
		if _, err := ParseSdistFilename(bad); err == nil {
			t.Errorf("ParseSdistFilename(%q): no error", bad)
		}
	}
	if got := SdistFilename("Demo.Py", "2025.09.4"); got != "demo_py-2025.9.4.tar.gz" {
		t.Errorf("SdistFilename = %s", got)
	}
}

func TestValidPlatformTag(t *testing.T) {
	for _, ok := range []string{"any", "ANY", "win32", "win_amd64", "win_arm64", "manylinux1_x86_64", "manylinux2014_aarch64",
		"manylinux_2_17_x86_64", "manylinux_2_28_ppc64", "musllinux_1_2_riscv64", "macosx_10_9_x86_64", "macosx_11_0_arm64",
		"macosx_14_0_universal2", "macosx_26_0_arm64", "ios_13_0_arm64_iphoneos", "ios_12_0_x86_64_iphonesimulator",
		"android_21_arm64_v8a", "pyemscripten_2024_0_wasm32", "linux_armv7l"} {
		if !ValidPlatformTag(ok) {
			t.Errorf("ValidPlatformTag(%q) = false", ok)
		}
	}
	for _, bad := range []string{"linux_x86_64", "plan9_amd64", "musllinux_1_2_ppc64", "macosx_11_1_arm64", "macosx_10_9_sparc",
		"macosx_16_0_arm64", "ios_13_0_arm64", "android_21_mips", "emscripten_3_1_wasm32", ""} {
		if ValidPlatformTag(bad) {
			t.Errorf("ValidPlatformTag(%q) = true", bad)
		}
	}
}

func TestParseRequirement(t *testing.T) {
	good := map[string]Requirement{
		"requests": {Name: "requests"},
		"requests[socks] (<3,>=2.31) ; extra == 'http'":                      {Name: "requests", Extras: []string{"socks"}, Specifier: "<3,>=2.31", Marker: "extra == 'http'"},
		`colorama (>=0.4) ; sys_platform == "win32"`:                         {Name: "colorama", Specifier: ">=0.4", Marker: `sys_platform == "win32"`},
		`tinyutil (>=0.1.0) ; (python_version >= "3.8") and extra == 'tiny'`: {Name: "tinyutil", Specifier: ">=0.1.0", Marker: `(python_version >= "3.8") and extra == 'tiny'`},
		"foo>=1.0,!=1.5.*,~=1.2":                                             {Name: "foo", Specifier: ">=1.0,!=1.5.*,~=1.2"},
		"foo[a, b]== 1.0":                                                    {Name: "foo", Extras: []string{"a", "b"}, Specifier: "==1.0"},
		"foo @ https://example.org/f.tar.gz":                                 {Name: "foo", URL: "https://example.org/f.tar.gz"},
		"foo@https://x ; os_name != 'nt'":                                    {Name: "foo", URL: "https://x", Marker: "os_name != 'nt'"},
		"foo;'linux' in sys_platform or platform_machine not in 'x'":         {Name: "foo", Marker: "'linux' in sys_platform or platform_machine not in 'x'"},
		"foo===anything-goes":                                                {Name: "foo", Specifier: "===anything-goes"},
	}
	for in, want := range good {
		got, err := ParseRequirement(in)
		if err != nil {
			t.Errorf("ParseRequirement(%q): %v", in, err)
			continue
		}
		if got.Name != want.Name || strings.Join(got.Extras, ",") != strings.Join(want.Extras, ",") || got.Specifier != want.Specifier || got.URL != want.URL || got.Marker != want.Marker {
			t.Errorf("ParseRequirement(%q) = %+v, want %+v", in, got, want)
		}
	}
	for _, bad := range []string{"", "-foo", "foo >= 1.0 bar", "foo>=1.0.*", "foo~=1", "foo<1.0+local", "foo[", "foo[a,]", "foo (>=1.0",
		"foo ; ", "foo ; python_version", "foo ; bogus_var == '1'", "foo ; python_version == '3", "foo @ ", "foo @ https://x;python_version<'3' x",
		"foo>=", "foo,>=1"} {
		if r, err := ParseRequirement(bad); err == nil {
			t.Errorf("ParseRequirement(%q) = %+v, want an error", bad, r)
		}
	}
}

func TestValidSpecifierSet(t *testing.T) {
	for _, ok := range []string{">=3.8", ">=3.8,<4", ">=3.8, !=3.9.*,", "~=3.10", "==3.*", "", "> 3", ">=3.8.0rc1"} {
		if err := ValidSpecifierSet(ok); err != nil {
			t.Errorf("ValidSpecifierSet(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"3.8", ">=3.*", "~=3", ">=3.8;", "=>3.8", ">=dog", "<3.0+local"} {
		if err := ValidSpecifierSet(bad); err == nil {
			t.Errorf("ValidSpecifierSet(%q): no error", bad)
		}
	}
}

func TestCanonicalLicenseExpression(t *testing.T) {
	for in, want := range map[string]string{
		"MIT":                                  "MIT",
		"mit or apache-2.0":                    "MIT OR Apache-2.0",
		"(MIT OR Apache-2.0) AND BSD-3-Clause": "(MIT OR Apache-2.0) AND BSD-3-Clause",
		"GPL-2.0-only WITH Classpath-exception-2.0": "GPL-2.0-only WITH Classpath-exception-2.0",
		"LicenseRef-Proprietary":                    "LicenseRef-Proprietary",
		"licenseref-my.lic-1":                       "LicenseRef-my.lic-1",
		"GPL-2.0+":                                  "GPL-2.0+",
	} {
		got, err := CanonicalLicenseExpression(in)
		if err != nil || got != want {
			t.Errorf("CanonicalLicenseExpression(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MIT OR", "OR MIT", "MIT AND AND Apache-2.0", "(MIT", "MIT)", "()", "MIT (Apache-2.0)", "Not-A-License-1.0",
		"MIT WITH MIT", "LicenseRef-a_b", "MIT Apache-2.0", "DocumentRef-x:LicenseRef-y"} {
		if got, err := CanonicalLicenseExpression(bad); err == nil {
			t.Errorf("CanonicalLicenseExpression(%q) = %q, want an error", bad, got)
		}
	}
}

func TestFieldValidators(t *testing.T) {
	for _, ok := range []string{"https://example.org", "http://example.org:8080/x?y#z", "HTTPS://Example.org/ä"} {
		if !validHTTPURL(ok) {
			t.Errorf("validHTTPURL(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "ftp://example.org", "example.org", "https://exa mple.org", "javascript:alert(1)", "https://x:99999", "mailto:a@b.c"} {
		if validHTTPURL(bad) {
			t.Errorf("validHTTPURL(%q) = true", bad)
		}
	}
	if e := emailErrors(`Jane Doe <jane@example.org>, "Bob, Jr." <bob@example.com>`); len(e) != 0 {
		t.Errorf("valid addresses refused: %v", e)
	}
	for _, bad := range []string{"jane@localhost", "jane@example", "jane@@example.org", "jane@host.test", "x@-bad-.org"} {
		if e := emailErrors(bad); len(e) == 0 {
			t.Errorf("emailErrors(%q): none", bad)
		}
	}
	for _, ok := range []string{"text/markdown", "text/markdown; charset=UTF-8; variant=GFM", "Text/Markdown;variant=CommonMark", "text/x-rst; charset=utf-8", "text/plain"} {
		if msg := contentTypeError(ok); msg != "" {
			t.Errorf("contentTypeError(%q) = %s", ok, msg)
		}
	}
	for _, bad := range []string{"text/html", "markdown", "text/markdown; charset=latin-1", "text/markdown; variant=gfm", "text/markdown; variant=Commonmark"} {
		if msg := contentTypeError(bad); msg == "" {
			t.Errorf("contentTypeError(%q): none", bad)
		}
	}
	for p, want := range map[string]bool{"LICENSE": true, "licenses/LICENSE.txt": true, "../LICENSE": false, "LICEN*": false, "/LICENSE": false, `a\b`: false, "C:/x": false} {
		if got := licenseFileError(p) == ""; got != want {
			t.Errorf("licenseFileError(%q) ok=%v, want %v", p, got, want)
		}
	}
}

func TestClassifiers(t *testing.T) {
	if v, d := ClassifierListVersion(), ClassifierListDate(); !regexp.MustCompile(`^20\d\d\.\d+\.\d+`).MatchString(v) || !regexp.MustCompile(`^20\d\d-\d\d-\d\d$`).MatchString(d) {
		t.Fatalf("classifier list version %q, date %q", v, d)
	}
	cases := []struct {
		classifier string
		allow      bool
		severity   Severity
		contains   string
	}{
		{"Typing :: Typed", false, "", ""},
		{"Programming Language :: Python :: 3.14", false, "", ""},
		{"Framework :: Django :: 5.2", false, "", ""}, // added in 2024: the list must be newer than that
		{"Environment :: GPU :: NVIDIA CUDA :: 12 :: 12.4", false, "", ""},
		{"Programming Language :: Python :: Free Threading :: 3 - Stable", false, "", ""},
		{"Framework :: Foo :: 99", false, SeverityWarning, "not in trove-classifiers " + ClassifierListVersion() + " (" + ClassifierListDate() + ") known to this goreleaser-pypi; PyPI may know it"},
		{"Framework :: Foo :: 99", true, "", ""},
		{"Programming Language :: Python :: 3.14 ", false, SeverityWarning, "--allow-classifier"},
		{"Natural Language :: Ukranian", false, SeverityError, `PyPI refuses it ("The classifier 'Natural Language :: Ukranian' has been deprecated, use one of ['Natural Language :: Ukrainian'] instead."): use 'Natural Language :: Ukrainian' instead`},
		{"Natural Language :: Ukranian", true, SeverityError, "deprecated"},
		{"Topic :: Communications :: Chat :: AOL Instant Messenger", false, SeverityError, `("The classifier 'Topic :: Communications :: Chat :: AOL Instant Messenger' has been deprecated."): remove it`},
		{"Private :: Do Not Upload", false, SeverityError, `PyPI always refuses classifiers beginning with "Private ::"`},
		{"Framework :: private stuff", false, SeverityError, "private classifier"},
		{"Private :: Do Not Upload", true, "", ""},
	}
	for _, c := range cases {
		allow := map[string]bool{}
		if c.allow {
			allow[c.classifier] = true
		}
		severity, why := checkClassifier(c.classifier, allow)
		if severity != c.severity || !strings.Contains(why, c.contains) {
			t.Errorf("checkClassifier(%q, allowed=%v) = %q %q, want %q containing %q", c.classifier, c.allow, severity, why, c.severity, c.contains)
		}
	}
}

func TestEntryPoints(t *testing.T) {
	ok := "[console_scripts]\ndemo = demo.cli:main\ndemo-x.y = demo:main\n  [extra]\n\n# comment\n[gui_scripts]\ngui=demo:gui\n[other]\nany/name = x:y\n"
	if errs := entryPointsErrors([]byte(ok)); len(errs) != 0 {
		t.Errorf("valid entry_points.txt refused: %v", errs)
	}
	for name, bad := range map[string]string{
		"path name":    "[console_scripts]\n../bin/evil = x:y\n",
		"no section":   "demo = x:y\n",
		"no delimiter": "[console_scripts]\ndemo\n",
		"dup section":  "[a]\n[a]\n",
		"dup key":      "[console_scripts]\nx = a:b\nx = c:d\n",
		"bad header":   "[console_scripts\n",
		"not utf-8":    "[console_scripts]\n\xff = x\n",
	} {
		if errs := entryPointsErrors([]byte(bad)); len(errs) == 0 {
			t.Errorf("%s: accepted", name)
		}
	}
}
