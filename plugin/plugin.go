// Package plugin is goreleaser-pypi in the shape of a GoReleaser publisher:
// String, Skip, Default and Publish over GoReleaser's *context.Context, like
// the pipes in GoReleaser's internal/pipe. It publishes the "Wheel" and
// "Source Dist" artifacts of the run (from the uv and poetry builders) to the
// targets of .goreleaser-pypi.yaml.
//
// GoReleaser has no plugin loader: stock GoReleaser runs goreleaser-pypi as
// a custom publisher (see docs/goreleaser.md). This package is for programs
// that drive GoReleaser's pipeline themselves (a GoReleaser fork, a
// distribution of GoReleaser with extra pipes, tests), and it is the only
// package of this module that imports GoReleaser; the goreleaser-pypi binary
// does not, to start fast and stay small.
package plugin

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/caarlos0/log"
	"github.com/goreleaser/goreleaser/v2/pkg/context"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/goreleaser"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher"
)

// Pipe publishes a GoReleaser run's Python distributions. It keeps no
// state between runs: one Pipe can serve any number of releases.
type Pipe struct {
	// ConfigFile is the settings file. Empty: .goreleaser-pypi.yaml when it
	// exists in the working directory, else the defaults (PyPI).
	ConfigFile string
	// Config, when set, is used as is instead of reading ConfigFile.
	Config *config.File
	// DryRun verifies and reads the indexes but uploads nothing.
	DryRun bool
	// Stdout receives GitHub Actions workflow commands (os.Stdout when nil).
	Stdout io.Writer
}

// String is the pipe's title in GoReleaser's log.
func (*Pipe) String() string { return "pypi" }

// ContinueOnError lets GoReleaser run the remaining publishers (Homebrew,
// Scoop...) when PyPI fails; the run still fails at the end, with this
// error. (GoReleaser's publish pipe checks for this method.)
func (*Pipe) ContinueOnError() bool { return true }

// Default loads and validates the settings, so that a bad file stops the
// release in GoReleaser's defaults phase, before anything is built.
func (p *Pipe) Default(ctx *context.Context) error {
	_, err := p.settings(ctx)
	return err
}

// settings is Config, or the settings file read anew.
func (p *Pipe) settings(ctx *context.Context) (*config.File, error) {
	if p.Config != nil {
		return p.Config, nil
	}
	path := p.ConfigFile
	if path == "" {
		path = config.DefaultFile
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return config.Default(), nil
		}
	}
	cfg, err := config.Load(path, env(ctx))
	if err != nil {
		return nil, fmt.Errorf("pypi: %w", err)
	}
	return cfg, nil
}

// Skip reports whether there is nothing to do: the run built no Python
// distribution, or every target is disabled. GoReleaser's publish phase
// calls it after the builds, so the artifacts are known; it logs the pipe
// as skipped, and Publish is not called.
func (p *Pipe) Skip(ctx *context.Context) bool {
	cfg, err := p.settings(ctx)
	if err != nil {
		return false // Publish reports it
	}
	if len(List(ctx).Python()) == 0 && len(cfg.BinaryWheels) == 0 {
		return true
	}
	return len(cfg.Enabled()) == 0
}

// Publish uploads the run's wheels and sdists to every enabled target.
func (p *Pipe) Publish(ctx *context.Context) error {
	cfg, err := p.settings(ctx)
	if err != nil {
		return err
	}
	log.IncreasePadding()
	defer log.DecreasePadding()
	_, err = publisher.Publish(ctx, cfg, List(ctx), publisher.Options{
		DryRun:     p.DryRun,
		Getenv:     env(ctx),
		Log:        log.Log,
		Stdout:     p.Stdout,
		Tag:        ctx.Git.CurrentTag,
		TagVersion: ctx.Version,
		WheelDir:   filepath.Join(ctx.Config.Dist, "goreleaser-pypi", "wheels"),
	})
	var nothing *publisher.NothingToPublish
	if errors.As(err, &nothing) {
		log.WithField("reason", nothing.Reason).Info("pypi: nothing to publish")
		return nil
	}
	return err
}

// List converts the run's artifacts to the form artifacts.json has, with
// paths resolved against the working directory (GoReleaser's paths are
// relative to it).
func List(ctx *context.Context) *goreleaser.List {
	l := &goreleaser.List{File: "GoReleaser's artifact list"}
	for _, a := range ctx.Artifacts.List() {
		art := goreleaser.Artifact{
			Name:    a.Name,
			Path:    a.Path,
			Goos:    a.Goos,
			Goarch:  a.Goarch,
			Goarm:   a.Goarm,
			Goamd64: a.Goamd64,
			Target:  a.Target,
			Type:    a.Type.String(),
			Extra:   map[string]any(a.Extra),
		}
		art.Resolved = a.Path
		if abs, err := filepath.Abs(filepath.FromSlash(a.Path)); err == nil {
			art.Resolved = abs
		}
		l.Artifacts = append(l.Artifacts, art)
	}
	return l
}

// env reads GoReleaser's environment: the process environment plus the
// configuration's env: entries.
func env(ctx *context.Context) func(string) string {
	return func(k string) string { return ctx.Env[k] }
}
