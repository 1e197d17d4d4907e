package oidc_test

// End-to-end tests against pypitest: a faithful index with real RS256
// identity tokens from its fake issuer, Warehouse's mint-token checks and
// error texts.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/secrets"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// jobEnv is a GitHub Actions job environment (with id-token: write) for srv.
func jobEnv(srv *pypitest.Server, extra ...string) map[string]string {
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "42", "RUNNER_TEMP": "/tmp", "GITHUB_WORKSPACE": "/w"}
	for _, kv := range append(srv.Issuer.GitHubEnv(), extra...) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}

func pypitestOptions(srv *pypitest.Server, env map[string]string, c *capture) oidc.Options {
	return oidc.Options{
		RepositoryURL: srv.RepositoryURL,
		Getenv:        envFunc(env),
		Log:           c.logger,
		Stdout:        c.stdout,
		ReadFile:      noFiles,
		RetryWait:     time.Millisecond,
	}
}

// checkSingleUse fails when any identity token was presented twice.
func checkSingleUse(t *testing.T, srv *pypitest.Server) {
	t.Helper()
	for jti, n := range srv.OIDCStats().Exchanges {
		if n != 1 {
			t.Errorf("identity token %s exchanged %d times", jti, n)
		}
	}
}

func TestPyPITestGitHub(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithTrustedPublisher(pypitest.GitHubPublisher{
		Repository: "octo-org/demo", Workflow: "release.yml", Environment: "pypi",
	}))
	c := newCapture()
	src, err := oidc.NewSource(pypitestOptions(srv, jobEnv(srv), c))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Secret(), "pypi-") {
		t.Errorf("minted token does not look like a PyPI token")
	}
	st := srv.OIDCStats()
	if st.Minted != 1 || st.AudienceRequests != 1 || len(st.Exchanges) != 1 {
		t.Errorf("stats = %+v", st)
	}
	checkSingleUse(t, srv)
	if got := c.stdout.String(); got != "::add-mask::"+tok.Secret()+"\n" {
		t.Errorf("stdout = %q", got)
	}
	mustContain(t, "log", c.log.String(), "minting token via trusted publishing", "octo-org/demo", "environment", "pypi")
	secrets.Scan(t, map[string]string{"log": c.log.String(), "stdout": c.stdout.String()}, srv.Issuer.RequestToken, tok.Secret())
}

func TestPyPITestRefusalShowsClaims(t *testing.T) {
	// The job runs octo-org/demo's release.yml, the index trusts deploy.yml.
	claims := pypitest.GitHubPublisher{Repository: "octo-org/demo", Workflow: "release.yml"}.Claims()
	srv := pypitest.NewServer(t,
		pypitest.WithTrustedPublisher(pypitest.GitHubPublisher{Repository: "octo-org/demo", Workflow: "deploy.yml"}),
		pypitest.WithIssuerClaims(claims))
	c := newCapture()
	src, _ := oidc.NewSource(pypitestOptions(srv, jobEnv(srv), c))
	_, err := src.Token(context.Background())
	e := asError(t, err)
	if e.Problem != oidc.ProblemMintRefused || len(e.Refusals) != 1 || e.Refusals[0].Code != "invalid-publisher" {
		t.Fatalf("error = %v", err)
	}
	mustContain(t, "message", err.Error(),
		"* `invalid-publisher`: valid token, but no corresponding publisher (",
		"No trusted publisher on the index matches this token.",
		"* `repository`: `octo-org/demo`\n",
		"* `repository_owner`: `octo-org`\n",
		"* `job_workflow_ref`: `octo-org/demo/.github/workflows/release.yml@refs/tags/v0.1.0`\n",
		"* `environment`: `MISSING`\n")
	// Everyone after the refusal gets the same answer without a new exchange.
	if _, err2 := src.Token(context.Background()); err2 != err {
		t.Errorf("second call: %v", err2)
	}
	if st := srv.OIDCStats(); st.MintRequests != 1 {
		t.Errorf("mint requests = %d", st.MintRequests)
	}
	secrets.Scan(t, map[string]string{"error": err.Error(), "log": c.log.String(), "stdout": c.stdout.String()}, srv.Issuer.RequestToken)
}

func TestPyPITestShortLivedTokens(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for tokens to expire")
	}
	t.Parallel()
	srv := pypitest.NewServer(t, pypitest.WithMintedTokenLifetime(3*time.Second))
	c := newCapture()
	src, _ := oidc.NewSource(pypitestOptions(srv, jobEnv(srv), c))
	tok1, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(tok1.Expiry); d > 3*time.Second || d < time.Second {
		t.Errorf("expiry in %s, want about 3 s", d)
	}
	time.Sleep(2 * time.Second) // an upload longer than half the lifetime
	tok2, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok2.Secret() == tok1.Secret() {
		t.Fatal("an almost expired token was handed out again")
	}
	// The index refused tok2 as expired: Invalidate and mint once more.
	src.(credential.Invalidator).Invalidate(tok2)
	tok3, err := src.Token(context.Background())
	if err != nil || tok3.Secret() == tok2.Secret() {
		t.Fatalf("after Invalidate: %v, %v", tok3, err)
	}
	st := srv.OIDCStats()
	if st.Minted != 3 || srv.Issuer.Stats().TokenRequests != 3 {
		t.Errorf("minted %d tokens from %d identity tokens, want 3 and 3", st.Minted, srv.Issuer.Stats().TokenRequests)
	}
	checkSingleUse(t, srv)
	secrets.Scan(t, map[string]string{"log": c.log.String(), "stdout": c.stdout.String()}, srv.Issuer.RequestToken, tok1.Secret(), tok2.Secret(), tok3.Secret())
}

func TestPyPITestRetries(t *testing.T) {
	srv := pypitest.NewServer(t)
	srv.Issuer.FailNext(1, http.StatusServiceUnavailable)
	srv.FailMintNext(2, http.StatusBadGateway)
	src, _ := oidc.NewSource(pypitestOptions(srv, jobEnv(srv), newCapture()))
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, is := srv.OIDCStats(), srv.Issuer.Stats()
	if st.MintRequests != 3 || st.Minted != 1 {
		t.Errorf("stats = %+v: want 3 mint requests, 1 minted", st)
	}
	// One failed identity request retried, then a fresh identity token for
	// each of the 3 mint attempts.
	if is.TokenRequests != 4 || is.TokensIssued != 3 {
		t.Errorf("issuer stats = %+v: want 4 requests, 3 tokens", is)
	}
	checkSingleUse(t, srv)
}

func TestPyPITestGitLab(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithGitLabPublisher(pypitest.GitLabPublisher{
		ProjectPath: "group/demo", WorkflowPath: ".gitlab-ci.yml",
	}))
	glEnv, err := srv.Issuer.GitLabEnv("pypi")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range glEnv {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	c := newCapture()
	src, err := oidc.NewSource(pypitestOptions(srv, env, c))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if srv.OIDCStats().Minted != 1 {
		t.Error("not minted")
	}
	src.(credential.Invalidator).Invalidate(tok)
	if _, err := src.Token(context.Background()); oidc.ErrorProblem(err) != oidc.ProblemTokenSpent {
		t.Errorf("re-mint with the job's only ID token: %v", err)
	}
	checkSingleUse(t, srv)
	secrets.Scan(t, map[string]string{"log": c.log.String(), "stdout": c.stdout.String()}, env["PYPI_ID_TOKEN"], tok.Secret())
}

func TestPyPITestAudience(t *testing.T) {
	t.Run("testpypi", func(t *testing.T) {
		srv := pypitest.NewServer(t, pypitest.WithAudience("testpypi"))
		src, _ := oidc.NewSource(pypitestOptions(srv, jobEnv(srv), newCapture()))
		if _, err := src.Token(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("wrong --audience", func(t *testing.T) {
		srv := pypitest.NewServer(t)
		o := pypitestOptions(srv, jobEnv(srv), newCapture())
		o.Audience = "testpypi"
		src, _ := oidc.NewSource(o)
		_, err := src.Token(context.Background())
		mustContain(t, "message", err.Error(), "* `invalid-token`: ", "the token was requested for `testpypi`")
	})
	t.Run("disabled", func(t *testing.T) {
		srv := pypitest.NewServer(t, pypitest.WithTrustedPublishingDisabled())
		src, _ := oidc.NewSource(pypitestOptions(srv, jobEnv(srv), newCapture()))
		_, err := src.Token(context.Background())
		if oidc.ErrorProblem(err) != oidc.ProblemTrustedPublishingDisabled {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("absent", func(t *testing.T) {
		srv := pypitest.NewServer(t, pypitest.WithoutTrustedPublishing())
		src, _ := oidc.NewSource(pypitestOptions(srv, jobEnv(srv), newCapture()))
		_, err := src.Token(context.Background())
		if oidc.ErrorProblem(err) != oidc.ProblemTrustedPublishingUnsupported {
			t.Errorf("err = %v", err)
		}
		if srv.Issuer.Stats().TokenRequests != 0 {
			t.Error("an identity token was requested for an index without trusted publishing")
		}
	})
}
