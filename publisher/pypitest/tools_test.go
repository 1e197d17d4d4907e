package pypitest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The reference tools against the index: twine uploads (and shows
// Warehouse's messages from the reason phrase), pip installs from the
// simple API.

const twineBin = "/usr/bin/twine"

// twine runs Debian's twine against srv with token passed in the
// environment (never on the command line). It returns the combined output
// with whitespace collapsed (twine's console wraps long lines).
func twine(t *testing.T, srv *Server, token string, files ...string) (string, error) {
	t.Helper()
	if _, err := os.Stat(twineBin); err != nil {
		t.Skipf("twine not installed at %s (Debian package twine): %v", twineBin, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"upload", "--repository-url", srv.RepositoryURL, "-u", "__token__", "--disable-progress-bar"}, files...)
	cmd := exec.CommandContext(ctx, twineBin, args...)
	cmd.Env = append(os.Environ(), "TWINE_PASSWORD="+token, "TWINE_NON_INTERACTIVE=1", "COLUMNS=400", "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	return strings.Join(strings.Fields(string(out)), " "), err
}

func TestTwineUploadsGoodDistributions(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	var files []string
	for _, f := range goodFiles(t) {
		if strings.Contains(filepath.Base(f), "spdx_demo") {
			continue // Metadata-Version 2.4: twine 4.0.2's pkginfo cannot read it
		}
		files = append(files, f)
	}
	out, err := twine(t, srv, testToken, files...)
	if err != nil {
		t.Fatalf("twine failed: %v\n%s", err, out)
	}
	if n := len(srv.Files()); n != len(files) {
		t.Fatalf("stored %d files, want %d\n%s", n, len(files), out)
	}
	for _, f := range srv.Files() {
		if !strings.HasPrefix(f.Fields[0].Name, ":") && fieldValue(f.Fields, "name") == "" {
			t.Errorf("%s: twine's form lacks a name: %v", f.Filename, f.Fields)
		}
	}
	// The token only ever went to the upload endpoint, as Basic auth.
	for _, r := range srv.Requests() {
		if r.Path != "/legacy/" || r.Authorization != basicToken(testToken) {
			t.Errorf("unexpected request %s %s (Authorization %q)", r.Method, r.Path, r.Authorization)
		}
	}
}

func TestTwineShowsWarehouseMessages(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	for _, c := range []struct{ file, want string }{
		{filepath.Join(badDir, "Demo.Py-0.1.0.tar.gz"), "400 Bad Request from " + srv.RepositoryURL + " Filename 'Demo.Py-0.1.0.tar.gz' is invalid, should be 'demo_py-0.1.0.tar.gz'."},
		{filepath.Join(badDir, "bad_classifier-0.1.0-py3-none-any.whl"), "'Framework :: Not A Real Framework' is not a valid classifier. See https://packaging.python.org/specifications/core-metadata for more information."},
		{filepath.Join(badDir, "bad_data_descriptor-0.1.0-py3-none-any.whl"), "Invalid distribution file. ZIP archive not accepted: ZIP contains a data descriptor. See https://docs.pypi.org/archives for more information"},
	} {
		out, err := twine(t, srv, testToken, c.file)
		if err == nil {
			t.Errorf("%s: twine succeeded:\n%s", c.file, out)
			continue
		}
		if !strings.Contains(out, c.want) {
			t.Errorf("%s: twine's output lacks %q:\n%s", c.file, c.want, out)
		}
	}
	out, err := twine(t, srv, "pypi-wrong", filepath.Join(goodDir, "tinyutil-0.1.0-py3-none-any.whl"))
	if err == nil || !strings.Contains(out, "403 Forbidden from "+srv.RepositoryURL+" Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.") {
		t.Errorf("wrong token: %v\n%s", err, out)
	}
	if len(srv.Files()) != 0 {
		t.Fatalf("files stored: %v", srv.Files())
	}
}

func TestPipInstallsFromTheIndex(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	if err := exec.Command(python, "-m", "pip", "--version").Run(); err != nil {
		t.Skipf("%s has no pip: %v", python, err)
	}
	srv := NewServer(t, WithToken(testToken))
	for _, f := range goodFiles(t) {
		wantReply(t, uploadFile(t, srv, testToken, f), 200, "OK")
	}
	target := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env := append(os.Environ(), "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1", "PIP_CONFIG_FILE=/dev/null", "PIP_CACHE_DIR="+t.TempDir())
	install := exec.CommandContext(ctx, python, "-m", "pip", "install", "--no-deps", "--only-binary", ":all:",
		"--index-url", srv.SimpleURL, "--target", target, "tinyutil", "Demo.Py", "richmeta[tiny]==1.2.0", "flit-hello", "spdx_demo")
	install.Env = env
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("pip install: %v\n%s", err, out)
	}
	check := exec.CommandContext(ctx, python, "-c",
		"import tinyutil, demo_py, richmeta, flit_hello, spdx_demo; "+
			"print(tinyutil.__version__, demo_py.__version__, richmeta.__version__, flit_hello.__version__, spdx_demo.__version__)")
	check.Env = append(env, "PYTHONPATH="+target)
	out, err := check.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "0.1.0 0.1.0 1.2.0 0.3.0 0.2.0" {
		t.Fatalf("import: %v\n%s", err, out)
	}
	// pip read the simple pages and downloaded the files from the index,
	// and never saw a credential.
	var simple, files int
	for _, r := range srv.Requests() {
		switch {
		case strings.HasPrefix(r.Path, "/simple/"):
			simple++
		case strings.HasPrefix(r.Path, "/files/"):
			files++
		}
		if r.Method == "GET" && r.Authorization != "" {
			t.Errorf("GET %s carried credentials", r.Path)
		}
	}
	if simple < 5 || files < 5 {
		t.Fatalf("pip made %d simple and %d file requests", simple, files)
	}
}
