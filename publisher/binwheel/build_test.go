package binwheel

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

var fixedDate, fixedTime = msDosTime(zipEpoch)

// realTargets are built with the Go toolchain and wrapped: every row of the
// mapping that has a tag and that Go can build here without cgo.
var realTargets = []struct {
	goos, goarch string
	env          []string
	platform     string
	script       string
}{
	{"linux", "amd64", nil, "manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_1_x86_64", "hello"},
	{"linux", "arm64", nil, "manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64", "hello"},
	{"linux", "386", nil, "manylinux_2_17_i686.manylinux2014_i686.musllinux_1_1_i686", "hello"},
	{"linux", "arm", []string{"GOARM=7"}, "manylinux_2_17_armv7l.manylinux2014_armv7l.musllinux_1_1_armv7l", "hello"},
	{"linux", "arm", []string{"GOARM=6"}, "linux_armv6l", "hello"},
	{"linux", "ppc64le", nil, "manylinux_2_17_ppc64le.manylinux2014_ppc64le.musllinux_1_1_ppc64le", "hello"},
	{"linux", "s390x", nil, "manylinux_2_17_s390x.manylinux2014_s390x.musllinux_1_1_s390x", "hello"},
	{"linux", "riscv64", nil, "manylinux_2_17_riscv64.musllinux_1_1_riscv64", "hello"},
	{"darwin", "amd64", nil, "macosx_12_0_x86_64", "hello"},
	{"darwin", "arm64", nil, "macosx_12_0_arm64", "hello"},
	{"windows", "amd64", nil, "win_amd64", "hello.exe"},
	{"windows", "arm64", nil, "win_arm64", "hello.exe"},
	{"windows", "386", nil, "win32", "hello.exe"},
}

func TestBuildEveryTargetFromRealBinaries(t *testing.T) {
	out := t.TempDir()
	spec := testSpec()
	for _, tc := range realTargets {
		bin := goBuild(t, helloMain, tc.goos, tc.goarch, tc.env...)
		path, err := Build(ctx(), spec, Binary{Path: bin, GOOS: tc.goos, GOARCH: tc.goarch}, out)
		if err != nil {
			t.Errorf("%s/%s %v: %v", tc.goos, tc.goarch, tc.env, err)
			continue
		}
		want := "hello_tool-1.2.3rc1-py3-none-" + tc.platform + ".whl"
		if filepath.Base(path) != want {
			t.Errorf("%s/%s %v: wrote %s, want %s", tc.goos, tc.goarch, tc.env, filepath.Base(path), want)
		}
		w, err := readStrict(path, fixedDate, fixedTime)
		if err != nil {
			t.Errorf("%s: %v", want, err)
			continue
		}
		src, _ := os.ReadFile(bin)
		if got := w.file("hello_tool-1.2.3rc1.data/scripts/" + tc.script); !bytes.Equal(got, src) {
			t.Errorf("%s: the binary is not stored byte for byte at .data/scripts/%s", want, tc.script)
		}
		wheel := string(w.file("hello_tool-1.2.3rc1.dist-info/WHEEL"))
		wantWheel := "Wheel-Version: 1.0\nGenerator: goreleaser-pypi test\nRoot-Is-Purelib: false\n"
		for _, p := range strings.Split(tc.platform, ".") {
			wantWheel += "Tag: py3-none-" + p + "\n"
		}
		if wheel != wantWheel {
			t.Errorf("%s: WHEEL is\n%s\nwant\n%s", want, wheel, wantWheel)
		}
		if len(w.members) != 4 {
			t.Errorf("%s: %d members, want script, METADATA, WHEEL, RECORD", want, len(w.members))
		}
		checkWheel(t, path, dist.Options{})
	}
	// Every tag is in Warehouse's allow-list, as the local index enforces
	// it on upload (universal2 is uploaded in TestUniversalBinary).
	if _, err := exec.LookPath("twine"); err == nil {
		srv := pypitest.NewServer(t, pypitest.WithToken(toolToken))
		paths, _ := filepath.Glob(filepath.Join(out, "*.whl"))
		twineUpload(t, srv, paths...)
		if len(srv.Files()) != len(realTargets) {
			t.Errorf("the index accepted %d of %d wheels", len(srv.Files()), len(realTargets))
		}
	}
}

func TestMetadata21(t *testing.T) {
	bin := goBuild(t, helloMain, "linux", "amd64")
	dir := t.TempDir()
	spec := testSpec()
	spec.Readme = filepath.Join(dir, "README.rst")
	write(t, spec.Readme, "Hello\n=====\n\nSays hello.")
	spec.RequiresPython = ">=3.8"
	spec.LicenseFiles = []string{filepath.Join(dir, "COPYING")}
	write(t, spec.LicenseFiles[0], "license text\n")
	path, err := Build(ctx(), spec, Binary{Path: bin}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w, err := readStrict(path, fixedDate, fixedTime)
	if err != nil {
		t.Fatal(err)
	}
	want := "Metadata-Version: 2.1\nName: Hello-Tool\nVersion: 1.2.3rc1\nSummary: Says hello\nKeywords: cli,hello\n" +
		"Project-URL: Homepage, https://example.com\nProject-URL: Source, https://example.com/hello\n" +
		"License: Apache License, version 2\nClassifier: Topic :: Utilities\nClassifier: Environment :: Console\n" +
		"Requires-Python: >=3.8\nDescription-Content-Type: text/x-rst\n\nHello\n=====\n\nSays hello.\n"
	if got := string(w.file("hello_tool-1.2.3rc1.dist-info/METADATA")); got != want {
		t.Errorf("METADATA:\n%s\nwant:\n%s", got, want)
	}
	// Metadata 2.1 has no License-File field, but the license text travels
	// with the binary anyway.
	if got := string(w.file("hello_tool-1.2.3rc1.dist-info/licenses/COPYING")); got != "license text\n" {
		t.Errorf("licenses/COPYING = %q", got)
	}
	d, problems := dist.Check([]string{path}, dist.Options{})
	if len(problems) > 0 || len(d[0].Warnings) > 0 {
		t.Errorf("check: %v %v", problems, d[0].Warnings)
	}
}

func TestMetadata24WithLicenseExpression(t *testing.T) {
	bin := goBuild(t, helloMain, "windows", "amd64")
	dir := t.TempDir()
	t.Chdir(dir)
	os.MkdirAll("docs", 0o755)
	write(t, "LICENSE", "MIT License\n")
	write(t, "docs/NOTICE.txt", "notice\n")
	write(t, "README.md", "# hello\n")
	spec := Spec{
		Name: "hello", Version: "2.0.0", Summary: "s", Readme: "README.md",
		License:      "mit OR apache-2.0",
		LicenseFiles: []string{"./LICENSE", "docs/NOTICE.txt"},
		Classifiers:  []string{"Topic :: Utilities"},
	}
	path, err := Build(ctx(), spec, Binary{Path: bin, Name: "hi"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "hello-2.0.0-py3-none-win_amd64.whl" {
		t.Errorf("wrote %s", path)
	}
	w, err := readStrict(path, fixedDate, fixedTime)
	if err != nil {
		t.Fatal(err)
	}
	want := "Metadata-Version: 2.4\nName: hello\nVersion: 2.0.0\nSummary: s\nLicense-Expression: MIT OR Apache-2.0\n" +
		"License-File: LICENSE\nLicense-File: docs/NOTICE.txt\nClassifier: Topic :: Utilities\n" +
		"Description-Content-Type: text/markdown\n\n# hello\n"
	if got := string(w.file("hello-2.0.0.dist-info/METADATA")); got != want {
		t.Errorf("METADATA:\n%s\nwant:\n%s", got, want)
	}
	var names []string
	for _, m := range w.members {
		names = append(names, m.name)
	}
	wantNames := []string{
		"hello-2.0.0.data/scripts/hi.exe",
		"hello-2.0.0.dist-info/METADATA",
		"hello-2.0.0.dist-info/WHEEL",
		"hello-2.0.0.dist-info/licenses/LICENSE",
		"hello-2.0.0.dist-info/licenses/docs/NOTICE.txt",
		"hello-2.0.0.dist-info/RECORD",
	}
	if strings.Join(names, "\n") != strings.Join(wantNames, "\n") {
		t.Errorf("members:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(wantNames, "\n"))
	}
	checkWheel(t, path, dist.Options{})
}

func TestReadmeContentType(t *testing.T) {
	for name, want := range map[string]string{"README.md": "text/markdown", "x.MARKDOWN": "text/markdown", "README.rst": "text/x-rst", "README": "text/plain", "README.txt": "text/plain"} {
		if got := readmeContentType(name); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
}

func TestReproducible(t *testing.T) {
	bin := goBuild(t, helloMain, "darwin", "arm64")
	spec := testSpec()
	spec.PythonModule = "hello_tool"
	a, err := Build(ctx(), spec, Binary{Path: bin}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// A copy of the binary elsewhere, at another time: the same bytes.
	other := filepath.Join(t.TempDir(), "hello")
	data, _ := os.ReadFile(bin)
	os.WriteFile(other, data, 0o700)
	os.Chtimes(other, time.Now(), time.Now().Add(time.Hour))
	b, err := Build(ctx(), spec, Binary{Path: other}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) || filepath.Base(a) != filepath.Base(b) {
		t.Fatalf("two builds differ: %s (%d bytes) and %s (%d bytes)", a, len(ab), b, len(bb))
	}

	// SOURCE_DATE_EPOCH sets every timestamp, and stays reproducible.
	when, err := SourceDateEpoch("1700000000")
	if err != nil {
		t.Fatal(err)
	}
	spec.Modified = when
	c, err := Build(ctx(), spec, Binary{Path: bin}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, _ := msDosTime(time.Unix(1700000000, 0).UTC())
	_, tm := msDosTime(time.Unix(1700000000, 0).UTC())
	if _, err := readStrict(c, d, tm); err != nil {
		t.Fatal(err)
	}
	cb, _ := os.ReadFile(c)
	c2, err := Build(ctx(), spec, Binary{Path: bin}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cb2, _ := os.ReadFile(c2)
	if bytes.Equal(cb, ab) || !bytes.Equal(cb, cb2) {
		t.Error("SOURCE_DATE_EPOCH: the timestamp did not change the bytes, or two builds differ")
	}
}

func TestSourceDateEpoch(t *testing.T) {
	for in, want := range map[string]time.Time{
		"":           {},
		"0":          zipEpoch,
		"315532799":  zipEpoch,
		"315532800":  zipEpoch,
		"1700000000": time.Unix(1700000000, 0).UTC(),
	} {
		got, err := SourceDateEpoch(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "1.5", "99999999999"} {
		if _, err := SourceDateEpoch(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestBuildAllSkipsAndGroups(t *testing.T) {
	amd64 := goBuild(t, helloMain, "linux", "amd64")
	v3 := goBuild(t, helloMain, "linux", "amd64", "GOAMD64=v3")
	arm5 := goBuild(t, helloMain, "linux", "arm", "GOARM=5")
	freebsd := goBuild(t, helloMain, "freebsd", "amd64")
	win := goBuild(t, helloMain, "windows", "amd64")
	// A second command of the project for linux/amd64: same wheel.
	second := filepath.Join(t.TempDir(), "hello-server")
	data, _ := os.ReadFile(amd64)
	os.WriteFile(second, data, 0o755)

	out := t.TempDir()
	spec := testSpec()
	spec.Name = ""
	wheels, skipped, err := BuildAll(ctx(), spec, []Binary{
		{Path: amd64, GOOS: "linux", GOARCH: "amd64", GOAMD64: "v1"},
		{Path: v3, GOOS: "linux", GOARCH: "amd64", GOAMD64: "v3"},
		{Path: arm5, GOOS: "linux", GOARCH: "arm", GOARM: "5"},
		{Path: freebsd, GOOS: "freebsd", GOARCH: "amd64"},
		{Path: win, GOOS: "windows", GOARCH: "amd64"},
		{Path: second},
	}, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(wheels) != 2 {
		t.Fatalf("%d wheels, want 2: %+v", len(wheels), wheels)
	}
	if got := filepath.Base(wheels[0].Path); got != "hello-1.2.3rc1-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_1_x86_64.whl" {
		t.Errorf("the project name defaults to the first binary's: %s", got)
	}
	w, err := readStrict(wheels[0].Path, fixedDate, fixedTime)
	if err != nil {
		t.Fatal(err)
	}
	if w.file("hello-1.2.3rc1.data/scripts/hello") == nil || w.file("hello-1.2.3rc1.data/scripts/hello-server") == nil {
		t.Errorf("the linux wheel does not hold both commands")
	}
	if len(skipped) != 3 {
		t.Fatalf("skipped %v, want 3", skipped)
	}
	for i, want := range []string{v3 + ": no PyPI platform tag for linux/amd64/v3", arm5 + ": no PyPI platform tag for linux/arm/v5", freebsd + ": no PyPI platform tag for freebsd/amd64"} {
		if !strings.HasPrefix(skipped[i].Error(), want) {
			t.Errorf("skipped[%d] = %v, want %q…", i, skipped[i], want)
		}
	}
	for _, wh := range wheels {
		checkWheel(t, wh.Path, dist.Options{})
	}

	// Two binaries of one name on one platform: an error, and the wheels
	// already written are removed.
	out2 := t.TempDir()
	_, _, err = BuildAll(ctx(), spec, []Binary{{Path: win}, {Path: amd64}, {Path: second, Name: "hello"}}, out2)
	if err == nil || !strings.Contains(err.Error(), "would both be installed as hello") {
		t.Errorf("duplicate command: %v", err)
	}
	if left, _ := os.ReadDir(out2); len(left) != 0 {
		t.Errorf("left behind after a failure: %v", left)
	}
}

func TestUniversalBinary(t *testing.T) {
	amd := goBuild(t, helloMain, "darwin", "amd64")
	arm := goBuild(t, helloMain, "darwin", "arm64")
	fat := universal(t, filepath.Join(t.TempDir(), "hello"), amd, arm)
	path, err := Build(ctx(), testSpec(), Binary{Path: fat, GOOS: "darwin", GOARCH: "all"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(path, "-py3-none-macosx_12_0_universal2.whl") {
		t.Errorf("wrote %s", path)
	}
	if _, err := readStrict(path, fixedDate, fixedTime); err != nil {
		t.Error(err)
	}
	checkWheel(t, path, dist.Options{})
	if _, err := exec.LookPath("twine"); err == nil {
		twineUpload(t, pypitest.NewServer(t, pypitest.WithToken(toolToken)), path)
	}
	_, err = Build(ctx(), testSpec(), Binary{Path: fat, GOOS: "darwin", GOARCH: "arm64"}, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "universal binary") {
		t.Errorf("a universal binary given as arm64: %v", err)
	}
	// Each half's instruction-set level counts.
	v3 := goBuild(t, helloMain, "darwin", "amd64", "GOAMD64=v3")
	fatV3 := universal(t, filepath.Join(t.TempDir(), "hello"), v3, arm)
	if _, skipped, err := BuildAll(ctx(), testSpec(), []Binary{{Path: fatV3}}, t.TempDir()); err != nil || len(skipped) != 1 || !strings.Contains(skipped[0].Error(), "GOAMD64=v3") {
		t.Errorf("universal with an amd64 v3 half: %v %v", skipped, err)
	}
	// A fat file of one architecture twice is not universal2.
	twice := universal(t, filepath.Join(t.TempDir(), "hello"), amd, amd)
	if _, err := Build(ctx(), testSpec(), Binary{Path: twice}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "universal binary") {
		t.Errorf("amd64+amd64: %v", err)
	}
}

func TestMachOMinimumVersionRead(t *testing.T) {
	x, err := readExecutable(goBuild(t, helloMain, "darwin", "arm64"))
	if err != nil {
		t.Fatal(err)
	}
	// Go 1.26's linker writes LC_BUILD_VERSION minos 12.0.
	if x.minMacOS != "12.0" || x.goos != "darwin" || x.goarch != "arm64" || x.cgo || !x.cgoKnown {
		t.Errorf("%+v", x)
	}
}

func TestCgoRefused(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed")
	}
	bin := goBuild(t, cgoMain, "linux", "amd64", "CGO_ENABLED=1")
	_, err := Build(ctx(), testSpec(), Binary{Path: bin}, t.TempDir())
	var ce *CgoError
	if !errors.As(err, &ce) {
		t.Fatalf("a cgo binary: %v, want a CgoError", err)
	}
	for _, want := range []string{bin, "linux/amd64", "CGO_ENABLED=1", "dynamically linked", "libc.so.6", "CGO_ENABLED=0", "platform tag"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	// BuildAll does not skip it: it is an error, not a missing tag.
	if _, _, err := BuildAll(ctx(), testSpec(), []Binary{{Path: bin}}, t.TempDir()); !errors.As(err, &ce) {
		t.Errorf("BuildAll: %v", err)
	}
	// With the platform tag given, the user takes responsibility.
	path, err := Build(ctx(), testSpec(), Binary{Path: bin, PlatformTag: "manylinux_2_28_x86_64"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(path, "-py3-none-manylinux_2_28_x86_64.whl") {
		t.Errorf("wrote %s", path)
	}
	checkWheel(t, path, dist.Options{})

	// CGO_ENABLED=1 recorded, but no cgo used: a static binary, accepted.
	static := goBuild(t, helloMain, "linux", "amd64", "CGO_ENABLED=1")
	wheels, _, err := BuildAll(ctx(), testSpec(), []Binary{{Path: static}}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(wheels[0].Warnings) != 1 || !strings.Contains(wheels[0].Warnings[0], "statically linked") {
		t.Errorf("warnings %q", wheels[0].Warnings)
	}
}

func TestBadInputs(t *testing.T) {
	linux := goBuild(t, helloMain, "linux", "amd64")
	dir := t.TempDir()
	script := filepath.Join(dir, "tool.sh")
	write(t, script, "#!/bin/sh\necho hi\n")
	for _, tc := range []struct {
		name string
		spec func(*Spec)
		bin  Binary
		want string
	}{
		{"wrong GOOS", nil, Binary{Path: linux, GOOS: "windows", GOARCH: "amd64"}, "given as GOOS windows, but its build information says linux"},
		{"wrong GOARCH", nil, Binary{Path: linux, GOARCH: "arm64"}, "given as GOARCH arm64"},
		{"wrong GOAMD64", nil, Binary{Path: linux, GOAMD64: "v2"}, "given as GOAMD64 v2"},
		{"missing", nil, Binary{Path: filepath.Join(dir, "nope")}, "no such file"},
		{"directory", nil, Binary{Path: dir}, "not a regular file"},
		{"not Go", nil, Binary{Path: script}, "not a Go executable"},
		{"bad tag", nil, Binary{Path: script, PlatformTag: "linux_x86_64"}, `platform tag "linux_x86_64" is not one PyPI accepts`},
		{"bad command", nil, Binary{Path: linux, Name: "he llo"}, "command name"},
		{"bad name", func(s *Spec) { s.Name = "-x-" }, Binary{Path: linux}, "project name"},
		{"bad version", func(s *Spec) { s.Version = "main" }, Binary{Path: linux}, `version "main"`},
		{"two-line summary", func(s *Spec) { s.Summary = "a\nb" }, Binary{Path: linux}, "one line"},
		{"comma keyword", func(s *Spec) { s.Keywords = []string{"a,b"} }, Binary{Path: linux}, "comma"},
		{"comma label", func(s *Spec) { s.URLs = map[string]string{"a,b": "https://x"} }, Binary{Path: linux}, "URL label"},
		{"bad module", func(s *Spec) { s.PythonModule = "my-tool" }, Binary{Path: linux}, "not a Python identifier"},
		{"keyword module", func(s *Spec) { s.PythonModule = "import" }, Binary{Path: linux}, "not a Python identifier"},
		{"missing readme", func(s *Spec) { s.Readme = filepath.Join(dir, "README.md") }, Binary{Path: linux}, "readme"},
		{"missing license file", func(s *Spec) { s.LicenseFiles = []string{filepath.Join(dir, "LICENSE")} }, Binary{Path: linux}, "license file"},
		{"license files clash", func(s *Spec) {
			write(t, filepath.Join(dir, "L"), "x")
			s.LicenseFiles = []string{filepath.Join(dir, "L"), "../" + filepath.Base(dir) + "/L"}
		}, Binary{Path: linux}, "both be stored as licenses/L"},
	} {
		spec := testSpec()
		if tc.spec != nil {
			tc.spec(&spec)
		}
		out := t.TempDir()
		_, err := Build(ctx(), spec, tc.bin, out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if left, _ := os.ReadDir(out); len(left) != 0 {
			t.Errorf("%s: left %v behind", tc.name, left)
		}
	}
	// Any file goes with an explicit tag.
	path, err := Build(ctx(), testSpec(), Binary{Path: script, Name: "tool", PlatformTag: "manylinux_2_17_x86_64.musllinux_1_1_x86_64"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readStrict(path, fixedDate, fixedTime); err != nil {
		t.Error(err)
	}
}
