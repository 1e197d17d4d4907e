package plugin

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/caarlos0/log"
	"github.com/goreleaser/goreleaser/v2/pkg/config"
	"github.com/goreleaser/goreleaser/v2/pkg/context"

	pypiconfig "github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/plainlog"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// The GoReleaser run the tests stand for: tinyutil's wheel (build id
// "python-wheel") and sdist ("python-sdist"), real files built by
// setuptools (testdata/good), next to a Go binary and a checksum file,
// with the paths GoReleaser gives them: relative to its working directory.
const (
	wheel = "tinyutil-0.1.0-py3-none-any.whl"
	sdist = "tinyutil-0.1.0.tar.gz"
)

func configProject() config.Project {
	return config.Project{ProjectName: "tinyutil", Dist: "dist"}
}

// newRun makes a project directory holding dist/ with the real files, makes
// it the working directory, and returns a real GoReleaser context holding
// the artifacts GoReleaser's uv builder would have added. env is the whole
// environment GoReleaser would see.
func newRun(t *testing.T, env map[string]string) *context.Context {
	t.Helper()
	root := t.TempDir()
	for _, f := range []struct{ name, dir string }{{wheel, "python-wheel_none-any"}, {sdist, "python-sdist_none-any"}} {
		copyFile(t, filepath.Join(origWD, "..", "testdata", "good", f.name), filepath.Join(root, "dist", f.dir, f.name))
	}
	copyFile(t, filepath.Join(origWD, "..", "testdata", "good", "README.md"), filepath.Join(root, "dist", "checksums.txt"))
	t.Chdir(root)

	ctx := context.Wrap(t.Context(), configProject())
	ctx.Env = context.Env(env)
	addArtifact(t, ctx, "tinyutil", "dist/tinyutil_linux_amd64_v1/tinyutil", "Binary", map[string]any{"ID": "tinyutil", "Builder": "go"})
	addArtifact(t, ctx, wheel, "dist/python-wheel_none-any/"+wheel, "Wheel", map[string]any{"ID": "python-wheel", "Builder": "uv", "Ext": ".whl"})
	addArtifact(t, ctx, sdist, "dist/python-sdist_none-any/"+sdist, "Source Dist", map[string]any{"ID": "python-sdist", "Builder": "uv", "Ext": ".tar.gz"})
	addArtifact(t, ctx, "checksums.txt", "dist/checksums.txt", "Checksum", nil)
	return ctx
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// actionsEnv is the environment of a GitHub Actions job with
// `permissions: id-token: write`, identity from srv's fake issuer. GoReleaser
// itself runs in the job's full environment (only custom publishers get a
// scrubbed one), so the runner variables are there.
func actionsEnv(srv *pypitest.Server) map[string]string {
	env := map[string]string{
		"GITHUB_ACTIONS":    "true",
		"GITHUB_RUN_ID":     "1",
		"RUNNER_TEMP":       os.TempDir(),
		"GITHUB_WORKSPACE":  "/w",
		"GITHUB_EVENT_NAME": "push",
	}
	for _, kv := range srv.Issuer.GitHubEnv() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}

func parseConfig(t *testing.T, yaml string) *pypiconfig.File {
	t.Helper()
	f, err := pypiconfig.Parse([]byte(yaml), ".goreleaser-pypi.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// quiet sends the global logger (what GoReleaser's pipes log to) to a
// buffer for the test, and returns it.
func quiet(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	prev := log.Log
	log.Log = plainlog.New(&buf)
	t.Cleanup(func() { log.Log = prev })
	return &buf
}

func filenames(srv *pypitest.Server) []string {
	var out []string
	for _, f := range srv.Files() {
		out = append(out, f.Filename)
	}
	slices.Sort(out)
	return out
}

func TestPipeShape(t *testing.T) {
	p := &Pipe{}
	if p.String() != "pypi" || !p.ContinueOnError() {
		t.Fatalf("String() = %q, ContinueOnError() = %v", p.String(), p.ContinueOnError())
	}
	// The methods GoReleaser's publish pipeline and its middlewares look for.
	var _ interface {
		fmt.Stringer
		Default(*context.Context) error
		Skip(*context.Context) bool
		Publish(*context.Context) error
		ContinueOnError() bool
	} = p
}

// TestPublishTrustedPublishing: the run's wheel and sdist go to the index
// by trusted publishing, one mint for the target, selected by type from
// among GoReleaser's other artifacts.
func TestPublishTrustedPublishing(t *testing.T) {
	logs := quiet(t)
	srv := pypitest.NewServer(t, pypitest.WithTrustedPublisher(pypitest.GitHubPublisher{
		Repository: "example/tinyutil", Workflow: "release.yml", Project: "tinyutil", Pending: true,
	}))
	ctx := newRun(t, actionsEnv(srv))
	var stdout bytes.Buffer
	p := &Pipe{
		Config: parseConfig(t, "targets:\n  - name: local\n    repository_url: "+srv.RepositoryURL+"\n    ids: [python-wheel, python-sdist]\n"),
		Stdout: &stdout,
	}
	if err := p.Default(ctx); err != nil {
		t.Fatal(err)
	}
	if p.Skip(ctx) {
		t.Fatal("Skip() with an enabled target")
	}
	if err := p.Publish(ctx); err != nil {
		t.Fatalf("Publish: %v\n%s", err, logs)
	}
	if got := filenames(srv); !slices.Equal(got, []string{wheel, sdist}) {
		t.Fatalf("index has %v", got)
	}
	if st := srv.OIDCStats(); st.Minted != 1 {
		t.Errorf("minted %d tokens, want 1", st.Minted)
	}
	// The pipe keeps nothing of the run: a second release through the same
	// Pipe finds the files already there (identical, skipped by the index).
	if err := p.Publish(ctx); err != nil {
		t.Fatalf("second Publish with the same Pipe: %v\n%s", err, logs)
	}
	// GoReleaser's own stdout reaches the runner: the minted token is masked.
	if !strings.HasPrefix(stdout.String(), "::add-mask::") {
		t.Errorf("stdout = %q, want the ::add-mask:: line", stdout.String())
	}
	for _, want := range []string{"publishing", "target=local", "uploaded", "file=" + wheel} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

// TestPublishByID: a target takes only the artifacts of its build ids.
func TestPublishByID(t *testing.T) {
	logs := quiet(t)
	srv := pypitest.NewServer(t, pypitest.WithToken("pypi-plugin-test"))
	ctx := newRun(t, map[string]string{"PYPI_API_TOKEN": "pypi-plugin-test"})
	p := &Pipe{Config: parseConfig(t, "skip_ids: [python-wheel]\ntargets:\n  - repository_url: "+srv.RepositoryURL+"\n    ids: [python-sdist]\n")}
	if err := p.Publish(ctx); err != nil {
		t.Fatalf("Publish: %v\n%s", err, logs)
	}
	if got := filenames(srv); !slices.Equal(got, []string{sdist}) {
		t.Fatalf("index has %v, want only the sdist", got)
	}
	if strings.Contains(logs.String(), "pypi-plugin-test") {
		t.Fatalf("the token is in the logs:\n%s", logs)
	}
}

// TestPublishTwoTargetsInOrder: TestPyPI first, then PyPI, each with its
// own token variable.
func TestPublishTwoTargetsInOrder(t *testing.T) {
	logs := quiet(t)
	test := pypitest.NewServer(t, pypitest.WithToken("pypi-test"), pypitest.WithAudience("testpypi"))
	prod := pypitest.NewServer(t, pypitest.WithToken("pypi-prod"))
	ctx := newRun(t, map[string]string{"TEST_TOKEN": "pypi-test", "PROD_TOKEN": "pypi-prod"})
	p := &Pipe{Config: parseConfig(t, fmt.Sprintf(`
targets:
  - name: testpypi
    repository_url: %s
    token_env: TEST_TOKEN
  - name: pypi
    repository_url: %s
    token_env: PROD_TOKEN
`, test.RepositoryURL, prod.RepositoryURL))}
	if err := p.Publish(ctx); err != nil {
		t.Fatalf("Publish: %v\n%s", err, logs)
	}
	for _, srv := range []*pypitest.Server{test, prod} {
		if got := filenames(srv); len(got) != 2 {
			t.Fatalf("%s has %v", srv.URL, got)
		}
	}
	first, second := test.Files()[0].UploadedAt, prod.Files()[0].UploadedAt
	if !first.Before(second) {
		t.Errorf("pypi (%s) was published before testpypi (%s)", second, first)
	}
}

// TestFailedTargetStopsTheNext: a failure on the first target leaves the
// second untouched.
func TestFailedTargetStopsTheNext(t *testing.T) {
	logs := quiet(t)
	test := pypitest.NewServer(t, pypitest.WithToken("pypi-right"))
	prod := pypitest.NewServer(t, pypitest.WithToken("pypi-prod"))
	ctx := newRun(t, map[string]string{"TEST_TOKEN": "pypi-wrong", "PROD_TOKEN": "pypi-prod"})
	p := &Pipe{Config: parseConfig(t, fmt.Sprintf(`
targets:
  - name: testpypi
    repository_url: %s
    token_env: TEST_TOKEN
    retry: {attempts: 1}
  - name: pypi
    repository_url: %s
    token_env: PROD_TOKEN
`, test.RepositoryURL, prod.RepositoryURL))}
	err := p.Publish(ctx)
	if err == nil || !strings.Contains(err.Error(), `target "testpypi"`) || !strings.Contains(err.Error(), "not attempted, so that a failed testpypi never goes on to them: pypi") {
		t.Fatalf("got %v\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "Invalid or non-existent authentication information") {
		t.Errorf("the index's reason is not logged:\n%s", logs)
	}
	if len(prod.Files()) != 0 || len(prod.Requests()) != 0 {
		t.Fatalf("the second target was contacted: %v", prod.Requests())
	}
}

// TestVerifyEverythingFirst: a broken file of the second target stops the
// first target too, before any request.
func TestVerifyEverythingFirst(t *testing.T) {
	logs := quiet(t)
	test := pypitest.NewServer(t, pypitest.WithToken("pypi-t"))
	prod := pypitest.NewServer(t, pypitest.WithToken("pypi-t"))
	ctx := newRun(t, map[string]string{"PYPI_API_TOKEN": "pypi-t"})
	broken := "bad_version_mismatch-0.1.0-py3-none-any.whl"
	copyFile(t, filepath.Join(origWD, "..", "testdata", "bad", broken), filepath.Join("dist", "broken", broken))
	addArtifact(t, ctx, broken, "dist/broken/"+broken, "Wheel", map[string]any{"ID": "broken"})
	p := &Pipe{Config: parseConfig(t, fmt.Sprintf(`
skip_ids: [broken]
targets:
  - name: testpypi
    repository_url: %s
    ids: [python-wheel, python-sdist]
  - name: pypi
    repository_url: %s
    ids: [python-wheel, python-sdist, broken]
`, test.RepositoryURL, prod.RepositoryURL))}
	err := p.Publish(ctx)
	if err == nil || !errors.Is(err, publisher.ErrReported) || !strings.Contains(err.Error(), "nothing was published") {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(logs.String(), broken) {
		t.Errorf("the broken file is not named in the logs:\n%s", logs)
	}
	if n := len(test.Requests()) + len(prod.Requests()); n != 0 {
		t.Fatalf("%d requests reached the indexes", n)
	}
}

// TestChecksumMismatch: a file that changed after GoReleaser recorded its
// checksum is never published.
func TestChecksumMismatch(t *testing.T) {
	logs := quiet(t)
	srv := pypitest.NewServer(t, pypitest.WithToken("pypi-t"))
	ctx := newRun(t, map[string]string{"PYPI_API_TOKEN": "pypi-t"})
	b, _ := os.ReadFile(filepath.Join("dist", "python-wheel_none-any", wheel))
	good := fmt.Sprintf("%x", sha256.Sum256(b))
	for _, a := range ctx.Artifacts.List() {
		switch a.Name {
		case wheel:
			a.Extra["Checksum"] = "sha256:" + good
		case sdist:
			a.Extra["Checksum"] = "sha256:" + strings.Repeat("0", 64)
		}
	}
	p := &Pipe{Config: parseConfig(t, "targets:\n  - repository_url: "+srv.RepositoryURL+"\n")}
	err := p.Publish(ctx)
	if err == nil || !strings.Contains(err.Error(), "verification failed: 1 problem(s) in 1 file(s); nothing was published") {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(logs.String(), "the file changed after GoReleaser built it") || !strings.Contains(logs.String(), "GoReleaser recorded "+strings.Repeat("0", 64)) {
		t.Errorf("logs:\n%s", logs)
	}
	if len(srv.Requests()) != 0 {
		t.Fatal("requests reached the index")
	}
}

// TestSkips: nothing to do is a skip with a reason, not a failure.
func TestSkips(t *testing.T) {
	quiet(t)
	srv := pypitest.NewServer(t)

	ctx := context.Wrap(t.Context(), configProject())
	addArtifact(t, ctx, "tinyutil", "dist/tinyutil_linux_amd64_v1/tinyutil", "Binary", map[string]any{"ID": "tinyutil"})
	p := &Pipe{Config: parseConfig(t, "targets:\n  - repository_url: "+srv.RepositoryURL+"\n")}
	// GoReleaser's publish pipe asks Skip after the builds: a Go-only
	// release skips the pipe (GoReleaser logs it), and Publish, if called
	// anyway, has nothing to do and no error to report.
	if !p.Skip(ctx) {
		t.Fatal("Skip() = false for a release without Python artifacts")
	}
	if err := p.Publish(ctx); err != nil {
		t.Fatalf("no Python artifacts: got %v", err)
	}

	disabled := &Pipe{Config: parseConfig(t, "targets:\n  - repository_url: "+srv.RepositoryURL+"\n    disable: true\n")}
	if !disabled.Skip(ctx) {
		t.Fatal("Skip() = false with every target disabled")
	}
	if len(srv.Requests()) != 0 {
		t.Fatal("requests reached the index")
	}
}

// TestDefaultLoadsSettings: Default reads .goreleaser-pypi.yaml (through
// GoReleaser's environment), falls back to PyPI without one, and stops the
// release on a bad file.
func TestDefaultLoadsSettings(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	ctx := context.Wrap(t.Context(), configProject())
	ctx.Env = context.Env{"INDEX": "https://pypi.example.com/legacy/"}

	p := &Pipe{}
	if err := p.Default(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, _ := p.settings(ctx)
	if len(cfg.Targets) != 1 || cfg.Targets[0].RepositoryURL != "https://upload.pypi.org/legacy/" {
		t.Fatalf("defaults: %+v", cfg)
	}

	os.WriteFile(pypiconfig.DefaultFile, []byte("targets:\n  - name: corp\n    repository_url: ${INDEX}\n"), 0o644)
	p = &Pipe{}
	if err := p.Default(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, _ = p.settings(ctx)
	if got := cfg.Targets[0]; got.Name != "corp" || got.RepositoryURL != "https://pypi.example.com/legacy/" {
		t.Fatalf("loaded %+v", got)
	}

	os.WriteFile("custom.yaml", []byte("targets:\n  - name: corp\n    repositry_url: https://pypi.example.com/legacy/\n"), 0o644)
	p = &Pipe{ConfigFile: "custom.yaml"}
	err := p.Default(ctx)
	if err == nil || err.Error() != `pypi: custom.yaml:3:5: target "corp": unknown key "repositry_url": did you mean "repository_url"?` {
		t.Fatalf("got %v", err)
	}
}

// TestList: the conversion keeps GoReleaser's fields and resolves paths
// against the working directory.
func TestList(t *testing.T) {
	ctx := newRun(t, nil)
	l := List(ctx)
	if len(l.Artifacts) != 4 {
		t.Fatalf("%d artifacts", len(l.Artifacts))
	}
	py := l.Python()
	if len(py) != 2 || py[0].Type != "Wheel" || py[1].Type != "Source Dist" || py[0].ID() != "python-wheel" || py[0].Builder() != "uv" {
		t.Fatalf("Python() = %+v", py)
	}
	wd, _ := os.Getwd()
	if want := filepath.Join(wd, "dist", "python-wheel_none-any", wheel); py[0].Resolved != want {
		t.Fatalf("Resolved = %q, want %q", py[0].Resolved, want)
	}
	if _, err := os.Stat(py[0].Resolved); err != nil {
		t.Fatal(err)
	}
}

// origWD is the package directory: tests that chdir read testdata through it.
var origWD, _ = os.Getwd()
