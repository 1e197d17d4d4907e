// Package release publishes the Python distributions of one GoReleaser
// release to every enabled target of a settings file, in order (e.g.
// TestPyPI, then PyPI).
//
// Both front ends share it: `goreleaser-pypi publish --dist dist` (the
// artifacts come from dist/artifacts.json) and the GoReleaser publisher in
// package plugin (they come from the run's *context.Context). It imports
// nothing from GoReleaser.
//
// The promise is the project's: nothing is uploaded anywhere until every file
// of every target has been verified, every build id resolved, and every
// target's credentials can possibly be found. Targets then publish one after
// another, and the first failure stops the rest, so a broken TestPyPI upload
// never goes on to PyPI.
package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/caarlos0/log"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/plugin/artifacts"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/upload"
)

// Options for Publish.
type Options struct {
	// Config holds the targets (config.Default() when nil: PyPI).
	Config *config.File
	// Artifacts is the release's artifact list; only its wheels and sdists
	// are considered.
	Artifacts *artifacts.List
	// DryRun verifies and reads the indexes, and uploads nothing.
	DryRun bool
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
	// Log receives the human output (log.Log when nil).
	Log log.Interface
	// Stdout receives GitHub Actions workflow commands (os.Stdout when nil).
	Stdout io.Writer
	// Progress, when not nil (a terminal), shows progress for large files.
	Progress io.Writer
	// UserAgent is sent with every request ("" means the publisher's default).
	UserAgent string
	// SkipMask suppresses ::add-mask:: for minted tokens, for callers whose
	// stdout never reaches the runner (see publisher.Job.SkipMask).
	SkipMask bool
	// Run is the per-target pipeline (publisher.Run when nil); tests replace it.
	Run func(context.Context, publisher.Job) (*upload.Report, error)
}

// TargetResult is one target's outcome.
type TargetResult struct {
	Target string         `json:"target"`
	Report *upload.Report `json:"report"`
}

// Result is the outcome of Publish, in target order. Targets after a
// failed one are listed in NotAttempted.
type Result struct {
	Targets      []TargetResult `json:"targets"`
	NotAttempted []string       `json:"not_attempted,omitempty"`
}

// OK reports whether every target was attempted and succeeded.
func (r *Result) OK() bool {
	if r == nil || len(r.NotAttempted) > 0 {
		return false
	}
	for _, t := range r.Targets {
		if t.Report == nil || !t.Report.OK() {
			return false
		}
	}
	return true
}

// SkipError says there is nothing to do, and why: every target is
// disabled, or the release has no Python distributions. It mirrors
// GoReleaser's pipe.ErrSkip (which lives in an internal package): front ends
// log it as a skip, not a failure.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return e.Reason }

// IsSkip reports whether err is a SkipError.
func IsSkip(err error) bool {
	var s *SkipError
	return errors.As(err, &s)
}

// loggedError is a failure already printed in full through Options.Log.
type loggedError struct{ err error }

func (e *loggedError) Error() string { return e.err.Error() }
func (e *loggedError) Unwrap() error { return e.err }

// AlreadyLogged reports whether err was already printed in detail, so a
// front end only needs to exit non-zero.
func AlreadyLogged(err error) bool {
	var le *loggedError
	return errors.As(err, &le) || publisher.AlreadyLogged(err)
}

// plan is one target and the files it takes.
type plan struct {
	target config.Target
	arts   []artifacts.Artifact
	files  []string
	dists  []*dist.Distribution // verified, set by verify
}

// Publish publishes the release's Python distributions to every enabled
// target. It returns the per-target reports gathered so far, also on error.
func Publish(ctx context.Context, o Options) (*Result, error) {
	if o.Config == nil {
		o.Config = config.Default()
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Log == nil {
		o.Log = log.Log
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Run == nil {
		o.Run = publisher.Run
	}
	if o.Artifacts == nil {
		o.Artifacts = &artifacts.List{File: "the artifact list"}
	}
	res := &Result{}

	targets := o.Config.Enabled()
	if len(targets) == 0 {
		return res, &SkipError{Reason: fmt.Sprintf("every target in %s is disabled", describe(o.Config))}
	}
	if len(o.Artifacts.Python()) == 0 {
		return res, &SkipError{Reason: "the release has no Python distributions (GoReleaser artifact types \"Wheel\" and \"Source Dist\"; add a builder: uv or builder: poetry build)"}
	}

	// Everything that can be known before the first request, for every
	// target: build ids, credentials that cannot exist, file contents.
	var plans []plan
	var errs []string
	for _, t := range targets {
		arts, err := o.Artifacts.Select(t.IDs)
		if err != nil {
			errs = append(errs, fmt.Sprintf("target %q (%s): %v", t.Name, t.Source(), err))
			continue
		}
		p := plan{target: t, arts: arts}
		for _, a := range arts {
			p.files = append(p.files, a.Resolved)
		}
		plans = append(plans, p)
	}
	if err := o.Config.CheckEnv(o.Getenv); err != nil {
		if o.DryRun {
			// As for every credential problem in a dry run: say it, go on.
			o.Log.WithError(err).Warn("a real run would stop here")
		} else {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("nothing was published:\n%s", strings.Join(errs, "\n"))
	}
	if err := verify(plans, o.Log); err != nil {
		return res, err
	}

	for i, p := range plans {
		t := p.target
		entry := o.Log.WithField("target", t.Name).WithField("files", len(p.files))
		if len(plans) > 1 {
			entry = entry.WithField("step", fmt.Sprintf("%d/%d", i+1, len(plans)))
		}
		entry.Info("publishing")
		o.Log.IncreasePadding()
		rep, err := o.Run(ctx, publisher.Job{
			Files:     p.files,
			Target:    t.Publisher(),
			DryRun:    o.DryRun,
			Getenv:    o.Getenv,
			Log:       o.Log,
			Stdout:    o.Stdout,
			Progress:  o.Progress,
			UserAgent: o.UserAgent,
			SkipMask:  o.SkipMask,
			Verified:  p.dists,
		})
		o.Log.DecreasePadding()
		res.Targets = append(res.Targets, TargetResult{Target: t.Name, Report: rep})
		if err == nil && rep != nil && !rep.OK() {
			err = fmt.Errorf("the index reported failures")
		}
		if err != nil {
			for _, rest := range plans[i+1:] {
				res.NotAttempted = append(res.NotAttempted, rest.target.Name)
			}
			msg := fmt.Sprintf("target %q: %v", t.Name, err)
			if len(res.NotAttempted) > 0 {
				msg += fmt.Sprintf(" (not attempted, so that a failed %s never goes on to them: %s)", t.Name, strings.Join(res.NotAttempted, ", "))
			}
			if publisher.AlreadyLogged(err) {
				return res, &loggedError{errors.New(msg)}
			}
			return res, errors.New(msg)
		}
	}
	return res, nil
}

// verify checks every target's files with that target's limits, and each
// file against the checksum GoReleaser recorded for it, before any target
// uploads anything. Problems are logged one per line and returned as one
// loggedError.
func verify(plans []plan, logger log.Interface) error {
	seen := map[string]bool{}
	files := map[string]bool{}
	report := func(file, msg string) {
		if key := file + "\x00" + msg; !seen[key] {
			seen[key] = true
			files[file] = true
			logger.WithField("file", file).Error(msg)
		}
	}
	// Targets taking the same files under the same limit share one check:
	// every file is read and hashed once, however many targets there are.
	type result struct {
		dists    []*dist.Distribution
		problems []dist.Problem
	}
	checked := map[string]result{}
	for n := range plans {
		p := &plans[n]
		key := fmt.Sprint(strings.Join(p.files, "\x00"), "\x00", p.target.MaxFileSize)
		r, ok := checked[key]
		if !ok {
			r.dists, r.problems = dist.Check(p.files, dist.Options{MaxFileSize: int64(p.target.MaxFileSize)})
			checked[key] = r
		}
		dists, problems := r.dists, r.problems
		for _, pr := range problems {
			report(pr.File, pr.Message)
		}
		if len(problems) > 0 {
			continue
		}
		p.dists = dists
		for i, d := range dists {
			want, ok := p.arts[i].Checksum()
			if ok && !strings.EqualFold(want, d.Digests.SHA256) {
				report(d.Path, fmt.Sprintf("the file changed after GoReleaser built it: its sha256 is %s, GoReleaser recorded %s; re-run the release rather than publish files that differ from its checksums", d.Digests.SHA256, want))
			}
		}
	}
	if len(seen) == 0 {
		return nil
	}
	return &loggedError{fmt.Errorf("verification failed: %d problem(s) in %d file(s); nothing was published", len(seen), len(files))}
}

func describe(f *config.File) string {
	if f.Path == "" {
		return "the default configuration"
	}
	return f.Path
}
