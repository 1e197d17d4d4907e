package oidc_test

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/secrets"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
)

// noFiles is a ReadFile for a machine that is not Google Cloud and has no
// event payload.
func noFiles(string) ([]byte, error) { return nil, fs.ErrNotExist }

func options(ix *fakeIndex, env map[string]string, c *capture) oidc.Options {
	return oidc.Options{
		RepositoryURL: ix.repositoryURL(),
		Getenv:        envFunc(env),
		Log:           c.logger,
		Stdout:        c.stdout,
		ReadFile:      noFiles,
		RetryWait:     time.Millisecond,
		Timeout:       5 * time.Second,
	}
}

func asError(t *testing.T, err error) *oidc.Error {
	t.Helper()
	var e *oidc.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *oidc.Error, got %T: %v", err, err)
	}
	return e
}

func mustContain(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s does not contain %q; it is:\n%s", what, p, s)
		}
	}
}

func TestInvalidMode(t *testing.T) {
	if _, err := oidc.NewSource(oidc.Options{Mode: "sometimes", Getenv: envFunc(nil)}); err == nil || !strings.Contains(err.Error(), "use auto, always or never") {
		t.Errorf("NewSource accepted an invalid mode: %v", err)
	}
}

func TestAPIToken(t *testing.T) {
	ts := newTokenService(t)
	ix := newFakeIndex(t)
	const apiToken = "pypi-api-token-from-env-0123456789"

	t.Run("auto prefers the API token, without network", func(t *testing.T) {
		c := newCapture()
		env := ts.env()
		env["PYPI_API_TOKEN"] = apiToken
		src, err := oidc.NewSource(options(ix, env, c))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := src.Token(context.Background())
		if err != nil || tok.Secret() != apiToken || tok.Origin != "PYPI_API_TOKEN" || !tok.Expiry.IsZero() {
			t.Fatalf("Token() = %v, %v", tok, err)
		}
		if ts.requestCount() != 0 {
			t.Error("the identity service was called although an API token was given")
		}
		if a, m, _ := ix.stats(); a+m != 0 {
			t.Error("the index was called for credentials although an API token was given")
		}
		mustContain(t, "log", c.log.String(), "using API token", "PYPI_API_TOKEN")
		secrets.Scan(t, map[string]string{"log": c.log.String(), "stdout": c.stdout.String()}, apiToken, ts.requestToken)
	})

	t.Run("custom token variable", func(t *testing.T) {
		c := newCapture()
		o := options(ix, map[string]string{"TESTPYPI_TOKEN": apiToken}, c)
		o.TokenEnv = "TESTPYPI_TOKEN"
		o.Mode = oidc.Never
		src, err := oidc.NewSource(o)
		if err != nil {
			t.Fatal(err)
		}
		if tok, _ := src.Token(context.Background()); tok.Secret() != apiToken || tok.Origin != "TESTPYPI_TOKEN" {
			t.Fatalf("Token() = %v", tok)
		}
	})

	t.Run("never without a token", func(t *testing.T) {
		_, err := oidc.NewSource(func() oidc.Options {
			o := options(ix, ts.env(), newCapture())
			o.Mode = oidc.Never
			return o
		}())
		e := asError(t, err)
		if e.Problem != oidc.ProblemNoAPIToken {
			t.Fatalf("problem = %s", e.Problem)
		}
		mustContain(t, "error", err.Error(),
			"no credentials: neither PYPI_API_TOKEN nor PYPI_PASSWORD is set, and trusted publishing is off (--trusted-publishing never)",
			"--trusted-publishing auto")
	})

	t.Run("always ignores the token", func(t *testing.T) {
		c := newCapture()
		env := ts.env()
		env["PYPI_API_TOKEN"] = apiToken
		o := options(ix, env, c)
		o.Mode = oidc.Always
		src, err := oidc.NewSource(o)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := src.Token(context.Background())
		if err != nil || !strings.HasPrefix(tok.Secret(), "pypi-minted-") {
			t.Fatalf("Token() = %v, %v", tok, err)
		}
		mustContain(t, "log", c.log.String(), "not using the API token")
	})
}

func TestGitHubHappyPath(t *testing.T) {
	ts := newTokenService(t)
	ix := newFakeIndex(t)
	c := newCapture()
	src, err := oidc.NewSource(options(ix, ts.env(), c))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.(credential.Invalidator); !ok {
		t.Fatal("the trusted publishing source does not implement credential.Invalidator")
	}
	if ts.requestCount() != 0 {
		t.Fatal("NewSource made a request")
	}
	tok, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !ix.valid(tok.Secret()) {
		t.Fatal("the index does not know the minted token")
	}
	if tok.Origin != "trusted publishing (GitHub Actions)" {
		t.Errorf("origin = %q", tok.Origin)
	}
	if d := time.Until(tok.Expiry); d < 14*time.Minute || d > 15*time.Minute+time.Second {
		t.Errorf("expiry in %s, want about 15 minutes", d)
	}
	// The token is reused, not minted again.
	tok2, err := src.Token(context.Background())
	if err != nil || tok2.Secret() != tok.Secret() {
		t.Fatalf("second Token() = %v, %v: want the cached token", tok2, err)
	}
	if _, mints, _ := ix.stats(); mints != 1 {
		t.Errorf("mints = %d, want 1", mints)
	}
	if got := ts.audiences; len(got) != 1 || got[0] != "pypi" {
		t.Errorf("identity tokens requested for %v, want [pypi] (discovered)", got)
	}
	out := c.stdout.String()
	if out != "::add-mask::"+tok.Secret()+"\n" {
		t.Errorf("stdout = %q, want only the ::add-mask:: line", out)
	}
	logs := c.log.String()
	mustContain(t, "log", logs, "using trusted publishing", "minting token via trusted publishing",
		"provider", "GitHub Actions", "audience", "pypi", "minted upload token", "expires_in",
		"repository", "octo/demo")
	secrets.Scan(t, map[string]string{"log": logs, "stdout": out},
		append(ts.issuedTokens(), ts.requestToken, tok.Secret())...)
}

func TestAudienceOptionSkipsDiscovery(t *testing.T) {
	ts := newTokenService(t)
	ix := newFakeIndex(t)
	ix.audience = "testpypi"
	o := options(ix, ts.env(), newCapture())
	o.Audience = "testpypi"
	src, err := oidc.NewSource(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a, _, _ := ix.stats(); a != 0 {
		t.Errorf("audience endpoint hit %d times although Options.Audience was set", a)
	}
	if ts.audiences[0] != "testpypi" {
		t.Errorf("audience requested = %q", ts.audiences[0])
	}
}

func TestNoMaskOutsideGitHubActions(t *testing.T) {
	ts := newTokenService(t)
	ix := newFakeIndex(t)
	for name, tweak := range map[string]func(map[string]string, *oidc.Options){
		// A GoReleaser custom publisher forwarding only the token variables.
		"GITHUB_ACTIONS not forwarded": func(env map[string]string, _ *oidc.Options) { delete(env, "GITHUB_ACTIONS") },
		"SkipMask":                     func(_ map[string]string, o *oidc.Options) { o.SkipMask = true },
	} {
		t.Run(name, func(t *testing.T) {
			c := newCapture()
			env := ts.env()
			o := options(ix, env, c)
			tweak(env, &o)
			src, err := oidc.NewSource(o)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := src.Token(context.Background()); err != nil {
				t.Fatal(err)
			}
			if c.stdout.String() != "" {
				t.Errorf("stdout = %q, want nothing", c.stdout.String())
			}
		})
	}
}

// The env: block every message about GoReleaser prints.
const envSnippet = `    publishers:
      - name: pypi
        # cmd, ids, ...: unchanged
        env:
          - ACTIONS_ID_TOKEN_REQUEST_URL={{ index .Env "ACTIONS_ID_TOKEN_REQUEST_URL" }}
          - ACTIONS_ID_TOKEN_REQUEST_TOKEN={{ index .Env "ACTIONS_ID_TOKEN_REQUEST_TOKEN" }}
          - GITHUB_ACTIONS={{ index .Env "GITHUB_ACTIONS" }}
          - GITHUB_STEP_SUMMARY={{ index .Env "GITHUB_STEP_SUMMARY" }}
          - GITHUB_EVENT_NAME={{ index .Env "GITHUB_EVENT_NAME" }}
          - GITHUB_EVENT_PATH={{ index .Env "GITHUB_EVENT_PATH" }}
          - PYPI_API_TOKEN={{ index .Env "PYPI_API_TOKEN" }}
`

const permissionsSnippet = `    jobs:
      release:
        permissions:
          contents: write   # what GoReleaser needs to create the release
          id-token: write   # trusted publishing
`

func TestGoReleaserEnv(t *testing.T) {
	got := oidc.GoReleaserEnv("MY_TOKEN")
	if len(got) != 7 || got[6] != `MY_TOKEN={{ index .Env "MY_TOKEN" }}` || got[0] != `ACTIONS_ID_TOKEN_REQUEST_URL={{ index .Env "ACTIONS_ID_TOKEN_REQUEST_URL" }}` {
		t.Errorf("GoReleaserEnv = %q", got)
	}
	if s := oidc.GoReleaserEnvSnippet("", 4); s != envSnippet {
		t.Errorf("snippet:\n%s\nwant:\n%s", s, envSnippet)
	}
}

func TestNoCredentials(t *testing.T) {
	ix := newFakeIndex(t)
	for _, mode := range []oidc.Mode{oidc.Auto, oidc.Always} {
		t.Run(string(mode), func(t *testing.T) {
			o := options(ix, map[string]string{"HOME": "/home/u", "PATH": "/usr/bin"}, newCapture())
			o.Mode = mode
			o.RepositoryURL = "https://upload.pypi.org/legacy/"
			_, err := oidc.NewSource(o)
			e := asError(t, err)
			msg := err.Error()
			if mode == oidc.Auto {
				if e.Problem != oidc.ProblemNoCredentials {
					t.Errorf("problem = %s", e.Problem)
				}
				if !strings.HasPrefix(msg, "no credentials to upload to https://upload.pypi.org/legacy/: PYPI_API_TOKEN is not set and no trusted publishing identity was found (looked for GitHub Actions, GitLab CI/CD and Google Cloud)\n\nFix it in one of these ways:\n") {
					t.Errorf("message starts:\n%s", msg)
				}
			} else {
				if e.Problem != oidc.ProblemNoIdentity {
					t.Errorf("problem = %s", e.Problem)
				}
				mustContain(t, "message", msg, "trusted publishing is required (--trusted-publishing always) but no CI identity was found")
			}
			// Every way to fix it, with the full GoReleaser env: block
			// (GoReleaser scrubs GITHUB_ACTIONS too, so it cannot be detected).
			mustContain(t, "message", msg,
				indentBy(envSnippet, 2),
				indentBy(permissionsSnippet, 2),
				"https://pypi.org/manage/account/publishing/",
				"id_tokens:\n          PYPI_ID_TOKEN:\n            aud: pypi\n",
				"GCE_METADATA_HOST=metadata.google.internal",
				"Create an API token at https://pypi.org/manage/account/token/",
				"  Create an API token at https://pypi.org/manage/account/token/ (scoped to the project),\n"+
					"  store it as a CI secret and pass it in the PYPI_API_TOKEN environment variable (never on the command line).",
			)
		})
	}
}

func indentBy(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = strings.Repeat(" ", n) + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestGitHubWithoutIdentityToken(t *testing.T) {
	ix := newFakeIndex(t)
	dir := t.TempDir()
	forkEvent := filepath.Join(dir, "fork.json")
	os.WriteFile(forkEvent, []byte(`{"pull_request":{"head":{"repo":{"fork":true,"full_name":"mallory/demo"}}}}`), 0o644)
	sameRepoEvent := filepath.Join(dir, "same.json")
	os.WriteFile(sameRepoEvent, []byte(`{"pull_request":{"head":{"repo":{"fork":false}}}}`), 0o644)

	runner := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "1", "RUNNER_TEMP": "/tmp", "GITHUB_WORKSPACE": "/w"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range runner {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name    string
		env     map[string]string
		problem oidc.Problem
		summary string
		want    []string
		notWant []string
	}{{
		name:    "missing permission",
		env:     runner,
		problem: oidc.ProblemMissingPermission,
		summary: "trusted publishing: this GitHub Actions job has no identity token: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set (missing `permissions: id-token: write`?)",
		want: []string{
			"GitHub sets these variables only in jobs allowed to request an OpenID Connect token.",
			permissionsSnippet,
			"https://docs.github.com/en/actions/deployment/security-hardening-your-deployments/about-security-hardening-with-openid-connect#adding-permissions-settings",
			"If goreleaser-pypi runs as a GoReleaser custom publisher, the variables must also be forwarded.",
			envSnippet,
			"Or upload with an API token instead.",
		},
	}, {
		name:    "fork pull request",
		env:     with(map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": forkEvent}),
		problem: oidc.ProblemForkPullRequest,
		summary: "trusted publishing: this GitHub Actions job has no identity token: it runs for a pull request from a fork (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set)",
		want: []string{
			"GitHub does not give workflows triggered by a pull request from a fork an OpenID Connect token, even\nwith `id-token: write` configured.",
			"a tag push,\na published release, or a manually triggered workflow_dispatch",
		},
		notWant: []string{"env:"},
	}, {
		name:    "pull request from the same repository",
		env:     with(map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": sameRepoEvent}),
		problem: oidc.ProblemMissingPermission,
		summary: "trusted publishing: this GitHub Actions job has no identity token: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set (missing `permissions: id-token: write`?)",
	}, {
		name:    "GoReleaser custom publisher without env forwarding",
		env:     map[string]string{"GITHUB_ACTIONS": "true", "HOME": "/home/runner", "PATH": "/usr/bin"},
		problem: oidc.ProblemEnvNotForwarded,
		summary: "trusted publishing: GITHUB_ACTIONS is true but ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set: as a GoReleaser custom publisher, goreleaser-pypi only gets the variables its env: forwards",
		want: []string{
			"The environment looks scrubbed (GITHUB_RUN_ID, RUNNER_TEMP, GITHUB_WORKSPACE, which GitHub sets in every job, are\nmissing), which is what GoReleaser does to custom publishers.",
			"GoReleaser runs custom publishers with a scrubbed environment",
			envSnippet,
			"The job must also be allowed to request an identity token.",
			permissionsSnippet,
		},
	}, {
		name:    "only the URL forwarded",
		env:     map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "https://example.invalid/x?api-version=2.0"},
		problem: oidc.ProblemPartialEnv,
		summary: "trusted publishing: ACTIONS_ID_TOKEN_REQUEST_URL is set but ACTIONS_ID_TOKEN_REQUEST_TOKEN is not",
		want:    []string{"GitHub always sets both together", envSnippet},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCapture()
			o := options(ix, tc.env, c)
			o.ReadFile = os.ReadFile
			_, err := oidc.NewSource(o)
			e := asError(t, err)
			if e.Problem != tc.problem {
				t.Errorf("problem = %s, want %s", e.Problem, tc.problem)
			}
			if e.Summary != tc.summary {
				t.Errorf("summary:\n%s\nwant:\n%s", e.Summary, tc.summary)
			}
			if !strings.HasPrefix(err.Error(), tc.summary+"\n\n") {
				t.Errorf("Error() does not start with the summary and a blank line:\n%s", err)
			}
			mustContain(t, "message", err.Error(), tc.want...)
			for _, nw := range tc.notWant {
				if strings.Contains(err.Error(), nw) {
					t.Errorf("message contains %q:\n%s", nw, err)
				}
			}
		})
	}
}

func TestInsecureRepositoryURL(t *testing.T) {
	ts := newTokenService(t)
	ix := newFakeIndex(t)
	for _, u := range []string{"http://pypi.example.com/legacy/", "http://10.0.0.1:8080/legacy/"} {
		o := options(ix, ts.env(), newCapture())
		o.RepositoryURL = u
		_, err := oidc.NewSource(o)
		if e := asError(t, err); e.Problem != oidc.ProblemInsecureURL {
			t.Errorf("%s: problem = %s", u, e.Problem)
		}
		mustContain(t, "message", err.Error(), "refusing trusted publishing over plain http to ")
	}
	for _, u := range []string{"http://localhost:1/legacy/", "http://127.0.0.2:1/legacy/", "http://[::1]:1/legacy/"} {
		o := options(ix, ts.env(), newCapture())
		o.RepositoryURL = u
		if _, err := oidc.NewSource(o); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	if ts.requestCount() != 0 {
		t.Error("a request was made")
	}
	// The token service URL is checked too before the request token is sent.
	env := ts.env()
	env["ACTIONS_ID_TOKEN_REQUEST_URL"] = "http://token.example.com/idtoken?api-version=2.0"
	src, err := oidc.NewSource(options(ix, env, newCapture()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Token(context.Background())
	mustContain(t, "error", asError(t, err).Error(), "refusing to send ACTIONS_ID_TOKEN_REQUEST_TOKEN over plain http to token.example.com")
}

func TestAudienceFailures(t *testing.T) {
	ts := newTokenService(t)
	cases := []struct {
		status  int
		problem oidc.Problem
		want    []string
	}{
		{http.StatusForbidden, oidc.ProblemTrustedPublishingDisabled, []string{"has trusted publishing disabled (GET ", "/_/oidc/audience answered 403 Forbidden)", "Try again later, or upload with an API token."}},
		{http.StatusNotFound, oidc.ProblemTrustedPublishingUnsupported, []string{"does not support trusted publishing (GET ", "answered 404 Not Found)", "most other indexes (devpi, Artifactory, Nexus, private indexes) do not", "--trusted-publishing never", "--audience"}},
		{http.StatusServiceUnavailable, oidc.ProblemAudience, []string{"responded with an unexpected 503 Service Unavailable after 4 attempts"}},
		{http.StatusTeapot, oidc.ProblemAudience, []string{"responded with an unexpected 418 I'm a teapot"}},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			ix := newFakeIndex(t)
			ix.audienceStatus = tc.status
			src, err := oidc.NewSource(options(ix, ts.env(), newCapture()))
			if err != nil {
				t.Fatal(err)
			}
			before := ts.requestCount()
			_, err = src.Token(context.Background())
			e := asError(t, err)
			if e.Problem != tc.problem {
				t.Errorf("problem = %s", e.Problem)
			}
			mustContain(t, "message", err.Error(), tc.want...)
			if ts.requestCount() != before {
				t.Error("an identity token was requested although the audience is unknown")
			}
		})
	}
}

func TestIdentityEndpointFailures(t *testing.T) {
	ix := newFakeIndex(t)
	t.Run("401 wrong request token", func(t *testing.T) {
		ts := newTokenService(t)
		env := ts.env()
		env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "ghs_wrong_" + randHex(8)
		c := newCapture()
		src, _ := oidc.NewSource(options(ix, env, c))
		_, err := src.Token(context.Background())
		e := asError(t, err)
		if e.Problem != oidc.ProblemIdentityRequest {
			t.Errorf("problem = %s", e.Problem)
		}
		mustContain(t, "message", err.Error(),
			"trusted publishing: GitHub Actions did not issue an identity token: the token service refused the request: 401 Unauthorized",
			"ACTIONS_ID_TOKEN_REQUEST_TOKEN is not valid for ACTIONS_ID_TOKEN_REQUEST_URL")
		if ts.requestCount() != 1 {
			t.Errorf("requests = %d: a 401 must not be retried", ts.requestCount())
		}
		secrets.Scan(t, map[string]string{"error": err.Error(), "log": c.log.String()}, env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"])
	})
	t.Run("5xx retried then explained", func(t *testing.T) {
		ts := newTokenService(t)
		ts.failNext, ts.failStatus = 100, http.StatusBadGateway
		src, _ := oidc.NewSource(options(ix, ts.env(), newCapture()))
		_, err := src.Token(context.Background())
		mustContain(t, "message", err.Error(), "the token service failed with 502 Bad Gateway after 4 attempts", "https://www.githubstatus.com/")
		if ts.requestCount() != 4 {
			t.Errorf("requests = %d, want 4 (1 + 3 retries)", ts.requestCount())
		}
		// A transient failure is not remembered: the next call tries again.
		ts.mu.Lock()
		ts.failNext = 0
		ts.mu.Unlock()
		if _, err := src.Token(context.Background()); err != nil {
			t.Errorf("after the outage: %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		ts := newTokenService(t)
		ts.hang = true
		o := options(ix, ts.env(), newCapture())
		o.Timeout = 200 * time.Millisecond
		o.Retries = -1
		src, _ := oidc.NewSource(o)
		start := time.Now()
		_, err := src.Token(context.Background())
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %s", d)
		}
		mustContain(t, "message", asError(t, err).Error(), "cannot reach the token service", "no answer within 200ms")
	})
}

func TestRetriesUseFreshIdentityTokens(t *testing.T) {
	ts := newTokenService(t)
	ts.failNext, ts.failStatus = 2, http.StatusServiceUnavailable
	ix := newFakeIndex(t)
	ix.mintFailNext, ix.mintFailStatus = 2, http.StatusBadGateway
	c := newCapture()
	src, _ := oidc.NewSource(options(ix, ts.env(), c))
	tok, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !ix.valid(tok.Secret()) {
		t.Fatal("token not valid")
	}
	_, mints, reused := ix.stats()
	if mints != 3 || len(reused) != 0 {
		t.Errorf("mint requests = %d (want 3), JWTs sent more than once = %d", mints, len(reused))
	}
	if n := len(ts.issuedTokens()); n != 3 {
		t.Errorf("identity tokens issued = %d, want 3 (one per mint attempt)", n)
	}
	mustContain(t, "log", c.log.String(), "retrying with a new identity token")
	secrets.Scan(t, map[string]string{"log": c.log.String()}, append(ts.issuedTokens(), ts.requestToken, tok.Secret())...)
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	ts := newTokenService(t)
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere++ }))
	defer other.Close()
	ix := newFakeIndex(t)
	ix.mintHandler = func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal?x=1", http.StatusTemporaryRedirect)
	}
	src, _ := oidc.NewSource(options(ix, ts.env(), newCapture()))
	_, err := src.Token(context.Background())
	e := asError(t, err)
	if e.Problem != oidc.ProblemMintResponse {
		t.Errorf("problem = %s", e.Problem)
	}
	mustContain(t, "message", err.Error(), "the index redirected the token exchange", "307 Temporary Redirect", "redirects are not followed with credentials")
	if elsewhere != 0 {
		t.Error("the redirect was followed")
	}
	secrets.Scan(t, map[string]string{"error": err.Error()}, ts.issuedTokens()...)
}

func TestHugeResponseIsBounded(t *testing.T) {
	ts := newTokenService(t)
	ix := newFakeIndex(t)
	chunk := make([]byte, 1<<20)
	ix.mintHandler = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "2147483648")
		for range 2048 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	src, _ := oidc.NewSource(options(ix, ts.env(), newCapture()))
	_, err := src.Token(context.Background())
	runtime.ReadMemStats(&after)
	mustContain(t, "message", asError(t, err).Error(), "with a body over 1048576 bytes; refusing to read it")
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("allocated %d MiB reading a 2 GiB answer", alloc>>20)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestRefusalIsRememberedAndShared(t *testing.T) {
	ts := newTokenService(t)
	ix := newFakeIndex(t)
	ix.refusals = []map[string]string{{"code": "invalid-publisher", "description": "valid token, but no corresponding publisher (All lookup strategies exhausted)"}}
	src, _ := oidc.NewSource(options(ix, ts.env(), newCapture()))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = src.Token(context.Background())
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if oidc.ErrorProblem(err) != oidc.ProblemMintRefused {
			t.Fatalf("error = %v", err)
		}
	}
	if _, mints, _ := ix.stats(); mints != 1 {
		t.Errorf("mint requests = %d, want 1 for 8 concurrent callers", mints)
	}
}

func TestConcurrentCallersShareOneMint(t *testing.T) {
	ts := newTokenService(t)
	ix := newFakeIndex(t)
	src, _ := oidc.NewSource(options(ix, ts.env(), newCapture()))
	var wg sync.WaitGroup
	toks := make([]string, 16)
	for i := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := src.Token(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			toks[i] = tok.Secret()
		}()
	}
	wg.Wait()
	for _, v := range toks {
		if v != toks[0] {
			t.Fatal("callers got different tokens")
		}
	}
	if _, mints, _ := ix.stats(); mints != 1 {
		t.Errorf("mints = %d, want 1", mints)
	}
}

// TestShortLivedTokens: tokens live 3 s, uploads take 1.2 s each, four run
// at once for about 5 s: every upload's token is still valid when the
// upload ends, and no identity token is exchanged twice.
func TestShortLivedTokens(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 5 s")
	}
	t.Parallel()
	ts := newTokenService(t)
	ix := newFakeIndex(t)
	ix.lifetime = 3 * time.Second
	c := newCapture()
	src, _ := oidc.NewSource(options(ix, ts.env(), c))
	inv := src.(credential.Invalidator)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		expired int
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				tok, err := src.Token(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				time.Sleep(1200 * time.Millisecond) // the upload
				if !ix.valid(tok.Secret()) {        // the index checks the token at the end
					mu.Lock()
					expired++
					mu.Unlock()
					inv.Invalidate(tok)
				}
			}
		}()
	}
	wg.Wait()
	if expired != 0 {
		t.Errorf("%d uploads ended with an expired token", expired)
	}
	_, mints, reused := ix.stats()
	if mints < 2 {
		t.Errorf("mints = %d: tokens were not renewed", mints)
	}
	if len(reused) != 0 {
		t.Errorf("%d identity tokens exchanged twice", len(reused))
	}
	if len(ts.issuedTokens()) != mints {
		t.Errorf("identity tokens = %d, mints = %d: want one fresh identity token per mint", len(ts.issuedTokens()), mints)
	}
	out := c.stdout.String()
	if strings.Count(out, "::add-mask::") != mints {
		t.Errorf("mask lines = %d, mints = %d", strings.Count(out, "::add-mask::"), mints)
	}
	secrets.Scan(t, map[string]string{"log": c.log.String(), "stdout": out},
		append(append(ts.issuedTokens(), ix.mintedTokens()...), ts.requestToken)...)
}

func TestInvalidateMintsAgain(t *testing.T) {
	ts := newTokenService(t)
	ix := newFakeIndex(t)
	src, _ := oidc.NewSource(options(ix, ts.env(), newCapture()))
	tok1, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The index answered "Invalid API Token: token is expired".
	src.(credential.Invalidator).Invalidate(tok1)
	tok2, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok2.Secret() == tok1.Secret() {
		t.Fatal("Invalidate did not cause a new mint")
	}
	// Invalidating the old token again changes nothing.
	src.(credential.Invalidator).Invalidate(tok1)
	if tok3, _ := src.Token(context.Background()); tok3.Secret() != tok2.Secret() {
		t.Error("invalidating an old token dropped the current one")
	}
	// Wrapping in another Reuse (as an uploader might) still re-mints.
	outer := credential.NewReuse(src, 0)
	tok4, _ := outer.Token(context.Background())
	outer.Invalidate(tok4)
	if tok5, _ := outer.Token(context.Background()); tok5.Secret() == tok4.Secret() {
		t.Error("a double-wrapped source kept the invalidated token")
	}
	if _, _, reused := ix.stats(); len(reused) != 0 {
		t.Error("an identity token was exchanged twice")
	}
}

func TestRepositoryURLValidation(t *testing.T) {
	for _, raw := range []string{"ftp://pypi.org/legacy/", "https:///legacy/", "://bad", "https://user:hunter2-secret@%zz/"} {
		_, err := oidc.NewSource(oidc.Options{RepositoryURL: raw, Getenv: envFunc(nil)})
		if err == nil {
			t.Errorf("%q accepted", raw)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error shows the password: %v", err)
		}
	}
	// User info in a valid URL is dropped and never shown.
	ts := newTokenService(t)
	ix := newFakeIndex(t)
	ix.audienceStatus = http.StatusNotFound
	o := options(ix, ts.env(), newCapture())
	o.RepositoryURL = strings.Replace(ix.repositoryURL(), "http://", "http://user:hunter2-secret@", 1)
	src, err := oidc.NewSource(o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Token(context.Background())
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error = %v", err)
	}
}

func TestCustomHTTPClientStillRefusesRedirects(t *testing.T) {
	ts := newTokenService(t)
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere++ }))
	defer other.Close()
	ix := newFakeIndex(t)
	ix.mintHandler = func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/", http.StatusFound)
	}
	o := options(ix, ts.env(), newCapture())
	o.HTTPClient = &http.Client{} // follows redirects by default
	src, _ := oidc.NewSource(o)
	if _, err := src.Token(context.Background()); oidc.ErrorProblem(err) != oidc.ProblemMintResponse {
		t.Errorf("err = %v", err)
	}
	if elsewhere != 0 {
		t.Error("the custom client followed the redirect")
	}
}

// TestExpiryDespiteClockSkew: the index's clock is an hour off; the token's
// lifetime is measured on its clock, never longer than the real one.
func TestExpiryDespiteClockSkew(t *testing.T) {
	for _, offset := range []time.Duration{0, time.Hour, -time.Hour, 3 * time.Second} {
		ts := newTokenService(t)
		ix := newFakeIndex(t)
		ix.lifetime = 10 * time.Minute
		ix.clockOffset = offset
		src, _ := oidc.NewSource(options(ix, ts.env(), newCapture()))
		start := time.Now()
		tok, err := src.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		life := tok.Expiry.Sub(start)
		if life > 10*time.Minute+50*time.Millisecond || life < 10*time.Minute-2*time.Second {
			t.Errorf("offset %s: lifetime estimated at %s, want at most 10m and close to it", offset, life)
		}
	}
}

func TestScrubbedGitHubActions(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{"GITHUB_ACTIONS": "true"}, true},
		{map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "1"}, false},
		{map[string]string{"GITHUB_ACTIONS": "true", "RUNNER_TEMP": "/tmp"}, false},
		{map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "x"}, false},
		{nil, false},
	}
	for _, tc := range cases {
		if got := oidc.ScrubbedGitHubActions(envFunc(tc.env)); got != tc.want {
			t.Errorf("ScrubbedGitHubActions(%v) = %v", tc.env, got)
		}
	}
}
