package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// The example's workflow, as far as this test runs it: its jobs' steps,
// with what GitHub would give them.
type workflow struct {
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		Environment string            `yaml:"environment"`
		Env         map[string]string `yaml:"env"`
		Steps       []workflowStep    `yaml:"steps"`
	} `yaml:"jobs"`
}

type workflowStep struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

func loadWorkflow(t *testing.T, path string) workflow {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return wf
}

// TestWorkflowBuildThenPublish runs the example's recommended workflow
// (.github/workflows/release.yml) offline, step by step, the way GitHub
// would: the build job's real goreleaser with the step's env (no identity,
// so it must not publish anything), the artifact handover limited to the
// paths its upload step names, a fresh checkout for the publish job with
// the artifact downloaded where its step says, and the publish step's own
// script with trusted publishing. Then the recovery (workflow_dispatch from
// the tag) on an index that has nothing: the build job rebuilds without
// publishing, the publish job uploads everything; run again, it uploads
// nothing. Actions the test cannot run (setup-go, setup-uv, installing
// goreleaser-pypi) are provided by the test; a step it does not know fails
// the test, so it follows the workflow as it changes.
func TestWorkflowBuildThenPublish(t *testing.T) {
	tl := setup(t)
	p := newProject(t, nil)
	wf := loadWorkflow(t, p.path(".github/workflows/release.yml"))
	for _, job := range []string{"build", "publish"} {
		if _, ok := wf.Jobs[job]; !ok {
			t.Fatalf("release.yml has no %s job: update the test", job)
		}
	}
	environment := wf.Jobs["publish"].Environment
	if environment == "" {
		t.Fatal("the publish job names no environment")
	}
	// The trusted publishers the docs tell users to register: this
	// repository, release.yml, the publish job's environment; for the
	// Python package (pending: a first release) and the CLI's binary wheels.
	newIndex := func() *pypitest.Server {
		pkg := publisher
		pkg.Environment = environment
		cli := pkg
		cli.Project, cli.Pending = "polyglot", false
		const owner = "pypi-e2e-owner-of-polyglot"
		return pypitest.NewServer(t, pypitest.WithToken(owner), pypitest.WithProject("polyglot", owner),
			pypitest.WithTrustedPublisher(pkg), pypitest.WithTrustedPublisher(cli))
	}
	r := &workflowRun{t: t, tl: tl, p: p, wf: wf}

	// A tag push.
	srv := newIndex()
	r.event, r.ref, r.srv = "push", "refs/tags/v0.1.0", srv
	if out, err := r.job("build"); err != nil {
		t.Fatalf("build job: %v\n%s", err, out)
	}
	if got := indexFiles(t, srv, "polyglotdemo"); len(got) != 0 || srv.Stats().Mints != 0 {
		t.Fatalf("the build job published (%v, %d mints): PYPI_PUBLISH must turn the custom publisher off", got, srv.Stats().Mints)
	}
	built := distFiles(t, p)
	if len(built) != 2 {
		t.Fatalf("the build job built %v", built)
	}
	if out, err := r.job("publish"); err != nil {
		t.Fatalf("publish job: %v\n%s", err, out)
	}
	if got := indexFiles(t, srv, "polyglotdemo"); !equalMaps(got, built) {
		t.Fatalf("after the publish job the index has %v, want what the build job built: %v", got, built)
	}
	if len(indexFiles(t, srv, "polyglot")) == 0 {
		t.Fatal("the publish job published no binary wheel of the CLI")
	}

	// The recovery, from a branch: refused before anything runs.
	srv2 := newIndex()
	r.event, r.ref, r.srv = "workflow_dispatch", "refs/heads/main", srv2
	if out, err := r.job("build"); err == nil || !strings.Contains(out, "Run this workflow from the release's tag") {
		t.Fatalf("recovery from a branch: %v\n%s", err, out)
	}
	// From the tag: a rebuild that publishes nothing by itself, then the
	// publish job uploads the whole release.
	r.ref = "refs/tags/v0.1.0"
	if out, err := r.job("build"); err != nil {
		t.Fatalf("recovery build job: %v\n%s", err, out)
	}
	if srv2.Stats().UploadAttempts != 0 || srv2.Stats().Mints != 0 {
		t.Fatal("the recovery's build job published")
	}
	if out, err := r.job("publish"); err != nil {
		t.Fatalf("recovery publish job: %v\n%s", err, out)
	}
	if got := indexFiles(t, srv2, "polyglotdemo"); len(got) != 2 {
		t.Fatalf("after the recovery the index has %v", got)
	}
	// Once more: everything is there (rebuilt with the same contents).
	before := srv2.Stats().UploadAttempts
	for _, job := range []string{"build", "publish"} {
		if out, err := r.job(job); err != nil {
			t.Fatalf("second recovery, %s job: %v\n%s", job, err, out)
		}
	}
	if after := srv2.Stats().UploadAttempts; after != before {
		t.Fatalf("a second recovery uploaded %d files again", after-before)
	}
}

// workflowRun runs the jobs of a workflow for one event.
type workflowRun struct {
	t          *testing.T
	tl         tools
	p          *project
	wf         workflow
	event, ref string
	srv        *pypitest.Server
	artifacts  map[string]string // artifact name → directory holding it
}

// job runs the named job's steps and returns the output of the step that
// failed.
func (r *workflowRun) job(name string) (string, error) {
	t := r.t
	t.Helper()
	if r.artifacts == nil {
		r.artifacts = map[string]string{}
	}
	// Only the publish job has an identity (id-token: write); the build
	// job's environment has none, and no API token.
	dir := r.p.dir // the build job runs in the project, a checkout at the tag
	base := prependPath(r.tl.bin, hermeticEnv())
	if name != "build" {
		dir = checkout(t, r.p)
		base = ciEnv(r.tl, r.srv, filepath.Join(t.TempDir(), "summary.md"))
	}
	base = append(base, "GITHUB_EVENT_NAME="+r.event, "GITHUB_REF="+r.ref,
		"GITHUB_REF_NAME="+strings.TrimPrefix(strings.TrimPrefix(r.ref, "refs/tags/"), "refs/heads/"))
	for _, st := range r.wf.Jobs[name].Steps {
		env := append(append([]string{}, base...), stepEnv(r.wf, name, st)...)
		switch action := actionName(st.Uses); {
		case action == "actions/checkout", action == "actions/setup-go", action == "astral-sh/setup-uv":
			// The checkout is made above; go and the uv stand-in are on PATH.
		case action == "goreleaser/goreleaser-action":
			args := evalEventChoice(t, st.With["args"], r.event)
			if out, err := run(t, dir, env, r.tl.goreleaser, strings.Fields(args)...); err != nil {
				return "goreleaser " + args + ":\n" + out, err
			}
		case action == "actions/upload-artifact":
			out := t.TempDir()
			uploadArtifact(t, dir, st.With["path"], out)
			r.artifacts[st.With["name"]] = out
		case action == "actions/download-artifact":
			src, ok := r.artifacts[st.With["name"]]
			if !ok {
				t.Fatalf("%s job: artifact %q was not uploaded", name, st.With["name"])
			}
			if err := os.CopyFS(filepath.Join(dir, st.With["path"]), os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
		case st.Run != "" && installsGoreleaserPyPI(st.Run):
			// The freshly built goreleaser-pypi is on PATH.
		case st.Run != "":
			if out, err := run(t, dir, env, "bash", "-e", "-c", st.Run); err != nil {
				return "step " + st.Name + ":\n" + out, err
			}
		default:
			t.Fatalf("%s job: step %q (%s) is unknown to the test: update it", name, st.Name, st.Uses)
		}
	}
	return "", nil
}

var eventChoice = regexp.MustCompile(`^\$\{\{\s*github\.event_name == '([a-z_]+)' && '([^']*)' \|\| '([^']*)'\s*\}\}$`)

// evalEventChoice evaluates a plain value, or the one expression the
// workflow uses to choose by event: ${{ github.event_name == 'E' && 'A' || 'B' }}.
func evalEventChoice(t *testing.T, v, event string) string {
	t.Helper()
	if !strings.Contains(v, "${{") {
		return v
	}
	m := eventChoice.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		t.Fatalf("expression %q is unknown to the test: update it", v)
	}
	if event == m[1] {
		return m[2]
	}
	return m[3]
}

// prependPath puts dir first on env's PATH.
func prependPath(dir string, env []string) []string {
	out := append([]string{}, env...)
	for i, kv := range out {
		if strings.HasPrefix(kv, "PATH=") {
			out[i] = "PATH=" + dir + string(os.PathListSeparator) + strings.TrimPrefix(kv, "PATH=")
			return out
		}
	}
	return append(out, "PATH="+dir)
}

func actionName(uses string) string {
	name, _, _ := strings.Cut(uses, "@")
	return name
}

var installStep = regexp.MustCompile(`^go install "?github\.com/goreleaser-pypi/goreleaser-pypi/cmd/goreleaser-pypi@\$\{GORELEASER_PYPI_VERSION\}"?$`)

// installsGoreleaserPyPI recognises the install step; the test puts the
// freshly built binary on PATH instead.
func installsGoreleaserPyPI(script string) bool {
	return installStep.MatchString(strings.TrimSpace(script))
}

// stepEnv is the environment a step adds: the workflow's, the job's and the
// step's env, with expressions replaced by what GitHub would substitute.
func stepEnv(wf workflow, job string, st workflowStep) []string {
	var env []string
	for _, m := range []map[string]string{wf.Env, wf.Jobs[job].Env, st.Env} {
		for k, v := range m {
			switch strings.TrimSpace(v) {
			case "${{ secrets.GITHUB_TOKEN }}", "${{ github.token }}":
				v = "ghs_fake_token_for_the_test"
			case "${{ github.repository }}":
				v = "example/polyglot"
			}
			env = append(env, k+"="+v)
		}
	}
	return env
}

// uploadArtifact copies what actions/upload-artifact would upload for the
// newline-separated paths (globs; a trailing / is a directory) from root:
// every match, stored relative to the matches' least common ancestor.
func uploadArtifact(t *testing.T, root, paths, dst string) {
	t.Helper()
	var files []string
	for _, line := range strings.Split(strings.TrimSpace(paths), "\n") {
		line = strings.TrimSpace(line)
		dirsOnly := strings.HasSuffix(line, "/")
		m, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(strings.TrimSuffix(line, "/"))))
		if err != nil || len(m) == 0 {
			t.Fatalf("upload-artifact: %q matches nothing (if-no-files-found: error)", line)
		}
		for _, match := range m {
			if fi, err := os.Stat(match); err != nil || (dirsOnly && !fi.IsDir()) {
				continue
			}
			err := filepath.WalkDir(match, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					files = append(files, path)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	lca := filepath.Dir(files[0])
	for _, f := range files {
		for !strings.HasPrefix(f, lca+string(filepath.Separator)) {
			lca = filepath.Dir(lca)
		}
	}
	for _, f := range files {
		rel, _ := filepath.Rel(lca, f)
		copyFile(t, f, filepath.Join(dst, rel))
	}
}

// checkout clones the project at its tag, as actions/checkout does in a
// job of its own.
func checkout(t *testing.T, p *project) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "checkout")
	if out, err := run(t, p.dir, hermeticEnv(), "git", "clone", "-q", "--branch", "v0.1.0", p.dir, dir); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	return dir
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(dst), 0o755)
	}
	if err == nil {
		err = os.WriteFile(dst, data, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}
