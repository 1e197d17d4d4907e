package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"

	"github.com/caarlos0/log"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/plugin/artifacts"
	"github.com/goreleaser-pypi/goreleaser-pypi/plugin/release"
)

func init() { register(newPublishCmd) }

func newPublishCmd(a *app) *cobra.Command {
	var (
		distDir, configFile string
		targets             []string
		dryRun, jsonOut     bool
		verbose             bool
	)
	cmd := &cobra.Command{
		Use:   "publish",
		Short: "Publish the wheels and sdists of a finished GoReleaser release",
		Long: `Publish reads GoReleaser's dist/artifacts.json after "goreleaser release"
(or "goreleaser build"), takes the Python wheels and sdists of the build ids
each target of the settings file names, verifies all of them, and uploads
them to every enabled target in order (e.g. TestPyPI, then PyPI), minting one
trusted-publishing token per target.

Nothing is uploaded anywhere unless every file of every target verifies. The
first target that fails stops the ones after it.

Settings come from --config, else .goreleaser-pypi.yaml when it exists, else
the defaults (PyPI, trusted publishing or PYPI_API_TOKEN). Flags override
the file for every target.`,
		Example: `  goreleaser release --clean          # .goreleaser.yaml without a pypi custom publisher
  goreleaser-pypi publish --dist dist
  goreleaser-pypi publish --dist dist --target testpypi --dry-run --json`,
		Args: cobra.NoArgs,
	}
	f := cmd.Flags()
	f.StringVar(&distDir, "dist", "dist", "GoReleaser's dist directory (holds artifacts.json)")
	f.StringVar(&configFile, "config", "", "settings file (default: "+config.DefaultFile+" when it exists)")
	f.StringArrayVar(&targets, "target", nil, "publish only to this target of the settings file (repeatable; enables a disabled target)")
	f.BoolVar(&dryRun, "dry-run", false, "verify and read the indexes, upload nothing")
	f.BoolVar(&jsonOut, "json", false, "print the per-target reports as JSON on stdout (logs go to stderr)")
	f.BoolVarP(&verbose, "verbose", "v", false, "debug logs (never secrets)")
	overrides := bindOverrides(f, a)

	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if verbose {
			a.log.Level = log.DebugLevel
		}
		o, err := overrides()
		if err != nil {
			return err
		}
		cfg, err := loadConfig(configFile, a.getenv)
		if err != nil {
			return usageError("%v", err)
		}
		if err := cfg.Select(targets...); err != nil {
			return usageError("%v", err)
		}
		if err := cfg.ApplyOverrides(o); err != nil {
			return usageError("%v", err)
		}
		list, err := artifacts.Read(distDir)
		if err != nil {
			return err
		}
		// Workflow commands and JSON share no stream: the runner reads
		// ::add-mask:: from stderr too.
		stdout := a.stdout
		if jsonOut {
			stdout = a.stderr
		}
		res, err := release.Publish(cmd.Context(), release.Options{
			Config:    cfg,
			Artifacts: list,
			DryRun:    dryRun,
			Getenv:    a.getenv,
			Log:       a.log,
			Stdout:    stdout,
			Progress:  progressWriter(a),
			UserAgent: "goreleaser-pypi/" + version,
			SkipMask:  underGoReleaser(a.getenv),
		})
		if jsonOut {
			enc := json.NewEncoder(a.stdout)
			enc.SetIndent("", "  ")
			if res == nil {
				res = &release.Result{}
			}
			if encErr := enc.Encode(res); encErr != nil {
				return encErr
			}
		}
		switch {
		case err == nil:
			return nil
		case release.IsSkip(err):
			a.log.WithField("reason", err.Error()).Warn("nothing to publish")
			return nil
		case release.AlreadyLogged(err):
			a.log.Error(err.Error())
			return silentFailure
		}
		return err
	}
	return cmd
}

// loadConfig reads the settings file: path when given (it must exist),
// else config.DefaultFile when it exists, else the defaults.
func loadConfig(path string, getenv func(string) string) (*config.File, error) {
	if path == "" {
		if _, err := os.Stat(config.DefaultFile); errors.Is(err, fs.ErrNotExist) {
			return config.Default(), nil
		}
		path = config.DefaultFile
	}
	return config.Load(path, getenv)
}

// bindOverrides registers the flags that override the settings file for
// every target (named as upload's, with no defaults of their own: only what
// the user passes counts), and returns a function giving the overrides the
// user set, built by the same code as upload's (configOverrides).
// PYPI_REPOSITORY_URL stands for --repository-url, as in upload.
func bindOverrides(fl *pflag.FlagSet, a *app) func() (config.Overrides, error) {
	f := &uploadFlags{}
	fl.StringVar(&f.repositoryURL, "repository-url", "", "upload endpoint for every target (env PYPI_REPOSITORY_URL)")
	fl.StringVar(&f.checkURL, "check-url", "", "simple index used to find files already uploaded, by hash")
	fl.StringVar(&f.trustedPublishing, "trusted-publishing", "", "auto, always or never")
	fl.StringVar(&f.tokenEnv, "token-env", "", "NAME of the environment variable holding an API token")
	fl.StringVar(&f.audience, "audience", "", "trusted publishing audience (default: asked from the index)")
	fl.BoolVar(&f.skipExisting, "skip-existing", false, "skip files already on the index with the same sha256")
	fl.BoolVar(&f.failFast, "fail-fast", false, "start no upload after the first failure")
	fl.IntVar(&f.concurrency, "concurrency", 0, "files uploaded at once")
	fl.IntVar(&f.retries, "retries", 0, "retries per file after a transient failure")
	fl.StringVar(&f.maxFileSize, "max-file-size", "", "per-file size limit checked before uploading, e.g. 200MiB")
	fl.DurationVar(&f.timeout, "timeout", 0, "how long to wait for the index's answer once a file is sent, before retrying (default 10m)")
	return func() (config.Overrides, error) {
		o, err := configOverrides(a, fl.Changed, f)
		o.IDs = nil // publish takes each target's files by its build ids
		return o, err
	}
}
