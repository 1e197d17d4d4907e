// Command goreleaser-pypi publishes Python distributions built by GoReleaser
// to PyPI, TestPyPI or any PyPI-compatible index.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/caarlos0/log"
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=..." (the
// project's release builds do). Without it, the binary reports the version
// the Go toolchain recorded (buildVersion).
var version = "dev"

// buildVersion returns the version to report: the one set by -ldflags;
// else the main module's version from the build info, which `go install
// github.com/goreleaser-pypi/goreleaser-pypi/cmd/goreleaser-pypi@v1.2.3`
// records as "v1.2.3" (and a build in a git checkout as a pseudo-version);
// else "dev". The build info's "(devel)" means no version is known.
func buildVersion(ldflags string, info *debug.BuildInfo) string {
	if ldflags != "" && ldflags != "dev" {
		return ldflags
	}
	if info != nil && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

// app is what every subcommand gets: its streams, its environment and a
// context cancelled on SIGINT/SIGTERM. Commands read the environment only
// through getenv so tests can run them in-process with a synthetic one.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	log            *log.Logger
}

// commands is filled by each subcommand file's init, so the files stay independent.
var commands []func(*app) *cobra.Command

func register(f func(*app) *cobra.Command) { commands = append(commands, f) }

// exitError carries a specific exit status. Errors without one exit 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad flags or arguments: exit status 2.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// silentFailure is returned by a command that has already reported its
// failure (for example per-file results): exit 1 without printing more.
var silentFailure = &exitError{code: 1, err: errors.New("")}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes the CLI and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv, log: newLogger(stderr, getenv)}
	info, _ := debug.ReadBuildInfo()
	root := &cobra.Command{
		Use:   "goreleaser-pypi",
		Short: "Publish Python distributions built by GoReleaser to PyPI",
		Long: "goreleaser-pypi verifies Python wheels and sdists, obtains credentials " +
			"(trusted publishing or an API token) and uploads them to PyPI, TestPyPI " +
			"or any PyPI-compatible index.",
		Version:       buildVersion(version, info),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: 2, err: err}
	})
	for _, f := range commands {
		root.AddCommand(f(a))
	}
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	} else if isCobraUsageError(err) {
		code = 2
	}
	if msg := err.Error(); msg != "" {
		a.log.WithError(err).Error("goreleaser-pypi failed")
	}
	return code
}

// isCobraUsageError recognises cobra's own argument errors (unknown command...).
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument", "flag needs an argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
