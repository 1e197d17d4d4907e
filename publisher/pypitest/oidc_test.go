package pypitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Helpers shared by the trusted publishing tests: everything goes through
// HTTP, as a client would.

type mintResponse struct {
	Success bool   `json:"success"`
	Token   string `json:"token"`
	Expires int64  `json:"expires"`
	Message string `json:"message"`
	Errors  []struct {
		Code        string `json:"code"`
		Description string `json:"description"`
	} `json:"errors"`
}

func postMint(t *testing.T, srv *Server, body string) (int, mintResponse, string) {
	t.Helper()
	resp, err := http.Post(srv.URL+"/_/oidc/mint-token", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var mr mintResponse
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &mr); err != nil {
			t.Fatalf("mint-token answered %s with invalid JSON %q: %v", resp.Status, raw, err)
		}
	}
	return resp.StatusCode, mr, string(raw)
}

func mintJWT(t *testing.T, srv *Server, jwt string) (int, mintResponse) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"token": jwt})
	status, mr, _ := postMint(t, srv, string(body))
	return status, mr
}

// mustMint mints and fails the test unless it succeeds.
func mustMint(t *testing.T, srv *Server, jwt string) mintResponse {
	t.Helper()
	status, mr := mintJWT(t, srv, jwt)
	if status != http.StatusOK || !mr.Success || !strings.HasPrefix(mr.Token, "pypi-") {
		t.Fatalf("mint: %d %+v, want 200 with a pypi- token (refusals: %+v)", status, mr, srv.OIDCStats().Refusals)
	}
	return mr
}

// wantRefusal mints and checks the single error's code and description.
func wantRefusal(t *testing.T, srv *Server, jwt, code, description string) {
	t.Helper()
	status, mr := mintJWT(t, srv, jwt)
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("mint: status %d %+v, want 422 %s", status, mr, code)
	}
	if mr.Message != "Token request failed" || len(mr.Errors) != 1 {
		t.Fatalf("mint: body %+v, want message %q and one error", mr, "Token request failed")
	}
	if mr.Errors[0].Code != code || mr.Errors[0].Description != description {
		t.Fatalf("mint error:\n got %s: %q\nwant %s: %q", mr.Errors[0].Code, mr.Errors[0].Description, code, description)
	}
}

// githubToken fetches an ID token the way a GitHub Actions job does.
func githubToken(t *testing.T, iss *Issuer, audience string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, iss.RequestURL+"&audience="+audience, nil)
	req.Header.Set("Authorization", "bearer "+iss.RequestToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Count int    `json:"count"`
		Value string `json:"value"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ID-token endpoint: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Value == "" || body.Count != len(body.Value) {
		t.Fatalf("ID-token endpoint: count %d, value of %d bytes", body.Count, len(body.Value))
	}
	return body.Value
}

func getOIDCJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

func TestAudience(t *testing.T) {
	for _, tt := range []struct {
		name   string
		opts   []Option
		status int
		body   map[string]string
	}{
		{"default", nil, 200, map[string]string{"audience": "pypi"}},
		{"testpypi", []Option{WithAudience("testpypi")}, 200, map[string]string{"audience": "testpypi"}},
		{"disabled", []Option{WithTrustedPublishingDisabled()}, 403, map[string]string{"message": "Trusted publishing functionality not enabled"}},
		{"absent", []Option{WithoutTrustedPublishing()}, 404, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer(t, tt.opts...)
			var got map[string]string
			status := getOIDCJSON(t, srv.URL+"/_/oidc/audience", &got)
			if status != tt.status {
				t.Fatalf("status %d, want %d", status, tt.status)
			}
			if len(got) != len(tt.body) {
				t.Fatalf("body %v, want %v", got, tt.body)
			}
			for k, v := range tt.body {
				if got[k] != v {
					t.Fatalf("body %v, want %v", got, tt.body)
				}
			}
			if n := srv.OIDCStats().AudienceRequests; n != 1 {
				t.Fatalf("AudienceRequests = %d, want 1", n)
			}
		})
	}
}

func TestNoTrustedPublishingMint404(t *testing.T) {
	srv := NewServer(t, WithoutTrustedPublishing())
	status, _, _ := postMint(t, srv, `{"token": "x"}`)
	if status != http.StatusNotFound {
		t.Fatalf("mint-token on an index without trusted publishing: %d, want 404", status)
	}
	// The CI identity still exists.
	if tok := githubToken(t, srv.Issuer, "pypi"); tok == "" {
		t.Fatal("no ID token")
	}
}

func TestMintTokenOnlyPOST(t *testing.T) {
	srv := NewServer(t)
	resp, err := http.Get(srv.URL + "/_/oidc/mint-token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET mint-token: %s, want 405", resp.Status)
	}
}

func TestParsePublisherSpec(t *testing.T) {
	p, err := ParsePublisherSpec("repository=octo/demo,workflow=release.yml,environment=pypi,project=demo-py,owner_id=123,pending=true")
	if err != nil {
		t.Fatal(err)
	}
	want := GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Environment: "pypi", Project: "demo-py", OwnerID: "123", Pending: true}
	if p != want {
		t.Fatalf("got %+v, want %+v", p, want)
	}
	p, err = ParsePublisherSpec(" repository = octo/demo , workflow=.github/workflows/ci.yaml ")
	if err != nil {
		t.Fatal(err)
	}
	if p != (GitHubPublisher{Repository: "octo/demo", Workflow: "ci.yaml"}) {
		t.Fatalf("got %+v", p)
	}
	for spec, wantErr := range map[string]string{
		"":                                                  "repository and workflow are required",
		"repository=octo/demo":                              "repository and workflow are required",
		"workflow=release.yml":                              "repository and workflow are required",
		"repository=octo,workflow=release.yml":              `repository "octo": want owner/name`,
		"repository=octo/demo,workflow=release":             `workflow "release": want the file name`,
		"repository=octo/demo,workflow=a/b.yml":             `workflow "a/b.yml"`,
		"repository=octo/demo,workflow=r.yml,x=1":           `unknown key "x"`,
		"repository=octo/demo,workflow":                     `"workflow" is not key=value`,
		"repository=a/b,repository=c/d,workflow=r.yml":      "repository given twice",
		"repository=octo/demo,workflow=r.yml,owner_id=abc":  `owner_id "abc" must be the numeric`,
		"repository=octo/demo,workflow=r.yml,pending=maybe": `pending="maybe"`,
		"repository=octo/demo,workflow=r.yml,pending=true":  "a pending publisher needs the project",
	} {
		_, err := ParsePublisherSpec(spec)
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("ParsePublisherSpec(%q) = %v, want an error containing %q", spec, err, wantErr)
		}
	}
}

func TestParseGitLabPublisherSpec(t *testing.T) {
	p, err := ParseGitLabPublisherSpec("project_path=group/sub/demo,workflow=ci/release.yml,environment=pypi,project=demo,pending=yes")
	if err != nil {
		t.Fatal(err)
	}
	want := GitLabPublisher{ProjectPath: "group/sub/demo", WorkflowPath: "ci/release.yml", Environment: "pypi", Project: "demo", Pending: true}
	if p != want {
		t.Fatalf("got %+v, want %+v", p, want)
	}
	for spec, wantErr := range map[string]string{
		"project_path=demo,workflow=.gitlab-ci.yml":       `project path "demo": want namespace/project`,
		"project_path=g/demo,workflow=ci.txt":             `workflow path "ci.txt"`,
		"project_path=g/demo":                             "project_path and workflow are required",
		"project_path=g/demo,workflow=a.yml,repo=x":       `unknown key "repo"`,
		"project_path=g/demo,workflow=a.yml,pending=true": "a pending publisher needs the project",
	} {
		if _, err := ParseGitLabPublisherSpec(spec); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("ParseGitLabPublisherSpec(%q) = %v, want an error containing %q", spec, err, wantErr)
		}
	}
}

func TestStartRejectsInvalidPublisher(t *testing.T) {
	_, err := Start("127.0.0.1:0", WithTrustedPublisher(GitHubPublisher{Repository: "nope", Workflow: "release.yml"}))
	if err == nil || !strings.Contains(err.Error(), "want owner/name") {
		t.Fatalf("Start with an invalid publisher: %v", err)
	}
	_, err = Start("127.0.0.1:0", WithMintedTokenLifetime(0))
	if err == nil || !strings.Contains(err.Error(), "must be positive") {
		t.Fatalf("Start with a zero lifetime: %v", err)
	}
}

func TestGitLabTokenEnv(t *testing.T) {
	for aud, want := range map[string]string{"pypi": "PYPI_ID_TOKEN", "testpypi": "TESTPYPI_ID_TOKEN", "my-index.example": "MY_INDEX_EXAMPLE_ID_TOKEN"} {
		if got := GitLabTokenEnv(aud); got != want {
			t.Errorf("GitLabTokenEnv(%q) = %q, want %q", aud, got, want)
		}
	}
}

// tpClock is a settable clock for WithClock.
type tpClock struct{ t time.Time }

func (c *tpClock) now() time.Time { return c.t }

// A release job's trusted publishing against the local index: the job gets
// an ID token from the CI's issuer, exchanges it at the index for a
// short-lived upload token. A process started with srv.Issuer.GitHubEnv()
// in its environment finds the same ACTIONS_ID_TOKEN_REQUEST_* variables a
// GitHub Actions job with "permissions: id-token: write" has.
func Example_trustedPublishing() {
	srv, err := Start("127.0.0.1:0", WithTrustedPublisher(GitHubPublisher{
		Repository: "octo-org/demo",
		Workflow:   "release.yml",
		Project:    "demo",
		Pending:    true, // the first mint creates the project
	}))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	// What a client does with ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN.
	req, _ := http.NewRequest(http.MethodGet, srv.Issuer.RequestURL+"&audience=pypi", nil)
	req.Header.Set("Authorization", "bearer "+srv.Issuer.RequestToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	var idToken struct{ Value string }
	json.NewDecoder(resp.Body).Decode(&idToken)
	resp.Body.Close()

	body, _ := json.Marshal(map[string]string{"token": idToken.Value})
	resp, err = http.Post(srv.URL+"/_/oidc/mint-token", "application/json", strings.NewReader(string(body)))
	if err != nil {
		panic(err)
	}
	var minted struct {
		Success bool
		Token   string
		Expires int64
	}
	json.NewDecoder(resp.Body).Decode(&minted)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, minted.Success, minted.Token[:5], minted.Expires-time.Now().Unix() > 890)
	// Output: 200 true pypi- true
}
