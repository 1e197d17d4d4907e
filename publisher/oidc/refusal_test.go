package oidc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/secrets"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
)

// The claims section for gitHubClaims(), exactly.
const gitHubClaimsSection = "The claims below are for debugging only: do not use them to configure a trusted publisher\n" +
	"unless they already match your expectations. A claim absent from the token is rendered as `MISSING`.\n" +
	"\n" +
	"* `sub`: `repo:octo/demo:ref:refs/tags/v1.0.0`\n" +
	"* `repository`: `octo/demo`\n" +
	"* `repository_owner`: `octo`\n" +
	"* `repository_owner_id`: `4242`\n" +
	"* `workflow_ref`: `octo/demo/.github/workflows/release.yml@refs/tags/v1.0.0`\n" +
	"* `job_workflow_ref`: `octo/demo/.github/workflows/release.yml@refs/tags/v1.0.0`\n" +
	"* `ref`: `refs/tags/v1.0.0`\n" +
	"* `environment`: `MISSING`\n"

func TestMintRefusals(t *testing.T) {
	cases := []struct {
		code, description string
		hint              string // the hint's first line, exactly
	}{
		{"not-enabled", "GitHub-based trusted publishing functionality not enabled",
			"The index has trusted publishing turned off (for this kind of identity, or entirely): its administrators"},
		{"invalid-payload", "unknown trusted publishing issuer",
			"The index could not read the exchange request, or does not know the identity token's issuer"},
		{"invalid-token", "malformed or invalid token",
			"The index rejected the identity token itself, before matching it against any publisher: a bad signature,"},
		{"invalid-pending-publisher", "valid token, but project already exists",
			"A pending publisher (one that creates the project on its first upload) matched but cannot be used, typically"},
		{"invalid-reuse-token", "invalid token: already used",
			"The index has already exchanged this identity token (same `jti`): each one works once. goreleaser-pypi"},
		{"invalid-publisher", "valid token, but no corresponding publisher (All lookup strategies exhausted)",
			"No trusted publisher on the index matches this token. Compare the claims below with the project's"},
		{"something-new", "a code this client does not know",
			"The index gave no further explanation for this code; compare the claims below with the trusted publisher"},
	}
	ts := newTokenService(t)
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			ix := newFakeIndex(t)
			ix.refusals = []map[string]string{{"code": tc.code, "description": tc.description}}
			c := newCapture()
			src, err := oidc.NewSource(options(ix, ts.env(), c))
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Token(context.Background())
			e := asError(t, err)
			if e.Problem != oidc.ProblemMintRefused {
				t.Fatalf("problem = %s", e.Problem)
			}
			host := strings.TrimPrefix(ix.srv.URL, "http://")
			wantSummary := "trusted publishing: " + host + " refused to exchange the GitHub Actions identity token for an upload token (" + tc.code + ")"
			if e.Summary != wantSummary {
				t.Errorf("summary:\n%s\nwant:\n%s", e.Summary, wantSummary)
			}
			if len(e.Refusals) != 1 || e.Refusals[0].Code != tc.code || e.Refusals[0].Description != tc.description {
				t.Errorf("refusals = %+v", e.Refusals)
			}
			if e.Claims.Get("repository") != "octo/demo" {
				t.Errorf("claims = %v", e.Claims)
			}
			msg := err.Error()
			mustContain(t, "message", msg,
				"\n\nThe index gave these reasons:\n\n* `"+tc.code+"`: "+tc.description+"\n  "+tc.hint+"\n",
				"\n\nThis generally indicates a trusted publisher configuration error, but could also indicate an internal\n"+
					"error on GitHub Actions' or the index's part.\n\n"+gitHubClaimsSection+
					"\nSee https://docs.pypi.org/trusted-publishers/troubleshooting/ for more help.")
			if !strings.HasSuffix(msg, "See https://docs.pypi.org/trusted-publishers/troubleshooting/ for more help.") {
				t.Errorf("message does not end with the troubleshooting link:\n%s", msg)
			}
			if strings.Contains(msg, "reusable workflow") {
				t.Error("reusable workflow warning without a reusable workflow")
			}
			secrets.Scan(t, map[string]string{"error": msg, "log": c.log.String(), "stdout": c.stdout.String()},
				append(ts.issuedTokens(), ts.requestToken)...)
		})
	}
}

// TestRefusalGolden pins one whole message.
func TestRefusalGolden(t *testing.T) {
	ts := newTokenService(t)
	ix := newFakeIndex(t)
	ix.refusals = []map[string]string{
		{"code": "invalid-publisher", "description": "valid token, but no corresponding publisher (All lookup strategies exhausted)"},
	}
	src, _ := oidc.NewSource(options(ix, ts.env(), newCapture()))
	_, err := src.Token(context.Background())
	host := strings.TrimPrefix(ix.srv.URL, "http://")
	want := "trusted publishing: " + host + " refused to exchange the GitHub Actions identity token for an upload token (invalid-publisher)\n" +
		"\n" +
		"The index gave these reasons:\n" +
		"\n" +
		"* `invalid-publisher`: valid token, but no corresponding publisher (All lookup strategies exhausted)\n" +
		"  No trusted publisher on the index matches this token. Compare the claims below with the project's\n" +
		"  publisher (its Settings → Publishing page): owner and repository (`repository`), the workflow file NAME\n" +
		"  only, e.g. release.yml (the file in `job_workflow_ref`), and the environment (`environment`: when the\n" +
		"  publisher names one, the job must run with `environment: <name>`). Check for typos, a renamed or\n" +
		"  transferred repository or workflow file, and that the publisher is configured on this index (PyPI and\n" +
		"  TestPyPI are separate).\n" +
		"\n" +
		"This generally indicates a trusted publisher configuration error, but could also indicate an internal\n" +
		"error on GitHub Actions' or the index's part.\n" +
		"\n" +
		gitHubClaimsSection +
		"\n" +
		"See https://docs.pypi.org/trusted-publishers/troubleshooting/ for more help."
	if err.Error() != want {
		t.Errorf("message:\n%s\n\nwant:\n%s", err, want)
	}
}

func TestReusableWorkflowWarning(t *testing.T) {
	ts := newTokenService(t)
	ts.claims["job_workflow_ref"] = "octo/shared/.github/workflows/pypi.yml@refs/heads/main"
	ts.claims["environment"] = "pypi"
	ix := newFakeIndex(t)
	ix.refusals = []map[string]string{{"code": "invalid-publisher", "description": "valid token, but no corresponding publisher (Publisher with matching claims was not found)"}}
	c := newCapture()
	src, _ := oidc.NewSource(options(ix, ts.env(), c))
	_, err := src.Token(context.Background())
	mustContain(t, "message", err.Error(),
		"* `job_workflow_ref`: `octo/shared/.github/workflows/pypi.yml@refs/heads/main`\n",
		"* `environment`: `pypi`\n",
		"The claims of this token say the job runs in a reusable workflow. It was started by:\n\n"+
			"    octo/demo/.github/workflows/release.yml@refs/tags/v1.0.0\n\n"+
			"but the job itself runs:\n\n"+
			"    octo/shared/.github/workflows/pypi.yml@refs/heads/main\n",
		"reusable workflows are not\nofficially supported as trusted publishers")
	mustContain(t, "log", c.log.String(), "reusable workflow: not officially supported by trusted publishing")
}

// A hostile index echoing the identity token in its refusal does not get it
// printed.
func TestRefusalDescriptionsAreRedacted(t *testing.T) {
	ts := newTokenService(t)
	ix := newFakeIndex(t)
	ix.mintHandler = func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Token string }
		json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(422)
		json.NewEncoder(w).Encode(map[string]any{"message": "Token request failed", "errors": []map[string]string{
			{"code": "invalid-token", "description": "bad token " + body.Token + "\x1b[31m"},
		}})
	}
	src, _ := oidc.NewSource(options(ix, ts.env(), newCapture()))
	_, err := src.Token(context.Background())
	mustContain(t, "message", err.Error(), "* `invalid-token`: bad token [redacted][31m\n")
	secrets.Scan(t, map[string]string{"error": err.Error()}, ts.issuedTokens()...)
}

func TestUnexpectedMintAnswers(t *testing.T) {
	ts := newTokenService(t)
	cases := []struct {
		name   string
		status int
		body   string
		want   []string
	}{
		{"html 500", 500, "<html>oops</html>", []string{"answered the token exchange (POST ", "with an unexpected 500 Internal Server Error after 4 attempts", "https://status.python.org/", "<html>oops</html>"}},
		{"404", 404, "not here", []string{"unexpected 404 Not Found", "no trusted publishing token exchange at this address"}},
		{"200 without token", 200, `{"success": true}`, []string{"answered the token exchange with 200 OK but no token"}},
		{"422 without errors", 422, `{"message": "nope"}`, []string{"unexpected 422 Unprocessable Entity", `{"message": "nope"}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ix := newFakeIndex(t)
			ix.mintHandler = func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}
			src, _ := oidc.NewSource(options(ix, ts.env(), newCapture()))
			_, err := src.Token(context.Background())
			if e := asError(t, err); e.Problem != oidc.ProblemMintResponse {
				t.Errorf("problem = %s", e.Problem)
			}
			mustContain(t, "message", err.Error(), tc.want...)
		})
	}
}

func TestRepositoryURLHostOnly(t *testing.T) {
	// The audience and mint endpoints live at the root of the repository
	// URL's host, whatever its path.
	ts := newTokenService(t)
	ix := newFakeIndex(t)
	o := options(ix, ts.env(), newCapture())
	u, _ := url.Parse(ix.srv.URL)
	u.Path = "/some/deep/legacy/"
	o.RepositoryURL = u.String()
	src, _ := oidc.NewSource(o)
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
}
