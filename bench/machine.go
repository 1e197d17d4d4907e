package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// machine describes where the figures were measured.
type machine struct {
	CPU     string
	NProc   int
	Memory  string
	Kernel  string
	Go      string
	Twine   string
	Curl    string
	Commit  string
	Started string
	// Load is /proc/loadavg's 1-minute figure before and after the run: other
	// work on the machine competes with the contenders for its cores.
	LoadBefore, LoadAfter string
	Scratch               string
}

// loadAvg is the 1-minute load average.
func loadAvg() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0]
}

func describeMachine(ctx context.Context, t tools, moduleRoot string) machine {
	m := machine{
		CPU:    firstField("/proc/cpuinfo", "model name"),
		NProc:  runtime.NumCPU(),
		Kernel: strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		Go:     runtime.Version(),
		Curl:   firstLine(ctx, t.Curl, "--version"),
		Twine:  "not installed",
		Commit: "unknown",
	}
	if kb, err := strconv.ParseInt(strings.Fields(firstField("/proc/meminfo", "MemTotal") + " 0")[0], 10, 64); err == nil && kb > 0 {
		m.Memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	if t.Twine != "" {
		m.Twine = strings.Join(strings.Fields(runOut(ctx, "", t.Twine, "--version")), " ")
	}
	if c := strings.TrimSpace(runOut(ctx, moduleRoot, "git", "rev-parse", "--short", "HEAD")); c != "" {
		m.Commit = c
		if strings.TrimSpace(runOut(ctx, moduleRoot, "git", "status", "--porcelain", "--untracked-files=no")) != "" {
			m.Commit += " (with uncommitted changes)"
		}
	}
	return m
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// firstField returns the value of the first "key : value" line of a /proc file.
func firstField(path, key string) string {
	sc := bufio.NewScanner(strings.NewReader(readFile(path)))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func runOut(ctx context.Context, dir, name string, args ...string) string {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, _ := cmd.Output()
	return string(out)
}

func firstLine(ctx context.Context, name string, args ...string) string {
	line, _, _ := strings.Cut(runOut(ctx, "", name, args...), "\n")
	return strings.TrimSpace(line)
}
