package pypitest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func TestIssuerTokenEndpointAuth(t *testing.T) {
	srv := NewServer(t)
	iss := srv.Issuer
	for _, tt := range []struct {
		name, auth string
		status     int
	}{
		{"missing", "", 401},
		{"wrong token", "bearer nope", 401},
		{"wrong scheme", "Basic " + iss.RequestToken, 401},
		{"bearer", "bearer " + iss.RequestToken, 200},
		{"Bearer", "Bearer " + iss.RequestToken, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, iss.RequestURL+"&audience=pypi", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
	st := iss.Stats()
	if st.TokenRequests != 5 || st.Unauthorized != 3 || st.TokensIssued != 2 {
		t.Fatalf("stats %+v, want 5 requests, 3 unauthorized, 2 issued", st)
	}
}

func TestIssuerGitHubEnv(t *testing.T) {
	srv := NewServer(t)
	env := srv.Issuer.GitHubEnv()
	if len(env) != 2 ||
		env[0] != "ACTIONS_ID_TOKEN_REQUEST_URL="+srv.Issuer.RequestURL ||
		env[1] != "ACTIONS_ID_TOKEN_REQUEST_TOKEN="+srv.Issuer.RequestToken {
		t.Fatalf("GitHubEnv() = %q", env)
	}
	if !strings.Contains(srv.Issuer.RequestURL, "?") {
		t.Fatalf("RequestURL %q must have a query so clients can append &audience=", srv.Issuer.RequestURL)
	}
	if strings.HasPrefix(srv.Issuer.URL, srv.URL) {
		t.Fatalf("the issuer %s must be another host than the index %s", srv.Issuer.URL, srv.URL)
	}
}

func TestIssuerFailNext(t *testing.T) {
	srv := NewServer(t)
	srv.Issuer.FailNext(2, http.StatusServiceUnavailable)
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest(http.MethodGet, srv.Issuer.RequestURL+"&audience=pypi", nil)
		req.Header.Set("Authorization", "bearer "+srv.Issuer.RequestToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("call %d: %d, want 503", i+1, resp.StatusCode)
		}
	}
	githubToken(t, srv.Issuer, "pypi") // the third call works
	st := srv.Issuer.Stats()
	if st.InjectedFailures != 2 || st.TokensIssued != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestIssuerTokenVerifiesAgainstDiscovery checks the issuer as a relying
// party sees it: the OpenID configuration names the JWKS, whose key
// verifies the token, which carries GitHub's claims.
func TestIssuerTokenVerifiesAgainstDiscovery(t *testing.T) {
	srv := NewServer(t)
	var conf struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if status := getOIDCJSON(t, srv.Issuer.URL+"/.well-known/openid-configuration", &conf); status != 200 {
		t.Fatalf("openid-configuration: %d", status)
	}
	if conf.Issuer != srv.Issuer.URL || len(conf.Algs) != 1 || conf.Algs[0] != "RS256" {
		t.Fatalf("configuration %+v", conf)
	}
	var set jose.JSONWebKeySet
	if status := getOIDCJSON(t, conf.JWKSURI, &set); status != 200 || len(set.Keys) != 1 {
		t.Fatalf("jwks: %d %+v", status, set)
	}
	if !set.Keys[0].IsPublic() || set.Keys[0].Algorithm != "RS256" {
		t.Fatalf("jwks key %+v must be a public RS256 key", set.Keys[0])
	}

	raw := githubToken(t, srv.Issuer, "pypi")
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Headers[0].KeyID != set.Keys[0].KeyID {
		t.Fatalf("kid %q, JWKS has %q", tok.Headers[0].KeyID, set.Keys[0].KeyID)
	}
	var std jwt.Claims
	var claims map[string]any
	if err := tok.Claims(set.Keys[0].Key, &std, &claims); err != nil {
		t.Fatalf("verifying with the JWKS key: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: srv.Issuer.URL, AnyAudience: jwt.Audience{"pypi"}, Time: time.Now()}, 0); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"sub":                 "repo:pypitest/demo:ref:refs/tags/v0.1.0",
		"repository":          "pypitest/demo",
		"repository_owner":    "pypitest",
		"workflow_ref":        "pypitest/demo/.github/workflows/release.yml@refs/tags/v0.1.0",
		"job_workflow_ref":    "pypitest/demo/.github/workflows/release.yml@refs/tags/v0.1.0",
		"ref":                 "refs/tags/v0.1.0",
		"event_name":          "push",
		"workflow":            "release.yml",
		"aud":                 "pypi",
		"repository_owner_id": DefaultPublisher().ownerID(),
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if _, ok := claims["environment"]; ok {
		t.Errorf("no environment configured, yet the token has one: %v", claims["environment"])
	}
	if std.ID == "" || std.Expiry.Time().Sub(std.IssuedAt.Time()) != 5*time.Minute {
		t.Errorf("jti %q, lifetime %v: want a jti and 5 minutes", std.ID, std.Expiry.Time().Sub(std.IssuedAt.Time()))
	}
}

func TestIssuerFreshJTIAndDefaultAudience(t *testing.T) {
	srv := NewServer(t)
	seen := map[string]bool{}
	for i := 0; i < 5; i++ {
		c := unverifiedClaims(t, githubToken(t, srv.Issuer, "pypi"))
		jti := c["jti"].(string)
		if seen[jti] {
			t.Fatalf("jti %s issued twice", jti)
		}
		seen[jti] = true
	}
	// Without &audience=, GitHub uses the owner's URL.
	req, _ := http.NewRequest(http.MethodGet, srv.Issuer.RequestURL, nil)
	req.Header.Set("Authorization", "bearer "+srv.Issuer.RequestToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Value string }
	json.NewDecoder(resp.Body).Decode(&body)
	if aud := unverifiedClaims(t, body.Value)["aud"]; aud != "https://github.com/pypitest" {
		t.Fatalf("default audience %v", aud)
	}
}

func TestIssuerClaimsFollowFirstPublisher(t *testing.T) {
	p := GitHubPublisher{Repository: "octo-org/demo", Workflow: "publish.yaml", Environment: "pypi", Project: "demo"}
	srv := NewServer(t, WithTrustedPublisher(p))
	c := unverifiedClaims(t, githubToken(t, srv.Issuer, "pypi"))
	if c["repository"] != "octo-org/demo" || c["environment"] != "pypi" ||
		c["sub"] != "repo:octo-org/demo:environment:pypi" ||
		c["job_workflow_ref"] != "octo-org/demo/.github/workflows/publish.yaml@refs/tags/v0.1.0" {
		t.Fatalf("claims %v do not describe a run of %+v", c, p)
	}
	mustMint(t, srv, githubToken(t, srv.Issuer, "pypi"))

	// WithIssuerClaims wins.
	srv = NewServer(t, WithTrustedPublisher(p), WithIssuerClaims(DefaultClaims()))
	if c := unverifiedClaims(t, githubToken(t, srv.Issuer, "pypi")); c["repository"] != "pypitest/demo" {
		t.Fatalf("WithIssuerClaims ignored: %v", c)
	}
}

func TestIssuerGitLabEnv(t *testing.T) {
	srv := NewServer(t)
	env, err := srv.Issuer.GitLabEnv("pypi")
	if err != nil {
		t.Fatal(err)
	}
	if len(env) != 2 || env[0] != "GITLAB_CI=true" || !strings.HasPrefix(env[1], "PYPI_ID_TOKEN=ey") {
		t.Fatalf("GitLabEnv = %q", env)
	}
	if c := unverifiedClaims(t, strings.TrimPrefix(env[1], "PYPI_ID_TOKEN=")); c["aud"] != "pypi" || c["iss"] != srv.Issuer.URL {
		t.Fatalf("claims %v", c)
	}
}

func unverifiedClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	u, err := decodeUnverified(tok)
	if err != nil {
		t.Fatal(err)
	}
	return u.claims
}
