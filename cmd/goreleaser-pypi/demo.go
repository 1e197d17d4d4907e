package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/goreleaser"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/report"
)

func init() { register(newDemoCmd) }

// demoProject is the package the demo publishes.
const demoProject, demoVersion = "demo-hello", "0.1.0"

// newDemoCmd is the README's first command: an offline, self-contained tour
// of a release against the built-in local index, with trusted publishing
// through the built-in fake GitHub Actions identity issuer.
func newDemoCmd(a *app) *cobra.Command {
	var noPip bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run an offline release rehearsal against the built-in local index",
		Long: `Start the built-in local index (pypitest) and a fake GitHub Actions identity
issuer, write a wheel and an sdist, and publish them the way a release would:
verify everything, mint a short-lived token by trusted publishing, upload
concurrently, re-run safely with --skip-existing, refuse a broken file before
anything is uploaded, and finally pip install the package from the index.
Nothing leaves this machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), a, !noPip)
		},
	}
	cmd.Flags().BoolVar(&noPip, "no-pip", false, "skip the final pip install from the local index")
	return cmd
}

func runDemo(ctx context.Context, a *app, pip bool) error {
	work, err := os.MkdirTemp("", "goreleaser-pypi-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	srv, err := pypitest.Start("127.0.0.1:0", pypitest.WithStorageDir(filepath.Join(work, "index")))
	if err != nil {
		return fmt.Errorf("starting the local index: %w", err)
	}
	defer srv.Close()
	a.log.WithField("repository_url", srv.RepositoryURL).WithField("simple", srv.SimpleURL).Info("local index started")

	dir := filepath.Join(work, "dist")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	spec := wheelgen.Spec{Name: demoProject, Version: demoVersion, Size: 256 << 10, Seed: 1,
		Summary: "The goreleaser-pypi demo package"}
	wheel, err := wheelgen.Write(dir, spec)
	if err != nil {
		return err
	}
	sdist, err := wheelgen.WriteSdist(dir, spec)
	if err != nil {
		return err
	}

	// The job environment of a GitHub Actions run with "permissions:
	// id-token: write": the identity request URL and bearer, nothing else.
	// No API token exists anywhere.
	env := map[string]string{}
	for _, kv := range srv.Issuer.GitHubEnv() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	// PEP 740 attestations from the index's own fake Sigstore (Fulcio,
	// Rekor, and the trusted root that verifies them).
	root := filepath.Join(work, "trusted_root.json")
	if err := os.WriteFile(root, srv.Sigstore.TrustedRoot, 0o644); err != nil {
		return err
	}
	target := config.DefaultTarget()
	target.Name, target.RepositoryURL, target.TrustedPublishing = "local", srv.RepositoryURL, config.TrustedPublishingAlways
	target.Attestations = config.Attestations{Mode: config.AttestationsAlways, FulcioURL: srv.Sigstore.FulcioURL, RekorURL: srv.Sigstore.RekorURL, TrustedRoot: root}
	settings := &config.File{Version: 1, Targets: []config.Target{target}}
	opts := publisher.Options{Getenv: func(k string) string { return env[k] }, Log: a.log, Stdout: a.stdout}
	publish := func(files ...string) (*report.Target, error) {
		res, err := publisher.Publish(ctx, settings, goreleaser.FilesList(files), opts)
		if len(res.Targets) == 0 {
			return &report.Target{}, err
		}
		return res.Targets[0].Report, err
	}

	step := func(n int, what string) {
		a.log.ResetPadding()
		a.log.Infof("step %d: %s", n, what)
		a.log.IncreasePadding()
	}
	defer a.log.ResetPadding()

	step(1, "verify, mint a token by trusted publishing, attest (PEP 740), upload")
	rep, err := publish(wheel, sdist)
	if err != nil {
		return fmt.Errorf("demo upload failed: %w", err)
	}
	if s := rep.Summary(); s.Uploaded != 2 {
		return fmt.Errorf("demo: expected 2 files uploaded, got %+v", s)
	}
	for _, f := range rep.Files {
		if f.Attestation == nil || f.Attestation.Status != "attested" {
			return fmt.Errorf("demo: %s was not attested: %+v", f.Filename, f.Attestation)
		}
	}
	a.log.WithField("provenance", srv.URL+"/integrity/"+demoProject+"/"+demoVersion+"/"+filepath.Base(wheel)+"/provenance").Info("the index verified and stored the attestations (PyPI's Integrity API)")

	step(2, "re-run the same release with --skip-existing: identical files are skipped by sha256")
	settings.Targets[0].SkipExisting = true
	rep, err = publish(wheel, sdist)
	if err != nil {
		return fmt.Errorf("demo re-run failed: %w", err)
	}
	if s := rep.Summary(); s.Skipped != 2 {
		return fmt.Errorf("demo: expected 2 files skipped, got %+v", s)
	}

	step(3, "a broken file in the set: everything is verified first, nothing is uploaded")
	broken := filepath.Join(dir, "demo_hello-0.2.0-py3-none-any.whl")
	if err := copyFile(wheel, broken); err != nil { // filename says 0.2.0, METADATA says 0.1.0
		return err
	}
	before := len(srv.Files())
	settings.Targets[0].SkipExisting = false
	if _, err := publish(broken, sdist); err == nil {
		return errors.New("demo: the broken wheel was not refused")
	}
	if after := len(srv.Files()); after != before {
		return fmt.Errorf("demo: %d files were uploaded despite a broken one", after-before)
	}
	a.log.Info("refused before any upload, as it should be")

	if pip {
		step(4, "pip install the package from the local index")
		if err := pipInstall(ctx, a, srv.SimpleURL, filepath.Join(work, "site")); err != nil {
			return err
		}
	}
	a.log.ResetPadding()
	a.log.Info("demo complete: this is what a release does on CI, with the index at " + srv.RepositoryURL + " replaced by PyPI")
	// The next step: the same with GoReleaser, the user's own configuration
	// and `goreleaser-pypi serve`.
	a.log.WithField("guide", rehearsalDoc).Info("next: rehearse a real GoReleaser release the same way, offline (TestPyPI and PyPI, trusted publishing, re-runs, a mismatched publisher)")
	return nil
}

// pipInstall installs the demo package from the index into target and imports it.
func pipInstall(ctx context.Context, a *app, simpleURL, target string) error {
	python, err := exec.LookPath("python3")
	if err != nil {
		a.log.Warn("python3 not found: skipping pip install (run: pip install --index-url " + simpleURL + " " + demoProject + ")")
		return nil
	}
	cmd := exec.CommandContext(ctx, python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
		"--no-deps", "--no-cache-dir", "--index-url", simpleURL, "--target", target, demoProject+"=="+demoVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pip install from the local index failed: %w\n%s", err, out)
	}
	imp := exec.CommandContext(ctx, python, "-c", "import demo_hello; print(demo_hello.__name__, 'imported from', demo_hello.__file__)")
	imp.Env = append(os.Environ(), "PYTHONPATH="+target)
	out, err := imp.CombinedOutput()
	if err != nil {
		return fmt.Errorf("importing the installed package failed: %w\n%s", err, out)
	}
	a.log.WithField("pip", "install --index-url "+simpleURL+" "+demoProject).Info(strings.TrimSpace(string(out)))
	return nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
