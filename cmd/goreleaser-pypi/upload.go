package main

import (
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
	"golang.org/x/term"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/upload"
)

func init() { register(newUploadCmd) }

// uploadFlags are the upload command's flags, shared with other commands
// that publish (publish reads the same settings).
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
problems[]{file,rule,message}, error, duration_seconds. With a config file
listing several targets, an array of such reports.`,
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
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "debug logs (never secrets)")
	fl.StringVarP(&f.password, "password", "p", "", "refused: set PYPI_API_TOKEN instead")
	fl.StringVar(&f.token, "token", "", "refused: set PYPI_API_TOKEN instead")
	fl.StringVarP(&f.username, "username", "u", "", "refused: tokens need no user name")
	for _, n := range []string{"password", "token", "username"} {
		_ = fl.MarkHidden(n)
	}
	return cmd
}

func runUpload(cmd *cobra.Command, a *app, f *uploadFlags, args []string) error {
	fl := cmd.Flags()
	if fl.Changed("password") || fl.Changed("token") || fl.Changed("username") {
		return usageError("API tokens are never taken from the command line (arguments show in the process list and the shell history): " +
			"export the token in PYPI_API_TOKEN (or the variable named by --token-env), or use trusted publishing; the user name is always __token__")
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
	targets, err := uploadTargets(a, fl.Changed, f)
	if err != nil {
		return err
	}

	// With --json, stdout carries only the report; workflow commands and
	// hashes go to stderr, which the Actions runner reads as well.
	out := a.stdout
	if f.json {
		out = a.stderr
	}
	progress := progressWriter(a)
	var reports []*upload.Report
	var failed error
	for i, t := range targets {
		if len(targets) > 1 {
			a.log.WithField("target", t.Name).Info("publishing")
		}
		rep, err := publisher.Run(cmd.Context(), publisher.Job{
			Files:     files,
			Target:    t,
			DryRun:    f.dryRun,
			Getenv:    a.getenv,
			Log:       a.log,
			Stdout:    out,
			PrintHash: f.printHash && i == 0,
			Progress:  progress,
			UserAgent: "goreleaser-pypi/" + version,
		})
		reports = append(reports, rep)
		if err != nil {
			failed = err
			if i < len(targets)-1 {
				a.log.WithField("skipped", len(targets)-1-i).Error("later targets skipped after this failure")
			}
			break
		}
	}
	if f.json {
		if err := writeReports(a, reports, len(targets) > 1); err != nil {
			return err
		}
	}
	switch {
	case failed == nil:
		return nil
	case publisher.AlreadyLogged(failed):
		return silentFailure
	}
	return failed
}

// writeReports prints one report, or an array when several targets ran.
func writeReports(a *app, reports []*upload.Report, many bool) error {
	if !many {
		return reports[0].WriteJSON(a.stdout)
	}
	if _, err := fmt.Fprintln(a.stdout, "["); err != nil {
		return err
	}
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(a.stdout, ",")
		}
		if err := r.WriteJSON(a.stdout); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(a.stdout, "]")
	return err
}

// progressWriter is stderr when it is a terminal, else nil (no progress line).
func progressWriter(a *app) io.Writer {
	if f, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return f
	}
	return nil
}

// uploadTargets turns the flags (and, with --config, the settings file) into
// the targets to publish to, in order.
func uploadTargets(a *app, changed func(string) bool, f *uploadFlags) ([]publisher.Target, error) {
	repoURL := f.repositoryURL
	repoURLSet := changed("repository-url")
	if !repoURLSet {
		if env := strings.TrimSpace(a.getenv("PYPI_REPOSITORY_URL")); env != "" {
			repoURL, repoURLSet = env, true
		}
	}
	var maxSize int64
	if f.maxFileSize != "" {
		n, err := parseSize(f.maxFileSize)
		if err != nil {
			return nil, usageError("--max-file-size: %v", err)
		}
		maxSize = n
	}
	if f.configFile != "" {
		return configTargets(a, changed, f, repoURL, repoURLSet, maxSize)
	}
	if len(f.targets) > 0 {
		return nil, usageError("--target selects targets of a settings file: add --config %s", config.DefaultFile)
	}

	mode, err := oidc.ParseMode(f.trustedPublishing)
	if err != nil {
		return nil, usageError("--trusted-publishing: %v", err)
	}
	if f.concurrency < 1 || f.concurrency > config.MaxConcurrency {
		return nil, usageError("--concurrency must be between 1 and %d, got %d", config.MaxConcurrency, f.concurrency)
	}
	if f.retries < 0 || f.retries >= config.MaxRetryAttempts {
		return nil, usageError("--retries must be between 0 and %d, got %d", config.MaxRetryAttempts-1, f.retries)
	}
	if repoURL == "" {
		repoURL = upload.DefaultRepositoryURL
	}
	// The URL itself is checked by publisher.Run (https, or http to
	// loopback only) before any request, whatever the front end.
	return []publisher.Target{{
		RepositoryURL:     repoURL,
		Audience:          f.audience,
		TrustedPublishing: mode,
		TokenEnv:          f.tokenEnv,
		CheckURL:          f.checkURL,
		SkipExisting:      f.skipExisting,
		Concurrency:       f.concurrency,
		Retry:             upload.RetryPolicy{Attempts: f.retries + 1},
		FailFast:          f.failFast,
		MaxFileSize:       maxSize,
	}}, nil
}

// configTargets loads the settings file and lays the flags the user gave
// over every target.
func configTargets(a *app, changed func(string) bool, f *uploadFlags, repoURL string, repoURLSet bool, maxSize int64) ([]publisher.Target, error) {
	file, err := config.Load(f.configFile, a.getenv)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usageError("--config %s: no such file", f.configFile)
		}
		return nil, usageError("%v", err)
	}
	if err := file.Select(f.targets...); err != nil {
		return nil, usageError("%v", err)
	}
	var o config.Overrides
	if repoURLSet {
		o.RepositoryURL = &repoURL
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
		o.MaxFileSize = &maxSize
	}
	if err := file.ApplyOverrides(o); err != nil {
		return nil, usageError("%v", err)
	}
	var targets []publisher.Target
	for _, t := range file.Enabled() {
		targets = append(targets, publisherTarget(t))
	}
	if len(targets) == 0 {
		return nil, usageError("%s: every target is disabled; enable one or pick it with --target", f.configFile)
	}
	return targets, nil
}

// publisherTarget converts a settings-file target.
func publisherTarget(t config.Target) publisher.Target {
	return publisher.Target{
		Name:              t.Name,
		RepositoryURL:     t.RepositoryURL,
		Audience:          t.Audience,
		TrustedPublishing: oidc.Mode(t.TrustedPublishing),
		TokenEnv:          t.TokenEnv,
		CheckURL:          t.CheckURL,
		SkipExisting:      t.SkipExisting,
		Concurrency:       t.Concurrency,
		Retry:             upload.RetryPolicy{Attempts: t.Retry.Attempts, Delay: t.Retry.Delay, MaxDelay: t.Retry.MaxDelay},
		FailFast:          t.FailFast,
		MaxFileSize:       int64(t.MaxFileSize),
	}
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
