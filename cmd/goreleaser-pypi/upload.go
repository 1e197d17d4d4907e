package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/caarlos0/log"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/goreleaser"
	"github.com/goreleaser-pypi/goreleaser-pypi/goreleaser/releasewide"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/useragent"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/report"
)

func init() { register(newUploadCmd) }

// uploadFlags are the upload command's own flags; the settings it shares
// with publish are settingFlags.
type uploadFlags struct {
	dryRun     bool
	json       bool
	printHash  bool
	configFile string
	targets    []string
	// attestationFiles are existing attestations or Sigstore bundles.
	attestationFiles []string
	allowClassifiers []string
	verbose          bool
	// Refused on purpose: a secret in argv shows in the process list and
	// the shell history.
	password, token string
}

func newUploadCmd(a *app) *cobra.Command {
	var f uploadFlags
	cmd := &cobra.Command{
		Use:   "upload [flags] FILE...",
		Short: "Verify and upload wheels and sdists to PyPI or another index",
		Long: `Verify every wheel and sdist, obtain credentials and upload them.

Nothing is uploaded unless every file passes verification. Credentials come
from an API token in the environment variable PYPI_API_TOKEN, a password in
PYPI_PASSWORD with --username (indexes other than PyPI), a ~/.pypirc
repository (--repository), or trusted publishing (GitHub Actions, GitLab
CI/CD, Google Cloud); never from the command line. Files upload concurrently, streamed from disk, with retries; a re-run
skips files already on the index with the same sha256 (--skip-existing) and
fails clearly on a different file under the same name.

FILE may be a directory (its *.whl and *.tar.gz files) or a quoted glob such as
'dist/*', for callers without a shell.

Exit status: 0 when every file was uploaded or skipped, 1 when any failed (or
verification failed), 2 for usage errors.

--json prints a report on stdout (schema_version 1, documented in package
publisher/report): schema_version, ok, target, repository_url, index_url,
dry_run, credentials, summary{uploaded,skipped,failed,would_upload},
files[]{file,filename,name,version,type,status,not_attempted,reason,size,
sha256,blake2_256,duration_seconds,attempts,error,url,
attestation{status,reason,rekor_log_index}}, releases[]{name,version,url},
problems[]{file,rule,message,severity}, error,
duration_seconds. With --config, the publish command's shape:
{"targets":[{"target":NAME,"report":REPORT}],"not_attempted":[NAME]}.

--config FILE uploads the files to every enabled target of a settings file
(see "goreleaser-pypi publish"), flags overriding it: every target's files are
verified and its credentials checked before the first upload, and the first
failed target stops the ones after it.`,
		Example: `  goreleaser-pypi upload dist/*.whl dist/*.tar.gz
  goreleaser-pypi upload --repository-url https://test.pypi.org/legacy/ dist/
  PYPI_API_TOKEN=pypi-... goreleaser-pypi upload --skip-existing --json dist/*`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpload(cmd, a, &f, args)
		},
	}
	fl := cmd.Flags()
	bindSettingFlags(fl)
	fl.BoolVar(&f.dryRun, "dry-run", false, "verify, resolve credentials and read the index, but upload nothing (and mint no token)")
	fl.BoolVar(&f.json, "json", false, "print a JSON report on stdout")
	fl.BoolVar(&f.printHash, "print-hash", false, "print the sha256, md5 and blake2_256 of every file")
	fl.StringVar(&f.configFile, "config", "", "settings file (e.g. "+config.DefaultFile+"); flags override it")
	fl.StringSliceVar(&f.targets, "target", nil, "with --config, publish only to these targets")
	fl.StringArrayVar(&f.allowClassifiers, "allow-classifier", nil, allowClassifierUsage)
	fl.StringArrayVar(&f.attestationFiles, "attestation-file", nil, "an existing PEP 740 attestation or Sigstore bundle for a file, named <file>.publish.attestation or <file>.sigstore.json: verified and sent (repeatable; <file>.publish.attestation next to a file is found without it)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "debug logs (never secrets)")
	fl.StringVarP(&f.password, "password", "p", "", "refused: set PYPI_PASSWORD or PYPI_API_TOKEN instead")
	fl.StringVar(&f.token, "token", "", "refused: set PYPI_API_TOKEN instead")
	for _, n := range []string{"password", "token"} {
		_ = fl.MarkHidden(n)
	}
	return cmd
}

func runUpload(cmd *cobra.Command, a *app, f *uploadFlags, args []string) error {
	fl := cmd.Flags()
	if fl.Changed("password") || fl.Changed("token") {
		return usageError("API tokens and passwords are never taken from the command line (arguments show in the process list and the shell history): " +
			"export the token in PYPI_API_TOKEN (or the variable named by --token-env), a password in PYPI_PASSWORD (or the variable named by --password-env), " +
			"or use trusted publishing")
	}
	if len(args) == 0 {
		return usageError("no files to upload: pass the wheels and sdists, e.g. goreleaser-pypi upload dist/*.whl dist/*.tar.gz")
	}
	files, err := expandFiles(args)
	if err != nil {
		return usageError("%v", err)
	}
	if f.verbose {
		a.log.Level = log.DebugLevel
	}
	if f.configFile == "" && len(f.targets) > 0 {
		return usageError("--target selects targets of a settings file: add --config %s", config.DefaultFile)
	}
	cfg := config.Default()
	if f.configFile != "" {
		if cfg, err = config.Load(f.configFile, a.getenv); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return usageError("--config %s: no such file", f.configFile)
			}
			return usageError("%v", err)
		}
		if err := cfg.Select(f.targets...); err != nil {
			return usageError("%v", err)
		}
	}
	run := customPublisherRun(files)
	overrides := settingOverrides(a, fl)
	if run == nil {
		// The files are given explicitly: the settings' build ids do not apply.
		overrides = append(overrides, config.Override{Key: "ids", Source: "the command line"})
	}
	if err := cfg.Apply(overrides...); err != nil {
		if f.configFile == "" && urlRefused(err) {
			// A URL the transport rule refuses fails the run (exit 1), as
			// it always has for upload without a settings file.
			return singleTargetRefused(a, f, cfg, err)
		}
		var errs config.Errors
		if f.configFile == "" && errors.As(err, &errs) {
			return usageError("%s", errs.Brief())
		}
		return usageError("%v", err)
	}
	if f.configFile != "" && len(cfg.Enabled()) == 0 {
		return usageError("%s: every target is disabled; enable one, or name it with --target", f.configFile)
	}
	if run != nil {
		return runReleaseWide(cmd.Context(), a, f, fl, cfg, run, files[0])
	}
	if f.configFile != "" {
		logEnvRepositoryURL(a, fl)
	}
	res, err := publisher.Publish(cmd.Context(), cfg, goreleaser.FilesList(files), f.publishOptions(a))
	if f.json {
		var werr error
		if f.configFile != "" {
			werr = res.WriteJSON(a.stdout)
		} else {
			werr = singleReport(res, cfg.Targets[0], err).WriteJSON(a.stdout)
		}
		if werr != nil {
			return werr
		}
	}
	var nothing *publisher.NothingToPublish
	if errors.As(err, &nothing) {
		return usageError("%v", err)
	}
	return publishFailure(a, err)
}

// customPublisherRun returns the GoReleaser run whose custom publisher
// handed us file, or nil. GoReleaser runs one process per artifact while
// its publish phase runs: the file lies in a dist directory that has the
// run's config.yaml and metadata.json, no artifacts.json yet (written after
// the publish phase), and a publishers: entry that runs goreleaser-pypi.
func customPublisherRun(files []string) *goreleaser.Dist {
	if len(files) != 1 {
		return nil
	}
	d, err := goreleaser.FindDist(files[0])
	if err != nil || d.Finished() {
		return nil
	}
	if _, ok := d.Publisher(); !ok {
		return nil
	}
	return d
}

// runReleaseWide publishes the whole Python release of a GoReleaser run
// once, whichever of its publisher processes gets there first, and says
// what became of this process's file.
//
// GoReleaser shows a publisher's output only when it fails (or with
// --verbose), and then it should lead with what to fix: the run's log is
// held back and printed after the outcome on failure, before it on success.
func runReleaseWide(ctx context.Context, a *app, f *uploadFlags, fl *pflag.FlagSet, cfg *config.File, d *goreleaser.Dist, file string) error {
	var held bytes.Buffer
	ra := *a
	ra.log = newLogger(&held, a.getenv)
	ra.log.Level = a.log.Level
	flush := func() { _, _ = a.stderr.Write(held.Bytes()) }
	if f.configFile != "" {
		logEnvRepositoryURL(&ra, fl)
	}
	opts := f.publishOptions(&ra)
	// GoReleaser captures this process's output: the runner never reads a
	// workflow command from it, and no one watches a progress line.
	opts.SkipMask, opts.Progress = true, nil
	out, err := releasewide.Run(ctx, releasewide.Options{
		Dist:    d,
		Config:  cfg,
		File:    file,
		Publish: opts,
	})
	if err != nil {
		flush()
		return err
	}
	if out.OK {
		flush()
		a.log.WithField("report", out.ReportPath).Info(out.Message)
		return nil
	}
	a.log.Error(out.Message)
	for _, line := range out.Details {
		a.log.Error(line)
	}
	a.log.WithField("report", out.ReportPath).Info("the whole release's outcome")
	if held.Len() > 0 {
		a.log.Info("what happened:")
		flush()
	}
	return silentFailure
}

// publishOptions are the pipeline's options from upload's flags.
func (f *uploadFlags) publishOptions(a *app) publisher.Options {
	return publisher.Options{
		AttestationFiles: f.attestationFiles,
		AllowClassifiers: f.allowClassifiers,
		DryRun:           f.dryRun,
		PrintHash:        f.printHash,
		Getenv:           a.getenv,
		Log:              a.log,
		Stdout:           workflowStream(a, f.json),
		Progress:         progressWriter(a),
		UserAgent:        userAgent(),
		SkipMask:         underGoReleaser(a.getenv),
	}
}

// publishFailure turns Publish's error into the command's: nil, a silent
// exit 1 for failures already printed in detail (with the one-line
// verdict of a failed target), or the error for main to print.
func publishFailure(a *app, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, publisher.ErrReported) {
		var te *publisher.TargetError
		if errors.As(err, &te) {
			a.log.Error(err.Error())
		}
		return silentFailure
	}
	return err
}

// urlRefused reports whether a settings error is about an index URL only.
func urlRefused(err error) bool {
	var errs config.Errors
	if !errors.As(err, &errs) {
		return false
	}
	for _, e := range errs {
		if e.Field != "repository_url" && e.Field != "check_url" {
			return false
		}
	}
	return true
}

// singleTargetRefused reports a refused URL of upload without a settings
// file: logged, in the JSON report when asked, exit 1.
func singleTargetRefused(a *app, f *uploadFlags, cfg *config.File, err error) error {
	if f.json {
		rep := &report.Target{Name: cfg.Targets[0].Name, RepositoryURL: cfg.Targets[0].RepositoryURL, DryRun: f.dryRun, Err: err}
		if werr := rep.WriteJSON(a.stdout); werr != nil {
			return werr
		}
	}
	return err
}

// singleReport is the report of upload without a settings file: its one
// target's, or, when the release stopped before it (verification), one
// that says why.
func singleReport(res *report.Release, t config.Target, err error) *report.Target {
	if len(res.Targets) > 0 {
		return res.Targets[0].Report
	}
	rep := &report.Target{Name: t.Name, RepositoryURL: t.RepositoryURL, Problems: res.Problems}
	if u, perr := endpoint.Parse(t.RepositoryURL); perr == nil {
		rep.IndexURL = endpoint.IndexURL(u).String()
	}
	if err != nil && !errors.Is(err, publisher.ErrReported) {
		rep.Err = err
	}
	return rep
}

// logEnvRepositoryURL says when PYPI_REPOSITORY_URL replaces a settings
// file's URLs: it is easy to forget in an environment.
func logEnvRepositoryURL(a *app, fl *pflag.FlagSet) {
	if fl.Changed("repository-url") {
		return
	}
	if env := strings.TrimSpace(a.getenv("PYPI_REPOSITORY_URL")); env != "" {
		a.log.WithField("repository_url", env).Info("PYPI_REPOSITORY_URL overrides the settings file's repository URLs")
	}
}

// workflowStream is where GitHub Actions workflow commands and hashes go:
// stdout, unless stdout carries the JSON report (the runner reads workflow
// commands from stderr as well).
func workflowStream(a *app, json bool) io.Writer {
	if json {
		return a.stderr
	}
	return a.stdout
}

// progressWriter is stderr when it is a terminal, else nil (no progress line).
func progressWriter(a *app) io.Writer {
	if f, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return f
	}
	return nil
}

func userAgent() string { return useragent.Default + "/" + version }

// expandFiles resolves the arguments: a directory means its wheels and
// sdists, a pattern that names no file is expanded as a glob (for callers
// without a shell); anything else is passed on as is, for verification to
// report. Duplicates are dropped.
func expandFiles(args []string) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	add := func(p string) {
		if k := filepath.Clean(p); !seen[k] {
			seen[k] = true
			files = append(files, p)
		}
	}
	for _, arg := range args {
		st, err := os.Stat(arg)
		switch {
		case err == nil && st.IsDir() && goreleaser.IsDist(arg):
			// GoReleaser's dist holds Go archives (.tar.gz, .zip) beside the
			// Python builds' directories: never take them for sdists.
			return nil, fmt.Errorf("%s is GoReleaser's dist directory: publish its Python files with `goreleaser-pypi publish --dist %s` (it finds them by build, with or without artifacts.json)", arg, arg)
		case err == nil && st.IsDir() && isDistributionName(arg):
			add(arg) // a directory named like a wheel: verification says what it is
		case err == nil && st.IsDir():
			matches, err := distributionsIn(arg)
			if err != nil {
				return nil, err
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("%s: directory holds no wheel (.whl) or sdist (.tar.gz)", arg)
			}
			for _, m := range matches {
				add(m)
			}
		case err != nil && strings.ContainsAny(arg, "*?["):
			matches, gerr := filepath.Glob(arg)
			if gerr != nil {
				return nil, fmt.Errorf("%s: %v", arg, gerr)
			}
			matches = slices.DeleteFunc(matches, func(m string) bool { return !isDistributionName(m) })
			if len(matches) == 0 {
				return nil, fmt.Errorf("%s: no wheel (.whl) or sdist (.tar.gz) matches", arg)
			}
			for _, m := range matches {
				add(m)
			}
		default:
			add(arg)
		}
	}
	return files, nil
}

func distributionsIn(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && isDistributionName(e.Name()) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}

// isDistributionName keeps wheels and sdists (and legacy .zip sdists, so
// that verification can explain why they are refused), not signatures,
// checksums or metadata files that sit next to them.
func isDistributionName(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".whl") || strings.HasSuffix(n, ".tar.gz") || strings.HasSuffix(n, ".zip")
}
