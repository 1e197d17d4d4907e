package pypitest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestMintHappyPath(t *testing.T) {
	srv := NewServer(t, WithTrustedPublisher(GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Project: "Demo_Py"}))
	jwt := githubToken(t, srv.Issuer, "pypi")
	before := time.Now().Unix()
	mr := mustMint(t, srv, jwt)
	if mr.Expires < before+900 || mr.Expires > time.Now().Unix()+900 {
		t.Fatalf("expires %d, want now + 900", mr.Expires)
	}
	tok, ok := srv.tokens.lookup(mr.Token)
	if !ok {
		t.Fatal("the minted token is not registered with the index")
	}
	if !tok.minted || len(tok.projects) != 1 || tok.projects[0] != "demo-py" || tok.expires.Unix() != mr.Expires {
		t.Fatalf("registered token %+v: want minted, scoped to demo-py, expiring at %d", tok, mr.Expires)
	}
	st := srv.OIDCStats()
	jti := unverifiedClaims(t, jwt)["jti"].(string)
	if st.MintRequests != 1 || st.Minted != 1 || st.Exchanges[jti] != 1 || len(st.Errors) != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestMintDefaultPublisherAnyProject(t *testing.T) {
	srv := NewServer(t)
	mr := mustMint(t, srv, githubToken(t, srv.Issuer, "pypi"))
	tok, _ := srv.tokens.lookup(mr.Token)
	if len(tok.projects) != 0 || !tok.minted {
		t.Fatalf("default publisher token %+v: want minted, any project", tok)
	}
	if !tok.oidcMayCreateProject() {
		t.Fatal("a token from a publisher without a project must be able to create projects")
	}
}

func TestMintLifetimeOption(t *testing.T) {
	srv := NewServer(t, WithMintedTokenLifetime(3*time.Second))
	before := time.Now().Unix()
	mr := mustMint(t, srv, githubToken(t, srv.Issuer, "pypi"))
	if mr.Expires < before+3 || mr.Expires > time.Now().Unix()+3 {
		t.Fatalf("expires %d, want now + 3", mr.Expires)
	}
}

func TestMintTestPyPIAudience(t *testing.T) {
	srv := NewServer(t, WithAudience("testpypi"))
	mustMint(t, srv, githubToken(t, srv.Issuer, "testpypi"))
	wantRefusal(t, srv, githubToken(t, srv.Issuer, "pypi"), "invalid-token", "malformed or invalid token")
}

func TestMintPayloadErrors(t *testing.T) {
	srv := NewServer(t)
	const head = "1 validation error for TokenPayload\n"
	for _, tt := range []struct{ body, description string }{
		{"", head + "  Invalid JSON: EOF while parsing a value at line 1 column 0 [type=json_invalid, input_value=b'', input_type=bytes]\n    For further information visit https://errors.pydantic.dev/2.12/v/json_invalid"},
		{"xyz", head + "  Invalid JSON: expected value at line 1 column 1 [type=json_invalid, input_value=b'xyz', input_type=bytes]\n    For further information visit https://errors.pydantic.dev/2.12/v/json_invalid"},
		{"nope", head + "  Invalid JSON: expected ident at line 1 column 2 [type=json_invalid, input_value=b'nope', input_type=bytes]\n    For further information visit https://errors.pydantic.dev/2.12/v/json_invalid"},
		{"{\n \"token\": x}", head + "  Invalid JSON: expected value at line 2 column 11 [type=json_invalid, input_value=b'{\\n \"token\": x}', input_type=bytes]\n    For further information visit https://errors.pydantic.dev/2.12/v/json_invalid"},
		{"{}", head + "token\n  Field required [type=missing, input_value={}, input_type=dict]\n    For further information visit https://errors.pydantic.dev/2.12/v/missing"},
		{`{"jwt": "x"}`, head + "token\n  Field required [type=missing, input_value={'jwt': 'x'}, input_type=dict]\n    For further information visit https://errors.pydantic.dev/2.12/v/missing"},
		{`{"token": 42}`, head + "token\n  Input should be a valid string [type=string_type, input_value=42, input_type=int]\n    For further information visit https://errors.pydantic.dev/2.12/v/string_type"},
		{`["x"]`, head + "  Input should be an object [type=model_type, input_value=['x'], input_type=list]\n    For further information visit https://errors.pydantic.dev/2.12/v/model_type"},
		{`{"token": null}`, head + "token\n  Input should be a valid string [type=string_type, input_value=None, input_type=NoneType]\n    For further information visit https://errors.pydantic.dev/2.12/v/string_type"},
	} {
		status, mr, raw := postMint(t, srv, tt.body)
		if status != 422 || len(mr.Errors) != 1 || mr.Errors[0].Code != "invalid-payload" || mr.Errors[0].Description != tt.description {
			t.Errorf("body %q: %d %s\nwant invalid-payload %q", tt.body, status, raw, tt.description)
		}
	}
}

func TestMintMalformedJWT(t *testing.T) {
	srv := NewServer(t)
	noIss := forgeRS256(t, srv, map[string]any{"kid": srv.Issuer.kid}, map[string]any{"aud": "pypi"})
	for _, jwt := range []string{"", "abc", "a.b", "a.b.c", "e30.W10.", "e30.e30.!!!", noIss} {
		wantRefusal(t, srv, jwt, "invalid-payload", "malformed JWT")
	}
}

func TestMintUnknownIssuer(t *testing.T) {
	srv := NewServer(t)
	c := DefaultClaims()
	c.Extra = map[string]any{"iss": "https://token.actions.githubusercontent.com"}
	jwt, err := srv.Issuer.IDTokenWithClaims("pypi", c)
	if err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, srv, jwt, "invalid-payload", "unknown trusted publishing issuer")
}

func TestMintNotEnabled(t *testing.T) {
	srv := NewServer(t, WithTrustedPublishingDisabled())
	wantRefusal(t, srv, githubToken(t, srv.Issuer, "pypi"), "not-enabled", "github trusted publishing functionality not enabled")
	gl, _ := srv.Issuer.IDTokenWithClaims("pypi", GitLabPublisher{ProjectPath: "g/p", WorkflowPath: ".gitlab-ci.yml"}.Claims())
	wantRefusal(t, srv, gl, "not-enabled", "gitlab trusted publishing functionality not enabled")
}

// otherKey is a second RSA key, for tokens the issuer did not sign.
var otherKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func b64json(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// forgeRS256 signs claims with the issuer's key but a header of our choice.
func forgeRS256(t *testing.T, srv *Server, header, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	for k, v := range header {
		opts.WithHeader(jose.HeaderKey(k), v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: srv.Issuer.key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMintInvalidTokens(t *testing.T) {
	clock := &tpClock{t: time.Unix(1_800_000_000, 0)}
	srv := NewServer(t, WithClock(clock.now))
	iss := srv.Issuer
	now := clock.t
	good := func(mod func(*Claims)) string {
		c := DefaultClaims()
		mod(&c)
		tok, err := iss.IDTokenWithClaims("pypi", c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	validClaims := unverifiedClaims(t, good(func(*Claims) {}))
	signedBy := func(alg jose.SignatureAlgorithm, key any, kid string) string {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
			(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := json.Marshal(validClaims)
		jws, _ := signer.Sign(payload)
		s, _ := jws.CompactSerialize()
		return s
	}
	tampered := func() string {
		parts := strings.Split(good(func(*Claims) {}), ".")
		c := unverifiedClaims(t, strings.Join(parts, "."))
		c["repository"] = "evil/demo"
		parts[1] = b64json(t, c)
		return strings.Join(parts, ".")
	}
	for _, tt := range []struct {
		name, jwt, reason string
	}{
		{"wrong audience", mustIDToken(t, iss, "testpypi", DefaultClaims()), `audience "testpypi"`},
		{"several audiences", good(func(c *Claims) { c.Extra = map[string]any{"aud": []string{"pypi", "other"}} }), "single audience"},
		{"expired beyond leeway", good(func(c *Claims) { c.IssuedAt = now.Add(-10 * time.Minute); c.Expiry = now.Add(-30 * time.Second) }), "expired"},
		{"nbf beyond leeway", good(func(c *Claims) { c.NotBefore = now.Add(31 * time.Second) }), "nbf"},
		{"iat beyond leeway", good(func(c *Claims) { c.IssuedAt = now.Add(31 * time.Second) }), "iat"},
		{"no exp", good(func(c *Claims) { c.Extra = map[string]any{"exp": nil} }), `"exp"`},
		{"no iat", good(func(c *Claims) { c.Extra = map[string]any{"iat": nil} }), `"iat"`},
		{"no aud", good(func(c *Claims) { c.Extra = map[string]any{"aud": nil} }), `"aud"`},
		{"exp not a number", good(func(c *Claims) { c.Extra = map[string]any{"exp": "tomorrow"} }), "exp"},
		{"jti not a string", good(func(c *Claims) { c.Extra = map[string]any{"jti": 7} }), "jti"},
		{"unknown kid", forgeRS256(t, srv, map[string]any{"kid": "nope"}, validClaims), `key ID "nope" not found`},
		{"no kid", forgeRS256(t, srv, nil, validClaims), "kid"},
		{"other key, same kid", signedBy(jose.RS256, otherKey(), iss.kid), "signature"},
		{"HS256", signedBy(jose.HS256, []byte("0123456789abcdef0123456789abcdef"), iss.kid), "only RS256"},
		{"RS512", signedBy(jose.RS512, iss.key, iss.kid), "only RS256"},
		{"none", b64json(t, map[string]any{"alg": "none", "kid": iss.kid, "typ": "JWT"}) + "." + b64json(t, validClaims) + ".", "only RS256"},
		{"tampered payload", tampered(), "signature"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantRefusal(t, srv, tt.jwt, "invalid-token", "malformed or invalid token")
			refusals := srv.OIDCStats().Refusals
			if r := refusals[len(refusals)-1].Reason; !strings.Contains(r, tt.reason) {
				t.Fatalf("reason %q, want it to mention %q", r, tt.reason)
			}
		})
	}
	// The valid token itself is accepted: the cases above fail for the
	// reason they name, not for something shared.
	mustMint(t, srv, good(func(*Claims) {}))
}

func mustIDToken(t *testing.T, iss *Issuer, aud string, c Claims) string {
	t.Helper()
	tok, err := iss.IDTokenWithClaims(aud, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestMintLeewayEdges pins PyPI's 30 s leeway: exp <= now - 30 s is
// expired, nbf and iat may be up to 30 s in the future.
func TestMintLeewayEdges(t *testing.T) {
	clock := &tpClock{t: time.Unix(1_800_000_000, 0)}
	srv := NewServer(t, WithClock(clock.now))
	now := clock.t
	for _, tt := range []struct {
		name string
		mod  func(*Claims)
		ok   bool
	}{
		{"exp now-29s", func(c *Claims) { c.IssuedAt = now.Add(-5 * time.Minute); c.Expiry = now.Add(-29 * time.Second) }, true},
		{"exp now-30s", func(c *Claims) { c.IssuedAt = now.Add(-5 * time.Minute); c.Expiry = now.Add(-30 * time.Second) }, false},
		{"nbf now+30s", func(c *Claims) { c.NotBefore = now.Add(30 * time.Second) }, true},
		{"nbf now+31s", func(c *Claims) { c.NotBefore = now.Add(31 * time.Second) }, false},
		{"iat now+30s", func(c *Claims) { c.IssuedAt = now.Add(30 * time.Second); c.NotBefore = now }, true},
		{"iat now+31s", func(c *Claims) { c.IssuedAt = now.Add(31 * time.Second); c.NotBefore = now }, false},
		{"no nbf", func(c *Claims) { c.Extra = map[string]any{"nbf": nil} }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultClaims()
			tt.mod(&c)
			jwt := mustIDToken(t, srv.Issuer, "pypi", c)
			if tt.ok {
				mustMint(t, srv, jwt)
			} else {
				wantRefusal(t, srv, jwt, "invalid-token", "malformed or invalid token")
			}
		})
	}
}

func TestMintReuse(t *testing.T) {
	srv := NewServer(t)
	jwt := githubToken(t, srv.Issuer, "pypi")
	mustMint(t, srv, jwt)
	wantRefusal(t, srv, jwt, "invalid-reuse-token", "invalid token: already used")
	jti := unverifiedClaims(t, jwt)["jti"].(string)
	if n := srv.OIDCStats().Exchanges[jti]; n != 2 {
		t.Fatalf("Exchanges[%s] = %d, want 2", jti, n)
	}
	// A fresh token from the same run works.
	mustMint(t, srv, githubToken(t, srv.Issuer, "pypi"))
}

// TestMintReuseForgottenAfterExpiry: a used jti is remembered as long as
// its token could be accepted (exp + leeway): a reused token is refused as
// reused, then as expired, never minted.
func TestMintReuseForgottenAfterExpiry(t *testing.T) {
	clock := &tpClock{t: time.Unix(1_800_000_000, 0)}
	srv := NewServer(t, WithClock(clock.now))
	jwt := githubToken(t, srv.Issuer, "pypi")
	mustMint(t, srv, jwt)
	clock.t = clock.t.Add(5*time.Minute + 20*time.Second) // within the leeway
	wantRefusal(t, srv, jwt, "invalid-reuse-token", "invalid token: already used")
	clock.t = clock.t.Add(15 * time.Second) // past exp + leeway
	wantRefusal(t, srv, jwt, "invalid-token", "malformed or invalid token")
}

func TestMintConcurrentSameJWT(t *testing.T) {
	srv := NewServer(t)
	jwt := githubToken(t, srv.Issuer, "pypi")
	var wg sync.WaitGroup
	statuses := make(chan int, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, _ := json.Marshal(map[string]string{"token": jwt})
			resp, err := http.Post(srv.URL+"/_/oidc/mint-token", "application/json", strings.NewReader(string(body)))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	ok := 0
	for s := range statuses {
		if s == 200 {
			ok++
		}
	}
	st := srv.OIDCStats()
	if ok != 1 || st.Minted != 1 || st.Errors["invalid-reuse-token"] != 7 {
		t.Fatalf("%d successes, stats %+v: want exactly one mint and 7 reuse refusals", ok, st)
	}
}

func TestMintFailNext(t *testing.T) {
	srv := NewServer(t)
	jwt := githubToken(t, srv.Issuer, "pypi")
	srv.FailMintNext(2, http.StatusBadGateway)
	for i := 0; i < 2; i++ {
		if status, _ := mintJWT(t, srv, jwt); status != http.StatusBadGateway {
			t.Fatalf("call %d: %d, want 502", i+1, status)
		}
	}
	// The failed calls did not consume the JWT.
	mustMint(t, srv, jwt)
	if st := srv.OIDCStats(); st.InjectedFailures != 2 || st.MintRequests != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestMintKeysFetchedOnceAndRefreshedAfterCooldown(t *testing.T) {
	clock := &tpClock{t: time.Unix(1_800_000_000, 0)}
	srv := NewServer(t, WithClock(clock.now))
	for i := 0; i < 3; i++ {
		mustMint(t, srv, githubToken(t, srv.Issuer, "pypi"))
	}
	if st := srv.Issuer.Stats(); st.ConfigRequests != 1 || st.JWKSRequests != 1 {
		t.Fatalf("discovery fetched %d/%d times for 3 mints, want once", st.ConfigRequests, st.JWKSRequests)
	}
	unknown := forgeRS256(t, srv, map[string]any{"kid": "rotated"}, unverifiedClaims(t, githubToken(t, srv.Issuer, "pypi")))
	wantRefusal(t, srv, unknown, "invalid-token", "malformed or invalid token")
	if st := srv.Issuer.Stats(); st.JWKSRequests != 1 {
		t.Fatalf("an unknown kid within the cooldown refetched the JWKS (%d fetches)", st.JWKSRequests)
	}
	clock.t = clock.t.Add(61 * time.Second)
	unknown = forgeRS256(t, srv, map[string]any{"kid": "rotated"}, unverifiedClaims(t, githubToken(t, srv.Issuer, "pypi")))
	wantRefusal(t, srv, unknown, "invalid-token", "malformed or invalid token")
	if st := srv.Issuer.Stats(); st.JWKSRequests != 2 {
		t.Fatalf("an unknown kid after the cooldown did not refresh the JWKS (%d fetches)", st.JWKSRequests)
	}
}

func TestMintPublisherMismatch(t *testing.T) {
	pub := GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Project: "demo"}
	base := pub.Claims()
	notFound := "valid token, but no corresponding publisher (Publisher with matching claims was not found)"
	for _, tt := range []struct {
		name        string
		pub         GitHubPublisher
		mod         func(*Claims)
		description string
	}{
		{"other repository", pub, func(c *Claims) {
			*c = GitHubPublisher{Repository: "octo/other", Workflow: "release.yml"}.Claims()
		}, notFound},
		{"other workflow", pub, func(c *Claims) {
			*c = GitHubPublisher{Repository: "octo/demo", Workflow: "ci.yml"}.Claims()
		}, notFound},
		{"other owner id (resurrected account)", pub, func(c *Claims) { c.RepositoryOwnerID = "1" }, notFound},
		{"environment mismatch", GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Environment: "pypi"},
			func(c *Claims) { c.Environment = "staging" }, notFound},
		{"environment required but absent", GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Environment: "pypi"},
			func(c *Claims) { c.Environment = "" }, notFound},
		{"pull_request_target", pub, func(c *Claims) { c.EventName = "pull_request_target" },
			"valid token, but no corresponding publisher (Publishing from a workflow invoked via 'pull_request_target' is not supported.)"},
		{"missing ref", pub, func(c *Claims) { c.Extra = map[string]any{"ref": nil} },
			"valid token, but no corresponding publisher (Missing claim 'ref')"},
		{"missing jti", pub, func(c *Claims) { c.Extra = map[string]any{"jti": nil} },
			"valid token, but no corresponding publisher (Missing claim 'jti')"},
		{"missing event_name", pub, func(c *Claims) { c.EventName = "" },
			"valid token, but no corresponding publisher (Missing claim 'event_name')"},
		{"no workflow file in job_workflow_ref", pub, func(c *Claims) { c.JobWorkflowRef = "octo/demo/.github/workflows/release@refs/tags/v0.1.0" },
			"valid token, but no corresponding publisher (Could not job extract workflow filename from OIDC claims)"},
		{"ref and sha empty", pub, func(c *Claims) { c.Extra = map[string]any{"ref": "", "sha": ""} },
			"valid token, but no corresponding publisher (The ref and sha claims are empty)"},
		{"job_workflow_ref at another ref", pub, func(c *Claims) {
			c.JobWorkflowRef = "octo/demo/.github/workflows/release.yml@refs/heads/main"
		}, "valid token, but no corresponding publisher (The job_workflow_ref claim does not match, expecting one of " +
			"['octo/demo/.github/workflows/release.yml@3f786850e387550fdab836ed7e6dc881de23001b', " +
			"'octo/demo/.github/workflows/release.yml@refs/tags/v0.1.0'], got 'octo/demo/.github/workflows/release.yml@refs/heads/main')"},
		{"sub of another repository", pub, func(c *Claims) { c.Subject = "repo:evil/demo:ref:refs/tags/v0.1.0" },
			"valid token, but no corresponding publisher (Check failed for required claim 'sub')"},
		{"repository_owner of another owner", pub, func(c *Claims) { c.RepositoryOwner = "evil" },
			"valid token, but no corresponding publisher (Check failed for required claim 'repository_owner')"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.mod(&c)
			srv := NewServer(t, WithTrustedPublisher(tt.pub), WithIssuerClaims(c))
			wantRefusal(t, srv, githubToken(t, srv.Issuer, "pypi"), "invalid-publisher", tt.description)
		})
	}
}

func TestMintPublisherMatches(t *testing.T) {
	for _, tt := range []struct {
		name string
		pub  GitHubPublisher
		mod  func(*Claims)
	}{
		{"repository case differs", GitHubPublisher{Repository: "Octo/Demo", Workflow: "release.yml"}, func(*Claims) {}},
		{"environment case differs", GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Environment: "PyPI"}, func(c *Claims) { c.Environment = "pypi" }},
		{"token in an environment, publisher without", GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml"}, func(c *Claims) { c.Environment = "pypi" }},
		{"job_workflow_ref at the sha", GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml"}, func(c *Claims) {
			c.Extra = map[string]any{"ref": ""} // present but empty, as for some deployments
			c.JobWorkflowRef = "octo/demo/.github/workflows/release.yml@" + defaultSHA
		}},
		{"workflow file named .yaml", GitHubPublisher{Repository: "octo/demo", Workflow: "publish.yaml"}, func(*Claims) {}},
		{"pull_request event", GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml"}, func(c *Claims) { c.EventName = "pull_request" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := GitHubPublisher{Repository: "octo/demo", Workflow: tt.pub.Workflow}.Claims()
			tt.mod(&c)
			srv := NewServer(t, WithTrustedPublisher(tt.pub), WithIssuerClaims(c))
			mustMint(t, srv, githubToken(t, srv.Issuer, "pypi"))
		})
	}
}

// TestMintReusableWorkflow follows Warehouse: the publisher is matched on
// job_workflow_ref, the called workflow, not on workflow_ref, the caller.
func TestMintReusableWorkflow(t *testing.T) {
	caller := GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml"}
	called := GitHubPublisher{Repository: "octo/demo", Workflow: "publish.yml"}
	reusable := caller.Claims()
	reusable.JobWorkflowRef = "octo/demo/.github/workflows/publish.yml@refs/tags/v0.1.0"

	// A publisher naming the caller does not match...
	srv := NewServer(t, WithTrustedPublisher(caller), WithIssuerClaims(reusable))
	wantRefusal(t, srv, githubToken(t, srv.Issuer, "pypi"), "invalid-publisher",
		"valid token, but no corresponding publisher (Publisher with matching claims was not found)")
	// ...one naming the called workflow does.
	srv = NewServer(t, WithTrustedPublisher(called), WithIssuerClaims(reusable))
	mustMint(t, srv, githubToken(t, srv.Issuer, "pypi"))

	// A reusable workflow from another repository never matches.
	elsewhere := caller.Claims()
	elsewhere.JobWorkflowRef = "octo/shared/.github/workflows/publish.yml@refs/heads/main"
	srv = NewServer(t, WithTrustedPublisher(called), WithIssuerClaims(elsewhere))
	wantRefusal(t, srv, githubToken(t, srv.Issuer, "pypi"), "invalid-publisher",
		"valid token, but no corresponding publisher (The job_workflow_ref claim does not match, expecting one of "+
			"['octo/demo/.github/workflows/publish.yml@3f786850e387550fdab836ed7e6dc881de23001b', "+
			"'octo/demo/.github/workflows/publish.yml@refs/tags/v0.1.0'], got 'octo/shared/.github/workflows/publish.yml@refs/heads/main')")
}

func TestMintMostSpecificEnvironmentAndProjects(t *testing.T) {
	// Two publishers for the same workflow: one constrained to the "pypi"
	// environment for project a, one unconstrained for b and c.
	srv := NewServer(t,
		WithTrustedPublisher(GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Environment: "pypi", Project: "a"}),
		WithTrustedPublisher(GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Project: "b"}),
		WithTrustedPublisher(GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Project: "C.C"}),
	)
	c := GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml"}.Claims()
	c.Environment = "pypi"
	srv.Issuer.SetClaims(c)
	tok, _ := srv.tokens.lookup(mustMint(t, srv, githubToken(t, srv.Issuer, "pypi")).Token)
	if fmt.Sprint(tok.projects) != "[a]" {
		t.Fatalf("in environment pypi: projects %v, want [a]", tok.projects)
	}
	c.Environment = ""
	srv.Issuer.SetClaims(c)
	tok, _ = srv.tokens.lookup(mustMint(t, srv, githubToken(t, srv.Issuer, "pypi")).Token)
	if fmt.Sprint(tok.projects) != "[b c-c]" {
		t.Fatalf("without environment: projects %v, want [b c-c]", tok.projects)
	}
}

func TestMintPendingPublisher(t *testing.T) {
	pending := GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Project: "demo-py", Pending: true}
	srv := NewServer(t, WithTrustedPublisher(pending))
	if srv.oidc.projectExists("demo-py") {
		t.Fatal("the project exists before the first mint")
	}
	tok, _ := srv.tokens.lookup(mustMint(t, srv, githubToken(t, srv.Issuer, "pypi")).Token)
	if !srv.oidc.projectExists("Demo_Py") {
		t.Fatal("the first mint of a pending publisher did not create its project")
	}
	if fmt.Sprint(tok.projects) != "[demo-py]" {
		t.Fatalf("projects %v", tok.projects)
	}
	// The publisher is now a regular one: minting goes on working.
	mustMint(t, srv, githubToken(t, srv.Issuer, "pypi"))
}

func TestMintPendingPublisherProjectExists(t *testing.T) {
	pending := GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Project: "demo-py", Pending: true}
	srv := NewServer(t, WithTrustedPublisher(pending), WithToken("pypi-owner"), WithProject("demo.py", "pypi-owner"))
	wantRefusal(t, srv, githubToken(t, srv.Issuer, "pypi"), "invalid-pending-publisher", "valid token, but project already exists")
	// Warehouse deletes that pending publisher: next time there is none.
	wantRefusal(t, srv, githubToken(t, srv.Issuer, "pypi"), "invalid-publisher",
		"valid token, but no corresponding publisher (Publisher with matching claims was not found)")
}

func TestMintGitLab(t *testing.T) {
	pub := GitLabPublisher{ProjectPath: "group/sub/demo", WorkflowPath: "ci/release.yml", Environment: "pypi", Project: "demo"}
	srv := NewServer(t, WithGitLabPublisher(pub))
	env, err := srv.Issuer.GitLabEnv("pypi")
	if err != nil {
		t.Fatal(err)
	}
	jwt := strings.TrimPrefix(env[1], "PYPI_ID_TOKEN=")
	c := unverifiedClaims(t, jwt)
	if c["ci_config_ref_uri"] != "gitlab.com/group/sub/demo//ci/release.yml@refs/tags/v0.1.0" ||
		c["sub"] != "project_path:group/sub/demo:ref_type:tag:ref:v0.1.0" || c["namespace_path"] != "group/sub" {
		t.Fatalf("GitLab claims %v", c)
	}
	tok, _ := srv.tokens.lookup(mustMint(t, srv, jwt).Token)
	if fmt.Sprint(tok.projects) != "[demo]" {
		t.Fatalf("projects %v", tok.projects)
	}
	wantRefusal(t, srv, jwt, "invalid-reuse-token", "invalid token: already used")

	for _, tt := range []struct {
		name        string
		mod         func(*Claims)
		description string
	}{
		{"environment case differs (exact on GitLab)", func(c *Claims) { c.Environment = "PyPI" },
			"valid token, but no corresponding publisher (Publisher with matching claims was not found)"},
		{"other workflow file", func(c *Claims) { c.CIConfigRefURI = "gitlab.com/group/sub/demo//.gitlab-ci.yml@refs/tags/v0.1.0" },
			"valid token, but no corresponding publisher (Publisher with matching claims was not found)"},
		{"ref mismatch", func(c *Claims) { c.CIConfigRefURI = "gitlab.com/group/sub/demo//ci/release.yml@refs/heads/main" },
			"valid token, but no corresponding publisher (The ci_config_ref_uri claim does not match, expecting one of " +
				"['gitlab.com/group/sub/demo//ci/release.yml@3f786850e387550fdab836ed7e6dc881de23001b', " +
				"'gitlab.com/group/sub/demo//ci/release.yml@refs/tags/v0.1.0'], got 'gitlab.com/group/sub/demo//ci/release.yml@refs/heads/main')"},
		{"missing ref_path", func(c *Claims) { c.RefPath = "" },
			"valid token, but no corresponding publisher (Missing claim 'ref_path')"},
		{"no workflow path", func(c *Claims) { c.CIConfigRefURI = "gitlab.com/group/sub/demo@refs/tags/v0.1.0" },
			"valid token, but no corresponding publisher (Could not extract workflow filename from OIDC claims)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := pub.Claims()
			tt.mod(&c)
			wantRefusal(t, srv, mustIDToken(t, srv.Issuer, "pypi", c), "invalid-publisher", tt.description)
		})
	}
}

// TestGitLabModeWithGitHubPublisher: the issuer's GitLab-style delivery (a
// JWT in PYPI_ID_TOKEN) works with whatever claims it asserts, so a
// GitHub-shaped token delivered that way matches a GitHub publisher.
func TestGitLabModeWithGitHubPublisher(t *testing.T) {
	srv := NewServer(t)
	tok, err := srv.Issuer.IDToken("pypi")
	if err != nil {
		t.Fatal(err)
	}
	mustMint(t, srv, tok)
	if st := srv.Issuer.Stats(); st.TokensIssued != 1 || st.TokenRequests != 0 {
		t.Fatalf("issuer stats %+v", st)
	}
}

func TestGitLabPathExtraction(t *testing.T) {
	for uri, want := range map[string]string{
		"gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main":   ".gitlab-ci.yml",
		"gitlab.com/g/s/p//ci/a/release.yaml@refs/tags/v1": "ci/a/release.yaml",
		"gitlab.com/g/p//a.yml@b.yml@refs/heads/x":         "a.yml@b.yml",
		"gitlab.com/g/p//.yml@refs/heads/main":             "",
		"gitlab.com/g/p/.gitlab-ci.yml@refs/heads/main":    "",
		"gitlab.com/g/p//ci/.yml@x":                        "",
	} {
		if got := gitLabWorkflowPath(uri); got != want {
			t.Errorf("gitLabWorkflowPath(%q) = %q, want %q", uri, got, want)
		}
	}
}
