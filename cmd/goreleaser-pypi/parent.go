package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
)

// underGoReleaser reports whether this process runs as a GoReleaser custom
// publisher. GoReleaser captures a publisher's stdout and shows it only
// indented (with --verbose, or when the publisher fails), so the runner never
// reads a "::add-mask::" line printed there, while anyone reading the log
// would see the token in it: such a run must not print the mask line (it
// prints no token otherwise, so nothing needs masking).
//
// On Linux the parent process's name tells; elsewhere we fall back to the
// shape of GoReleaser's scrubbed environment (GITHUB_ACTIONS forwarded
// without the variables every GitHub job has). It is a variable so tests can
// pretend.
var underGoReleaser = func(getenv func(string) string) bool {
	if runtime.GOOS == "linux" {
		return parentIsGoReleaser(os.Getppid())
	}
	return oidc.ScrubbedGitHubActions(getenv)
}

// parentIsGoReleaser reports whether ppid, or one of its nearest
// ancestors, is goreleaser: a publisher cmd may wrap us in a shell
// ("sh -c 'goreleaser-pypi upload ...'"), whose parent is then goreleaser.
func parentIsGoReleaser(ppid int) bool {
	pid := ppid
	for range 3 {
		if pid <= 1 {
			return false
		}
		if isGoReleaser(pid) {
			return true
		}
		pid = parentOf(pid)
	}
	return false
}

// isGoReleaser reads /proc/<pid>/comm (and exe, for a renamed comm).
func isGoReleaser(pid int) bool {
	dir := "/proc/" + strconv.Itoa(pid)
	comm, err := os.ReadFile(dir + "/comm")
	if err == nil && strings.TrimSpace(string(comm)) == "goreleaser" {
		return true
	}
	exe, err := os.Readlink(dir + "/exe")
	return err == nil && filepath.Base(exe) == "goreleaser"
}

// parentOf reads the parent pid from /proc/<pid>/stat ("pid (comm) state ppid ...";
// comm may contain spaces and parentheses, so parse after the last ')').
func parentOf(pid int) int {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}
