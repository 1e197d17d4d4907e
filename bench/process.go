package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// measurement is one contender's run: wall time from process start to exit,
// and peak resident set size.
type measurement struct {
	Wall   time.Duration
	MaxRSS int64 // bytes
}

// add combines measurements of processes run one after another (for example
// twine check then twine upload): times add up, the peak is the larger one.
func (m measurement) add(o measurement) measurement {
	return measurement{Wall: m.Wall + o.Wall, MaxRSS: max(m.MaxRSS, o.MaxRSS)}
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

// run starts the process, waits for it and measures it. The wall time covers
// fork/exec to exit, the whole-process time a user waits for. Peak RSS is the
// kernel's ru_maxrss for the process (wait4), which for a single process is
// exactly /usr/bin/time -v's "Maximum resident set size".
func (p process) run(ctx context.Context) (measurement, processOutput, error) {
	cmd := exec.CommandContext(ctx, p.Path, p.Args...)
	cmd.Env = p.Env
	cmd.Dir = p.Dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	out := processOutput{Stdout: stdout.String(), Stderr: stderr.String()}
	if cmd.ProcessState == nil {
		return measurement{}, out, fmt.Errorf("%s: %w", p.Path, err)
	}
	m := measurement{Wall: wall}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.MaxRSS = ru.Maxrss * 1024 // Linux reports KiB
	}
	if err != nil {
		return m, out, fmt.Errorf("%s exited with %v; stderr:\n%s", p, err, tail(out.Stderr+out.Stdout, 2000))
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
