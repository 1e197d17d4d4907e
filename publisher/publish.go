// Package publisher is the one pipeline every front end runs (the CLI's
// upload and publish commands, the GoReleaser plugin): validate the index
// URL, verify every distribution, obtain credentials, upload, report.
// It imports nothing from GoReleaser.
package publisher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/caarlos0/log"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/ghactions"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/upload"
)

// Target is where and how to publish.
type Target struct {
	// Name labels the target in logs ("pypi", "testpypi"); optional.
	Name string
	// RepositoryURL is the upload endpoint; "" means PyPI
	// (https://upload.pypi.org/legacy/).
	RepositoryURL string
	// Audience overrides the trusted publishing audience ("" discovers it).
	Audience string
	// TrustedPublishing is auto (default), always or never.
	TrustedPublishing oidc.Mode
	// TokenEnv is the variable holding an API token ("" means PYPI_API_TOKEN).
	TokenEnv string
	// CheckURL is a simple index used to find files already uploaded.
	CheckURL string
	// SkipExisting skips files already on the index with the same sha256.
	SkipExisting bool
	// Concurrency bounds the uploads in flight (0 means 4).
	Concurrency int
	// Retry bounds retries of transient failures (zero fields: defaults).
	Retry upload.RetryPolicy
	// FailFast starts no upload after the first failure.
	FailFast bool
	// MaxFileSize is the per-file limit checked before uploading (0 means PyPI's 100 MiB).
	MaxFileSize int64
	// Timeout bounds the wait for the index's answer to one upload attempt
	// once the file is sent (0 means upload.DefaultResponseTimeout).
	Timeout time.Duration
}

// Job is one run of the pipeline.
type Job struct {
	// Files are the wheels and sdists to publish, as paths.
	Files  []string
	Target Target
	// DryRun verifies, resolves credentials without minting, reads the index
	// and reports what would be uploaded; nothing is sent.
	DryRun bool
	// Getenv reads the environment (nil means os.Getenv). Front ends with
	// a synthetic or scrubbed environment pass their own.
	Getenv func(string) string
	// Log receives the human output (nil means log.Log). Never a secret.
	Log log.Interface
	// Stdout receives GitHub Actions workflow commands (::add-mask::,
	// ::error::) and the hashes (PrintHash). The runner reads workflow
	// commands from stdout and stderr alike, so a front end that prints
	// JSON on stdout passes stderr here. Nil means os.Stdout.
	Stdout io.Writer

	// PrintHash prints each file's sha256, md5 and blake2_256 before uploading.
	PrintHash bool
	// Progress, when not nil (a terminal), shows a progress line for large files.
	Progress io.Writer
	// SkipMask suppresses ::add-mask:: for a minted token (and the ::error::
	// annotations), for callers whose stdout never reaches the runner (see
	// oidc.Options.SkipMask).
	SkipMask bool
	// UserAgent is sent with every request ("" means goreleaser-pypi).
	UserAgent string
	// Transport replaces the HTTP transport of uploads and index reads (tests).
	Transport http.RoundTripper

	// Verified, when the caller has already run dist.Check on Files without
	// a problem, holds its distributions (same order), so that the files are
	// not read and hashed a second time. Ignored unless it matches Files.
	Verified []*dist.Distribution
}

// verifiedAlready reports whether job.Verified stands for job.Files, with
// the md5 digests --print-hash shows.
func verifiedAlready(job Job) bool {
	if len(job.Verified) == 0 || len(job.Verified) != len(job.Files) {
		return false
	}
	for i, d := range job.Verified {
		if d == nil || d.Path != job.Files[i] || (job.PrintHash && d.Digests.MD5 == "") {
			return false
		}
	}
	return true
}

// loggedError is a failure Run has already printed in full (verification
// problems, per-file upload failures); front ends need not print it again.
type loggedError struct{ err error }

func (e *loggedError) Error() string { return e.err.Error() }
func (e *loggedError) Unwrap() error { return e.err }

// AlreadyLogged reports whether Run has already printed err in detail
// through Job.Log, so that a front end only needs to exit non-zero.
func AlreadyLogged(err error) bool {
	var le *loggedError
	return errors.As(err, &le)
}

// Run verifies every file, obtains credentials and uploads. It always
// returns a report (also on failure, for --json and step summaries). Any
// verification problem uploads nothing. The error is nil only when every
// file was uploaded or skipped (or, in a dry run, would be uploaded).
func Run(ctx context.Context, job Job) (*upload.Report, error) {
	start := time.Now()
	if job.Getenv == nil {
		job.Getenv = os.Getenv
	}
	if job.Log == nil {
		job.Log = log.Log
	}
	if job.Stdout == nil {
		job.Stdout = os.Stdout
	}
	t := job.Target
	if t.RepositoryURL == "" {
		t.RepositoryURL = upload.DefaultRepositoryURL
	}
	rep := &upload.Report{RepositoryURL: t.RepositoryURL, DryRun: job.DryRun}
	r := &run{job: job, target: t, rep: rep, start: start}
	err := r.run(ctx)
	rep.Duration = time.Since(start)
	if err != nil && rep.Error == "" && !AlreadyLogged(err) {
		rep.Error = err.Error()
	}
	r.githubActions()
	return rep, err
}

type run struct {
	job    Job
	target Target
	rep    *upload.Report
	start  time.Time
}

func (r *run) run(ctx context.Context) error {
	t, job, logger := r.target, r.job, r.job.Log

	// 1. The URL rule comes first: a refused URL never sees a request.
	repo, err := upload.ParseIndexURL(t.RepositoryURL)
	if err != nil {
		return err
	}
	r.rep.RepositoryURL = repo.String()
	r.rep.IndexURL = upload.IndexURL(repo).String()
	if t.CheckURL != "" {
		if _, err := upload.ParseIndexURL(t.CheckURL); err != nil {
			return fmt.Errorf("check URL: %w", err)
		}
	}
	if len(job.Files) == 0 {
		return errors.New("no files to upload: pass the wheels and sdists to publish (e.g. dist/*.whl dist/*.tar.gz)")
	}

	// 2. Verify everything before uploading anything.
	dists, problems := job.Verified, []dist.Problem(nil)
	if !verifiedAlready(job) {
		dists, problems = dist.Check(job.Files, dist.Options{MaxFileSize: t.MaxFileSize, MD5: job.PrintHash})
	}
	if len(problems) > 0 {
		r.rep.Problems = problems
		files := map[string]bool{}
		for _, p := range problems {
			files[p.File] = true
			logger.WithField("file", p.File).Error(p.Message)
		}
		err := fmt.Errorf("verification failed: %d problem(s) in %d file(s); nothing was uploaded", len(problems), len(files))
		logger.Error(err.Error())
		return &loggedError{err}
	}
	var total int64
	for _, d := range dists {
		total += d.Size
	}
	logger.WithField("files", len(dists)).WithField("size", upload.HumanSize(total)).Info("verified")
	if job.PrintHash {
		upload.WriteHashes(job.Stdout, dists)
	}

	// 3. Credentials. A dry run never asks the source for a token: minting
	// spends a single-use identity token.
	oopts := oidc.Options{
		RepositoryURL: repo.String(),
		Mode:          t.TrustedPublishing,
		Audience:      t.Audience,
		TokenEnv:      t.TokenEnv,
		Getenv:        job.Getenv,
		Log:           logger,
		Stdout:        job.Stdout,
		SkipMask:      job.SkipMask,
	}
	src, credErr := oidc.NewSource(oopts)
	switch {
	case credErr != nil && job.DryRun:
		r.rep.Credentials = "none"
		logger.WithError(credErr).Warn("no credentials found; a real run would fail with this error")
		src = nil
	case credErr != nil:
		return credErr
	default:
		r.rep.Credentials = describe(src, t.TokenEnv)
		if job.DryRun {
			if _, ok := src.(interface{ Provider() string }); ok {
				logger.WithField("credentials", r.rep.Credentials).Info("a real run would mint an upload token now (not in a dry run: each mint spends a single-use identity token)")
			}
			src = nil
		}
	}

	// 4. Upload.
	p, err := upload.New(upload.Options{
		RepositoryURL:   repo.String(),
		CheckURL:        t.CheckURL,
		Credentials:     src,
		SkipExisting:    t.SkipExisting,
		Concurrency:     t.Concurrency,
		Retry:           t.Retry,
		FailFast:        t.FailFast,
		DryRun:          job.DryRun,
		ResponseTimeout: t.Timeout,
		Log:             logger,
		Progress:        job.Progress,
		UserAgent:       job.UserAgent,
		Transport:       job.Transport,
	})
	if err != nil {
		return err
	}
	e := logger.WithField("repository", repo.String())
	if t.Name != "" {
		e = e.WithField("index", t.Name)
	}
	verb := "uploading"
	if job.DryRun {
		verb = "dry run: nothing will be uploaded"
	}
	e.Info(verb)
	logger.IncreasePadding()
	rep, upErr := p.Upload(ctx, dists)
	logger.DecreasePadding()
	rep.Credentials = r.rep.Credentials
	*r.rep = *rep
	r.summary()
	if upErr != nil {
		return &loggedError{upErr}
	}
	return nil
}

// describe says where the token comes from, never what it is.
func describe(src any, tokenEnv string) string {
	if p, ok := src.(interface{ Provider() string }); ok {
		return "trusted publishing (" + p.Provider() + ")"
	}
	if tokenEnv == "" {
		tokenEnv = oidc.DefaultTokenEnv
	}
	return "API token from " + tokenEnv
}

// summary logs the totals and where to see the releases.
func (r *run) summary() {
	s := r.rep.Summary()
	e := r.job.Log.WithField("uploaded", s.Uploaded).WithField("skipped", s.Skipped).WithField("failed", s.Failed)
	if r.rep.DryRun {
		e = e.WithField("would_upload", s.WouldUpload)
	}
	e = e.WithField("took", time.Since(r.start).Round(10*time.Millisecond))
	if s.Failed > 0 {
		e.Error("some files were not published")
	} else {
		e.Info("done")
	}
	if r.rep.DryRun {
		return
	}
	for _, rel := range r.rep.Releases {
		for _, f := range r.rep.Files {
			if f.Name == rel.Name && f.Version == rel.Version && f.Status.OK() {
				r.job.Log.WithField("url", rel.URL).Infof("%s %s", rel.Name, rel.Version)
				break
			}
		}
	}
}

// githubActions annotates failures and appends the step summary when
// running in a GitHub Actions job.
func (r *run) githubActions() {
	env := ghactions.Env(r.job.Getenv)
	if !env.Enabled() {
		return
	}
	// Annotations are workflow commands: where stdout never reaches the
	// runner (SkipMask: a GoReleaser custom publisher) they would only be
	// noise in GoReleaser's log. The step summary is a file and still works.
	if !r.job.SkipMask {
		for _, a := range r.rep.Annotations() {
			a.Write(r.job.Stdout)
		}
	}
	if err := env.AppendStepSummary(r.rep.Markdown()); err != nil {
		r.job.Log.WithError(err).Warn("could not write the GitHub step summary")
	}
}
