package publisher

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/goreleaser"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/useragent"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/binwheel"
)

// withBinaryWheels builds the wheels the settings' binary_wheels ask for,
// from the release's Go binaries, and returns the release's list with them
// added as wheels (each with the build id of its binaries, so that a
// target's ids select them). Nothing is uploaded yet: they are verified
// with the release's other files.
func withBinaryWheels(ctx context.Context, cfg *config.File, list *goreleaser.List, o Options) (*goreleaser.List, error) {
	if len(cfg.BinaryWheels) == 0 {
		return list, nil
	}
	if o.TagVersion == "" {
		return nil, fmt.Errorf("binary_wheels in %s turn a GoReleaser release's Go binaries into wheels: run it with GoReleaser (custom publisher, publish --dist, the plugin), whose tag gives the version", describe(cfg))
	}
	dir := o.WheelDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "goreleaser-pypi-wheels-")
		if err != nil {
			return nil, err
		}
		dir = tmp
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("binary_wheels: %w", err)
	}
	modified, err := binwheel.SourceDateEpoch(o.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return nil, fmt.Errorf("binary_wheels: SOURCE_DATE_EPOCH: %w", err)
	}
	out := &goreleaser.List{File: list.File, Artifacts: slices.Clone(list.Artifacts)}
	var goIDs []string
	for _, a := range list.Artifacts {
		if a.IsBinary() && !slices.Contains(goIDs, a.ID()) {
			goIDs = append(goIDs, a.ID())
		}
	}
	for i, bw := range cfg.BinaryWheels {
		label := fmt.Sprintf("binary_wheels[%d]", i)
		var bins []binwheel.Binary
		var firstID string
		for _, id := range bw.IDs {
			if !slices.Contains(goIDs, id) {
				return nil, fmt.Errorf("%s: ids: %q is not a Go build with binaries in this release (Go builds: %s)", label, id, strings.Join(goIDs, ", "))
			}
		}
		for _, a := range list.Artifacts {
			if !a.IsBinary() || !slices.Contains(bw.IDs, a.ID()) {
				continue
			}
			if firstID == "" {
				firstID = a.ID()
			}
			bins = append(bins, binwheel.Binary{Path: a.Resolved, Name: a.BinaryName(), GOOS: a.Goos, GOARCH: a.Goarch, GOARM: a.Goarm, GOAMD64: a.Goamd64})
		}
		spec := binwheel.Spec{
			Name: bw.Name, Version: o.TagVersion, Summary: bw.Summary, Readme: bw.Readme, License: bw.License,
			LicenseFiles: bw.LicenseFiles, URLs: bw.URLs, Keywords: bw.Keywords, Classifiers: bw.Classifiers,
			RequiresPython: bw.RequiresPython, PythonModule: bw.PythonModule,
			Generator: strings.Replace(useragent.Or(o.UserAgent), "/", " ", 1),
			Modified:  modified,
		}
		if spec.Name == "" && len(bins) > 0 {
			spec.Name = bins[0].Name
		}
		wheels, skipped, err := binwheel.BuildAll(ctx, spec, bins, dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		for _, s := range skipped {
			o.Log.WithField("binary", s.Binary).Warn(s.Error())
		}
		for _, w := range wheels {
			for _, warning := range w.Warnings {
				o.Log.WithField("wheel", filepath.Base(w.Path)).Warn(warning)
			}
			o.Log.WithField("wheel", filepath.Base(w.Path)).WithField("platform", w.Platform).Info("built a wheel of Go binaries")
			out.Artifacts = append(out.Artifacts, goreleaser.Artifact{
				Name: filepath.Base(w.Path), Path: w.Path, Resolved: w.Path, Type: goreleaser.TypeWheel,
				Extra: map[string]any{"ID": firstID, "Builder": "binary_wheels"},
			})
		}
	}
	return out, nil
}
