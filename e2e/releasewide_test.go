package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// The custom publisher block of examples/polyglot (the one README.md
// shows) runs one goreleaser-pypi process per Python file; these tests hold
// the release-wide promises across those processes with the real goreleaser.

// sdistHook is the example's post-build hook of the sdist build.
const sdistHook = "    buildmode: sdist\n" + sourceDateEpoch + "    hooks:\n      post:\n        - goreleaser-pypi check --tag {{ .Tag }} {{ dir .Path }}"

// sourceDateEpoch is the example's env for reproducible Python builds.
const sourceDateEpoch = "    env:\n      - SOURCE_DATE_EPOCH={{ .CommitTimestamp }}\n"

// TestCorruptSdistPublishesNothing: the sdist is broken after it was built
// (standing in for a broken backend, past the build hook), the wheel is
// fine. The release fails and the index holds NO file of it: the wheel's
// process does not publish its file alone.
func TestCorruptSdistPublishesNothing(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	srv := newIndex(t)
	p := newProject(t, func(p *project) {
		p.replace(".goreleaser.yaml", sdistHook,
			"    buildmode: sdist\n"+sourceDateEpoch+"    hooks:\n      post:\n        - sh -c 'printf \"not a gzip file\" > {{ dir .Path }}/polyglotdemo-0.1.0.tar.gz'")
	})
	out, err := release(t, tl, p, ciEnv(tl, srv, t.TempDir()+"/summary.md"))
	if err == nil {
		t.Fatalf("goreleaser release succeeded with a corrupt sdist:\n%s", out)
	}
	if got := indexFiles(t, srv, "polyglotdemo"); len(got) != 0 {
		t.Fatalf("half a release on the index: %v\n%s", got, out)
	}
	if st := srv.OIDCStats(); st.Minted != 0 {
		t.Errorf("minted %d tokens before verification passed", st.Minted)
	}
	for _, want := range []string{"polyglotdemo-0.1.0.tar.gz", "nothing was published"} {
		if !strings.Contains(out, want) {
			t.Errorf("the failure does not say %q:\n%s", want, out)
		}
	}
	if os.Getenv("E2E_SHOW") != "" {
		t.Log(out)
	}
	rep := readReport(t, p)
	if len(rep.Targets) != 0 || len(rep.Problems) == 0 {
		t.Errorf("report.json: %+v", rep)
	}
}

// TestReleaseWideTwoTargets: a good release to two targets publishes every
// file exactly once per target, with one mint per target (not per file),
// the report under dist/ and a step summary table per target.
func TestReleaseWideTwoTargets(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	srv := newIndex(t)
	p := newProject(t, func(p *project) {
		p.write(".goreleaser-pypi.yaml", "version: 1\ntargets:\n"+
			"  - name: staging\n    ids: [python-wheel, python-sdist]\n"+
			"  - name: production\n    ids: [python-wheel, python-sdist]\n")
	})
	summary := t.TempDir() + "/summary.md"
	out, err := release(t, tl, p, ciEnv(tl, srv, summary))
	if err != nil {
		t.Fatalf("goreleaser release: %v\n%s", err, out)
	}
	built := distFiles(t, p)
	if got := indexFiles(t, srv, "polyglotdemo"); len(built) != 2 || !equalMaps(got, built) {
		t.Fatalf("the index has %v, GoReleaser built %v", got, built)
	}
	// Both targets are this one index: each sends each file once (the
	// index answers an identical re-upload with 200 and stores nothing).
	if total, perFile := srv.UploadAttempts(); total != 4 || len(perFile) != 2 || len(srv.Files()) != 2 {
		t.Errorf("%d upload requests (%v), %d files stored: want each file sent once per target, stored once", total, perFile, len(srv.Files()))
	}
	if st := srv.OIDCStats(); st.Minted != 2 {
		t.Errorf("minted %d tokens, want 2 (one per target per release)", st.Minted)
	}
	rep := readReport(t, p)
	if len(rep.Targets) != 2 || rep.Targets[0].Target != "staging" || rep.Targets[1].Target != "production" || rep.Error != "" {
		t.Fatalf("report.json: %+v", rep)
	}
	md, _ := os.ReadFile(summary)
	for _, want := range []string{"staging: Published to", "production: Published to", "uploaded to " + srv.URL + "/project/polyglotdemo/0.1.0/"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("step summary lacks %q:\n%s", want, md)
		}
	}
	if strings.Count(string(md), "### 🐍") != 2 {
		t.Errorf("step summary written more than once per target:\n%s", md)
	}
}

// TestGitLabSingleIdentityToken: a GitLab job has ONE identity token, and
// the index exchanges it once; the whole multi-file release is published
// with it.
func TestGitLabSingleIdentityToken(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	gitlab := pypitest.GitLabPublisher{ProjectPath: "example/polyglot", WorkflowPath: ".gitlab-ci.yml", Project: "polyglotdemo", Pending: true}
	cli := gitlab
	cli.Project, cli.Pending = "polyglot", false
	const owner = "pypi-e2e-owner-of-polyglot"
	srv := pypitest.NewServer(t, pypitest.WithToken(owner), pypitest.WithProject("polyglot", owner), pypitest.WithGitLabPublisher(gitlab), pypitest.WithGitLabPublisher(cli))
	p := newProject(t, func(p *project) {
		p.replace(".goreleaser.yaml", "      - PYPI_API_TOKEN={{ index .Env \"PYPI_API_TOKEN\" }}\n",
			"      - PYPI_API_TOKEN={{ index .Env \"PYPI_API_TOKEN\" }}\n      - GITLAB_CI={{ index .Env \"GITLAB_CI\" }}\n      - PYPI_ID_TOKEN={{ index .Env \"PYPI_ID_TOKEN\" }}\n")
	})
	gl, err := srv.Issuer.GitLabEnv("pypi")
	if err != nil {
		t.Fatal(err)
	}
	env := append(hermeticEnv(), gl...)
	env = append(env, "PYPI_REPOSITORY_URL="+srv.RepositoryURL)
	for i, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			env[i] = "PATH=" + tl.bin + string(os.PathListSeparator) + strings.TrimPrefix(kv, "PATH=")
		}
	}
	out, err := release(t, tl, p, env)
	if err != nil {
		t.Fatalf("goreleaser release: %v\n%s", err, out)
	}
	if got := indexFiles(t, srv, "polyglotdemo"); len(got) != 2 {
		t.Fatalf("the index has %v", got)
	}
	if st := srv.OIDCStats(); st.Minted != 1 {
		t.Errorf("minted %d tokens with one GitLab identity token", st.Minted)
	}
}

// TestMistakesFailBeforeAnyUpload: selection mistakes, a version that is
// not the tag's and a settings typo each stop the release before any
// upload, with a message that says what to change.
func TestMistakesFailBeforeAnyUpload(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	for _, tc := range []struct {
		name string
		edit func(p *project)
		want []string
	}{
		{
			name: "ids typo",
			edit: func(p *project) {
				p.replace(".goreleaser.yaml", "ids: [python-wheel, python-sdist]", "ids: [python-whl, python-sdist]")
			},
			want: []string{`lists "python-whl", which is no build of this release`, `did you mean "python-wheel"?`,
				`Python build "python-wheel" is not in the custom publisher's ids`},
		},
		{
			name: "no ids",
			edit: func(p *project) {
				p.replace(".goreleaser.yaml", "    ids: [python-wheel, python-sdist]\n    cmd:", "    cmd:")
			},
			// GoReleaser shows the first failed process's output: any of them
			// says the publisher has no ids and what to add.
			want: []string{`in .goreleaser.yaml has no ids:, so GoReleaser hands it every artifact`, "ids: [python-wheel, python-sdist]"},
		},
		{
			name: "version is not the tag's",
			edit: func(p *project) {
				p.replace("python/pyproject.toml", `version = "0.1.0"`, `version = "0.0.9"`)
			},
			want: []string{"version 0.0.9 does not match the release tag v0.1.0 (version 0.1.0)", "polyglotdemo-0.0.9"},
		},
		{
			name: "settings typo",
			edit: func(p *project) {
				p.replace(".goreleaser-pypi.yaml", "    skip_existing: true", "    skip_exisitng: true")
			},
			want: []string{`unknown key "skip_exisitng": did you mean "skip_existing"?`, "running before hooks"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newIndex(t)
			p := newProject(t, tc.edit)
			out, err := release(t, tl, p, ciEnv(tl, srv, t.TempDir()+"/summary.md"))
			if err == nil {
				t.Fatalf("goreleaser release succeeded:\n%s", out)
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("the failure does not say %q:\n%s", want, out)
				}
			}
			if n := srv.Stats().UploadAttempts; n != 0 {
				t.Errorf("%d uploads reached the index", n)
			}
			if st := srv.OIDCStats(); st.Minted != 0 {
				t.Errorf("minted %d tokens", st.Minted)
			}
		})
	}
}

// TestVersionCheckInThePublishPhase: without the example's build hooks,
// the publish phase still refuses a version that is not the tag's, before
// any upload; check_version: false lets it through.
func TestVersionCheckInThePublishPhase(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	for _, off := range []bool{false, true} {
		t.Run(fmt.Sprintf("check_version off=%v", off), func(t *testing.T) {
			t.Parallel()
			srv := newIndex(t)
			p := newProject(t, func(p *project) {
				p.replace("python/pyproject.toml", `version = "0.1.0"`, `version = "0.0.9"`)
				s := p.read(".goreleaser.yaml")
				p.write(".goreleaser.yaml", strings.ReplaceAll(s, "    hooks:\n      post:\n        - goreleaser-pypi check --tag {{ .Tag }} {{ dir .Path }}\n", ""))
				if off {
					p.append(".goreleaser-pypi.yaml", "check_version: false\n")
				}
			})
			out, err := release(t, tl, p, ciEnv(tl, srv, t.TempDir()+"/summary.md"))
			if off {
				if err != nil {
					t.Fatalf("check_version: false: %v\n%s", err, out)
				}
				return
			}
			if err == nil || !strings.Contains(out, "does not match the release tag v0.1.0") || !strings.Contains(out, "check_version: false") {
				t.Fatalf("err %v\n%s", err, out)
			}
			// GoReleaser shows the failed publisher's output: the outcome
			// and the fix first, the publishing process's log after it.
			outcome, logged := strings.Index(out, "the whole release's outcome"), strings.Index(out, "publishing the whole Python release")
			if outcome < 0 || logged < 0 || outcome > logged || strings.Index(out, "does not match the release tag") > outcome {
				t.Errorf("the failure output does not lead with the outcome:\n%s", out)
			}
			if n := srv.Stats().UploadAttempts; n != 0 {
				t.Errorf("%d uploads reached the index", n)
			}
		})
	}
}

// releaseReport is dist/goreleaser-pypi/report.json.
type releaseReport struct {
	Targets []struct {
		Target string `json:"target"`
	} `json:"targets"`
	Problems []json.RawMessage `json:"problems"`
	Error    string            `json:"error"`
}

func readReport(t *testing.T, p *project) releaseReport {
	t.Helper()
	b, err := os.ReadFile(p.path("dist/goreleaser-pypi/report.json"))
	if err != nil {
		t.Fatalf("no report under dist/: %v", err)
	}
	var r releaseReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report.json: %v\n%s", err, b)
	}
	return r
}

// TestIncompleteReleaseFails: the binary wheels (files no publisher
// process owns) are refused by the index (no trusted publisher for their
// project): the Python files are published, but goreleaser release fails,
// saying the release is incomplete and which files are missing.
func TestIncompleteReleaseFails(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	srv := pypitest.NewServer(t, pypitest.WithTrustedPublisher(publisher)) // nothing for "polyglot"
	p := newProject(t, nil)
	out, err := release(t, tl, p, ciEnv(tl, srv, t.TempDir()+"/summary.md"))
	if err == nil {
		t.Fatalf("goreleaser release succeeded with the CLI's wheels refused:\n%s", out)
	}
	if !strings.Contains(out, "but the release is incomplete") || !strings.Contains(out, "polyglot-0.1.0-py3-none-") {
		t.Errorf("the failure does not name the missing files:\n%s", out)
	}
	if got := indexFiles(t, srv, "polyglotdemo"); len(got) != 2 {
		t.Errorf("the Python package: %v", got)
	}
}
