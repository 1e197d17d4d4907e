package publisher_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caarlos0/log"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/goreleaser"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/plainlog"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/secrets"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/index"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/report"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/upload"
)

const token = "pypi-AgEIcHlwaS5vcmcpublishtest0123456789abcdef"

// fastRetry keeps the fault tests quick: waits of milliseconds.
var fastRetry = config.Retry{Attempts: 5, Delay: time.Millisecond, MaxDelay: 10 * time.Millisecond}

// goodFiles are the real wheels and sdists of testdata/good.
func goodFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.whl", "*.tar.gz"} {
		m, err := filepath.Glob(filepath.Join("..", "testdata", "good", pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 5 {
		t.Fatalf("testdata/good holds %d distributions", len(files))
	}
	return files
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

type captured struct {
	logs, stdout bytes.Buffer
}

// testJob is one single-target run, as `upload` without a settings file
// makes it.
type testJob struct {
	Files     []string
	Target    config.Target
	DryRun    bool
	Getenv    func(string) string
	Log       log.Interface
	Stdout    io.Writer
	SkipMask  bool
	Transport http.RoundTripper
}

func job(srv *pypitest.Server, files []string, vars map[string]string, c *captured) testJob {
	t := config.DefaultTarget()
	t.Name, t.RepositoryURL, t.Retry = "local", srv.RepositoryURL, fastRetry
	return testJob{
		Files:  files,
		Target: t,
		Getenv: env(vars),
		Log:    plainlog.New(&c.logs),
		Stdout: &c.stdout,
	}
}

// run publishes j through publisher.Publish and returns its one target's
// report (or, when the release stopped before it, one holding the problems).
func run(ctx context.Context, j testJob) (*report.Target, error) {
	cfg := &config.File{Version: 1, Targets: []config.Target{j.Target}}
	res, err := publisher.Publish(ctx, cfg, goreleaser.FilesList(j.Files), publisher.Options{
		DryRun: j.DryRun, Getenv: j.Getenv, Log: j.Log, Stdout: j.Stdout, SkipMask: j.SkipMask, Transport: j.Transport,
	})
	if len(res.Targets) > 0 {
		return res.Targets[0].Report, err
	}
	return &report.Target{Problems: res.Problems, Err: err}, err
}

func TestRunSurvivesFaultsAndStoresEachFileOnce(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(token))
	files := goodFiles(t)
	srv.Faults().Next(2, pypitest.Fault{Status: http.StatusServiceUnavailable})
	srv.Faults().Next(1, pypitest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "2"})
	srv.Faults().Next(1, pypitest.Fault{Drop: true, DropAfter: 700})
	srv.Faults().Next(1, pypitest.Fault{AcceptThenFail: true, Status: http.StatusBadGateway})
	srv.Faults().Next(1, pypitest.Fault{Status: http.StatusInternalServerError, HTML: true})

	var c captured
	rep, err := run(context.Background(), job(srv, files, map[string]string{"PYPI_API_TOKEN": token}, &c))
	if err != nil {
		t.Fatalf("%v\n%s", err, c.logs.String())
	}
	if s := rep.Summary(); s.Uploaded != len(files) || s.Failed != 0 {
		t.Fatalf("summary %+v\n%s", s, c.logs.String())
	}
	stored := srv.Files()
	if len(stored) != len(files) {
		t.Fatalf("index holds %d files, want %d", len(stored), len(files))
	}
	seen := map[string]bool{}
	for _, f := range stored {
		if seen[f.Filename] {
			t.Errorf("%s stored twice", f.Filename)
		}
		seen[f.Filename] = true
	}
	total, _ := srv.UploadAttempts()
	if total != len(files)+6 {
		t.Errorf("%d upload requests, want %d files + 6 faults", total, len(files))
	}
	retried := 0
	for _, r := range rep.Files {
		if r.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no file needed a retry: the faults did not hit")
	}
	secrets.Scan(t, map[string]string{"logs": c.logs.String(), "stdout": c.stdout.String()}, token)
}

func TestRunRedirectNeverReachesTheOtherHost(t *testing.T) {
	other := pypitest.NewServer(t, pypitest.WithToken(token))
	srv := pypitest.NewServer(t, pypitest.WithToken(token))
	srv.Faults().Next(-1, pypitest.Fault{RedirectTo: other.RepositoryURL, Status: http.StatusTemporaryRedirect})
	var c captured
	rep, err := run(context.Background(), job(srv, goodFiles(t)[:1], map[string]string{"PYPI_API_TOKEN": token}, &c))
	if err == nil {
		t.Fatal("want an error")
	}
	if n := len(other.Requests()); n != 0 {
		t.Fatalf("the redirect target got %d requests", n)
	}
	if msg := rep.Files[0].Error(); !strings.Contains(msg, "the index answered 307 Temporary Redirect to "+other.RepositoryURL) {
		t.Errorf("error %q", msg)
	}
}

func TestRunMissingSlashIsExplained(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(token))
	var c captured
	j := job(srv, goodFiles(t)[:1], map[string]string{"PYPI_API_TOKEN": token}, &c)
	j.Target.RepositoryURL = strings.TrimSuffix(srv.RepositoryURL, "/")
	rep, err := run(context.Background(), j)
	if err == nil {
		t.Fatal("want an error")
	}
	want := "use the repository URL with a trailing slash: " + srv.RepositoryURL
	if msg := rep.Files[0].Error(); !strings.Contains(msg, "308 Permanent Redirect") || !strings.Contains(msg, want) {
		t.Errorf("error %q", msg)
	}
	if srv.Stats().FilesStored != 0 {
		t.Error("a file was stored")
	}
}

type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, io.ErrUnexpectedEOF
}

func TestRunRefusesPlainHTTPBeforeAnyRequest(t *testing.T) {
	tr := &countingTransport{}
	var c captured
	target := config.DefaultTarget()
	target.RepositoryURL = "http://pypi.example.com/legacy/"
	rep, err := run(context.Background(), testJob{
		Files:     goodFiles(t),
		Target:    target,
		Getenv:    env(map[string]string{"PYPI_API_TOKEN": token}),
		Log:       plainlog.New(&c.logs),
		Stdout:    &c.stdout,
		Transport: tr,
	})
	if err == nil || !strings.Contains(err.Error(), "http://pypi.example.com/legacy/") || !strings.Contains(err.Error(), "use https") {
		t.Fatalf("err %v", err)
	}
	if tr.n.Load() != 0 {
		t.Errorf("%d requests", tr.n.Load())
	}
	if rep.OK() || rep.Err == nil {
		t.Errorf("report %+v", rep)
	}
}

func TestRunVerifiesEverythingBeforeUploadingAnything(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(token))
	bad, err := filepath.Glob(filepath.Join("..", "testdata", "bad", "*.whl"))
	if err != nil || len(bad) == 0 {
		t.Fatalf("no bad wheels: %v", err)
	}
	var c captured
	rep, err := run(context.Background(), job(srv, append(goodFiles(t), bad[0]), map[string]string{"PYPI_API_TOKEN": token}, &c))
	if err == nil || !errors.Is(err, publisher.ErrReported) {
		t.Fatalf("err %v", err)
	}
	if len(rep.Problems) == 0 || srv.Stats().UploadAttempts != 0 {
		t.Fatalf("problems %v, uploads %d", rep.Problems, srv.Stats().UploadAttempts)
	}
	if !strings.Contains(c.logs.String(), filepath.Base(bad[0])) {
		t.Errorf("the problem was not logged:\n%s", c.logs.String())
	}
}

// TestVerificationFailureStepSummary: a release stopped by verification
// names no index in its step summary and never says "Published to".
func TestVerificationFailureStepSummary(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(token))
	bad, err := filepath.Glob(filepath.Join("..", "testdata", "bad", "*.whl"))
	if err != nil || len(bad) == 0 {
		t.Fatalf("no bad wheels: %v", err)
	}
	summary := filepath.Join(t.TempDir(), "summary.md")
	var c captured
	if _, err := run(context.Background(), job(srv, append(goodFiles(t), bad[0]), map[string]string{
		"PYPI_API_TOKEN": token, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary,
	}, &c)); err == nil {
		t.Fatal("a bad wheel was accepted")
	}
	md, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(md), "### 🐍 PyPI: nothing was published\n\n❌ verification failed: ") || strings.Contains(string(md), "Published to") ||
		!strings.Contains(string(md), "| `"+bad[0]+"` |") {
		t.Errorf("step summary:\n%s", md)
	}
}

func TestRunSkipExistingAndChangedContent(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(token))
	dir := t.TempDir()
	spec := wheelgen.Spec{Name: "changing", Version: "1.0.0", Size: 4096, Seed: 1}
	w, err := wheelgen.Write(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	s, err := wheelgen.WriteSdist(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"PYPI_API_TOKEN": token}
	var c captured
	if _, err := run(context.Background(), job(srv, []string{w, s}, vars, &c)); err != nil {
		t.Fatalf("%v\n%s", err, c.logs.String())
	}

	// Re-run: nothing is sent.
	before := srv.Stats().UploadAttempts
	j := job(srv, []string{w, s}, vars, &c)
	j.Target.SkipExisting = true
	rep, err := run(context.Background(), j)
	if err != nil || rep.Summary().Skipped != 2 || srv.Stats().UploadAttempts != before {
		t.Fatalf("err %v, %+v, uploads %d → %d", err, rep.Summary(), before, srv.Stats().UploadAttempts)
	}

	// The same wheel name with other content: a clear failure, skip-existing or not.
	spec.Seed = 2
	if _, err := wheelgen.Write(dir, spec); err != nil {
		t.Fatal(err)
	}
	for _, skip := range []bool{true, false} {
		j := job(srv, []string{w}, vars, &c)
		j.Target.SkipExisting = skip
		rep, err := run(context.Background(), j)
		if err == nil {
			t.Fatalf("skip=%v: a changed file passed", skip)
		}
		msg := rep.Files[0].Error()
		for _, want := range []string{"a different file named " + filepath.Base(w), "local sha256 " + rep.Files[0].SHA256, "index sha256 ", "never allows re-using a file name", "bump the version"} {
			if !strings.Contains(msg, want) {
				t.Errorf("skip=%v: error lacks %q:\n%s", skip, want, msg)
			}
		}
	}
}

func TestRunDryRun(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(token))
	files := goodFiles(t)
	var c captured
	target := config.DefaultTarget()
	target.RepositoryURL = srv.RepositoryURL
	rep, err := run(context.Background(), testJob{
		Files:  files,
		Target: target,
		DryRun: true,
		Getenv: env(nil),
		Log:    plainlog.New(&c.logs),
		Stdout: &c.stdout,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, c.logs.String())
	}
	if rep.Summary().WouldUpload != len(files) || srv.Stats().UploadAttempts != 0 {
		t.Errorf("%+v, %d uploads", rep.Summary(), srv.Stats().UploadAttempts)
	}
	if !strings.Contains(c.logs.String(), "no credentials found; a real run would fail") {
		t.Errorf("logs:\n%s", c.logs.String())
	}
}

func TestRunTrustedPublishing(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithTrustedPublisher(pypitest.DefaultPublisher()))
	vars := map[string]string{"GITHUB_ACTIONS": "true"}
	for _, kv := range srv.Issuer.GitHubEnv() {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	files := goodFiles(t)
	var c captured
	j := job(srv, files, vars, &c)
	j.Target.TrustedPublishing = config.TrustedPublishingAlways

	// A dry run says it would mint, and does not.
	j.DryRun = true
	rep, err := run(context.Background(), j)
	if err != nil || srv.Stats().Mints != 0 || !strings.HasPrefix(rep.Credentials, "trusted publishing") {
		t.Fatalf("dry run: err %v, mints %d, credentials %q", err, srv.Stats().Mints, rep.Credentials)
	}

	j.DryRun = false
	rep, err = run(context.Background(), j)
	if err != nil {
		t.Fatalf("%v\n%s", err, c.logs.String())
	}
	if rep.Summary().Uploaded != len(files) || srv.Stats().Mints != 1 {
		t.Errorf("%+v, %d mints", rep.Summary(), srv.Stats().Mints)
	}
}

func TestRunGitHubActionsAnnotationsAndSummary(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(token))
	files := goodFiles(t)
	bad := filepath.Base(files[0])
	srv.Faults().ForFile(bad, -1, pypitest.Fault{Status: http.StatusBadRequest, Message: "Invalid value for classifiers. Error: Classifier 'Foo' is not a valid classifier."})
	summary := filepath.Join(t.TempDir(), "summary.md")
	var c captured
	rep, err := run(context.Background(), job(srv, files, map[string]string{
		"PYPI_API_TOKEN": token, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary,
	}, &c))
	if err == nil || rep.Summary().Failed != 1 || rep.Summary().Uploaded != len(files)-1 {
		t.Fatalf("err %v, %+v", err, rep.Summary())
	}
	wantAnnotation := "::error file=" + files[0] + ",title=PyPI upload failed::" + files[0] + ": upload refused by " + srv.RepositoryURL + ": 400 Invalid value for classifiers. Error: Classifier 'Foo' is not a valid classifier."
	if !strings.Contains(c.stdout.String(), wantAnnotation) {
		t.Errorf("stdout lacks\n%s\ngot:\n%s", wantAnnotation, c.stdout.String())
	}
	md, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| `" + bad + "` | ❌ failed: ", "✅ uploaded", "1 failed"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	// Under GoReleaser (SkipMask) stdout never reaches the runner: no
	// annotations there, the step summary all the same.
	srv2 := pypitest.NewServer(t, pypitest.WithToken(token))
	srv2.Faults().ForFile(bad, -1, pypitest.Fault{Status: http.StatusBadRequest, Message: "Invalid value for classifiers."})
	summary2 := filepath.Join(t.TempDir(), "summary.md")
	var c2 captured
	j := job(srv2, files, map[string]string{"PYPI_API_TOKEN": token, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary2}, &c2)
	j.SkipMask = true
	if _, err := run(context.Background(), j); err == nil {
		t.Fatal("expected the failure")
	}
	if strings.Contains(c2.stdout.String(), "::error") {
		t.Errorf("annotations printed where the runner never reads them:\n%s", c2.stdout.String())
	}
	if md, err := os.ReadFile(summary2); err != nil || !strings.Contains(string(md), "1 failed") {
		t.Errorf("step summary under GoReleaser: %v\n%s", err, md)
	}
}

// TestRebuiltFileIsRecognised: a re-run whose wheel was rebuilt (other
// timestamps, other compression: other bytes, same contents) finishes
// with the file "already published (rebuilt, same contents)"; a wheel with
// one member changed is a conflict that names the member.
func TestRebuiltFileIsRecognised(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to rebuild a wheel with zipfile")
	}
	srv := pypitest.NewServer(t, pypitest.WithToken(token))
	orig := filepath.Join("..", "testdata", "good", "tinyutil-0.1.0-py3-none-any.whl")
	vars := map[string]string{"PYPI_API_TOKEN": token}
	var c captured
	if _, err := run(context.Background(), job(srv, []string{orig}, vars, &c)); err != nil {
		t.Fatalf("%v\n%s", err, c.logs.String())
	}
	// rezip writes the wheel again with other timestamps and compression,
	// optionally appending a byte to one member.
	rezip := func(change string) string {
		out := filepath.Join(t.TempDir(), filepath.Base(orig))
		script := `
import base64, hashlib, sys, zipfile
src, dst, change = sys.argv[1], sys.argv[2], sys.argv[3]
with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zo:
    new = {}
    for info in zi.infolist():
        data = zi.read(info)
        if info.filename == change:
            data += b"\n# changed\n"
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            new[change] = "%s,sha256=%s,%d" % (change, digest, len(data))
        if info.filename.endswith(".dist-info/RECORD") and new:
            data = "".join((new.get(l.split(",")[0], l) + "\n") for l in data.decode().splitlines()).encode()
        ni = zipfile.ZipInfo(info.filename, date_time=(2030, 1, 2, 3, 4, 6))
        ni.external_attr = info.external_attr
        ni.compress_type = zipfile.ZIP_DEFLATED
        zo.writestr(ni, data)
`
		if out, err := exec.Command(python, "-c", script, orig, out, change).CombinedOutput(); err != nil {
			t.Fatalf("rezip: %v\n%s", err, out)
		}
		return out
	}
	for _, skip := range []bool{true, false} {
		j := job(srv, []string{rezip("")}, vars, &c)
		j.Target.SkipExisting = skip
		rep, err := run(context.Background(), j)
		if err != nil || rep.Files[0].Status != upload.StatusSkipped || rep.Files[0].Reason != index.ReasonRebuilt {
			t.Fatalf("skip_existing=%v: rebuilt wheel: %v %+v\n%s", skip, err, rep.Files, c.logs.String())
		}
	}
	j := job(srv, []string{rezip("tinyutil/__init__.py")}, vars, &c)
	j.Target.SkipExisting = true
	rep, err := run(context.Background(), j)
	var conflict *index.ConflictError
	if err == nil || !errors.As(rep.Files[0].Err, &conflict) || !strings.Contains(rep.Files[0].Error(), "tinyutil/__init__.py") || !strings.Contains(rep.Files[0].Error(), "bump the version") {
		t.Fatalf("changed member: %v %+v", err, rep.Files)
	}
	if n := len(srv.Files()); n != 1 {
		t.Errorf("index holds %d files", n)
	}
}

// TestTwoNewProjectsOneRelease: a release creating two projects by trusted
// publishing (a package and its CLI's binary wheels), each with a pending
// publisher. One mint creates one project; the second project's first
// upload is refused ("Non-user identities cannot create new projects"),
// and a second mint creates it.
func TestTwoNewProjectsOneRelease(t *testing.T) {
	a := pypitest.DefaultPublisher()
	a.Project, a.Pending = "tinyutil", true
	b := a
	b.Project = "richmeta"
	srv := pypitest.NewServer(t, pypitest.WithTrustedPublisher(a), pypitest.WithTrustedPublisher(b))
	files := []string{
		filepath.Join("..", "testdata", "good", "tinyutil-0.1.0-py3-none-any.whl"),
		filepath.Join("..", "testdata", "good", "richmeta-1.2.0-py3-none-any.whl"),
	}
	vars := map[string]string{}
	for _, kv := range srv.Issuer.GitHubEnv() {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	var c captured
	j := job(srv, files, vars, &c)
	j.Target.TrustedPublishing = config.TrustedPublishingAlways
	j.Target.Attestations.Mode = config.AttestationsNever
	rep, err := run(context.Background(), j)
	if err != nil {
		t.Fatalf("%v\n%s", err, c.logs.String())
	}
	if len(srv.Files()) != 2 || srv.Stats().Mints != 2 {
		t.Errorf("%d files, %d mints: %+v", len(srv.Files()), srv.Stats().Mints, rep.Files)
	}
}
