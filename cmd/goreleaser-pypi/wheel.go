package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/binwheel"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

func init() { register(newWheelCmd) }

// wheelTargetRE is the GOOS/GOARCH[/GOARM or GOAMD64] after the last colon
// of a FILE:TARGET argument; anything else there belongs to the file name
// (C:\tools\x.exe).
var wheelTargetRE = regexp.MustCompile(`^([a-z0-9]+)/([a-z0-9]+)(?:/(v?[0-9][a-z0-9.,]*))?$`)

// parseWheelArg splits FILE[:GOOS/GOARCH[/GOARM|GOAMD64]].
func parseWheelArg(arg string) (binwheel.Binary, error) {
	b := binwheel.Binary{Path: arg}
	i := strings.LastIndexByte(arg, ':')
	if i < 0 {
		return b, nil
	}
	m := wheelTargetRE.FindStringSubmatch(arg[i+1:])
	if m == nil {
		if strings.Contains(arg[i+1:], "/") {
			return b, usageError("%q: the target after the colon must be GOOS/GOARCH or GOOS/GOARCH/VARIANT (linux/arm/7, linux/amd64/v1, darwin/all)", arg)
		}
		return b, nil
	}
	b.Path, b.GOOS, b.GOARCH = arg[:i], m[1], m[2]
	if b.Path == "" {
		return b, usageError("%q: no file before the colon", arg)
	}
	switch {
	case m[3] == "":
	case b.GOARCH == "arm":
		b.GOARM = strings.TrimPrefix(m[3], "v")
	case b.GOARCH == "amd64":
		b.GOAMD64 = m[3]
	default:
		return b, usageError("%q: a third part is GOARM (linux/arm/7) or GOAMD64 (linux/amd64/v1) only", arg)
	}
	if b.GOARCH == "universal" || b.GOARCH == "universal2" {
		b.GOARCH = "all"
	}
	return b, nil
}

func newWheelCmd(a *app) *cobra.Command {
	var (
		spec        binwheel.Spec
		urls        []string
		out         string
		platformTag string
		binaryName  string
		allow       []string
		maxFileSize string
	)
	cmd := &cobra.Command{
		Use:   "wheel --name NAME --version VERSION [flags] FILE[:GOOS/GOARCH[/GOARM]]...",
		Short: "Turn Go binaries into PyPI platform wheels (pip install / uvx your tool)",
		Long: "wheel packs Go binaries into platform wheels, one per platform, so that " +
			"`pip install NAME`, `pipx install NAME` or `uvx NAME` installs the binary itself " +
			"(in the environment's bin/ or Scripts/). The platform tag comes from the binary's " +
			"build information: linux gets one manylinux+musllinux tag, macOS the floor of the " +
			"Go release that built it, Windows win_amd64/win_arm64/win32. Targets PyPI has no " +
			"tag for (freebsd, GOARM=5, GOAMD64=v3...) are skipped with a warning; cgo binaries " +
			"need --platform-tag. The version may be a tag (v1.2.3-rc.1 becomes 1.2.3rc1). " +
			"Wheels are reproducible (SOURCE_DATE_EPOCH sets their timestamps) and verified " +
			"like `check` does; their paths are printed one per line.",
		Example: "  goreleaser-pypi wheel --name mytool --version v1.2.3 --license MIT --license-file LICENSE \\\n" +
			"    --readme README.md --url Source=https://github.com/me/mytool --out dist \\\n" +
			"    dist/mytool_linux_amd64_v1/mytool:linux/amd64 dist/mytool_darwin_arm64/mytool:darwin/arm64 \\\n" +
			"    dist/mytool_windows_amd64_v1/mytool.exe:windows/amd64",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("wheel needs at least one binary: goreleaser-pypi wheel --name NAME --version VERSION FILE:GOOS/GOARCH...")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if spec.Name == "" || spec.Version == "" {
				return usageError("wheel needs --name and --version")
			}
			spec.URLs = map[string]string{}
			for _, u := range urls {
				label, link, ok := strings.Cut(u, "=")
				if !ok || strings.TrimSpace(label) == "" || strings.TrimSpace(link) == "" {
					return usageError("--url %q: write LABEL=URL (e.g. Source=https://github.com/me/tool)", u)
				}
				if _, dup := spec.URLs[label]; dup {
					return usageError("--url: label %q given twice", label)
				}
				spec.URLs[label] = link
			}
			opts := dist.Options{AllowClassifiers: allow}
			if maxFileSize != "" {
				n, err := parseMaxFileSize(maxFileSize)
				if err != nil {
					return err
				}
				opts.MaxFileSize = n
			}
			modified, err := binwheel.SourceDateEpoch(a.getenv("SOURCE_DATE_EPOCH"))
			if err != nil {
				return usageError("%v", err)
			}
			spec.Modified = modified
			spec.Generator = "goreleaser-pypi " + version
			var bins []binwheel.Binary
			for _, arg := range args {
				b, err := parseWheelArg(arg)
				if err != nil {
					return err
				}
				b.PlatformTag, b.Name = platformTag, binaryName
				bins = append(bins, b)
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			wheels, skipped, err := binwheel.BuildAll(cmd.Context(), spec, bins, out)
			if err != nil {
				return err
			}
			for _, s := range skipped {
				a.log.WithField("file", s.Binary).Warnf("skipped: %s", strings.TrimPrefix(s.Error(), s.Binary+": "))
			}
			if len(wheels) == 0 {
				return errors.New("no wheel written: PyPI has a platform tag for none of the binaries given")
			}
			var paths []string
			for _, w := range wheels {
				for _, warning := range w.Warnings {
					a.log.WithField("wheel", w.Path).Warn(warning)
				}
				paths = append(paths, w.Path)
			}
			// Verify them as publishing will: a wheel the index would
			// refuse (an unknown classifier, a bad URL...) fails here.
			dists, problems := dist.Check(paths, opts)
			for _, d := range dists {
				for _, w := range d.Warnings {
					a.log.WithField("wheel", d.Path).Warn(w.Message)
				}
			}
			for _, p := range problems {
				a.log.WithField("wheel", p.File).WithField("rule", p.Rule).Error(p.Message)
			}
			for _, w := range wheels {
				a.log.WithField("platform", w.Platform).WithField("binaries", len(w.Binaries)).Info("wrote " + w.Path)
				fmt.Fprintln(a.stdout, w.Path)
			}
			if len(problems) > 0 {
				return fmt.Errorf("%d problem(s) in the wheels written: PyPI would refuse them; fix the metadata and run wheel again", len(problems))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&spec.Name, "name", "", "PyPI project name (required)")
	f.StringVar(&spec.Version, "version", "", "version or tag, e.g. v1.2.3 or 1.2.3rc1 (required)")
	f.StringVar(&out, "out", "dist", "directory the wheels are written to")
	f.StringVar(&spec.Summary, "summary", "", "one-line description")
	f.StringVar(&spec.Readme, "readme", "", "long description file (.md → text/markdown, .rst → text/x-rst, else text/plain)")
	f.StringVar(&spec.License, "license", "", "an SPDX expression (Metadata 2.4 License-Expression) or free text (Metadata 2.1 License)")
	f.StringArrayVar(&spec.LicenseFiles, "license-file", nil, "license file to include under .dist-info/licenses/ (repeatable)")
	f.StringArrayVar(&urls, "url", nil, "project URL as LABEL=URL, e.g. Source=https://github.com/me/tool (repeatable)")
	f.StringArrayVar(&spec.Keywords, "keyword", nil, "keyword (repeatable)")
	f.StringArrayVar(&spec.Classifiers, "classifier", nil, "trove classifier (repeatable)")
	f.StringVar(&spec.RequiresPython, "requires-python", "", "Requires-Python specifier, e.g. >=3.8 (optional: the binary needs no Python)")
	f.StringVar(&spec.PythonModule, "python-module", "", "also install a Python package of this name so that `python -m NAME` runs the binary")
	f.StringVar(&platformTag, "platform-tag", "", "use this platform tag for every FILE instead of deriving it (required for cgo binaries), e.g. manylinux_2_28_x86_64")
	f.StringVar(&binaryName, "binary-name", "", "command name the binaries install as (default: each file's name without .exe)")
	f.StringArrayVar(&allow, "allow-classifier", nil, "accept a trove classifier newer than this build's list (repeatable)")
	f.StringVar(&maxFileSize, "max-file-size", "", maxFileSizeUsage)
	return cmd
}
