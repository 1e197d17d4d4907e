package publisher_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/goreleaser"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/plainlog"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/attest"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/report"
)

// attestTarget is a target of srv using srv's fake Sigstore.
func attestTarget(t *testing.T, srv *pypitest.Server, name, mode string) config.Target {
	t.Helper()
	root := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(root, srv.Sigstore.TrustedRoot, 0o644); err != nil {
		t.Fatal(err)
	}
	tg := config.DefaultTarget()
	tg.Name, tg.RepositoryURL, tg.Retry = name, srv.RepositoryURL, fastRetry
	tg.Attestations = config.Attestations{Mode: mode, FulcioURL: srv.Sigstore.FulcioURL, RekorURL: srv.Sigstore.RekorURL, TrustedRoot: root}
	return tg
}

func githubEnv(srv *pypitest.Server) map[string]string {
	vars := map[string]string{}
	for _, kv := range srv.Issuer.GitHubEnv() {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	return vars
}

func publishTargets(t *testing.T, vars map[string]string, targets ...config.Target) (*report.Release, string, error) {
	t.Helper()
	return publishFiles(t, goodFiles(t)[:2], vars, targets...)
}

func publishFiles(t *testing.T, files []string, vars map[string]string, targets ...config.Target) (*report.Release, string, error) {
	t.Helper()
	var c captured
	cfg := &config.File{Version: 1, Targets: targets, CheckVersion: true}
	res, err := publisher.Publish(context.Background(), cfg, goreleaser.FilesList(files), publisher.Options{Getenv: env(vars), Log: plainlog.New(&c.logs), Stdout: &c.stdout})
	return res, c.logs.String(), err
}

func attestationOf(rep *report.Target, i int) attest.Status {
	if rep.Files[i].Attestation == nil {
		return ""
	}
	return rep.Files[i].Attestation.Status
}

// TestTwoTargetsBothAttested: TestPyPI then PyPI in one run (here two
// targets of one index, with one CI identity): every file attested for
// both, signed once (one certificate, one Rekor entry per file), nothing
// written next to the files (gh-action-pypi-publish #319).
func TestTwoTargetsBothAttested(t *testing.T) {
	srv := pypitest.NewServer(t)
	res, logs, err := publishTargets(t, githubEnv(srv), attestTarget(t, srv, "testpypi", "always"), attestTarget(t, srv, "pypi", "always"))
	if err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	for _, tg := range res.Targets {
		for i, f := range tg.Report.Files {
			if attestationOf(tg.Report, i) != attest.StatusAttested {
				t.Errorf("%s %s: %+v", tg.Target, f.Filename, f.Attestation)
			}
		}
	}
	if st := srv.Sigstore.Stats(); st.CertificatesIssued != 1 || st.EntriesLogged != 2 {
		t.Errorf("signed more than once: %+v", st)
	}
	if m, _ := filepath.Glob(filepath.Join("..", "testdata", "good", "*.attestation")); len(m) != 0 {
		t.Errorf("attestation files written next to the distributions: %v", m)
	}
}

// TestReRunSignsOnlyWhatIsUploaded: with skip_existing, a re-run that
// finishes a release attests only the files the index does not hold yet;
// one with nothing left to upload does not reach Sigstore at all. The
// index is read once per run.
func TestReRunSignsOnlyWhatIsUploaded(t *testing.T) {
	srv := pypitest.NewServer(t)
	files := goodFiles(t)[:2]
	target := attestTarget(t, srv, "local", "always")
	target.SkipExisting = true
	if _, logs, err := publishFiles(t, files[:1], githubEnv(srv), target); err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	// The release is finished: the first file is on the index, the
	// second one is not.
	before := srv.Sigstore.Stats()
	reads := len(srv.Requests())
	res, logs, err := publishFiles(t, files, githubEnv(srv), target)
	if err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	seen := map[string]int{}
	for _, r := range srv.Requests()[reads:] {
		if r.Method == "GET" && (strings.HasPrefix(r.Path, "/pypi/") || strings.HasPrefix(r.Path, "/simple/")) {
			if seen[r.Path]++; seen[r.Path] > 1 {
				t.Errorf("%s read twice: the upload did not reuse the attestation step's read", r.Path)
			}
		}
	}
	st := srv.Sigstore.Stats()
	if st.EntriesLogged-before.EntriesLogged != 1 {
		t.Errorf("logged %d entries, want 1 (the file not on the index yet)", st.EntriesLogged-before.EntriesLogged)
	}
	rep := res.Targets[0].Report
	for i, f := range rep.Files {
		want, code := attest.StatusAttested, attest.Reason("")
		if filepath.Base(files[0]) == f.Filename {
			want, code = attest.StatusSkipped, attest.ReasonOnIndex
		}
		if a := f.Attestation; a == nil || a.Status != want || a.Code != code {
			t.Errorf("%s (%s): attestation %+v, want %s %s", f.Filename, attestationOf(rep, i), a, want, code)
		}
	}

	// Run again: everything is there; Sigstore is not contacted.
	before = srv.Sigstore.Stats()
	res, logs, err = publishFiles(t, files, githubEnv(srv), target)
	if err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	if st := srv.Sigstore.Stats(); st.FulcioRequests != before.FulcioRequests || st.RekorRequests != before.RekorRequests {
		t.Errorf("Sigstore used by a run with nothing to upload: %+v then %+v", before, st)
	}
	if !strings.Contains(logs, "every file is already on the index; nothing to sign") {
		t.Errorf("logs:\n%s", logs)
	}
	for _, f := range res.Targets[0].Report.Files {
		if f.Attestation == nil || f.Attestation.Code != attest.ReasonOnIndex {
			t.Errorf("%s: %+v", f.Filename, f.Attestation)
		}
	}
}

// TestAttestationModes: the identity PyPI will demand, the credential kind
// and Sigstore's health decide, before any upload.
func TestAttestationModes(t *testing.T) {
	t.Run("auto: attested, verified by the index, reported", func(t *testing.T) {
		srv := pypitest.NewServer(t)
		res, logs, err := publishTargets(t, githubEnv(srv), attestTarget(t, srv, "local", "auto"))
		if err != nil {
			t.Fatalf("%v\n%s", err, logs)
		}
		rep := res.Targets[0].Report
		for i := range rep.Files {
			if attestationOf(rep, i) != attest.StatusAttested || rep.Files[i].Attestation.RekorLogIndex == nil {
				t.Errorf("%s: %+v", rep.Files[i].Filename, rep.Files[i].Attestation)
			}
		}
		if st := srv.Sigstore.Stats(); st.CertificatesIssued != 1 {
			t.Errorf("%d Fulcio certificates for one release", st.CertificatesIssued)
		}
		if !strings.Contains(rep.Markdown(), "attested (Rekor log index") {
			t.Errorf("step summary:\n%s", rep.Markdown())
		}
	})
	t.Run("API token: no attestations, no 400", func(t *testing.T) {
		srv := pypitest.NewServer(t, pypitest.WithToken(token))
		res, logs, err := publishTargets(t, map[string]string{"PYPI_API_TOKEN": token}, attestTarget(t, srv, "local", "auto"))
		if err != nil {
			t.Fatalf("%v\n%s", err, logs)
		}
		if attestationOf(res.Targets[0].Report, 0) != attest.StatusSkipped || srv.Sigstore.Stats().FulcioRequests != 0 {
			t.Errorf("%+v", res.Targets[0].Report.Files[0].Attestation)
		}
	})
	t.Run("reusable workflow: auto skips with the reason and uploads", func(t *testing.T) {
		srv := pypitest.NewServer(t)
		c := srv.Issuer.Claims()
		c.WorkflowRef = "pypitest/demo/.github/workflows/caller.yml@refs/tags/v0.1.0"
		srv.Issuer.SetClaims(c)
		res, logs, err := publishTargets(t, githubEnv(srv), attestTarget(t, srv, "local", "auto"))
		if err != nil {
			t.Fatalf("%v\n%s", err, logs)
		}
		rep := res.Targets[0].Report
		if attestationOf(rep, 0) != attest.StatusSkipped || !strings.Contains(rep.Files[0].Attestation.Reason, "reusable workflow") || len(srv.Files()) != 2 {
			t.Errorf("%+v, %d files", rep.Files[0].Attestation, len(srv.Files()))
		}
		if srv.Sigstore.Stats().FulcioRequests != 0 {
			t.Error("Sigstore was asked")
		}
	})
	t.Run("reusable workflow: always fails before any upload", func(t *testing.T) {
		srv := pypitest.NewServer(t)
		c := srv.Issuer.Claims()
		c.WorkflowRef = "pypitest/demo/.github/workflows/caller.yml@refs/tags/v0.1.0"
		srv.Issuer.SetClaims(c)
		_, _, err := publishTargets(t, githubEnv(srv), attestTarget(t, srv, "local", "always"))
		if err == nil || !strings.Contains(err.Error(), "reusable workflow") || !strings.Contains(err.Error(), "nothing was uploaded") {
			t.Fatalf("%v", err)
		}
		if srv.Stats().UploadAttempts != 0 {
			t.Error("a file was uploaded")
		}
	})
	t.Run("Fulcio down: retried, then auto uploads without", func(t *testing.T) {
		srv := pypitest.NewServer(t)
		srv.Sigstore.FailFulcioNext(100, 503)
		res, logs, err := publishTargets(t, githubEnv(srv), attestTarget(t, srv, "local", "auto"))
		if err != nil {
			t.Fatalf("%v\n%s", err, logs)
		}
		rep := res.Targets[0].Report
		if attestationOf(rep, 0) != attest.StatusFailed || len(srv.Files()) != 2 || !strings.Contains(logs, "no attestation") {
			t.Errorf("%+v\n%s", rep.Files[0].Attestation, logs)
		}
	})
	t.Run("Rekor down: always fails before any upload", func(t *testing.T) {
		srv := pypitest.NewServer(t)
		srv.Sigstore.FailRekorNext(100, 503)
		_, _, err := publishTargets(t, githubEnv(srv), attestTarget(t, srv, "local", "always"))
		if err == nil || !strings.Contains(err.Error(), "nothing was uploaded") || srv.Stats().UploadAttempts != 0 {
			t.Fatalf("%v, %d uploads", err, srv.Stats().UploadAttempts)
		}
	})
	t.Run("never: no Sigstore traffic", func(t *testing.T) {
		srv := pypitest.NewServer(t)
		res, logs, err := publishTargets(t, githubEnv(srv), attestTarget(t, srv, "local", "never"))
		if err != nil || srv.Sigstore.Stats().FulcioRequests != 0 || attestationOf(res.Targets[0].Report, 0) != attest.StatusSkipped {
			t.Fatalf("%v %+v\n%s", err, res.Targets[0].Report.Files[0].Attestation, logs)
		}
	})
}

// Every request of a run says who sends it: the CI's identity tokens, the
// audience and the mint, Fulcio and Rekor, the index reads and the
// uploads all carry Options.UserAgent (indexes and CI providers log it).
func TestEveryRequestCarriesTheUserAgent(t *testing.T) {
	const ua = "goreleaser-pypi/9.9.9-test"
	srv := pypitest.NewServer(t)
	tg := attestTarget(t, srv, "pypi", "always")
	tg.SkipExisting = true // the index is read before the upload
	var c captured
	cfg := &config.File{Version: 1, Targets: []config.Target{tg}, CheckVersion: true}
	_, err := publisher.Publish(context.Background(), cfg, goreleaser.FilesList(goodFiles(t)[:2]),
		publisher.Options{Getenv: env(githubEnv(srv)), Log: plainlog.New(&c.logs), Stdout: &c.stdout, UserAgent: ua})
	if err != nil {
		t.Fatalf("%v\n%s", err, c.logs.String())
	}
	kinds := map[string]bool{}
	defer func() { t.Logf("requests: %v", kinds) }()
	for _, r := range srv.Requests() {
		kinds[r.Method+" "+r.Path] = true
		if r.UserAgent != ua {
			t.Errorf("%s %s: User-Agent %q, want %q", r.Method, r.Path, r.UserAgent, ua)
		}
	}
	for _, want := range []string{"GET /_/oidc/audience", "POST /_/oidc/mint-token", "POST /legacy/"} {
		if !kinds[want] {
			t.Errorf("no %s request seen; requests: %v", want, kinds)
		}
	}
	if len(kinds) < 6 {
		t.Errorf("only %d kinds of request seen: %v", len(kinds), kinds)
	}
	for service, agents := range map[string]map[string]int{"the CI's token endpoint": srv.Issuer.Stats().UserAgents, "Sigstore": srv.Sigstore.Stats().UserAgents} {
		if len(agents) != 1 || agents[ua] == 0 {
			t.Errorf("%s saw User-Agents %v, want only %q", service, agents, ua)
		}
	}
}
