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
// script with trusted publishing. Then the recovery job (workflow_dispatch)
// publishes the "GitHub release" assets again, through a stand-in for gh
// that serves the files GoReleaser would have attached to the release.
// Actions the test cannot run (setup-go, setup-uv, installing
// goreleaser-pypi) are provided by the test; an action it does not know
// fails the test, so it follows the workflow as it changes.
func TestWorkflowBuildThenPublish(t *testing.T) {
	tl := setup(t)
	p := newProject(t, nil)
	wf := loadWorkflow(t, p.path(".github/workflows/release.yml"))
	for _, job := range []string{"build", "publish", "republish"} {
		if _, ok := wf.Jobs[job]; !ok {
			t.Fatalf("release.yml has no %s job: update the test", job)
		}
	}
	// The trusted publisher the docs tell users to register: this
	// repository, release.yml, the publish job's environment.
	pub := pypitest.GitHubPublisher{Repository: "example/polyglot", Workflow: "release.yml",
		Environment: wf.Jobs["publish"].Environment, Project: "polyglotdemo", Pending: true}
	if pub.Environment == "" {
		t.Fatal("the publish job names no environment")
	}
	srv := pypitest.NewServer(t, pypitest.WithTrustedPublisher(pub))

	// The build job: no id-token, so no identity in its environment.
	artifacts := map[string]string{} // artifact name → directory holding it
	for _, st := range wf.Jobs["build"].Steps {
		switch action := actionName(st.Uses); {
		case action == "actions/checkout", action == "actions/setup-go", action == "astral-sh/setup-uv":
			// The project is a checkout at the tag; go and the uv stand-in are on PATH.
		case action == "goreleaser/goreleaser-action":
			env := append(prependPath(tl.bin, hermeticEnv()), stepEnv(wf, "build", st)...)
			out, err := run(t, p.dir, env, tl.goreleaser, strings.Fields(st.With["args"])...)
			if err != nil {
				t.Fatalf("build job: goreleaser %s: %v\n%s", st.With["args"], err, out)
			}
		case action == "actions/upload-artifact":
			dir := t.TempDir()
			uploadArtifact(t, p.dir, st.With["path"], dir)
			artifacts[st.With["name"]] = dir
		case st.Run != "" && installsGoreleaserPyPI(st.Run):
		default:
			t.Fatalf("build job: step %q (%s) is unknown to the test: update it", st.Name, st.Uses)
		}
	}
	if got := indexFiles(t, srv, "polyglotdemo"); len(got) != 0 || srv.Stats().Mints != 0 {
		t.Fatalf("the build job published (%v, %d mints): PYPI_PUBLISH must turn the custom publisher off", got, srv.Stats().Mints)
	}
	built := distFiles(t, p)
	if len(built) != 2 {
		t.Fatalf("the build job built %v", built)
	}

	// The publish job: a fresh checkout, the artifact, the identity.
	publishDir := checkout(t, p)
	summary := filepath.Join(t.TempDir(), "summary.md")
	for _, st := range wf.Jobs["publish"].Steps {
		switch action := actionName(st.Uses); {
		case action == "actions/checkout", action == "actions/setup-go":
		case action == "actions/download-artifact":
			src, ok := artifacts[st.With["name"]]
			if !ok {
				t.Fatalf("publish job: artifact %q was not uploaded by the build job", st.With["name"])
			}
			if err := os.CopyFS(filepath.Join(publishDir, st.With["path"]), os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
		case st.Run != "" && installsGoreleaserPyPI(st.Run):
		case st.Run != "":
			env := append(ciEnv(tl, srv, summary), stepEnv(wf, "publish", st)...)
			if out, err := run(t, publishDir, env, "bash", "-e", "-c", st.Run); err != nil {
				t.Fatalf("publish job: step %q: %v\n%s", st.Name, err, out)
			}
		default:
			t.Fatalf("publish job: step %q (%s) is unknown to the test: update it", st.Name, st.Uses)
		}
	}
	if got := indexFiles(t, srv, "polyglotdemo"); !equalMaps(got, built) {
		t.Fatalf("after the publish job the index has %v, want what the build job built: %v", got, built)
	}

	// The recovery job, on a fresh index: the GitHub release's assets are
	// the build's uploadable files, flat, Go archives included.
	assets := t.TempDir()
	for _, pat := range []string{"dist/*.tar.gz", "dist/*.zip", "dist/checksums.txt", "dist/python-*/*"} {
		m, _ := filepath.Glob(p.path(pat))
		for _, f := range m {
			copyFile(t, f, filepath.Join(assets, filepath.Base(f)))
		}
	}
	ghDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(ghDir, "gh"), []byte(fakeGH), 0o755); err != nil {
		t.Fatal(err)
	}
	srv2 := pypitest.NewServer(t, pypitest.WithTrustedPublisher(pub))
	recoverRelease := func(ref string) (string, error) {
		dir := checkout(t, p)
		env := append(ciEnv(tl, srv2, summary), "FAKE_GH_RELEASE="+assets, "GITHUB_REF="+ref,
			"GITHUB_REF_NAME="+strings.TrimPrefix(strings.TrimPrefix(ref, "refs/tags/"), "refs/heads/"))
		env = prependPath(ghDir, env)
		for _, st := range wf.Jobs["republish"].Steps {
			switch action := actionName(st.Uses); {
			case action == "actions/checkout", action == "actions/setup-go":
			case st.Run != "" && installsGoreleaserPyPI(st.Run):
			case st.Run != "":
				if out, err := run(t, dir, append(env, stepEnv(wf, "republish", st)...), "bash", "-e", "-c", st.Run); err != nil {
					return "step " + st.Name + ":\n" + out, err
				}
			default:
				t.Fatalf("republish job: step %q (%s) is unknown to the test: update it", st.Name, st.Uses)
			}
		}
		return "", nil
	}
	if out, err := recoverRelease("refs/heads/main"); err == nil || !strings.Contains(out, "Run this workflow from the release's tag") {
		t.Fatalf("recovery from a branch: %v\n%s", err, out)
	}
	if got := indexFiles(t, srv2, "polyglotdemo"); len(got) != 0 {
		t.Fatalf("recovery from a branch published %v", got)
	}
	if out, err := recoverRelease("refs/tags/v0.1.0"); err != nil {
		t.Fatalf("recovery: %v\n%s", err, out)
	}
	if got := indexFiles(t, srv2, "polyglotdemo"); !equalMaps(got, built) {
		t.Fatalf("after the recovery job the index has %v, want the release's files %v", got, built)
	}
	// Run again: everything is there, nothing is uploaded.
	before := srv2.Stats().UploadAttempts
	if out, err := recoverRelease("refs/tags/v0.1.0"); err != nil {
		t.Fatalf("second recovery: %v\n%s", err, out)
	}
	if after := srv2.Stats().UploadAttempts; after != before {
		t.Fatalf("a second recovery uploaded %d files again", after-before)
	}
}

// fakeGH stands in for `gh release download TAG --dir DIR --pattern P...`:
// it copies the files of $FAKE_GH_RELEASE matching a pattern, as gh does
// with the release's assets.
const fakeGH = `#!/bin/sh
set -eu
[ "$1 $2" = "release download" ] || { echo "fake gh: only 'release download' is supported" >&2; exit 2; }
shift 3 # release download TAG
dir=.
patterns=
while [ $# -gt 0 ]; do
	case "$1" in
	--dir) dir=$2; shift 2 ;;
	--pattern) patterns="$patterns $2"; shift 2 ;;
	*) echo "fake gh: unsupported argument $1" >&2; exit 2 ;;
	esac
done
mkdir -p "$dir"
set -f
for p in $patterns; do
	set +f
	found=
	for f in "$FAKE_GH_RELEASE"/$p; do
		[ -e "$f" ] || continue
		cp "$f" "$dir/"
		found=1
	done
	[ -n "$found" ] || { echo "fake gh: no assets match $p" >&2; exit 1; }
	set -f
done
`

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
		pat := strings.TrimSuffix(strings.TrimSpace(line), "/")
		m, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(pat)))
		if err != nil || len(m) == 0 {
			t.Fatalf("upload-artifact: %q matches nothing (if-no-files-found: error)", line)
		}
		for _, match := range m {
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
