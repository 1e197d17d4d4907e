package reliability

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// TestInterruption stops a run on a slow index with SIGINT or SIGTERM once
// the first file has landed: the process stops within 5 s, says what was
// and was not uploaded, exits non-zero, and a re-run with --skip-existing
// completes the release with every file stored exactly once. While the
// upload runs, the process's argv holds no secret and it has no child
// process.
func TestInterruption(t *testing.T) {
	cliBinary(t)
	for _, fe := range []frontEnd{viaUpload, viaPublish} {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(string(fe)+"/"+sig.String(), func(t *testing.T) {
				t.Parallel()
				interruptRun(t, fe, sig)
			})
		}
	}
}

func interruptRun(t *testing.T, fe frontEnd, sig syscall.Signal) {
	srv := pypitest.NewServer(t, pypitest.WithToken(apiToken))
	fx := newFixture(t)
	fx.addRelease(t, "stopdemo", "1.0.0", 3, true, 16<<10, 11)
	fx.addRelease(t, "stopdemo", "1.1.0", 3, true, 16<<10, 21)
	srv.Faults().Next(-1, pypitest.Fault{Delay: 1500 * time.Millisecond})
	cfg := settings(t, srv.RepositoryURL, "trusted_publishing: never")

	var args []string
	switch fe {
	case viaUpload:
		args = append([]string{"upload", "--config", cfg, "--json"}, fx.paths()...)
	case viaPublish:
		args = []string{"publish", "--dist", fx.writeArtifacts(t), "--config", cfg, "--json"}
	}
	var signalled time.Time
	res := runCLI(t, cliOpts{
		args: args,
		env:  []string{"PYPI_API_TOKEN=" + apiToken},
		started: func(pid int) {
			deadline := time.Now().Add(30 * time.Second)
			for len(srv.Files()) == 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			// The index has stored a file; its answer may still be on
			// its way to the CLI (a loaded CI machine took over 20 ms).
			// Give it 300 ms: every later upload is held 1.5 s by the
			// slow index, so some are still in flight afterwards.
			time.Sleep(300 * time.Millisecond)
			checkProcess(t, pid)
			signalled = time.Now()
			if err := syscall.Kill(pid, sig); err != nil {
				t.Errorf("signal: %v", err)
			}
		},
	})
	took := time.Since(signalled)
	if res.code == 0 {
		t.Fatalf("an interrupted run exited 0\n%s", res)
	}
	if took > 5*time.Second {
		t.Errorf("stopped %v after %s", took, sig)
	}
	scanSecrets(t, res.outputs(), srv, apiToken)
	rep := oneReport(t, res.stdout)
	// Requests the CLI abandoned were on their way: the index may still
	// store them once its delay ends. Wait for that, then hold the report
	// to the index: every file reported uploaded is there, every file
	// reported failed is not, except those interrupted in flight, which
	// must say so (their fate was unknown to the client).
	time.Sleep(2 * time.Second)
	inDoubt := 0
	uploaded := 0
	for _, f := range rep.Files {
		on, held := srv.File(f.Filename)
		switch f.Status {
		case "uploaded":
			uploaded++
			if !held || on.Digests.SHA256 != f.SHA256 {
				t.Errorf("%s reported uploaded, not on the index", f.Filename)
			}
		case "failed":
			if !strings.Contains(f.Error, "interrupt") {
				t.Errorf("%s failed without saying it was interrupted: %q", f.Filename, f.Error)
			}
			if strings.Contains(f.Error, "may or may not") {
				inDoubt++
			} else if held {
				t.Errorf("%s: reported failed (%q) and on the index", f.Filename, f.Error)
			}
		default:
			t.Errorf("%s: status %q", f.Filename, f.Status)
		}
	}
	if len(rep.Files) != len(fx.files) {
		t.Errorf("report lists %d of %d files", len(rep.Files), len(fx.files))
	}
	stored := len(srv.Files())
	if uploaded == 0 || stored == len(fx.files) {
		t.Errorf("%d of %d files stored (%d reported uploaded): the signal did not land mid-run", stored, len(fx.files), uploaded)
	}
	if stored > uploaded+inDoubt {
		t.Errorf("index holds %d files: %d reported uploaded, %d in doubt", stored, uploaded, inDoubt)
	}
	// The human output says what landed and what did not.
	for _, f := range rep.Files {
		want := "uploaded"
		if f.Status == "failed" {
			want = "failed"
		}
		found := false
		for _, l := range lines(res.stderr, f.Filename) {
			if strings.Contains(l, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("stderr does not say %s %s:\n%s", f.Filename, want, res.stderr)
		}
	}
	figure(t, "interrupt", "%s/%s: stopped %v after the signal, exit %d, %d reported uploaded, %d interrupted in flight, %d of %d on the index afterwards",
		fe, sig, took.Round(time.Millisecond), res.code, uploaded, inDoubt, stored, len(fx.files))

	// The re-run completes the release.
	srv.Faults().Clear()
	var again cliResult
	switch fe {
	case viaUpload:
		again = runCLI(t, cliOpts{args: append([]string{"upload", "--config", cfg, "--json", "--skip-existing"}, fx.paths()...), env: []string{"PYPI_API_TOKEN=" + apiToken}})
	case viaPublish:
		again = runCLI(t, cliOpts{args: []string{"publish", "--dist", fx.writeArtifacts(t), "--config", cfg, "--json", "--skip-existing"}, env: []string{"PYPI_API_TOKEN=" + apiToken}})
	}
	if again.code != 0 {
		t.Fatalf("re-run: %s", again)
	}
	rep2 := oneReport(t, again.stdout)
	if got := checkLedger(t, srv, fx, rep2); got != len(fx.files) {
		t.Errorf("after the re-run the index holds %d of %d files", got, len(fx.files))
	}
	if rep2.Summary.Skipped != stored || rep2.Summary.Uploaded != len(fx.files)-stored {
		t.Errorf("re-run summary %+v, %d were stored before", rep2.Summary, stored)
	}
	scanSecrets(t, again.outputs(), srv, apiToken)
}

// checkProcess inspects the running CLI: no secret in its argv, no child
// process.
func checkProcess(t *testing.T, pid int) {
	t.Helper()
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	argv := string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
	if !strings.Contains(argv, "--config") {
		t.Errorf("read the wrong process's argv: %q", argv)
	}
	scanSecrets(t, map[string]string{"argv": argv}, nil, apiToken)
	tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
	for _, f := range tasks {
		if b, _ := os.ReadFile(f); len(bytes.TrimSpace(b)) > 0 {
			t.Errorf("the CLI runs child processes: %s", b)
		}
	}
}
