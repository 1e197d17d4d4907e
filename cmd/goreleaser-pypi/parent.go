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

// parentIsGoReleaser reads /proc/<ppid>/comm (and exe, for renamed binaries).
func parentIsGoReleaser(ppid int) bool {
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(ppid) + "/comm")
	if err == nil && strings.TrimSpace(string(comm)) == "goreleaser" {
		return true
	}
	exe, err := os.Readlink("/proc/" + strconv.Itoa(ppid) + "/exe")
	return err == nil && filepath.Base(exe) == "goreleaser"
}
