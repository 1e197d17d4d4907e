package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/caarlos0/log"

	"github.com/spf13/cobra"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/goreleaser"
	"github.com/goreleaser-pypi/goreleaser-pypi/goreleaser/releasewide"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher"
)

func init() { register(newPublishCmd) }

func newPublishCmd(a *app) *cobra.Command {
	var (
		distDir, configFile string
		targets             []string
		dryRun, jsonOut     bool
		verbose             bool
		allowClassifiers    []string
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
	f.StringArrayVar(&allowClassifiers, "allow-classifier", nil, allowClassifierUsage)
	bindSettingFlags(f)

	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if verbose {
			a.log.Level = log.DebugLevel
		}
		cfg, err := loadConfig(configFile, a.getenv)
		if err != nil {
			return usageError("%v", err)
		}
		if err := cfg.Select(targets...); err != nil {
			return usageError("%v", err)
		}
		if err := cfg.Apply(settingOverrides(a, f)...); err != nil {
			return usageError("%v", err)
		}
		if cfg.Path != "" {
			logEnvRepositoryURL(a, f)
		}
		list, run, err := releaseArtifacts(a, distDir)
		if err != nil {
			return err
		}
		opts := publisher.Options{
			AllowClassifiers: allowClassifiers,
			DryRun:           dryRun,
			Getenv:           a.getenv,
			Log:              a.log,
			Stdout:           workflowStream(a, jsonOut),
			Progress:         progressWriter(a),
			UserAgent:        userAgent(),
			SkipMask:         underGoReleaser(a.getenv),
		}
		if run != nil {
			opts.Tag, opts.TagVersion = run.Metadata.Tag, run.Metadata.Version
			opts.WheelDir = filepath.Join(run.Dir, releasewide.StateDirName, "wheels")
		}
		res, err := publisher.Publish(cmd.Context(), cfg, list, opts)
		if jsonOut {
			if werr := res.WriteJSON(a.stdout); werr != nil {
				return werr
			}
		}
		var nothing *publisher.NothingToPublish
		if errors.As(err, &nothing) {
			a.log.WithField("reason", nothing.Reason).Warn("nothing to publish")
			return nil
		}
		return publishFailure(a, err)
	}
	return cmd
}

// releaseArtifacts is the release's artifact list: dist/artifacts.json, or,
// when GoReleaser stopped before writing it (a failed publisher, an
// interrupted run), the Python files found where its builders wrote them.
// run is the GoReleaser run (its tag), nil for a bare artifacts.json.
func releaseArtifacts(a *app, distDir string) (*goreleaser.List, *goreleaser.Dist, error) {
	run, runErr := goreleaser.OpenDist(distDir)
	if runErr != nil {
		run = nil
	}
	list, err := goreleaser.Read(distDir)
	if err == nil || run == nil || !errors.Is(err, fs.ErrNotExist) {
		return list, run, err
	}
	found, derr := run.Discover()
	if derr != nil {
		return nil, nil, fmt.Errorf("%s has no %s (GoReleaser stopped before writing it), and its Python files could not all be found: %w", distDir, goreleaser.FileName, derr)
	}
	a.log.WithField("dist", distDir).WithField("files", len(found.Python())).Info("no artifacts.json (GoReleaser stopped before writing it): publishing the Python files its builds wrote")
	return found, run, nil
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
