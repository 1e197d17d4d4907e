// Package publisher is the one pipeline every front end runs (the CLI's
// upload and publish commands, the GoReleaser plugin):
//
//	verify → credentials → upload → report
//
// Publish takes a release's artifacts and the settings' targets. It selects
// each target's files by build id, checks what can be known before the first
// request (URLs, credentials that cannot exist), verifies every file once
// (package dist: the result, []*dist.Distribution, is the input of every
// upload), then publishes to the targets in order: for each, it obtains
// credentials (package oidc: an API token or trusted publishing), uploads
// (package upload) and reports (package report). The first failed target
// stops the ones after it, so a broken TestPyPI upload never goes on to PyPI.
//
// It imports nothing from GoReleaser.
package publisher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/log"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/goreleaser"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/bytesize"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/report"
)

// Options are how a front end runs the pipeline; what to publish where is
// in the settings (config.File) and the artifact list.
type Options struct {
	// DryRun verifies, resolves credentials without minting, reads the
	// indexes and reports what would be uploaded; nothing is sent.
	DryRun bool
	// PrintHash prints each file's sha256, md5 and blake2_256 once verified.
	PrintHash bool
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
	// Progress, when not nil (a terminal), shows progress for large files.
	Progress io.Writer
	// SkipMask suppresses ::add-mask:: for a minted token and the ::error::
	// annotations, for callers whose stdout never reaches the runner (a
	// GoReleaser custom publisher; see oidc.Options.SkipMask).
	SkipMask bool
	// UserAgent is sent with every request ("" means goreleaser-pypi).
	UserAgent string
	// Transport replaces the HTTP transport of uploads and index reads (tests).
	Transport http.RoundTripper
	// Tag and TagVersion are the GoReleaser release's tag ("v1.2.3-rc.1")
	// and version ("1.2.3-rc.1"). With TagVersion set and the settings'
	// check_version on, every file's version must equal it, PEP 440
	// normalized.
	Tag, TagVersion string
	// AllowClassifiers are trove classifiers to accept without a warning
	// (--allow-classifier), beside the settings' allow_classifiers.
	AllowClassifiers []string
	// AttestationFiles are existing PEP 740 attestations or Sigstore
	// bundles (--attestation-file), each named after the distribution it
	// attests (<file>.publish.attestation, <file>.sigstore.json).
	AttestationFiles []string
	// WheelDir is where binary_wheels writes its wheels ("" means a new
	// temporary directory); GoReleaser front ends pass dist/goreleaser-pypi/wheels.
	WheelDir string
}

func (o *Options) defaults() {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Log == nil {
		o.Log = log.Log
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
}

// plan is one target and the files it takes.
type plan struct {
	target config.Target
	arts   []goreleaser.Artifact
	dists  []*dist.Distribution // verified
}

// Publish publishes the release's Python distributions to every enabled
// target of cfg, in order. It returns the report of every target attempted,
// also on error. Nothing is uploaded anywhere until every file of every
// target has been verified, every build id resolved, and every target's
// credentials can possibly be found.
//
// Errors keep their types (errors.As finds an *oidc.Error, a
// *dist.VerifyError...); an error whose details were already printed
// through Options.Log is marked with ErrReported; *NothingToPublish says
// there was nothing to do and why.
func Publish(ctx context.Context, cfg *config.File, list *goreleaser.List, o Options) (*report.Release, error) {
	start := time.Now()
	o.defaults()
	res := &report.Release{}
	if cfg == nil {
		cfg = config.Default()
	}
	targets := cfg.Enabled()
	if len(targets) == 0 {
		return res, &NothingToPublish{Reason: fmt.Sprintf("every target in %s is disabled", describe(cfg))}
	}
	if list != nil {
		var err error
		if list, err = withBinaryWheels(ctx, cfg, list, o); err != nil {
			return res, err
		}
	}
	if list == nil || len(list.Python()) == 0 {
		return res, &NothingToPublish{Reason: "the release has no Python distributions (GoReleaser artifact types \"Wheel\" and \"Source Dist\"; add a builder: uv or builder: poetry build)"}
	}

	// Everything that can be known before the first request, for every
	// target: build ids, credentials that cannot exist.
	var plans []*plan
	var errs []error
	for _, t := range targets {
		arts, err := list.Select(t.IDs)
		if err != nil {
			errs = append(errs, fmt.Errorf("target %q (%s): %w", t.Name, t.Source(), err))
			continue
		}
		plans = append(plans, &plan{target: t, arts: arts})
	}
	errs = append(errs, leftOut(cfg, list, plans)...)
	var paths []string
	for _, a := range list.Python() {
		paths = append(paths, a.Resolved)
	}
	for _, g := range unmatchedAttestationFiles(o.AttestationFiles, paths) {
		errs = append(errs, fmt.Errorf("--attestation-file %s: its name does not start with the name of a file being published (<file>.publish.attestation, <file>.sigstore.json)", g))
	}
	if err := cfg.CheckEnv(o.Getenv); err != nil {
		if o.DryRun {
			// As for every credential problem in a dry run: say it, go on.
			o.Log.WithError(err).Warn("a real run would stop here")
		} else {
			errs = append(errs, err)
		}
	} else if cerrs := checkCredentials(targets, o); len(cerrs) > 0 && o.DryRun {
		for _, err := range cerrs {
			o.Log.WithError(err).Warn("a real run would stop here")
		}
	} else {
		errs = append(errs, cerrs...)
	}
	if len(errs) > 0 {
		return res, &PlanError{Errs: errs}
	}

	// Verify everything before uploading anything.
	if err := verify(plans, cfg, o, res); err != nil {
		return res, err
	}

	named := cfg.Path != "" || len(plans) > 1
	fail := func(i int, err error) (*report.Release, error) {
		for _, rest := range plans[i+1:] {
			res.NotAttempted = append(res.NotAttempted, rest.target.Name)
		}
		var te *TargetError
		if errors.As(err, &te) || (!named && len(res.NotAttempted) == 0) {
			if te != nil {
				te.NotAttempted = res.NotAttempted
			}
			return res, err
		}
		return res, &TargetError{Target: plans[i].target.Name, NotAttempted: res.NotAttempted, Err: err}
	}

	// Prepare every target before the first upload: credentials that fail,
	// or attestations that are required and cannot be made, stop the
	// release before anything is published.
	preps := make([]*prepared, len(plans))
	for i, p := range plans {
		prep, err := prepareTarget(p.target, p.dists, o)
		if err != nil {
			rep, err := prep.fail(o, err)
			res.Add(rep)
			return fail(i, err)
		}
		preps[i] = prep
	}
	if err := attestRelease(ctx, preps, o); err != nil {
		var te *TargetError
		i := 0
		if errors.As(err, &te) {
			for j, p := range plans {
				if p.target.Name == te.Target {
					i = j
				}
			}
		}
		rep, _ := preps[i].fail(o, err)
		res.Add(rep)
		return fail(i, err)
	}

	for i, p := range plans {
		t := p.target
		entry := o.Log.WithField("target", t.Name).WithField("files", len(p.dists))
		if len(plans) > 1 {
			entry = entry.WithField("step", fmt.Sprintf("%d/%d", i+1, len(plans)))
		}
		entry.Info("publishing")
		o.Log.IncreasePadding()
		rep, err := uploadTarget(ctx, preps[i], o)
		o.Log.DecreasePadding()
		res.Add(rep)
		if err == nil && !rep.OK() {
			err = errors.New("the index reported failures")
		}
		if err != nil {
			return fail(i, err)
		}
	}
	o.Log.WithField("took", time.Since(start).Round(10*time.Millisecond)).Debug("release published")
	return res, nil
}

// verify checks every file once, then each target's files against that
// target's size limit and each file against the checksum GoReleaser
// recorded for it. Problems are logged one per line (and annotated on
// GitHub Actions) and returned as one reported *dist.VerifyError.
func verify(plans []*plan, cfg *config.File, o Options, res *report.Release) error {
	// The union of every target's files, each read and hashed once.
	index := map[string]int{}
	var paths []string
	var arts []goreleaser.Artifact
	for _, p := range plans {
		for _, a := range p.arts {
			if _, ok := index[a.Resolved]; !ok {
				index[a.Resolved] = len(paths)
				paths = append(paths, a.Resolved)
				arts = append(arts, a)
			}
		}
	}
	// Size limits are per target: checked below on the verified files.
	dists, problems := dist.Check(paths, dist.Options{MD5: o.PrintHash, AllowClassifiers: append(slices.Clone(cfg.AllowClassifiers), o.AllowClassifiers...)})
	if len(problems) == 0 {
		for i, d := range dists {
			if want, ok := arts[i].Checksum(); ok && !strings.EqualFold(want, d.Digests.SHA256) {
				problems = append(problems, dist.Problem{File: d.Path, Rule: dist.RuleChecksum, Message: fmt.Sprintf(
					"the file changed after GoReleaser built it: its sha256 is %s, GoReleaser recorded %s; re-run the release rather than publish files that differ from its checksums", d.Digests.SHA256, want)})
			}
		}
		if o.TagVersion != "" && cfg.CheckVersion {
			problems = append(problems, TagProblems(dists, o.Tag, o.TagVersion)...)
		}
		seen := map[string]bool{}
		for _, p := range plans {
			for _, a := range p.arts {
				d := dists[index[a.Resolved]]
				p.dists = append(p.dists, d)
				if sp := dist.SizeProblem(d, int64(p.target.MaxFileSize)); sp != nil && !seen[sp.File+sp.Message] {
					seen[sp.File+sp.Message] = true
					problems = append(problems, *sp)
				}
			}
		}
	}
	for _, d := range dists {
		for _, w := range d.Warnings {
			o.Log.WithField("file", w.File).Warn(w.Message)
		}
	}
	if len(problems) > 0 {
		verr := &dist.VerifyError{Problems: problems}
		res.Problems = problems
		for _, p := range problems {
			o.Log.WithField("file", p.File).Error(p.Message)
		}
		o.Log.Error(verr.Error())
		GitHubOutputs(o, report.ReleaseFailure(verr, problems, o.DryRun))
		return Reported(verr)
	}
	var total int64
	for _, d := range dists {
		total += d.Size
	}
	o.Log.WithField("files", len(dists)).WithField("size", bytesize.Format(total)).Info("verified")
	if o.PrintHash {
		writeHashes(o.Stdout, dists)
	}
	return nil
}

// leftOut names the Python builds of a GoReleaser release that a target's
// ids leave out, unless the settings say so on purpose (skip_ids): a typo
// in ids, or a build added later, must not publish half a release silently.
// Lists without build ids (files from the command line) have nothing to
// leave out.
func leftOut(cfg *config.File, list *goreleaser.List, plans []*plan) []error {
	var ids []string
	for _, a := range list.Python() {
		if id := a.ID(); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	var errs []error
	for _, p := range plans {
		if len(p.target.IDs) == 0 {
			continue // every Python build
		}
		for _, id := range ids {
			if !slices.Contains(p.target.IDs, id) && !slices.Contains(cfg.SkipIDs, id) {
				errs = append(errs, fmt.Errorf("target %q (%s): the release's Python build %q is not in its ids: %s; add it there, or list it under skip_ids: in %s if leaving it out is intended",
					p.target.Name, p.target.Source(), id, strings.Join(p.target.IDs, ", "), describe(cfg)))
			}
		}
	}
	return errs
}

// TagProblems are the files whose version is not the release tag's (its
// version as GoReleaser says it, tagVersion), PEP 440 normalized.
func TagProblems(dists []*dist.Distribution, tag, tagVersion string) []dist.Problem {
	want, err := dist.NormalizeVersion(tagVersion)
	if err != nil {
		return []dist.Problem{{File: tag, Rule: dist.RuleTagVersion, Message: fmt.Sprintf(
			"the release tag %s (version %s) is not a PEP 440 version, so no Python file can match it; tag the release with one (v1.2.3, v1.2.3-rc.1), or set check_version: false in the settings file", tag, tagVersion)}}
	}
	var out []dist.Problem
	for _, d := range dists {
		got, err := dist.NormalizeVersion(d.Version())
		if err != nil || got == want {
			continue // an invalid version is verification's to report
		}
		out = append(out, dist.Problem{File: d.Path, Rule: dist.RuleTagVersion, Message: fmt.Sprintf(
			"version %s does not match the release tag %s (version %s): set the project's version to %s (pyproject.toml) and release again, or tag the release for %s; set check_version: false in the settings file to publish anyway",
			d.Version(), tag, want, want, got)})
	}
	return out
}

// writeHashes prints the digests of each distribution the way
// pypa/gh-action-pypi-publish's print-hash does, so that they can be compared
// with what the index shows.
func writeHashes(w io.Writer, dists []*dist.Distribution) {
	fmt.Fprintln(w, "Showing hash values of files to be uploaded:")
	for _, d := range dists {
		fmt.Fprintln(w, d.Path)
		fmt.Fprintln(w, "SHA256:", d.Digests.SHA256)
		if d.Digests.MD5 != "" {
			fmt.Fprintln(w, "MD5:", d.Digests.MD5)
		}
		fmt.Fprintln(w, "BLAKE2-256:", d.Digests.BLAKE2b256)
		fmt.Fprintln(w)
	}
}

func describe(f *config.File) string {
	if f.Path == "" {
		return "the default configuration"
	}
	return f.Path
}
