package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/ghactions"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
)

func init() { register(newCheckCmd) }

// checkFile is one file of `check --json`.
type checkFile struct {
	File     string         `json:"file"`
	OK       bool           `json:"ok"`
	Filetype string         `json:"filetype,omitempty"`
	Name     string         `json:"name,omitempty"`
	Version  string         `json:"version,omitempty"`
	Size     int64          `json:"size"`
	Digests  *dist.Digests  `json:"digests,omitempty"`
	Problems []checkFinding `json:"problems"`
	Warnings []checkFinding `json:"warnings"`
}

type checkFinding struct {
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

type checkReport struct {
	OK    bool        `json:"ok"`
	Files []checkFile `json:"files"`
}

func newCheckCmd(a *app) *cobra.Command {
	var (
		asJSON      bool
		maxFileSize string
		allow       []string
		configFile  string
		credentials bool
		strict      bool
		tag         string
	)
	cmd := &cobra.Command{
		Use:   "check [--config FILE [--credentials]] [--tag TAG] [FILE|DIR...]",
		Short: "Verify wheels and sdists the way PyPI will, without uploading",
		Long: "check inspects every wheel (.whl) and sdist (.tar.gz) given and reports everything " +
			"PyPI would refuse: file names, core metadata, archive structure, and rules about the " +
			"set (one sdist per release, no two files with one name). It prints one line per file " +
			"(\"ok\", or each problem) and exits 1 if any file fails. upload runs the same checks " +
			"over all files before it uploads anything.\n\n" +
			"--config FILE validates a settings file (every problem, with its line), with or without " +
			"files: GoReleaser's `before: hooks:` can run it to stop a release before anything is built. " +
			"--credentials then also checks that every enabled target can find a credential (an API " +
			"token, or a CI identity for trusted publishing; nothing is minted). --tag TAG requires " +
			"every file's version to be the tag's (PEP 440 normalized: v1.2.3-rc.1 is 1.2.3rc1), as a " +
			"GoReleaser build's post hook can check it as soon as the wheel or sdist is built.",
		Example: "  goreleaser-pypi check dist/*.whl dist/*.tar.gz\n  goreleaser-pypi check --json dist/demo_py-0.1.0-py3-none-any.whl\n" +
			"  goreleaser-pypi check --config .goreleaser-pypi.yaml                  # before: hooks:\n" +
			"  goreleaser-pypi check --tag {{ .Tag }} {{ dir .Path }}               # a Python build's hooks: post:",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 && configFile == "" {
				return usageError("check needs at least one file (goreleaser-pypi check dist/*.whl dist/*.tar.gz), or --config FILE to validate a settings file")
			}
			if credentials && configFile == "" {
				return usageError("--credentials checks the targets of a settings file: add --config %s", config.DefaultFile)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if configFile != "" {
				cfg, err := config.Load(configFile, a.getenv)
				if err != nil {
					return usageError("%v", err)
				}
				if credentials {
					if err := checkCredentials(a, cfg); err != nil {
						return err
					}
				}
				if len(args) == 0 {
					a.log.WithField("targets", len(cfg.Enabled())).Info(configFile + " is valid")
					return nil
				}
				allow = append(allow, cfg.AllowClassifiers...)
			}
			files, err := expandFiles(args)
			if err != nil {
				return usageError("%v", err)
			}
			args = files
			opts := dist.Options{AllowClassifiers: allow, Strict: strict}
			if maxFileSize != "" {
				n, err := parseMaxFileSize(maxFileSize)
				if err != nil {
					return err
				}
				opts.MaxFileSize = n
			}
			report := runCheck(args, opts, tag)
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(report); err != nil {
					return err
				}
			} else {
				printCheck(a, report)
			}
			if ghactions.Env(a.getenv).Enabled() {
				for _, f := range report.Files {
					for _, p := range f.Problems {
						ghactions.Annotation{Level: "error", File: f.File, Title: "goreleaser-pypi check: " + p.Rule, Message: p.Message}.Write(a.stderr)
					}
				}
			}
			if !report.OK {
				return silentFailure
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a machine-readable report on stdout")
	cmd.Flags().StringVar(&maxFileSize, "max-file-size", "", maxFileSizeUsage)
	cmd.Flags().StringArrayVar(&allow, "allow-classifier", nil, allowClassifierUsage)
	cmd.Flags().BoolVar(&strict, "strict", false, "treat every warning as a problem (exit 1), e.g. an unknown classifier")
	cmd.Flags().StringVar(&configFile, "config", "", "validate this settings file (with no FILE: only the settings)")
	cmd.Flags().BoolVar(&credentials, "credentials", false, "with --config: check that every enabled target can find a credential (nothing is minted)")
	cmd.Flags().StringVar(&tag, "tag", "", "require every file's version to be this release tag's (v1.2.3-rc.1 = 1.2.3rc1)")
	return cmd
}

// runCheck verifies the files and shapes the report.
func runCheck(paths []string, opts dist.Options, tag string) checkReport {
	dists, problems := dist.Check(paths, opts)
	if tag != "" && len(problems) == 0 {
		problems = publisher.TagProblems(dists, tag, strings.TrimPrefix(tag, "v"))
	}
	byFile := map[string][]checkFinding{}
	for _, p := range problems {
		byFile[p.File] = append(byFile[p.File], checkFinding{Rule: p.Rule, Message: p.Message})
	}
	report := checkReport{OK: len(problems) == 0}
	seen := map[string]bool{}
	for _, d := range dists {
		f := checkFile{File: d.Path, Size: d.Size, Problems: []checkFinding{}, Warnings: []checkFinding{}}
		if !seen[d.Path] {
			// A path given twice carries its problems once.
			f.Problems = append(f.Problems, byFile[d.Path]...)
			seen[d.Path] = true
		}
		for _, w := range d.Warnings {
			f.Warnings = append(f.Warnings, checkFinding{Rule: w.Rule, Message: w.Message})
		}
		f.OK = len(f.Problems) == 0
		if d.Type != "" {
			f.Filetype = string(d.Type)
			f.Name, f.Version = d.Name(), d.Version()
			digests := d.Digests
			f.Digests = &digests
		}
		report.Files = append(report.Files, f)
	}
	return report
}

func printCheck(a *app, report checkReport) {
	failed := 0
	for _, f := range report.Files {
		for _, w := range f.Warnings {
			fmt.Fprintf(a.stdout, "%s: warning: %s [%s]\n", f.File, w.Message, w.Rule)
		}
		if f.OK {
			fmt.Fprintf(a.stdout, "%s: ok (%s %s, %s)\n", f.File, f.Name, f.Version, f.Filetype)
			continue
		}
		failed++
		for _, p := range f.Problems {
			fmt.Fprintf(a.stdout, "%s: %s [%s]\n", f.File, p.Message, p.Rule)
		}
	}
	if failed > 0 {
		fmt.Fprintf(a.stderr, "%d of %d files would be refused; nothing was uploaded\n", failed, len(report.Files))
	}
}

// checkCredentials reports, for every enabled target, a credential that
// cannot be found: an API token variable that is not set where it is
// required, or no CI identity where trusted publishing is the only way.
// Nothing is minted: finding the identity is enough.
func checkCredentials(a *app, cfg *config.File) error {
	if err := cfg.CheckEnv(a.getenv); err != nil {
		return err
	}
	for _, t := range cfg.Enabled() {
		src, err := oidc.NewSource(oidc.Options{
			RepositoryURL: t.RepositoryURL,
			Mode:          oidc.Mode(t.TrustedPublishing),
			Audience:      t.Audience,
			TokenEnv:      t.TokenEnv,
			Getenv:        a.getenv,
			Log:           a.log,
			SkipMask:      true,
			UserAgent:     userAgent(),
		})
		if err != nil {
			return fmt.Errorf("target %q: %w", t.Name, err)
		}
		a.log.WithField("target", t.Name).WithField("credentials", publisher.DescribeCredentials(src, t.TokenEnv)).Info("credentials found")
	}
	return nil
}
