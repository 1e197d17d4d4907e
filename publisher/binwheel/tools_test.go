package binwheel

import (
	"context"
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

// Real tools against real wheels: Python's zipfile, twine, pip, and the
// local index enforcing Warehouse's upload rules.

const toolToken = "pypi-AgEIcHlwaS5vcmcbinwheeltest0123456789abcdef"

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed", name)
	}
	return p
}

func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(c, name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// twineUpload uploads with twine, the reference client; the token goes
// through the environment, not argv.
func twineUpload(t *testing.T, srv *pypitest.Server, files ...string) {
	t.Helper()
	twine := needTool(t, "twine")
	run(t, []string{"TWINE_USERNAME=__token__", "TWINE_PASSWORD=" + toolToken, "TWINE_NON_INTERACTIVE=1"},
		twine, append([]string{"upload", "--disable-progress-bar", "--repository-url", srv.RepositoryURL}, files...)...)
}

// venv makes a fresh virtual environment and returns its directory.
func venv(t *testing.T) string {
	t.Helper()
	py := needTool(t, "python3")
	dir := filepath.Join(t.TempDir(), "venv")
	run(t, nil, py, "-m", "venv", dir)
	return dir
}

func pipInstall(t *testing.T, venvDir, index string, args ...string) {
	t.Helper()
	run(t, []string{"PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1", "PIP_CONFIG_FILE=/dev/null"},
		filepath.Join(venvDir, "bin", "pip"), append([]string{"install", "--no-cache-dir", "--index-url", index}, args...)...)
}

func TestPythonZipfileAndTwineCheck(t *testing.T) {
	py := needTool(t, "python3")
	twine := needTool(t, "twine")
	bin := goBuild(t, helloMain, "linux", "amd64")
	spec := testSpec()
	spec.Readme = filepath.Join(t.TempDir(), "README.md")
	write(t, spec.Readme, "# Hello\n\nSays *hello*.\n")
	plain, err := Build(ctx(), spec, Binary{Path: bin}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	spec.PythonModule = "hello_tool"
	withModule, err := Build(ctx(), spec, Binary{Path: bin}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{plain, withModule} {
		if out := run(t, nil, py, "-m", "zipfile", "-t", w); !strings.Contains(out, "Done testing") {
			t.Errorf("python -m zipfile -t: %s", out)
		}
		if out := run(t, nil, twine, "check", "--strict", w); !strings.Contains(out, "PASSED") {
			t.Errorf("twine check: %s", out)
		}
	}
}

// The six platforms of the issue, uploaded to the local index (which
// checks every platform tag against Warehouse's allow-list); then pip
// installs the linux/amd64 one into a fresh venv and the command runs.
func TestUploadSixPlatformsToPypitestAndPipInstall(t *testing.T) {
	needTool(t, "python3")
	srv := pypitest.NewServer(t, pypitest.WithToken(toolToken))
	out := t.TempDir()
	var bins []Binary
	for _, goos := range []string{"linux", "darwin", "windows"} {
		for _, goarch := range []string{"amd64", "arm64"} {
			bins = append(bins, Binary{Path: goBuild(t, helloMain, goos, goarch), GOOS: goos, GOARCH: goarch})
		}
	}
	wheels, skipped, err := BuildAll(ctx(), testSpec(), bins, out)
	if err != nil || len(skipped) > 0 || len(wheels) != 6 {
		t.Fatalf("%d wheels, skipped %v: %v", len(wheels), skipped, err)
	}
	var paths []string
	for _, w := range wheels {
		paths = append(paths, w.Path)
	}
	twineUpload(t, srv, paths...)
	got := map[string]bool{}
	for _, f := range srv.Files() {
		got[f.Filename] = true
	}
	for _, p := range paths {
		if !got[filepath.Base(p)] {
			t.Errorf("the index does not hold %s", filepath.Base(p))
		}
	}
	if len(srv.Files()) != 6 {
		t.Errorf("the index holds %d files", len(srv.Files()))
	}

	v := venv(t)
	pipInstall(t, v, srv.SimpleURL, "hello-tool")
	out2, err := exec.Command(filepath.Join(v, "bin", "hello")).CombinedOutput()
	if err != nil || string(out2) != "hello "+testVersion+"\n" {
		t.Fatalf("hello from the venv: %q, %v", out2, err)
	}
	// Exit statuses pass through: the command is the binary itself.
	err = exec.Command(filepath.Join(v, "bin", "hello"), "fail").Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("hello fail: %v, want exit status 3", err)
	}
	// pip picked the manylinux wheel, and uninstalls cleanly (RECORD).
	show := run(t, nil, filepath.Join(v, "bin", "pip"), "show", "-f", "hello-tool")
	if !strings.Contains(show, "Version: 1.2.3rc1") || !strings.Contains(show, "bin/hello") {
		t.Errorf("pip show:\n%s", show)
	}
	run(t, nil, filepath.Join(v, "bin", "pip"), "uninstall", "-y", "hello-tool")
	if _, err := os.Stat(filepath.Join(v, "bin", "hello")); !os.IsNotExist(err) {
		t.Errorf("uninstall left bin/hello: %v", err)
	}
}

// python -m {module}, installed by real pip into a venv and with --target.
func TestPythonModuleWithPip(t *testing.T) {
	needTool(t, "python3")
	srv := pypitest.NewServer(t, pypitest.WithToken(toolToken))
	spec := testSpec()
	spec.Name = "hello-mod"
	spec.PythonModule = "hello_mod"
	path, err := Build(ctx(), spec, Binary{Path: goBuild(t, helloMain, "linux", "amd64")}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	checkWheel(t, path, dist.Options{})
	twineUpload(t, srv, path)

	v := venv(t)
	pipInstall(t, v, srv.SimpleURL, "hello-mod")
	py := filepath.Join(v, "bin", "python")
	out, err := exec.Command(py, "-m", "hello_mod").CombinedOutput()
	if err != nil || string(out) != "hello "+testVersion+"\n" {
		t.Fatalf("python -m hello_mod: %q, %v", out, err)
	}
	err = exec.Command(py, "-m", "hello_mod", "fail").Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("python -m hello_mod fail: %v, want exit status 3", err)
	}
	// The package is importable and finds the binary in the venv's bin.
	found := run(t, nil, py, "-c", "import hello_mod; print(hello_mod.find_binary())")
	if strings.TrimSpace(found) != filepath.Join(v, "bin", "hello") {
		t.Errorf("find_binary() = %q", found)
	}

	// pip install --target: the scripts land in DIR/bin, the package in DIR.
	target := filepath.Join(t.TempDir(), "target")
	pipInstall(t, v, srv.SimpleURL, "--target", target, "hello-mod")
	cmd := exec.Command(needTool(t, "python3"), "-m", "hello_mod")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+target)
	out, err = cmd.CombinedOutput()
	if err != nil || string(out) != "hello "+testVersion+"\n" {
		t.Fatalf("python -m hello_mod from --target: %q, %v", out, err)
	}
}
