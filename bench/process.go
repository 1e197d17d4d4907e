package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// measurement is one contender's run: wall time from process start to exit,
// and peak resident set size.
type measurement struct {
	Wall   time.Duration
	MaxRSS int64 // bytes
	// CPU is the contender's user + system time.
	CPU time.Duration
	// IndexCPU is the CPU time the in-process index spent during the run
	// (the harness's own share is negligible: it only waits), with the WAN
	// profile's proxy when there is one.
	IndexCPU time.Duration
	// WAN is what the run did on the emulated path (B5–B7 only).
	WAN wanStats
}

// add combines measurements of processes run one after another (for example
// twine check then twine upload): times add up, the peak is the larger one.
func (m measurement) add(o measurement) measurement {
	return measurement{Wall: m.Wall + o.Wall, MaxRSS: max(m.MaxRSS, o.MaxRSS), CPU: m.CPU + o.CPU, IndexCPU: m.IndexCPU + o.IndexCPU, WAN: m.WAN.add(o.WAN)}
}

// process is one command line to measure.
type process struct {
	Path string
	Args []string
	Env  []string // the complete environment; nothing is inherited
	Dir  string
}

func (p process) String() string { return strings.Join(append([]string{p.Path}, p.Args...), " ") }

// processOutput is what a measured process printed.
type processOutput struct {
	Stdout, Stderr string
}

// timeCmd is GNU time, which measures each contender's peak RSS.
const timeCmd = "/usr/bin/time"

// run starts the process, waits for it and measures it. The wall time covers
// fork/exec to exit, the whole-process time a user waits for.
//
// Peak RSS comes from GNU time (%M, "Maximum resident set size" of -v), not
// from this process's own wait4: a child that Go starts with
// clone(CLONE_VM|CLONE_VFORK) inherits the bench process's RSS high-water
// mark at exec, so ru_maxrss would report at least the harness's own RSS —
// measured here: a /bin/true "using" 254 MiB after the harness grew by
// 250 MiB. GNU time forks from a 1 MiB process, so its child's figure is the
// contender's own (plus at most that 1 MiB).
func (p process) run(ctx context.Context) (measurement, processOutput, error) {
	rss, err := os.CreateTemp("", "bench-rss-")
	if err != nil {
		return measurement{}, processOutput{}, err
	}
	rss.Close()
	defer os.Remove(rss.Name())
	args := append([]string{"-f", "%M %U %S", "-o", rss.Name(), p.Path}, p.Args...)
	cmd := exec.CommandContext(ctx, timeCmd, args...)
	cmd.Env = p.Env
	cmd.Dir = p.Dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	out := processOutput{Stdout: stdout.String(), Stderr: stderr.String()}
	if cmd.ProcessState == nil {
		return measurement{}, out, fmt.Errorf("%s: %w", timeCmd, err)
	}
	m := measurement{Wall: wall}
	// The last line is "%M %U %S" (GNU time may put a "Command exited
	// with non-zero status" line before it).
	report, _ := os.ReadFile(rss.Name())
	lines := strings.Split(strings.TrimSpace(string(report)), "\n")
	if f := strings.Fields(lines[len(lines)-1]); len(f) == 3 {
		kib, err1 := strconv.ParseInt(f[0], 10, 64)
		user, err2 := strconv.ParseFloat(f[1], 64)
		sys, err3 := strconv.ParseFloat(f[2], 64)
		if err1 == nil && err2 == nil && err3 == nil {
			m.MaxRSS = kib * 1024
			m.CPU = time.Duration((user + sys) * float64(time.Second))
		}
	}
	if err != nil {
		return m, out, fmt.Errorf("%s exited with %v; output:\n%s", p, err, tail(out.Stderr+out.Stdout, 2000))
	}
	if m.MaxRSS == 0 {
		return m, out, fmt.Errorf("%s: no peak RSS from %s (%q)", p, timeCmd, report)
	}
	return m, out, nil
}

// tail keeps the last n bytes of s, which is where a failing tool says why.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
