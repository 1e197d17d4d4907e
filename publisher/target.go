package publisher

import (
	"context"
	"errors"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/ghactions"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/report"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/retry"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/upload"
)

// runTarget publishes verified distributions to one target: credentials,
// upload, report. It always returns the target's report. This is the one
// place where a target's settings become the runtime packages' options.
func runTarget(ctx context.Context, t config.Target, dists []*dist.Distribution, o Options) (*report.Target, error) {
	start := time.Now()
	rep := &report.Target{Name: t.Name, RepositoryURL: t.RepositoryURL, DryRun: o.DryRun}
	err := runTargetSteps(ctx, t, dists, o, rep, start)
	rep.Duration = time.Since(start)
	if err != nil && !errors.Is(err, ErrReported) {
		rep.Err = err
	}
	GitHubOutputs(o, rep)
	return rep, err
}

func runTargetSteps(ctx context.Context, t config.Target, dists []*dist.Distribution, o Options, rep *report.Target, start time.Time) error {
	logger := o.Log
	// The URL rule comes first: a refused URL never sees a request.
	repo, rc, err := repositoryOf(t, o.Getenv)
	if err != nil {
		return err
	}
	if rc != nil {
		logPypirc(logger, rc)
	}
	index := endpoint.IndexURL(repo)
	rep.RepositoryURL, rep.IndexURL = repo.String(), index.String()

	// Credentials. A dry run never asks the source for a token: minting
	// spends a single-use identity token.
	copts := credentialOptions(t, repo, rc, o)
	copts.Log, copts.Stdout, copts.SkipMask = logger, o.Stdout, o.SkipMask
	src, credErr := oidc.NewSource(copts)
	switch {
	case credErr != nil && o.DryRun:
		rep.Credentials = "none"
		logger.WithError(credErr).Warn("no credentials found; a real run would fail with this error")
		src = nil
	case credErr != nil:
		return credErr
	default:
		rep.Credentials = DescribeCredentials(src, t.TokenEnv)
		if o.DryRun {
			if _, ok := src.(interface{ Provider() string }); ok {
				logger.WithField("credentials", rep.Credentials).Info("a real run would mint an upload token now (not in a dry run: each mint spends a single-use identity token)")
			}
			src = nil
		}
	}
	p, err := upload.New(upload.Options{
		RepositoryURL:   repo.String(),
		CheckURL:        t.CheckURL,
		Credentials:     src,
		SkipExisting:    t.SkipExisting,
		Concurrency:     t.Concurrency,
		Retry:           retry.Policy{Attempts: t.Retry.Attempts, Delay: t.Retry.Delay, MaxDelay: t.Retry.MaxDelay},
		FailFast:        t.FailFast,
		DryRun:          o.DryRun,
		ResponseTimeout: t.Timeout,
		Log:             logger,
		Progress:        o.Progress,
		UserAgent:       o.UserAgent,
		Transport:       o.Transport,
	})
	if err != nil {
		return err
	}
	e := logger.WithField("repository", repo.String())
	if t.Name != "" {
		e = e.WithField("index", t.Name)
	}
	verb := "uploading"
	if o.DryRun {
		verb = "dry run: nothing will be uploaded"
	}
	e.Info(verb)
	logger.IncreasePadding()
	results, upErr := p.Upload(ctx, dists)
	logger.DecreasePadding()
	rep.SetFiles(results, index)
	logSummary(o, rep, start)
	// Every failed file was logged as it completed.
	return Reported(upErr)
}

// DescribeCredentials says where a source's token comes from, never what it is.
func DescribeCredentials(src any, tokenEnv string) string {
	if p, ok := src.(interface{ Provider() string }); ok {
		return "trusted publishing (" + p.Provider() + ")"
	}
	if d, ok := src.(interface{ Describe() string }); ok {
		return d.Describe()
	}
	if tokenEnv == "" {
		tokenEnv = config.DefaultTokenEnv
	}
	return "API token from " + tokenEnv
}

// logSummary logs the totals and where to see the releases.
func logSummary(o Options, rep *report.Target, start time.Time) {
	s := rep.Summary()
	e := o.Log.WithField("uploaded", s.Uploaded).WithField("skipped", s.Skipped).WithField("failed", s.Failed)
	if rep.DryRun {
		e = e.WithField("would_upload", s.WouldUpload)
	}
	e = e.WithField("took", time.Since(start).Round(10*time.Millisecond))
	if s.Failed > 0 {
		e.Error("some files were not published")
	} else {
		e.Info("done")
	}
	if rep.DryRun {
		return
	}
	for _, rel := range rep.Releases {
		for _, f := range rep.Files {
			if f.Name == rel.Name && f.Version == rel.Version && f.Status.OK() {
				o.Log.WithField("url", rel.URL).Infof("%s %s", rel.Name, rel.Version)
				break
			}
		}
	}
}

// GitHubOutputs annotates a report's failures and appends it to the step
// summary when running in a GitHub Actions job. Publish calls it for every
// target; a front end reporting a failure that stopped the release before
// any target calls it too.
func GitHubOutputs(o Options, rep *report.Target) {
	o.defaults()
	env := ghactions.Env(o.Getenv)
	if !env.Enabled() {
		return
	}
	// Annotations are workflow commands: where stdout never reaches the
	// runner (SkipMask: a GoReleaser custom publisher) they would only be
	// noise in GoReleaser's log. The step summary is a file and still works.
	if !o.SkipMask {
		for _, a := range rep.Annotations() {
			a.Write(o.Stdout)
		}
	}
	if err := env.AppendStepSummary(rep.Markdown()); err != nil {
		o.Log.WithError(err).Warn("could not write the GitHub step summary")
	}
}
