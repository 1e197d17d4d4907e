package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/secrets"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

const uploadTestToken = "pypi-AgEIcHlwaS5vcmccliuploadtest0123456789abcdef"

// runCLI runs the CLI in-process with env as the whole environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func goodDistributions(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.whl", "*.tar.gz"} {
		m, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "good", pat))
		files = append(files, m...)
	}
	if len(files) < 5 {
		t.Fatalf("testdata/good holds %d distributions", len(files))
	}
	return files
}

type jsonReport struct {
	SchemaVersion int  `json:"schema_version"`
	OK            bool `json:"ok"`
	Summary       struct {
		Uploaded, Skipped, Failed int
		WouldUpload               int `json:"would_upload"`
	} `json:"summary"`
	RepositoryURL string `json:"repository_url"`
	Credentials   string `json:"credentials"`
	Files         []struct {
		File, Filename, Name, Version, Type, Status, Reason, SHA256, Error, URL string
		BLAKE2b256                                                              string  `json:"blake2_256"`
		Size                                                                    int64   `json:"size"`
		Attempts                                                                int     `json:"attempts"`
		DurationSeconds                                                         float64 `json:"duration_seconds"`
	} `json:"files"`
	Releases []struct{ Name, Version, URL string } `json:"releases"`
}

func parseReport(t *testing.T, stdout string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("stdout is not a JSON report: %v\n%s", err, stdout)
	}
	return r
}

func TestUploadCommandEndToEnd(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(uploadTestToken))
	env := map[string]string{"PYPI_API_TOKEN": uploadTestToken}
	files := goodDistributions(t)

	code, stdout, stderr := runCLI(t, env, append([]string{"upload", "--repository-url", srv.RepositoryURL, "--json", "--verbose"}, files...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stderr, stdout)
	}
	rep := parseReport(t, stdout)
	if !rep.OK || rep.SchemaVersion != 1 || rep.Summary.Uploaded != len(files) || rep.Credentials != "API token from PYPI_API_TOKEN" {
		t.Fatalf("report %+v", rep)
	}
	for _, f := range rep.Files {
		if f.Status != "uploaded" || len(f.SHA256) != 64 || len(f.BLAKE2b256) != 64 || f.Size <= 0 || f.Attempts != 1 || !strings.HasPrefix(f.URL, srv.URL+"/project/") {
			t.Errorf("file %+v", f)
		}
	}
	if len(srv.Files()) != len(files) {
		t.Fatalf("index holds %d files", len(srv.Files()))
	}
	secrets.Scan(t, map[string]string{"stdout": stdout, "stderr": stderr}, uploadTestToken)

	// pip installs what was uploaded, from the index's simple API.
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not found")
	}
	target := t.TempDir()
	pip := exec.Command("python3", "-m", "pip", "install", "--no-deps", "--disable-pip-version-check", "--no-cache-dir",
		"--index-url", srv.SimpleURL, "--target", target, "tinyutil", "richmeta", "demo-py", "flit-hello", "spdx-demo")
	if out, err := pip.CombinedOutput(); err != nil {
		t.Fatalf("pip install: %v\n%s", err, out)
	}
	py := exec.Command("python3", "-c", "import tinyutil, richmeta, demo_py, flit_hello, spdx_demo; print(tinyutil.__version__, richmeta.__version__, spdx_demo.__version__)")
	py.Env = append(os.Environ(), "PYTHONPATH="+target)
	out, err := py.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "0.1.0 1.2.0 0.2.0" {
		t.Fatalf("import: %v\n%s", err, out)
	}

	// A re-run with --skip-existing sends nothing and succeeds.
	before := srv.Stats().UploadAttempts
	code, stdout, stderr = runCLI(t, env, append([]string{"upload", "--repository-url", srv.RepositoryURL, "--skip-existing", "--json"}, files...)...)
	if code != 0 {
		t.Fatalf("re-run: exit %d\n%s", code, stderr)
	}
	rep = parseReport(t, stdout)
	if rep.Summary.Skipped != len(files) || srv.Stats().UploadAttempts != before {
		t.Fatalf("re-run: %+v, uploads %d → %d", rep.Summary, before, srv.Stats().UploadAttempts)
	}
	if rep.Files[0].Reason != "identical file already on the index" {
		t.Errorf("reason %q", rep.Files[0].Reason)
	}
}

func TestUploadCommandChangedContentFails(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(uploadTestToken))
	env := map[string]string{"PYPI_API_TOKEN": uploadTestToken}
	dir := t.TempDir()
	spec := wheelgen.Spec{Name: "changed", Version: "1.0.0", Size: 1000, Seed: 1}
	w, err := wheelgen.Write(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, env, "upload", "--repository-url", srv.RepositoryURL, w); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	spec.Seed = 2
	if _, err := wheelgen.Write(dir, spec); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, env, "upload", "--repository-url", srv.RepositoryURL, "--skip-existing", w)
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"a different file named changed-1.0.0-py3-none-any.whl", "local sha256", "index sha256", "bump the version"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestUploadCommandUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"upload"}, "no files to upload"},
		{[]string{"upload", "--password", uploadTestToken, "x.whl"}, "never taken from the command line"},
		{[]string{"upload", "--token", uploadTestToken, "x.whl"}, "never taken from the command line"},
		{[]string{"upload", "-u", uploadTestToken, "x.whl"}, "--username: holds what looks like an API token"},
		{[]string{"upload", "--password-env", uploadTestToken, "x.whl"}, "NAME of the environment variable"},
		{[]string{"upload", "--token-env", uploadTestToken, "x.whl"}, "NAME of the environment variable"},
		{[]string{"upload", "--concurrency", "0", "x.whl"}, "--concurrency"},
		{[]string{"upload", "--trusted-publishing", "sometimes", "x.whl"}, "--trusted-publishing"},
		{[]string{"upload", "--max-file-size", "lots", "x.whl"}, "--max-file-size"},
		// In the flag's units (retries), though the setting counts attempts.
		{[]string{"upload", "--retries", "20", "x.whl"}, "--retries must be between 0 (no retries) and 19, got 20"},
		{[]string{"upload", "--retries", "-1", "x.whl"}, "--retries must be between 0 (no retries) and 19, got -1"},
		{[]string{"upload", "--nope", "x.whl"}, "unknown flag"},
		{[]string{"upload", "nothing/matches/*.whl"}, "no wheel (.whl) or sdist (.tar.gz) matches"},
	} {
		code, stdout, stderr := runCLI(t, nil, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr:\n%s", tc.args, code, stderr)
		}
		secrets.Scan(t, map[string]string{"stdout": stdout, "stderr": stderr}, uploadTestToken)
	}
}

func TestUploadCommandRefusesPlainHTTP(t *testing.T) {
	code, _, stderr := runCLI(t, map[string]string{"PYPI_API_TOKEN": uploadTestToken}, append([]string{"upload", "--repository-url", "http://pypi.example.com/legacy/"}, goodDistributions(t)...)...)
	if code != 1 || !strings.Contains(stderr, "http://pypi.example.com/legacy/") || !strings.Contains(stderr, "use https") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

func TestUploadCommandRepositoryURLFromEnvAndGlobs(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(uploadTestToken))
	env := map[string]string{"PYPI_API_TOKEN": uploadTestToken, "PYPI_REPOSITORY_URL": srv.RepositoryURL}
	glob := filepath.Join("..", "..", "testdata", "good", "tinyutil-*")
	code, stdout, stderr := runCLI(t, env, "upload", "--json", glob)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	rep := parseReport(t, stdout)
	if rep.Summary.Uploaded != 2 || rep.RepositoryURL != srv.RepositoryURL {
		t.Errorf("%+v", rep)
	}
	// Wheels go first.
	if rep.Files[0].Type != "bdist_wheel" || rep.Files[1].Type != "sdist" {
		t.Errorf("order %s, %s", rep.Files[0].Type, rep.Files[1].Type)
	}
}

func TestUploadCommandDryRunAndPrintHash(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(uploadTestToken))
	files := goodDistributions(t)
	code, stdout, stderr := runCLI(t, nil, append([]string{"upload", "--repository-url", srv.RepositoryURL, "--dry-run", "--print-hash"}, files...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if srv.Stats().UploadAttempts != 0 {
		t.Error("a dry run uploaded")
	}
	for _, want := range []string{"no credentials found; a real run would fail", "would upload"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "Showing hash values of files to be uploaded:") || strings.Count(stdout, "SHA256: ") != len(files) || strings.Count(stdout, "BLAKE2-256: ") != len(files) {
		t.Errorf("stdout:\n%s", stdout)
	}
}

func TestUploadCommandFailureExitsOne(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(uploadTestToken))
	code, _, stderr := runCLI(t, map[string]string{"PYPI_API_TOKEN": "pypi-wrong"}, "upload", "--repository-url", srv.RepositoryURL, goodDistributions(t)[0])
	if code != 1 || !strings.Contains(stderr, "403 Invalid or non-existent authentication information.") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

func TestUploadCommandConfigTargets(t *testing.T) {
	first := pypitest.NewServer(t, pypitest.WithToken(uploadTestToken))
	second := pypitest.NewServer(t, pypitest.WithToken(uploadTestToken))
	cfg := filepath.Join(t.TempDir(), "pypi.yaml")
	yaml := "version: 1\ntargets:\n" +
		"  - name: staging\n    repository_url: " + first.RepositoryURL + "\n    ids: [python-wheel]\n" +
		"  - name: production\n    repository_url: ${PROD_URL}\n    skip_existing: true\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PYPI_API_TOKEN": uploadTestToken, "PROD_URL": second.RepositoryURL}
	files := goodDistributions(t)
	code, stdout, stderr := runCLI(t, env, append([]string{"upload", "--config", cfg, "--json"}, files...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var res struct {
		Targets []struct {
			Target string
			Report jsonReport
		}
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(res.Targets) != 2 || res.Targets[0].Target != "staging" || res.Targets[1].Report.Summary.Uploaded != len(files) {
		t.Fatalf("%+v", res)
	}
	// ids select GoReleaser builds; files given on the command line all go.
	if len(first.Files()) != len(files) || len(second.Files()) != len(files) {
		t.Errorf("stored %d and %d files", len(first.Files()), len(second.Files()))
	}

	// A failing first target stops the second; --target picks one.
	first.Faults().Next(-1, pypitest.Fault{Status: 400, Message: "Project size too large."})
	before := second.Stats().UploadAttempts
	code, _, stderr = runCLI(t, env, append([]string{"upload", "--config", cfg}, files...)...)
	if code != 1 || second.Stats().UploadAttempts != before || !strings.Contains(stderr, "production") {
		t.Errorf("exit %d, second target got %d uploads\n%s", code, second.Stats().UploadAttempts-before, stderr)
	}
	code, _, stderr = runCLI(t, env, append([]string{"upload", "--config", cfg, "--target", "production"}, files...)...)
	if code != 0 {
		t.Errorf("--target production: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runCLI(t, env, "upload", "--config", cfg, "--target", "nope", files[0]); code != 2 || !strings.Contains(stderr, "nope") {
		t.Errorf("unknown target: exit %d\n%s", code, stderr)
	}
}
