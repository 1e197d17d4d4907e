// Package e2e runs the real GoReleaser on a copy of examples/polyglot and
// publishes its Python builds with the freshly built goreleaser-pypi to an
// in-process pypitest index, by trusted publishing through pypitest's fake
// GitHub Actions identity issuer; then pip installs the package from it.
//
// Needs: goreleaser (v2, on PATH or in $(go env GOPATH)/bin; scripts/test
// installs v2.15.1), git, Debian's /usr/bin/python3 with build, flit_core
// and setuptools (standing in for uv, which needs the network), and python3
// with pip. Each missing piece skips the tests with the reason.
package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// The example's trusted publisher on the index: the claims pypitest's issuer
// asserts by default then describe a tag push in this repository's
// release.yml, as GitHub would.
var publisher = pypitest.GitHubPublisher{
	Repository: "example/polyglot",
	Workflow:   "release.yml",
	Project:    "polyglotdemo",
	Pending:    true, // a pending publisher: the first upload creates the project
}

// newIndex is a local index trusting the example's workflow for both of
// its projects: polyglotdemo (the Python package; a pending publisher, as
// for a first release) and polyglot (the Go CLI's binary wheels, an
// existing project with the same publisher).
func newIndex(t *testing.T) *pypitest.Server {
	t.Helper()
	cli := publisher
	cli.Project, cli.Pending = "polyglot", false
	const owner = "pypi-e2e-owner-of-polyglot"
	return pypitest.NewServer(t, pypitest.WithToken(owner), pypitest.WithProject("polyglot", owner),
		pypitest.WithTrustedPublisher(publisher), pypitest.WithTrustedPublisher(cli))
}

// tools are what every test needs, found or built once.
type tools struct {
	goreleaser string // the real goreleaser binary
	bin        string // a directory with goreleaser-pypi and the uv stand-in, first on PATH
	skip       string // why the tests cannot run, if they cannot
	fail       string // why the tests fail before they start (goreleaser-pypi does not build)
}

var (
	toolsOnce sync.Once
	shared    tools
)

func setup(t *testing.T) tools {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end tests run the real goreleaser; skipped with -short")
	}
	toolsOnce.Do(func() { shared = findTools() })
	if shared.skip != "" {
		t.Skip(shared.skip)
	}
	if shared.fail != "" {
		t.Fatal(shared.fail)
	}
	return shared
}

func findTools() tools {
	var tl tools
	gr, err := exec.LookPath("goreleaser")
	if err != nil {
		if gopath, gerr := exec.Command("go", "env", "GOPATH").Output(); gerr == nil {
			cand := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "goreleaser")
			if _, serr := os.Stat(cand); serr == nil {
				gr, err = cand, nil
			}
		}
	}
	if err != nil {
		return tools{skip: "goreleaser is not on PATH: go install github.com/goreleaser/goreleaser/v2@v2.15.1 (scripts/test does)"}
	}
	out, err := exec.Command(gr, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "GitVersion:    v2.") {
		return tools{skip: fmt.Sprintf("%s is not GoReleaser v2: %s", gr, firstLine(string(out)))}
	}
	tl.goreleaser = gr
	if _, err := exec.LookPath("git"); err != nil {
		return tools{skip: "git is not on PATH"}
	}
	// The example builds with flit_core; the name-trap tests with setuptools 66.
	if out, err := exec.Command("/usr/bin/python3", "-c", "import build, flit_core, setuptools").CombinedOutput(); err != nil {
		return tools{skip: "Debian's python3-build, flit and python3-setuptools are needed to stand in for uv: " + firstLine(string(out))}
	}
	if out, err := exec.Command("python3", "-m", "pip", "--version").CombinedOutput(); err != nil {
		return tools{skip: "python3 with pip is needed to install from the index: " + firstLine(string(out))}
	}

	// A fresh goreleaser-pypi and the uv stand-in, in a directory that
	// outlives the individual tests (removed by TestMain).
	tl.bin = binDir
	build := exec.Command("go", "build", "-o", filepath.Join(tl.bin, "goreleaser-pypi"), "github.com/goreleaser-pypi/goreleaser-pypi/cmd/goreleaser-pypi")
	if out, err := build.CombinedOutput(); err != nil {
		return tools{fail: fmt.Sprintf("building goreleaser-pypi: %v\n%s", err, out)}
	}
	// The example's own stand-in, the one docs/rehearsal.md gives users.
	shim, err := os.ReadFile("../examples/polyglot/rehearsal/uv")
	if err == nil {
		err = os.WriteFile(filepath.Join(tl.bin, "uv"), shim, 0o755)
	}
	if err != nil {
		return tools{fail: "installing the uv stand-in: " + err.Error()}
	}
	return tl
}

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "goreleaser-pypi-e2e-bin-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// project is a temporary git repository copied from examples/polyglot.
type project struct {
	t   *testing.T
	dir string
}

// newProject copies the example, lets edit change its files (path relative
// to the project → new content), and commits and tags v0.1.0 with a remote
// configured, as GoReleaser requires.
func newProject(t *testing.T, edit func(p *project)) *project {
	t.Helper()
	p := &project{t: t, dir: filepath.Join(t.TempDir(), "polyglot")}
	if err := os.CopyFS(p.dir, os.DirFS("../examples/polyglot")); err != nil {
		t.Fatal(err)
	}
	// Build only for this machine: the six platforms of the example are
	// GoReleaser's business, and cross-compiling them would slow CI down.
	p.replace(".goreleaser.yaml", "goos: [linux, darwin, windows]", "goos: ["+runtime.GOOS+"]")
	p.replace(".goreleaser.yaml", "goarch: [amd64, arm64]", "goarch: ["+runtime.GOARCH+"]")
	if edit != nil {
		edit(p)
	}
	// Offline: no GitHub release (so no GITHUB_TOKEN), no changelog. The
	// publish phase, with the custom publisher, still runs.
	p.append(".goreleaser.yaml", "\nrelease:\n  disable: true\nchangelog:\n  disable: true\n")
	p.git("init", "-q", "-b", "main")
	p.git("add", "-A")
	p.git("commit", "-q", "-m", "polyglot example")
	p.git("tag", "-a", "v0.1.0", "-m", "v0.1.0")
	p.git("remote", "add", "origin", "https://github.com/example/polyglot.git")
	return p
}

func (p *project) path(rel string) string { return filepath.Join(p.dir, filepath.FromSlash(rel)) }

func (p *project) read(rel string) string {
	p.t.Helper()
	b, err := os.ReadFile(p.path(rel))
	if err != nil {
		p.t.Fatal(err)
	}
	return string(b)
}

func (p *project) write(rel, content string) {
	p.t.Helper()
	if err := os.WriteFile(p.path(rel), []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// replace edits a file, failing when old is not there: a test must not
// silently stop testing what it says when the example changes.
func (p *project) replace(rel, old, new string) {
	p.t.Helper()
	s := p.read(rel)
	if !strings.Contains(s, old) {
		p.t.Fatalf("%s no longer contains %q: update the test", rel, old)
	}
	p.write(rel, strings.Replace(s, old, new, 1))
}

func (p *project) append(rel, s string) { p.write(rel, p.read(rel)+s) }

// removeBuildHooks removes the example's post-build checks.
func (p *project) removeBuildHooks() {
	p.t.Helper()
	const hook = "    hooks:\n      post:\n        - goreleaser-pypi check --tag {{ .Tag }} {{ dir .Path }}\n"
	s := p.read(".goreleaser.yaml")
	if strings.Count(s, hook) != 2 {
		p.t.Fatal(".goreleaser.yaml no longer has the two Python build hooks: update the test")
	}
	p.write(".goreleaser.yaml", strings.ReplaceAll(s, hook, ""))
}

// dropPublisher removes the custom publisher (the last section of the
// example's .goreleaser.yaml), for the publish-after-release flow.
func (p *project) dropPublisher() {
	p.t.Helper()
	s := p.read(".goreleaser.yaml")
	i := strings.Index(s, "\npublishers:\n")
	if i < 0 {
		p.t.Fatal(".goreleaser.yaml has no publishers: section: update the test")
	}
	p.write(".goreleaser.yaml", s[:i+1])
}

func (p *project) git(args ...string) {
	p.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = p.dir
	cmd.Env = append(hermeticEnv(), "GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@example.com",
		"GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		p.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// hermeticEnv is this process's environment without anything that would let
// a test reach a real index or a real CI identity (when the suite itself
// runs on GitHub Actions), nor a user's git or GoReleaser settings.
func hermeticEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "GITHUB_"), strings.HasPrefix(k, "ACTIONS_"), strings.HasPrefix(k, "PYPI_"),
			strings.HasPrefix(k, "GITLAB"), strings.HasSuffix(k, "_ID_TOKEN"), strings.HasPrefix(k, "GORELEASER_"),
			strings.HasPrefix(k, "GIT_"), k == "GCE_METADATA_HOST", k == "CI":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
}

// ciEnv is the environment of a GitHub Actions job with
// `permissions: id-token: write`, whose identity tokens come from srv's
// fake issuer, uploading to srv instead of PyPI.
func ciEnv(tl tools, srv *pypitest.Server, summary string) []string {
	env := hermeticEnv()
	for i, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			env[i] = "PATH=" + tl.bin + string(os.PathListSeparator) + strings.TrimPrefix(kv, "PATH=")
		}
	}
	env = append(env, srv.Issuer.GitHubEnv()...)
	return append(env,
		"GITHUB_ACTIONS=true",
		"GITHUB_RUN_ID=4242", // set in every job (GoReleaser scrubs it for publishers)
		"RUNNER_TEMP="+os.TempDir(),
		"GITHUB_WORKSPACE="+os.TempDir(),
		"GITHUB_EVENT_NAME=push",
		"GITHUB_STEP_SUMMARY="+summary,
		"PYPI_REPOSITORY_URL="+srv.RepositoryURL,
	)
}

// run runs a command in dir and returns its combined output and error.
func run(t *testing.T, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// release runs `goreleaser release --clean` in the project.
func release(t *testing.T, tl tools, p *project, env []string, flags ...string) (string, error) {
	t.Helper()
	start := time.Now()
	out, err := run(t, p.dir, env, tl.goreleaser, append([]string{"release", "--clean"}, flags...)...)
	t.Logf("goreleaser release took %s", time.Since(start).Round(10*time.Millisecond))
	return out, err
}

// indexFiles returns the files the index has for polyglotdemo 0.1.0, by
// name, with their sha256, read through the JSON API.
func indexFiles(t *testing.T, srv *pypitest.Server, project string) map[string]string {
	t.Helper()
	resp, err := http.Get(srv.URL + "/pypi/" + project + "/0.1.0/json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return map[string]string{}
	}
	var rel struct {
		URLs []struct {
			Filename string `json:"filename"`
			Digests  struct {
				SHA256 string `json:"sha256"`
			} `json:"digests"`
		} `json:"urls"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&rel); err != nil {
		t.Fatalf("JSON API: %v", err)
	}
	out := map[string]string{}
	for _, u := range rel.URLs {
		out[u.Filename] = u.Digests.SHA256
	}
	return out
}

// pipInstall installs polyglotdemo from the index with pip and imports it.
func pipInstall(t *testing.T, srv *pypitest.Server) {
	t.Helper()
	target := filepath.Join(t.TempDir(), "site")
	env := append(hermeticEnv(), "PIP_CONFIG_FILE=/dev/null", "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_CACHE_DIR=1")
	out, err := run(t, t.TempDir(), env, "python3", "-m", "pip", "install", "--no-deps", "--only-binary", ":all:",
		"--index-url", srv.SimpleURL, "--target", target, "polyglotdemo==0.1.0")
	if err != nil {
		t.Fatalf("pip install from the index: %v\n%s", err, out)
	}
	out, err = run(t, t.TempDir(), append(env, "PYTHONPATH="+target), "python3", "-c",
		"import polyglotdemo; print(polyglotdemo.__version__); print(polyglotdemo.hello('e2e'))")
	if err != nil {
		t.Fatalf("import polyglotdemo: %v\n%s", err, out)
	}
	if want := "0.1.0\nhello, e2e (from Python, polyglotdemo 0.1.0)\n"; out != want {
		t.Fatalf("polyglotdemo printed %q, want %q", out, want)
	}
}

// distFiles returns the sha256 of the wheel and sdist GoReleaser built.
func distFiles(t *testing.T, p *project) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, pat := range []string{"dist/python-wheel_none-any/*.whl", "dist/python-sdist_none-any/*.tar.gz"} {
		m, _ := filepath.Glob(p.path(pat))
		for _, f := range m {
			out[filepath.Base(f)] = sha256File(t, f)
		}
	}
	return out
}

// TestCustomPublisher is the documented way #1: goreleaser release runs
// goreleaser-pypi as a custom publisher, once per Python file, in its
// publish phase.
func TestCustomPublisher(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	srv := newIndex(t)
	p := newProject(t, nil)
	summary := filepath.Join(t.TempDir(), "step-summary.md")

	// --verbose: GoReleaser then shows the publishers' output as it comes.
	out, err := release(t, tl, p, ciEnv(tl, srv, summary), "--verbose")
	if err != nil {
		t.Fatalf("goreleaser release: %v\n%s", err, out)
	}
	// GoReleaser captures a custom publisher's output and shows it indented
	// (with --verbose, or on failure), where the runner would not read
	// "::add-mask::" as a command but anyone could read the token in it.
	for _, secret := range []string{"::add-mask::", "pypi-"} {
		if strings.Contains(out, secret) {
			t.Errorf("goreleaser's output shows %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{
		"custom publisher",
		"artifact=polyglotdemo-0.1.0-py3-none-any.whl",
		"artifact=polyglotdemo-0.1.0.tar.gz",
		"release succeeded",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("goreleaser output lacks %q:\n%s", want, out)
		}
	}

	built := distFiles(t, p)
	if len(built) != 2 {
		t.Fatalf("GoReleaser built %v", built)
	}
	if got := indexFiles(t, srv, "polyglotdemo"); !equalMaps(got, built) {
		t.Fatalf("the index has %v, GoReleaser built %v", got, built)
	}
	// One process per file, but one of them publishes the whole release:
	// one mint for the target.
	if st := srv.OIDCStats(); st.Minted != 1 {
		t.Errorf("minted %d tokens, want 1 (one per target per release): %+v", st.Minted, st)
	}
	if s, err := os.ReadFile(summary); err != nil || !strings.Contains(string(s), "polyglotdemo") {
		t.Errorf("GitHub step summary (forwarded GITHUB_STEP_SUMMARY): %v\n%s", err, s)
	}
	pipInstall(t, srv)
}

// TestPublishAfterRelease is the documented way #2: goreleaser release
// without the publisher, then goreleaser-pypi publish --dist dist reads
// dist/artifacts.json. A second publish converges (skip_existing).
func TestPublishAfterRelease(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	srv := newIndex(t)
	p := newProject(t, (*project).dropPublisher)
	env := ciEnv(tl, srv, filepath.Join(t.TempDir(), "step-summary.md"))

	out, err := release(t, tl, p, env)
	if err != nil {
		t.Fatalf("goreleaser release: %v\n%s", err, out)
	}
	if got := indexFiles(t, srv, "polyglotdemo"); len(got) != 0 {
		t.Fatalf("nothing should be published yet, the index has %v", got)
	}

	// A target naming a build id GoReleaser did not build (a typo) fails
	// before anything is uploaded, listing the ids that exist.
	p.write("typo.yaml", strings.Replace(p.read(".goreleaser-pypi.yaml"), "python-sdist,", "python-sdsit,", 1))
	_, stderr := publish(t, tl, p, env, 1, "--config", "typo.yaml")
	for _, want := range []string{
		`target "pypi" (typo.yaml:16): build id "python-sdsit" matches no artifact in dist/artifacts.json`,
		// polyglot is there twice: its binaries, and the wheels binary_wheels makes of them.
		`Python build ids present: "polyglot", "python-sdist", "python-wheel" (other ids: "default", "polyglot")`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if got := indexFiles(t, srv, "polyglotdemo"); len(got) != 0 || srv.OIDCStats().Minted != 0 {
		t.Fatalf("uploaded %v (minted %d) despite an unknown build id", got, srv.OIDCStats().Minted)
	}

	res, stderr := publish(t, tl, p, env, 0)
	// A normal job step: the runner reads workflow commands from stderr
	// too, so the minted token is masked there (stdout is the JSON).
	if n := strings.Count(stderr, "::add-mask::pypi-"); n != 1 {
		t.Errorf("%d ::add-mask:: lines for one mint:\n%s", n, stderr)
	}
	if len(res.Targets) != 1 || res.Targets[0].Target != "pypi" || res.Targets[0].Report.Summary.Uploaded != 3 { // wheel, sdist, the CLI's wheel
		t.Fatalf("publish result: %+v", res)
	}
	if st := srv.OIDCStats(); st.Minted != 1 {
		t.Errorf("minted %d tokens, want 1 (one per target)", st.Minted)
	}
	built := distFiles(t, p)
	if got := indexFiles(t, srv, "polyglotdemo"); len(built) != 2 || !equalMaps(got, built) {
		t.Fatalf("the index has %v, GoReleaser built %v", got, built)
	}
	pipInstall(t, srv)

	// Re-running converges: both files are already there with the same hash.
	res, _ = publish(t, tl, p, env, 0)
	if s := res.Targets[0].Report.Summary; s.Skipped != 3 || s.Uploaded != 0 { // wheel, sdist, the CLI's wheel
		t.Fatalf("second publish: %+v", s)
	}
}

// publishResult is the --json output of goreleaser-pypi publish.
type publishResult struct {
	Targets []struct {
		Target string `json:"target"`
		Report struct {
			OK      bool `json:"ok"`
			Summary struct {
				Uploaded, Skipped, Failed int
			} `json:"summary"`
		} `json:"report"`
	} `json:"targets"`
	NotAttempted []string `json:"not_attempted"`
}

// publish runs goreleaser-pypi publish --json in the project and checks
// its exit status.
func publish(t *testing.T, tl tools, p *project, env []string, wantExit int, extra ...string) (publishResult, string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(tl.bin, "goreleaser-pypi"), append([]string{"publish", "--dist", "dist", "--json"}, extra...)...)
	cmd.Dir = p.dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code != wantExit {
		t.Fatalf("goreleaser-pypi publish exited %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantExit, &stdout, &stderr)
	}
	var res publishResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("publish --json: %v\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	t.Logf("publish stderr:\n%s", &stderr)
	return res, stderr.String()
}

// useSetuptools builds the project's Python package with Debian's
// setuptools 66 instead of the example's flit_core.
func (p *project) useSetuptools() {
	p.replace("python/pyproject.toml", `requires = ["flit_core>=3.8,<4"]`, `requires = ["setuptools>=61"]`)
	p.replace("python/pyproject.toml", `build-backend = "flit_core.buildapi"`, `build-backend = "setuptools.build_meta"`)
}

// trapProject is the example with a dashed project name, built by
// setuptools 66: GoReleaser announces polyglot_demo-0.1.0.tar.gz, setuptools
// writes polyglot-demo-0.1.0.tar.gz. Checksums are off, else GoReleaser
// itself stops at its checksum step before any publisher runs.
func trapProject(t *testing.T, dropPublisher bool) *project {
	return newProject(t, func(p *project) {
		p.useSetuptools()
		p.replace("python/pyproject.toml", `name = "polyglotdemo"`, `name = "polyglot-demo"`)
		p.replace(".goreleaser.yaml", "checksum:\n  name_template: checksums.txt\n", "checksum:\n  disable: true\n")
		// The example's build hooks catch the trap at build time (see
		// TestNameTrapCaughtByBuildHook); these tests are about what the
		// publish phase says without them.
		p.removeBuildHooks()
		if dropPublisher {
			p.dropPublisher()
		}
	})
}

// trapMessage checks the error names both files, the cause and the fix.
func trapMessage(t *testing.T, out string) {
	t.Helper()
	for _, want := range []string{
		filepath.Join("dist", "python-sdist_none-any", "polyglot_demo-0.1.0.tar.gz"), // the path GoReleaser announced
		"does not exist, but ",
		filepath.Join("python-sdist_none-any", "polyglot-demo-0.1.0.tar.gz") + " does", // the file the backend wrote
		"the build backend wrote the sdist under its pre-PEP 625 name",
		"GoReleaser predicted the PEP 625 name polyglot_demo-0.1.0.tar.gz, the only one PyPI accepts",
		"Fix: build with a backend that writes PEP 625 names",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the error does not say %q:\n%s", want, out)
		}
	}
}

// TestNameTrapCustomPublisher: the announced sdist does not exist. The
// publisher run for it fails with the cause and the fix, and nothing is
// ever uploaded under the name PyPI rejects.
func TestNameTrapCustomPublisher(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	srv := pypitest.NewServer(t, pypitest.WithTrustedPublisher(pypitest.GitHubPublisher{
		Repository: publisher.Repository, Workflow: publisher.Workflow, Project: "polyglot-demo", Pending: true,
	}))
	p := trapProject(t, false)
	out, err := release(t, tl, p, ciEnv(tl, srv, filepath.Join(t.TempDir(), "summary.md")))
	if err == nil {
		t.Fatalf("goreleaser release succeeded with a missing sdist:\n%s", out)
	}
	if _, err := os.Stat(p.path("dist/python-sdist_none-any/polyglot-demo-0.1.0.tar.gz")); err != nil {
		t.Fatalf("setuptools 66 did not write the pre-PEP 625 name; the trap is not reproduced: %v", err)
	}
	if !strings.Contains(out, "custom publisher: failed to publish artifacts") {
		t.Errorf("goreleaser did not fail in the custom publisher:\n%s", out)
	}
	trapMessage(t, out)
	for name := range indexFiles(t, srv, "polyglot-demo") {
		if strings.HasSuffix(name, ".tar.gz") {
			t.Errorf("an sdist was uploaded: %s", name)
		}
	}
}

// TestNameTrapCaughtByBuildHook: with the example's build hooks, the trap
// stops the release right after the sdist is built, before anything is
// archived, released or uploaded.
func TestNameTrapCaughtByBuildHook(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	srv := newIndex(t)
	p := newProject(t, func(p *project) {
		p.useSetuptools()
		p.replace("python/pyproject.toml", `name = "polyglotdemo"`, `name = "polyglot-demo"`)
	})
	out, err := release(t, tl, p, ciEnv(tl, srv, filepath.Join(t.TempDir(), "summary.md")))
	if err == nil {
		t.Fatalf("goreleaser release succeeded with a pre-PEP 625 sdist:\n%s", out)
	}
	for _, want := range []string{"running hook", "polyglot-demo-0.1.0.tar.gz is invalid, should be polyglot_demo-0.1.0.tar.gz", "PEP 625"} {
		if !strings.Contains(out, want) {
			t.Errorf("the failure does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "custom publisher") || len(srv.Requests()) != 0 {
		t.Errorf("the release went on to publish (%d requests)", len(srv.Requests()))
	}
}

// TestNameTrapPublish: the same release through publish: nothing at all is
// uploaded (not even the good wheel), and the error explains.
func TestNameTrapPublish(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	srv := pypitest.NewServer(t, pypitest.WithTrustedPublisher(pypitest.GitHubPublisher{
		Repository: publisher.Repository, Workflow: publisher.Workflow, Project: "polyglot-demo", Pending: true,
	}))
	p := trapProject(t, true)
	env := ciEnv(tl, srv, filepath.Join(t.TempDir(), "summary.md"))
	if out, err := release(t, tl, p, env); err != nil {
		t.Fatalf("goreleaser release: %v\n%s", err, out)
	}
	res, stderr := publish(t, tl, p, env, 1)
	if len(res.Targets) != 0 {
		t.Errorf("a target ran despite the missing sdist: %+v", res)
	}
	trapMessage(t, stderr)
	if !strings.Contains(stderr, "nothing was published") {
		t.Errorf("stderr does not say nothing was published:\n%s", stderr)
	}
	if got := indexFiles(t, srv, "polyglot-demo"); len(got) != 0 {
		t.Fatalf("uploaded %v despite a verification failure", got)
	}
	if st := srv.OIDCStats(); st.Minted != 0 {
		t.Errorf("minted %d tokens before verification passed", st.Minted)
	}
}

// TestCustomPublisherWithoutCredentials: a job without `permissions:
// id-token: write` and without an API token. The forwarded identity
// variables arrive empty; the failure says what to add, in the workflow and
// in .goreleaser.yaml.
func TestCustomPublisherWithoutCredentials(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	srv := newIndex(t)
	p := newProject(t, nil)
	env := ciEnv(tl, srv, filepath.Join(t.TempDir(), "summary.md"))
	env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "ACTIONS_ID_TOKEN_REQUEST_") })
	out, err := release(t, tl, p, env)
	if err == nil {
		t.Fatalf("goreleaser release succeeded without credentials:\n%s", out)
	}
	for _, want := range []string{
		"custom publisher: failed to publish artifacts",
		"id-token: write",
		`ACTIONS_ID_TOKEN_REQUEST_URL={{ index .Env "ACTIONS_ID_TOKEN_REQUEST_URL" }}`,
		"PYPI_API_TOKEN",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the failure does not say %q:\n%s", want, out)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests reached the index", n)
	}
}

// TestGoReleaserCheck: the example's and the project's own .goreleaser.yaml
// pass `goreleaser check` (GoReleaser's strict schema, deprecations).
func TestGoReleaserCheck(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	// The example as shipped, in a repository of its own with a remote
	// (GoReleaser's release settings default to the remote's repository).
	example := filepath.Join(t.TempDir(), "polyglot")
	if err := os.CopyFS(example, os.DirFS("../examples/polyglot")); err != nil {
		t.Fatal(err)
	}
	ex := &project{t: t, dir: example}
	ex.git("init", "-q", "-b", "main")
	ex.git("remote", "add", "origin", "https://github.com/example/polyglot.git")
	for _, dir := range []string{example, ".."} {
		out, err := run(t, dir, hermeticEnv(), tl.goreleaser, "check")
		if err != nil || !strings.Contains(out, "1 configuration file(s) validated") {
			t.Errorf("goreleaser check in %s: %v\n%s", dir, err, out)
		}
	}
}

// TestBinaryDoesNotImportGoReleaser: the goreleaser-pypi binary stays small
// and starts fast; only package plugin may import GoReleaser.
func TestBinaryDoesNotImportGoReleaser(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/goreleaser-pypi/goreleaser-pypi/cmd/goreleaser-pypi").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/goreleaser/goreleaser/") || pkg == "github.com/goreleaser-pypi/goreleaser-pypi/plugin" {
			t.Errorf("the binary imports %s", pkg)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}
