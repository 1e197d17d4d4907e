package releasewide

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/goreleaser"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/plainlog"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

const token = "pypi-releasewide-test-token-0123456789"

// fakeRun lays out a GoReleaser dist as the publish phase sees it: the
// effective config, metadata.json, the Python builds' outputs (real
// testdata files), a Go archive, and no artifacts.json.
func fakeRun(t *testing.T, publisherIDs string, version string) (distDir string, files []string) {
	t.Helper()
	root := t.TempDir()
	dist := filepath.Join(root, "dist")
	copyTo := func(name, dir string) string {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "good", name))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dist, dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	whl := copyTo("tinyutil-0.1.0-py3-none-any.whl", "python-wheel_none-any")
	sdist := copyTo("tinyutil-0.1.0.tar.gz", "python-sdist_none-any")
	archive := filepath.Join(dist, "tinyutil_0.1.0_linux_amd64.tar.gz")
	os.WriteFile(archive, []byte("a Go archive"), 0o644)
	ids := ""
	if publisherIDs != "" {
		ids = "    ids: [" + publisherIDs + "]\n"
	}
	cfg := "project_name: tinyutil\ndist: dist\nbuilds:\n" +
		"  - id: tinyutil\n    builder: go\n    targets: [linux_amd64_v1]\n" +
		"  - id: python-wheel\n    builder: uv\n    buildmode: wheel\n    dir: python\n    targets: [none-any]\n" +
		"  - id: python-sdist\n    builder: uv\n    buildmode: sdist\n    dir: python\n    targets: [none-any]\n" +
		"checksum:\n  disable: true\n" +
		"publishers:\n  - name: pypi\n" + ids + "    cmd: goreleaser-pypi upload --config .goreleaser-pypi.yaml {{ abs .ArtifactPath }}\n"
	os.WriteFile(filepath.Join(dist, "config.yaml"), []byte(cfg), 0o644)
	meta, _ := json.Marshal(map[string]string{"project_name": "tinyutil", "tag": "v" + version, "version": version,
		"date": time.Now().Format(time.RFC3339Nano)})
	os.WriteFile(filepath.Join(dist, "metadata.json"), meta, 0o644)
	return dist, []string{whl, sdist, archive}
}

func settings(srv *pypitest.Server) *config.File {
	t := config.DefaultTarget()
	t.Name, t.RepositoryURL, t.TrustedPublishing = "local", srv.RepositoryURL, config.TrustedPublishingNever
	return &config.File{Version: 1, Targets: []config.Target{t}, CheckVersion: true}
}

// process is one custom publisher process of the run.
func process(t *testing.T, distDir, file string, cfg *config.File, logs *bytes.Buffer) (*Outcome, error) {
	d, err := goreleaser.FindDist(file)
	if err != nil {
		t.Fatal(err)
	}
	return Run(context.Background(), Options{Dist: d, Config: cfg, File: file, Poll: 5 * time.Millisecond, Publish: publisher.Options{
		Getenv: func(k string) string {
			if k == "PYPI_API_TOKEN" {
				return token
			}
			return ""
		},
		Log:    plainlog.New(logs),
		Stdout: logs,
	}})
}

// TestOneLeaderManyProcesses: the processes of one run, started at once,
// publish the release once (each file uploaded once) and each reports its
// own file.
func TestOneLeaderManyProcesses(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(token))
	dist, files := fakeRun(t, "python-wheel, python-sdist", "0.1.0")
	cfg := settings(srv)
	var wg sync.WaitGroup
	outs := make([]*Outcome, 2)
	logs := make([]bytes.Buffer, 2)
	for i, f := range files[:2] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := process(t, dist, f, cfg, &logs[i])
			if err != nil {
				t.Error(err)
			}
			outs[i] = out
		}()
	}
	wg.Wait()
	leaders := 0
	for i, o := range outs {
		if o == nil {
			t.FailNow()
		}
		if o.Leader {
			leaders++
		}
		if !o.OK || !strings.Contains(o.Message, filepath.Base(files[i])) || !strings.Contains(o.Message, "local: uploaded to "+srv.URL) {
			t.Errorf("%s: %+v\n%s", files[i], o, logs[i].String())
		}
	}
	if leaders != 1 {
		t.Errorf("%d leaders", leaders)
	}
	if total, _ := srv.UploadAttempts(); total != 2 || len(srv.Files()) != 2 {
		t.Errorf("%d uploads, %d files", total, len(srv.Files()))
	}
	// A late process of the same run reads the ledger: nothing is sent again.
	var late bytes.Buffer
	if out, err := process(t, dist, files[0], cfg, &late); err != nil || !out.OK || out.Leader {
		t.Errorf("late process: %+v %v", out, err)
	}
	if total, _ := srv.UploadAttempts(); total != 2 {
		t.Errorf("a late process uploaded again: %d", total)
	}
	var rep struct {
		Targets []struct{ Target string } `json:"targets"`
	}
	b, _ := os.ReadFile(filepath.Join(dist, StateDirName, ReportFileName))
	if json.Unmarshal(b, &rep) != nil || len(rep.Targets) != 1 {
		t.Errorf("report: %s", b)
	}
}

// TestKilledLeaderIsReplaced: a leader that died mid-way (its ledger is not
// done, its lock released by the kernel) is replaced by the next process,
// which publishes the release; files the dead leader had uploaded are
// recognised by hash.
func TestKilledLeaderIsReplaced(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(token))
	dist, files := fakeRun(t, "python-wheel, python-sdist", "0.1.0")
	cfg := settings(srv)
	d, _ := goreleaser.OpenDist(dist)
	state := filepath.Join(dist, StateDirName)
	os.MkdirAll(state, 0o755)
	// The dead leader's traces: a ledger for this run, not done, and the
	// wheel already on the index.
	sum := runKey(d)
	writeJSON(filepath.Join(state, ledgerFileName), &ledger{Run: sum, Leader: 999999, Files: map[string]fileOutcome{}})
	var logs bytes.Buffer
	if _, err := publisher.Publish(context.Background(), cfg, &goreleaser.List{Artifacts: []goreleaser.Artifact{{Name: filepath.Base(files[0]), Type: goreleaser.TypeWheel, Resolved: files[0]}}},
		publisher.Options{Getenv: func(k string) string { return map[string]string{"PYPI_API_TOKEN": token}[k] }, Log: plainlog.New(&logs)}); err != nil {
		t.Fatal(err)
	}
	out, err := process(t, dist, files[1], cfg, &logs)
	if err != nil || !out.OK || !out.Leader {
		t.Fatalf("%+v %v\n%s", out, err, logs.String())
	}
	if len(srv.Files()) != 2 {
		t.Errorf("index holds %d files", len(srv.Files()))
	}
}

// TestStaleLedgerOfAnotherRun: a ledger left by an earlier run (another
// metadata.json) never answers for this run.
func TestStaleLedgerOfAnotherRun(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(token))
	dist, files := fakeRun(t, "python-wheel, python-sdist", "0.1.0")
	state := filepath.Join(dist, StateDirName)
	os.MkdirAll(state, 0o755)
	writeJSON(filepath.Join(state, ledgerFileName), &ledger{Run: "an-earlier-run", Done: true, Files: map[string]fileOutcome{
		files[0]: {Filename: filepath.Base(files[0]), OK: false, Message: "stale"}}})
	var logs bytes.Buffer
	out, err := process(t, dist, files[0], settings(srv), &logs)
	if err != nil || !out.OK || !out.Leader || len(srv.Files()) != 2 {
		t.Fatalf("%+v %v\n%s", out, err, logs.String())
	}
}

// TestSelectionMistakes: a non-Python artifact (no ids:), an id that is no
// build, a Python build left out: nothing is uploaded, and each process
// says why.
func TestSelectionMistakes(t *testing.T) {
	for _, tc := range []struct {
		ids, file string
		want      []string
	}{
		{ids: "", file: "archive", want: []string{"GoReleaser passed a non-Python artifact to goreleaser-pypi: tinyutil_0.1.0_linux_amd64.tar.gz", "ids: [python-wheel, python-sdist]", "has no ids:"}},
		{ids: "", file: "wheel", want: []string{"nothing was published", "GoReleaser passed a non-Python artifact to goreleaser-pypi", "has no ids:", "ids: [python-wheel, python-sdist]"}},
		{ids: "python-whl, python-sdist", file: "sdist", want: []string{`"python-whl", which is no build of this release`, `did you mean "python-wheel"?`, `Python build "python-wheel" is not in the custom publisher's ids`}},
		{ids: "python-sdist, tinyutil", file: "sdist", want: []string{`lists "tinyutil", which is not a Python build`}},
	} {
		t.Run(tc.ids+"/"+tc.file, func(t *testing.T) {
			srv := pypitest.NewServer(t, pypitest.WithToken(token))
			dist, files := fakeRun(t, tc.ids, "0.1.0")
			file := map[string]string{"wheel": files[0], "sdist": files[1], "archive": files[2]}[tc.file]
			var logs bytes.Buffer
			out, err := process(t, dist, file, settings(srv), &logs)
			if err != nil {
				t.Fatal(err)
			}
			text := out.Message + "\n" + strings.Join(out.Details, "\n")
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("outcome lacks %q:\n%s", w, text)
				}
			}
			if out.OK || len(srv.Requests()) != 0 {
				t.Errorf("ok=%v, %d requests", out.OK, len(srv.Requests()))
			}
		})
	}
}

// TestSelectionMistakeStepSummary: a release stopped by an ids typo has a
// step summary headed "nothing was published", never "Published to" with
// no target (it once read "### 🐍 release: Published to ").
func TestSelectionMistakeStepSummary(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(token))
	dist, files := fakeRun(t, "python-whl, python-sdist", "0.1.0")
	d, err := goreleaser.FindDist(files[1])
	if err != nil {
		t.Fatal(err)
	}
	summary := filepath.Join(t.TempDir(), "summary.md")
	vars := map[string]string{"PYPI_API_TOKEN": token, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary}
	var logs bytes.Buffer
	out, err := Run(context.Background(), Options{Dist: d, Config: settings(srv), File: files[1], Poll: 5 * time.Millisecond, Publish: publisher.Options{
		Getenv: func(k string) string { return vars[k] }, Log: plainlog.New(&logs), Stdout: &logs,
	}})
	if err != nil || out.OK {
		t.Fatalf("%+v %v\n%s", out, err, logs.String())
	}
	md, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(md), "### 🐍 PyPI: nothing was published\n\n❌ nothing was published: ") || strings.Contains(string(md), "Published to") ||
		!strings.Contains(string(md), `"python-whl", which is no build of this release`) {
		t.Errorf("step summary (dist %s):\n%s", dist, md)
	}
}

// TestVersionMustMatchTheTag: files of 0.1.0 in a release tagged v0.2.0.
func TestVersionMustMatchTheTag(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(token))
	dist, files := fakeRun(t, "python-wheel, python-sdist", "0.2.0")
	var logs bytes.Buffer
	out, err := process(t, dist, files[0], settings(srv), &logs)
	if err != nil {
		t.Fatal(err)
	}
	text := out.Message + "\n" + strings.Join(out.Details, "\n")
	if out.OK || !strings.Contains(text, "version 0.1.0 does not match the release tag v0.2.0 (version 0.2.0)") || len(srv.Requests()) != 0 {
		t.Errorf("%+v\n%s", out, logs.String())
	}
}
