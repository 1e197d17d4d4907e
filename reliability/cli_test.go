package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The end-to-end tests run the real binary, built once, as a subprocess
// with an environment they control completely: nothing of the developer's
// or CI runner's environment (GITHUB_ACTIONS, tokens...) leaks in.

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// cliBinary builds cmd/goreleaser-pypi once per test process (lazily, so fuzz
// workers never build it) and returns its path.
func cliBinary(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "reliability-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "goreleaser-pypi")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/goreleaser-pypi")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build ./cmd/goreleaser-pypi: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		tb.Fatal(binErr)
	}
	return binPath
}

// cliOpts describe one run of the binary.
type cliOpts struct {
	args []string
	env  []string // on top of PATH, HOME and TMPDIR
	dir  string   // working directory ("" = a fresh temporary one)
	// timeout kills the process (default 60 s): a hang fails the test
	// instead of the whole suite.
	timeout time.Duration
	// started, when set, runs with the CLI's pid once it is running
	// (signals, /proc inspection); the run waits for it to return.
	started func(pid int)
}

// cliResult is what a run printed and cost.
type cliResult struct {
	code           int
	stdout, stderr string
	took           time.Duration
	maxRSSKiB      int64 // peak resident set size of the process
	killed         bool  // the timeout killed it
}

// outputs names what the run printed, for secrets.Scan.
func (r cliResult) outputs() map[string]string {
	return map[string]string{"stdout": r.stdout, "stderr": r.stderr}
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d after %v (peak RSS %d KiB)\n--- stdout\n%s\n--- stderr\n%s", r.code, r.took.Round(time.Millisecond), r.maxRSSKiB, r.stdout, r.stderr)
}

// baseEnv is the minimal environment of every run.
func baseEnv(tb testing.TB) []string {
	home := filepath.Join(tempDir(tb), "home")
	_ = os.MkdirAll(home, 0o755)
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + os.TempDir(), "LANG=C.UTF-8"}
}

// tempDir is t.TempDir for testing.TB.
func tempDir(tb testing.TB) string {
	tb.Helper()
	return tb.TempDir()
}

// gnuTime is GNU time, which measures the peak RSS of the CLI exactly.
// The rusage of a child of the test process itself cannot: Go starts
// children with vfork, and Linux carries the parent's (the test process's,
// hundreds of MiB here) high-water mark into the child's ru_maxrss at exec.
const gnuTime = "/usr/bin/time"

// runCLI runs the binary and waits for it. The peak RSS comes from GNU
// time when installed, else from polling the process's VmHWM.
func runCLI(t testing.TB, o cliOpts) cliResult {
	t.Helper()
	if o.timeout == 0 {
		o.timeout = 60 * time.Second
	}
	if o.dir == "" {
		o.dir = tempDir(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	rssFile := filepath.Join(tempDir(t), "rss")
	_, err := os.Stat(gnuTime)
	timed := err == nil
	var cmd *exec.Cmd
	if timed {
		cmd = exec.CommandContext(ctx, gnuTime, append([]string{"-f", "%M", "-o", rssFile, cliBinary(t)}, o.args...)...)
	} else {
		cmd = exec.CommandContext(ctx, cliBinary(t), o.args...)
	}
	cmd.Dir = o.dir
	cmd.Env = append(baseEnv(t), o.env...)
	// On timeout, kill GNU time and the CLI alike (their own group).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Errorf("starting the CLI: %v", err) // not Fatal: runCLI may run in a goroutine
		return cliResult{code: -1}
	}
	pid := cmd.Process.Pid
	if timed {
		pid = childOf(pid)
	}
	var hwm atomic.Int64
	pollDone := make(chan struct{})
	stopPoll := make(chan struct{})
	go func() {
		defer close(pollDone)
		if timed {
			return
		}
		for {
			if v := vmHWM(pid); v > hwm.Load() {
				hwm.Store(v)
			}
			select {
			case <-stopPoll:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	if o.started != nil && pid > 0 {
		o.started(pid)
	}
	err = cmd.Wait()
	close(stopPoll)
	<-pollDone
	res := cliResult{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start), maxRSSKiB: hwm.Load()}
	if cmd.ProcessState != nil {
		res.code = cmd.ProcessState.ExitCode()
	}
	if timed {
		res.maxRSSKiB = timedRSS(rssFile)
		// GNU time's own line when the command fails.
		res.stderr = dropTimeNote(res.stderr)
	}
	if ctx.Err() != nil {
		res.killed = true
		t.Errorf("killed after %v: %v\n%s", o.timeout, err, res)
	}
	return res
}

// childOf waits (briefly) for the first child of pid to appear: the CLI
// that GNU time started.
func childOf(pid int) int {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
		for _, f := range tasks {
			if b, _ := os.ReadFile(f); len(bytes.TrimSpace(b)) > 0 {
				if c, err := strconv.Atoi(strings.Fields(string(b))[0]); err == nil {
					return c
				}
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0
}

// vmHWM is the peak RSS of a running process in KiB (0 when gone).
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// timedRSS reads GNU time's -f %M output (its last line).
func timedRSS(file string) int64 {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	ls := strings.Fields(string(b))
	if len(ls) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(ls[len(ls)-1], 10, 64)
	return n
}

func dropTimeNote(s string) string {
	var keep []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if strings.HasPrefix(l, "Command exited with non-zero status") || strings.HasPrefix(l, "Command terminated by signal") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "")
}

// report is the JSON report (schema_version 1) of one target.
type report struct {
	SchemaVersion int    `json:"schema_version"`
	OK            bool   `json:"ok"`
	RepositoryURL string `json:"repository_url"`
	Credentials   string `json:"credentials"`
	Error         string `json:"error"`
	Summary       struct {
		Uploaded    int `json:"uploaded"`
		Skipped     int `json:"skipped"`
		Failed      int `json:"failed"`
		WouldUpload int `json:"would_upload"`
	} `json:"summary"`
	Files []struct {
		File     string `json:"file"`
		Filename string `json:"filename"`
		Status   string `json:"status"`
		Reason   string `json:"reason"`
		SHA256   string `json:"sha256"`
		Attempts int    `json:"attempts"`
		Error    string `json:"error"`
	} `json:"files"`
	Problems []struct {
		File, Rule, Message string
	} `json:"problems"`
}

// parseReports reads the --json output of upload (one report) or of
// publish and upload --config ({"targets": [{"target", "report"}]}).
func parseReports(t testing.TB, stdout string) []report {
	t.Helper()
	var probe map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &probe); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
	}
	if raw, ok := probe["targets"]; ok {
		var targets []struct {
			Target string  `json:"target"`
			Report *report `json:"report"`
		}
		if err := json.Unmarshal(raw, &targets); err != nil {
			t.Fatalf("targets: %v", err)
		}
		var out []report
		for _, tr := range targets {
			if tr.Report != nil {
				out = append(out, *tr.Report)
			}
		}
		return out
	}
	var r report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("report: %v", err)
	}
	return []report{r}
}

// oneReport is parseReports for a single target.
func oneReport(t testing.TB, stdout string) report {
	t.Helper()
	rs := parseReports(t, stdout)
	if len(rs) != 1 {
		t.Fatalf("%d reports, want 1:\n%s", len(rs), stdout)
	}
	return rs[0]
}

// writeFile writes a file under dir and returns its path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// lines are the lines of s containing sub.
func lines(s, sub string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}
