package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/log"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/plugin/artifacts"
	"github.com/goreleaser-pypi/goreleaser-pypi/plugin/release"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/upload"
)

func init() { register(newUploadCmd) }

// uploadFlags are the upload command's flags.
type uploadFlags struct {
	repositoryURL     string
	skipExisting      bool
	concurrency       int
	dryRun            bool
	json              bool
	printHash         bool
	configFile        string
	targets           []string
	trustedPublishing string
	audience          string
	tokenEnv          string
	checkURL          string
	failFast          bool
	retries           int
	maxFileSize       string
	timeout           time.Duration
	verbose           bool
	// Refused on purpose: a secret in argv shows in the process list and
	// the shell history.
	password, token, username string
}

func newUploadCmd(a *app) *cobra.Command {
	var f uploadFlags
	cmd := &cobra.Command{
		Use:   "upload [flags] FILE...",
		Short: "Verify and upload wheels and sdists to PyPI or another index",
		Long: `Verify every wheel and sdist, obtain credentials and upload them.

Nothing is uploaded unless every file passes verification. Credentials come
from trusted publishing (GitHub Actions, GitLab CI/CD, Google Cloud) or from an
API token in the environment variable PYPI_API_TOKEN, never from the command
line. Files upload concurrently, streamed from disk, with retries; a re-run
skips files already on the index with the same sha256 (--skip-existing) and
fails clearly on a different file under the same name.

FILE may be a directory (its *.whl and *.tar.gz files) or a quoted glob such as
'dist/*', for callers without a shell.

Exit status: 0 when every file was uploaded or skipped, 1 when any failed (or
verification failed), 2 for usage errors.

--json prints a report on stdout (schema_version 1, documented in package
publisher/upload): schema_version, ok, repository_url, index_url,
dry_run, credentials, summary{uploaded,skipped,failed,would_upload},
files[]{file,filename,name,version,type,status,reason,size,sha256,blake2_256,
duration_seconds,attempts,error,url}, releases[]{name,version,url},
problems[]{file,rule,message}, error, duration_seconds. With --config, the
publish command's shape: {"targets":[{"target":NAME,"report":REPORT}],
"not_attempted":[NAME]}.

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
	fl.StringVar(&f.repositoryURL, "repository-url", "", "upload endpoint (env PYPI_REPOSITORY_URL; default "+upload.DefaultRepositoryURL+")")
	fl.BoolVar(&f.skipExisting, "skip-existing", false, "skip files already on the index with the same sha256 (a different file under the same name still fails)")
	fl.IntVar(&f.concurrency, "concurrency", upload.DefaultConcurrency, "files uploaded at once")
	fl.BoolVar(&f.dryRun, "dry-run", false, "verify, resolve credentials and read the index, but upload nothing (and mint no token)")
	fl.BoolVar(&f.json, "json", false, "print a JSON report on stdout")
	fl.BoolVar(&f.printHash, "print-hash", false, "print the sha256, md5 and blake2_256 of every file")
	fl.StringVar(&f.configFile, "config", "", "settings file (e.g. "+config.DefaultFile+"); flags override it")
	fl.StringSliceVar(&f.targets, "target", nil, "with --config, publish only to these targets")
	fl.StringVar(&f.trustedPublishing, "trusted-publishing", string(oidc.Auto), "trusted publishing: auto, always or never")
	fl.StringVar(&f.audience, "audience", "", "trusted publishing audience (default: asked from the index)")
	fl.StringVar(&f.tokenEnv, "token-env", oidc.DefaultTokenEnv, "NAME of the environment variable holding an API token")
	fl.StringVar(&f.checkURL, "check-url", "", "simple index used to find files already uploaded, e.g. https://pypi.org/simple/")
	fl.BoolVar(&f.failFast, "fail-fast", false, "start no upload after the first failure")
	fl.IntVar(&f.retries, "retries", upload.DefaultRetryPolicy.Attempts-1, "retries per file after a transient failure (connection error, timeout, 5xx, 429)")
	fl.StringVar(&f.maxFileSize, "max-file-size", "", "per-file size limit checked before uploading, e.g. 200MiB (default: PyPI's 100 MiB)")
	fl.DurationVar(&f.timeout, "timeout", config.DefaultTimeout, "how long to wait for the index's answer once a file is sent, before retrying")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "debug logs (never secrets)")
	fl.StringVarP(&f.password, "password", "p", "", "refused: set PYPI_API_TOKEN instead")
	fl.StringVar(&f.token, "token", "", "refused: set PYPI_API_TOKEN instead")
	fl.StringVarP(&f.username, "username", "u", "", "accepted only as __token__ (twine compatibility)")
	for _, n := range []string{"password", "token", "username"} {
		_ = fl.MarkHidden(n)
	}
	return cmd
}

func runUpload(cmd *cobra.Command, a *app, f *uploadFlags, args []string) error {
	fl := cmd.Flags()
	if fl.Changed("password") || fl.Changed("token") {
		return usageError("API tokens are never taken from the command line (arguments show in the process list and the shell history): " +
			"export the token in PYPI_API_TOKEN (or the variable named by --token-env), or use trusted publishing")
	}
	if fl.Changed("username") && f.username != "__token__" {
		return usageError("--username: indexes take API tokens, whose user name is always __token__ (PyPI no longer accepts user names and passwords); " +
			"export the token in PYPI_API_TOKEN, or use trusted publishing")
	}
	if strings.HasPrefix(f.tokenEnv, "pypi-") {
		return usageError("--token-env takes the NAME of the environment variable holding the token (default %s), not the token itself; revoke that token, it has been exposed on a command line", oidc.DefaultTokenEnv)
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
	if f.configFile != "" {
		return runUploadConfig(cmd, a, f, files)
	}
	if len(f.targets) > 0 {
		return usageError("--target selects targets of a settings file: add --config %s", config.DefaultFile)
	}
	target, err := flagTarget(a, fl.Changed, f)
	if err != nil {
		return err
	}
	rep, err := publisher.Run(cmd.Context(), publisher.Job{
		Files:     files,
		Target:    target,
		DryRun:    f.dryRun,
		Getenv:    a.getenv,
		Log:       a.log,
		Stdout:    workflowStream(a, f),
		PrintHash: f.printHash,
		Progress:  progressWriter(a),
		UserAgent: "goreleaser-pypi/" + version,
		SkipMask:  underGoReleaser(a.getenv),
	})
	if f.json {
		if err := rep.WriteJSON(a.stdout); err != nil {
			return err
		}
	}
	switch {
	case err == nil:
		return nil
	case publisher.AlreadyLogged(err):
		return silentFailure
	}
	return err
}

// workflowStream is where GitHub Actions workflow commands and hashes go:
// stdout, unless stdout carries the JSON report (the runner reads workflow
// commands from stderr as well).
func workflowStream(a *app, f *uploadFlags) io.Writer {
	if f.json {
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

// repositoryURL is --repository-url, else PYPI_REPOSITORY_URL; set says
// whether either was given.
func repositoryURL(a *app, changed func(string) bool, f *uploadFlags) (url string, set bool) {
	if changed("repository-url") {
		return f.repositoryURL, true
	}
	if env := strings.TrimSpace(a.getenv("PYPI_REPOSITORY_URL")); env != "" {
		return env, true
	}
	return upload.DefaultRepositoryURL, false
}

// maxFileSize parses --max-file-size (0 when not given).
func maxFileSize(f *uploadFlags) (int64, error) {
	if f.maxFileSize == "" {
		return 0, nil
	}
	n, err := parseSize(f.maxFileSize)
	if err != nil {
		return 0, usageError("--max-file-size: %v", err)
	}
	return n, nil
}

// flagTarget is the target the flags describe, without a settings file.
// The URL itself is checked by publisher.Run (https, or http to loopback
// only), before any request, whatever the front end.
func flagTarget(a *app, changed func(string) bool, f *uploadFlags) (publisher.Target, error) {
	var t publisher.Target
	mode, err := oidc.ParseMode(f.trustedPublishing)
	if err != nil {
		return t, usageError("--trusted-publishing: %v", err)
	}
	if f.concurrency < 1 || f.concurrency > config.MaxConcurrency {
		return t, usageError("--concurrency must be between 1 and %d, got %d", config.MaxConcurrency, f.concurrency)
	}
	if f.retries < 0 || f.retries >= config.MaxRetryAttempts {
		return t, usageError("--retries must be between 0 and %d, got %d", config.MaxRetryAttempts-1, f.retries)
	}
	size, err := maxFileSize(f)
	if err != nil {
		return t, err
	}
	if f.timeout < config.MinTimeout || f.timeout > config.MaxTimeout {
		return t, usageError("--timeout must be between %s and %s, got %s", config.MinTimeout, config.MaxTimeout, f.timeout)
	}
	repo, _ := repositoryURL(a, changed, f)
	return publisher.Target{
		RepositoryURL:     repo,
		Audience:          f.audience,
		TrustedPublishing: mode,
		TokenEnv:          f.tokenEnv,
		CheckURL:          f.checkURL,
		SkipExisting:      f.skipExisting,
		Concurrency:       f.concurrency,
		Retry:             upload.RetryPolicy{Attempts: f.retries + 1},
		FailFast:          f.failFast,
		MaxFileSize:       size,
		Timeout:           f.timeout,
	}, nil
}

// runUploadConfig uploads the files to every enabled target of a settings
// file, through the publish command's orchestration: every target's files
// verified and credentials checked before the first upload, targets in
// order, the first failure stopping the rest.
func runUploadConfig(cmd *cobra.Command, a *app, f *uploadFlags, files []string) error {
	cfg, err := config.Load(f.configFile, a.getenv)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return usageError("--config %s: no such file", f.configFile)
		}
		return usageError("%v", err)
	}
	if err := cfg.Select(f.targets...); err != nil {
		return usageError("%v", err)
	}
	o, err := configOverrides(a, cmd.Flags().Changed, f)
	if err != nil {
		return err
	}
	if err := cfg.ApplyOverrides(o); err != nil {
		return usageError("%v", err)
	}
	if len(cfg.Enabled()) == 0 {
		return usageError("%s: every target is disabled; enable one, or name it with --target", f.configFile)
	}
	first := true
	res, err := release.Publish(cmd.Context(), release.Options{
		Config:    cfg,
		Artifacts: filesAsArtifacts(files),
		DryRun:    f.dryRun,
		Getenv:    a.getenv,
		Log:       a.log,
		Stdout:    workflowStream(a, f),
		Progress:  progressWriter(a),
		UserAgent: "goreleaser-pypi/" + version,
		SkipMask:  underGoReleaser(a.getenv),
		Run: func(ctx context.Context, j publisher.Job) (*upload.Report, error) {
			j.PrintHash = f.printHash && first
			first = false
			return publisher.Run(ctx, j)
		},
	})
	if f.json {
		if res == nil {
			res = &release.Result{}
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	}
	switch {
	case err == nil:
		return nil
	case release.IsSkip(err):
		return usageError("%v", err)
	case release.AlreadyLogged(err):
		a.log.Error(err.Error())
		return silentFailure
	}
	return err
}

// configOverrides are the flags the user gave, laid over every target of
// the settings file. Build ids do not apply: the files are given explicitly.
func configOverrides(a *app, changed func(string) bool, f *uploadFlags) (config.Overrides, error) {
	o := config.Overrides{IDs: []string{}, Flags: map[string]string{"retry.attempts": "--retries"}}
	if repo, set := repositoryURL(a, changed, f); set {
		o.RepositoryURL = &repo
		if !changed("repository-url") {
			o.Flags["repository_url"] = "PYPI_REPOSITORY_URL"
			a.log.WithField("repository_url", repo).Info("PYPI_REPOSITORY_URL overrides the settings file's repository URLs")
		}
	}
	if changed("audience") {
		o.Audience = &f.audience
	}
	if changed("skip-existing") {
		o.SkipExisting = &f.skipExisting
	}
	if changed("trusted-publishing") {
		o.TrustedPublishing = &f.trustedPublishing
	}
	if changed("token-env") {
		o.TokenEnv = &f.tokenEnv
	}
	if changed("concurrency") {
		o.Concurrency = &f.concurrency
	}
	if changed("retries") {
		n := f.retries + 1
		o.RetryAttempts = &n
	}
	if changed("check-url") {
		o.CheckURL = &f.checkURL
	}
	if changed("fail-fast") {
		o.FailFast = &f.failFast
	}
	if changed("max-file-size") {
		size, err := maxFileSize(f)
		if err != nil {
			return o, err
		}
		o.MaxFileSize = &size
	}
	if changed("timeout") {
		o.Timeout = &f.timeout
	}
	return o, nil
}

// filesAsArtifacts presents the files given on the command line as the
// artifacts of a release, typed by extension. Anything that is not a wheel
// goes on as an sdist, so that verification says what is wrong with it.
func filesAsArtifacts(files []string) *artifacts.List {
	l := &artifacts.List{File: "the command line"}
	for _, f := range files {
		typ := artifacts.TypeSdist
		if strings.HasSuffix(strings.ToLower(f), ".whl") {
			typ = artifacts.TypeWheel
		}
		l.Artifacts = append(l.Artifacts, artifacts.Artifact{Name: filepath.Base(f), Path: f, Type: typ, Resolved: f})
	}
	return l
}

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

// parseSize reads "104857600", "100MiB", "1.5GB".
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1000}, {"mb", 1000 * 1000}, {"gb", 1000 * 1000 * 1000}, {"b", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	var n float64
	if _, err := fmt.Sscanf(t, "%g", &n); err != nil || n <= 0 || strings.ContainsAny(t, " ") {
		return 0, fmt.Errorf("%q is not a size: write bytes (104857600) or a size such as 100MiB or 1GB", s)
	}
	return int64(n * float64(mult)), nil
}
