package publisher

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/attest"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/ghactions"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/report"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/retry"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/upload"
)

// prepared is a target ready to upload: its URLs, its credential and the
// attestations of its files. Every target of a release is prepared before
// the first upload, so that anything that can fail without uploading
// (credentials, attestations: always) fails before anything is published.
type prepared struct {
	t            config.Target
	dists        []*dist.Distribution
	start        time.Time
	rep          *report.Target
	repo, index  *url.URL
	src          credential.Source // nil in a dry run
	attestations map[string]*attest.Result
	// up is the target's upload engine when the attestations step made it
	// (it read the index, and the upload reuses that listing).
	up *upload.Publisher
}

// prepareTarget resolves a target's URLs and credential. This is, with
// uploadTarget, the one place where a target's settings become the
// runtime packages' options. On error the report says why.
func prepareTarget(t config.Target, dists []*dist.Distribution, o Options) (*prepared, error) {
	p := &prepared{t: t, dists: dists, start: time.Now(),
		rep: &report.Target{Name: t.Name, RepositoryURL: t.RepositoryURL, DryRun: o.DryRun}}
	logger := o.Log
	// The URL rule comes first: a refused URL never sees a request.
	repo, rc, err := repositoryOf(t, o.Getenv)
	if err != nil {
		return p, err
	}
	if rc != nil {
		logPypirc(logger, rc)
	}
	p.repo, p.index = repo, endpoint.IndexURL(repo)
	p.rep.RepositoryURL, p.rep.IndexURL = repo.String(), p.index.String()

	// Credentials. A dry run never asks the source for a token: minting
	// spends a single-use identity token.
	copts := credentialOptions(t, repo, rc, o)
	copts.Log, copts.Stdout, copts.SkipMask = logger, o.Stdout, o.SkipMask
	src, credErr := oidc.NewSource(copts)
	switch {
	case credErr != nil && o.DryRun:
		p.rep.Credentials = "none"
		logger.WithError(credErr).Warn("no credentials found; a real run would fail with this error")
	case credErr != nil:
		return p, credErr
	default:
		p.rep.Credentials = DescribeCredentials(src, t.TokenEnv)
		if o.DryRun {
			if _, ok := src.(interface{ Provider() string }); ok {
				logger.WithField("credentials", p.rep.Credentials).Info("a real run would mint an upload token now (not in a dry run: each mint spends a single-use identity token)")
			}
		} else {
			p.src = src
		}
	}
	return p, nil
}

// fail ends a target that could not be prepared or uploaded: its report
// says why (unless the error was already printed), and GitHub shows it.
func (p *prepared) fail(o Options, err error) (*report.Target, error) {
	p.rep.Duration = time.Since(p.start)
	if !errors.Is(err, ErrReported) {
		p.rep.Err = err
	}
	GitHubOutputs(o, p.rep)
	return p.rep, err
}

// newUploader is the upload engine for a prepared target (its
// attestations are set before uploading: SetAttestations).
func newUploader(p *prepared, o Options) (*upload.Publisher, error) {
	t := p.t
	return upload.New(upload.Options{
		RepositoryURL:   p.repo.String(),
		CheckURL:        t.CheckURL,
		Credentials:     p.src,
		SkipExisting:    t.SkipExisting,
		Concurrency:     t.Concurrency,
		Retry:           retry.Policy{Attempts: t.Retry.Attempts, Delay: t.Retry.Delay, MaxDelay: t.Retry.MaxDelay},
		FailFast:        t.FailFast,
		DryRun:          o.DryRun,
		ResponseTimeout: t.Timeout,
		Log:             o.Log,
		Progress:        o.Progress,
		UserAgent:       o.UserAgent,
		Transport:       o.Transport,
	})
}

// uploadTarget uploads a prepared target's files and reports. It always
// returns the target's report.
func uploadTarget(ctx context.Context, p *prepared, o Options) (*report.Target, error) {
	t, logger := p.t, o.Log
	fields := map[string]string{}
	for name, r := range p.attestations {
		if r.Field != "" {
			fields[name] = r.Field
		}
	}
	up := p.up
	if up == nil {
		var err error
		if up, err = newUploader(p, o); err != nil {
			return p.fail(o, err)
		}
	}
	up.SetAttestations(fields)
	e := logger.WithField("repository", p.repo.String())
	if t.Name != "" {
		e = e.WithField("index", t.Name)
	}
	verb := "uploading"
	if o.DryRun {
		verb = "dry run: nothing will be uploaded"
	}
	e.Info(verb)
	logger.IncreasePadding()
	results, upErr := up.Upload(ctx, p.dists)
	logger.DecreasePadding()
	p.rep.SetFiles(results, p.index)
	for i := range p.rep.Files {
		p.rep.Files[i].Attestation = p.attestations[p.rep.Files[i].Filename]
	}
	logSummary(o, p.rep, p.start)
	p.rep.Duration = time.Since(p.start)
	GitHubOutputs(o, p.rep)
	// Every failed file was logged as it completed.
	return p.rep, Reported(upErr)
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
