package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/binwheel"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

const wheelTestMain = `package main

import "os"

var version = "dev"

func main() { os.Stdout.WriteString("polyglot " + version + "\n") }
`

// buildGo builds wheelTestMain (or src) for a target into dir.
func buildGo(t *testing.T, dir, src, goos, goarch string, env ...string) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not installed")
	}
	srcDir := filepath.Join(dir, "src-"+goos+"-"+goarch+strings.Join(env, "-"))
	os.MkdirAll(srcDir, 0o755)
	os.WriteFile(filepath.Join(srcDir, "go.mod"), []byte("module example.com/polyglot\n\ngo 1.21\n"), 0o644)
	os.WriteFile(filepath.Join(srcDir, "main.go"), []byte(src), 0o644)
	out := filepath.Join(srcDir, "polyglot")
	if goos == "windows" {
		out += ".exe"
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=0.3.0-beta.2", "-o", out, ".")
	cmd.Dir = srcDir
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "GOTOOLCHAIN=local", "GOFLAGS=", "CGO_ENABLED=0")
	cmd.Env = append(cmd.Env, env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

func TestWheelCommandEndToEnd(t *testing.T) {
	dir := t.TempDir()
	linux := buildGo(t, dir, wheelTestMain, "linux", "amd64")
	win := buildGo(t, dir, wheelTestMain, "windows", "arm64")
	freebsd := buildGo(t, dir, wheelTestMain, "freebsd", "amd64")
	os.WriteFile(filepath.Join(dir, "LICENSE"), []byte("MIT License\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("# polyglot\n"), 0o644)
	out := filepath.Join(dir, "wheels")
	args := []string{"wheel", "--name", "polyglot", "--version", "v0.3.0-beta.2", "--out", out,
		"--summary", "A polyglot CLI", "--readme", filepath.Join(dir, "README.md"),
		"--license", "MIT", "--license-file", filepath.Join(dir, "LICENSE"),
		"--url", "Source=https://example.com/polyglot", "--keyword", "cli", "--classifier", "Topic :: Utilities",
		"--requires-python", ">=3.8", "--python-module", "polyglot",
		linux + ":linux/amd64/v1", win + ":windows/arm64", freebsd + ":freebsd/amd64"}
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}
	code, stdout, stderr := runCLI(t, env, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	want := []string{
		filepath.Join(out, "polyglot-0.3.0b2-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_1_x86_64.whl"),
		filepath.Join(out, "polyglot-0.3.0b2-py3-none-win_arm64.whl"),
	}
	if stdout != strings.Join(want, "\n")+"\n" {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, strings.Join(want, "\n"))
	}
	if !strings.Contains(stderr, "skipped: no PyPI platform tag for freebsd/amd64") || !strings.Contains(stderr, freebsd) {
		t.Errorf("no warning naming the skipped target:\n%s", stderr)
	}

	// Byte-identical when run again.
	first, _ := os.ReadFile(want[0])
	if code, _, stderr := runCLI(t, env, args...); code != 0 {
		t.Fatalf("second run: %s", stderr)
	}
	again, _ := os.ReadFile(want[0])
	if !bytes.Equal(first, again) {
		t.Error("a second run wrote different bytes")
	}

	// The Metadata 2.4 wheels go through our own upload to the local index,
	// then pip installs the linux one.
	srv := pypitest.NewServer(t, pypitest.WithToken(uploadTestToken))
	code, stdout, stderr = runCLI(t, map[string]string{"PYPI_API_TOKEN": uploadTestToken},
		append([]string{"upload", "--repository-url", srv.RepositoryURL}, want...)...)
	if code != 0 {
		t.Fatalf("upload: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if len(srv.Files()) != 2 {
		t.Fatalf("the index holds %d files", len(srv.Files()))
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	venv := filepath.Join(dir, "venv")
	if b, err := exec.Command(py, "-m", "venv", venv).CombinedOutput(); err != nil {
		t.Fatalf("venv: %v\n%s", err, b)
	}
	pip := exec.Command(filepath.Join(venv, "bin", "pip"), "install", "--no-cache-dir", "--index-url", srv.SimpleURL, "polyglot")
	pip.Env = append(os.Environ(), "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_CONFIG_FILE=/dev/null")
	if b, err := pip.CombinedOutput(); err != nil {
		t.Fatalf("pip install: %v\n%s", err, b)
	}
	for _, c := range [][]string{{filepath.Join(venv, "bin", "polyglot")}, {filepath.Join(venv, "bin", "python"), "-m", "polyglot"}} {
		b, err := exec.Command(c[0], c[1:]...).CombinedOutput()
		if err != nil || string(b) != "polyglot 0.3.0-beta.2\n" {
			t.Errorf("%v: %q %v", c, b, err)
		}
	}
}

func TestWheelCommandErrors(t *testing.T) {
	dir := t.TempDir()
	linux := buildGo(t, dir, wheelTestMain, "linux", "amd64")
	freebsd := buildGo(t, dir, wheelTestMain, "freebsd", "amd64")
	out := filepath.Join(dir, "out")
	base := []string{"wheel", "--name", "polyglot", "--version", "1.0.0", "--out", out}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no files", base, 2, "at least one binary"},
		{"no name", []string{"wheel", "--version", "1", linux}, 2, "--name and --version"},
		{"bad url", append(append([]string{}, base...), "--url", "Source", linux), 2, "LABEL=URL"},
		{"bad target", append(append([]string{}, base...), linux+":linux/amd64/x/y"), 2, "GOOS/GOARCH"},
		{"bad variant", append(append([]string{}, base...), linux+":linux/386/7"), 2, "GOARM"},
		{"bad epoch", append(append([]string{}, base...), linux), 2, "SOURCE_DATE_EPOCH"},
		{"wrong target", append(append([]string{}, base...), linux+":darwin/amd64"), 1, "given as GOOS darwin"},
		{"only skipped", append(append([]string{}, base...), freebsd+":freebsd/amd64"), 1, "no wheel written"},
		{"private classifier", append(append([]string{}, base...), "--classifier", "Private :: Do Not Upload", linux), 1, "Private"},
		{"unknown classifier only warns", append(append([]string{}, base...), "--classifier", "Not :: A :: Classifier", linux), 0, "is not in trove-classifiers"},
	} {
		env := map[string]string{}
		if tc.name == "bad epoch" {
			env["SOURCE_DATE_EPOCH"] = "soon"
		}
		code, stdout, stderr := runCLI(t, env, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, want %d with %q\n%s%s", tc.name, code, tc.code, tc.want, stdout, stderr)
		}
	}
}

func TestWheelCommandCgoNeedsPlatformTag(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed")
	}
	dir := t.TempDir()
	cgo := buildGo(t, dir, "package main\n\n// static int one(void) { return 1; }\nimport \"C\"\n\nfunc main() { println(C.one()) }\n", "linux", "amd64", "CGO_ENABLED=1")
	args := []string{"wheel", "--name", "cgo-tool", "--version", "1.0.0", "--out", filepath.Join(dir, "out"), cgo + ":linux/amd64"}
	code, _, stderr := runCLI(t, nil, args...)
	if code != 1 || !strings.Contains(stderr, "was built with cgo") || !strings.Contains(stderr, "platform tag") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, nil, append(args, "--platform-tag", "manylinux_2_28_x86_64", "--binary-name", "cgo-tool")...)
	if code != 0 || !strings.HasSuffix(strings.TrimSpace(stdout), "cgo_tool-1.0.0-py3-none-manylinux_2_28_x86_64.whl") {
		t.Fatalf("with --platform-tag: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestParseWheelArg(t *testing.T) {
	for arg, want := range map[string]binwheel.Binary{
		"dist/tool":                     {Path: "dist/tool"},
		"dist/tool:linux/amd64":         {Path: "dist/tool", GOOS: "linux", GOARCH: "amd64"},
		"dist/tool:linux/amd64/v1":      {Path: "dist/tool", GOOS: "linux", GOARCH: "amd64", GOAMD64: "v1"},
		"dist/tool:linux/arm/7":         {Path: "dist/tool", GOOS: "linux", GOARCH: "arm", GOARM: "7"},
		"dist/tool:linux/arm/v6":        {Path: "dist/tool", GOOS: "linux", GOARCH: "arm", GOARM: "6"},
		"dist/tool:darwin/all":          {Path: "dist/tool", GOOS: "darwin", GOARCH: "all"},
		"dist/tool:darwin/universal2":   {Path: "dist/tool", GOOS: "darwin", GOARCH: "all"},
		`C:\tools\tool.exe`:             {Path: `C:\tools\tool.exe`},
		`C:\tools\tool.exe:windows/386`: {Path: `C:\tools\tool.exe`, GOOS: "windows", GOARCH: "386"},
		"a:b:linux/s390x":               {Path: "a:b", GOOS: "linux", GOARCH: "s390x"},
	} {
		got, err := parseWheelArg(arg)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", arg, got, err, want)
		}
	}
}
