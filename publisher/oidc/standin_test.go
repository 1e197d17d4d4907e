package oidc_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caarlos0/log"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/plainlog"
)

// Stand-ins for the CI identity services and the index, each on its own
// httptest server, counting everything they see.

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// makeJWT builds a JWT-shaped token with the given claims and a fresh jti
// (unless claims has one). The index stand-in does not verify signatures.
func makeJWT(claims map[string]any) string {
	c := map[string]any{"jti": randHex(8), "iat": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix()}
	for k, v := range claims {
		c[k] = v
	}
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "standin"}) + "." + enc(c) + "." + base64.RawURLEncoding.EncodeToString([]byte(randHex(32)))
}

// gitHubClaims are a GitHub Actions run of octo/demo's release.yml on a tag.
func gitHubClaims() map[string]any {
	return map[string]any{
		"iss":                 "https://token.actions.githubusercontent.com",
		"sub":                 "repo:octo/demo:ref:refs/tags/v1.0.0",
		"repository":          "octo/demo",
		"repository_owner":    "octo",
		"repository_owner_id": "4242",
		"workflow_ref":        "octo/demo/.github/workflows/release.yml@refs/tags/v1.0.0",
		"job_workflow_ref":    "octo/demo/.github/workflows/release.yml@refs/tags/v1.0.0",
		"ref":                 "refs/tags/v1.0.0",
		"sha":                 "3f786850e387550fdab836ed7e6dc881de23001b",
		"event_name":          "push",
	}
}

// tokenService stands in for GitHub's ID token service.
type tokenService struct {
	srv          *httptest.Server
	requestToken string

	mu         sync.Mutex
	claims     map[string]any
	requests   int
	audiences  []string
	issued     []string
	failNext   int
	failStatus int
	hang       bool
}

func newTokenService(t *testing.T) *tokenService {
	ts := &tokenService{requestToken: "ghs_request_" + randHex(16), claims: gitHubClaims()}
	ts.srv = httptest.NewServer(http.HandlerFunc(ts.handle))
	t.Cleanup(ts.srv.Close)
	return ts
}

func (ts *tokenService) handle(w http.ResponseWriter, r *http.Request) {
	ts.mu.Lock()
	ts.requests++
	hang := ts.hang
	if r.Header.Get("Authorization") != "bearer "+ts.requestToken {
		ts.mu.Unlock()
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	if r.URL.Query().Get("api-version") != "2.0" {
		ts.mu.Unlock()
		http.Error(w, "api-version lost", http.StatusBadRequest)
		return
	}
	if ts.failNext > 0 {
		ts.failNext--
		st := ts.failStatus
		ts.mu.Unlock()
		http.Error(w, "injected failure", st)
		return
	}
	aud := r.URL.Query().Get("audience")
	claims := map[string]any{"aud": aud}
	for k, v := range ts.claims {
		claims[k] = v
	}
	jwt := makeJWT(claims)
	ts.audiences = append(ts.audiences, aud)
	ts.issued = append(ts.issued, jwt)
	ts.mu.Unlock()
	if hang {
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"count": 1, "value": jwt})
}

// env is the environment of a GitHub Actions job allowed to request tokens.
func (ts *tokenService) env() map[string]string {
	return map[string]string{
		"GITHUB_ACTIONS":                 "true",
		"GITHUB_RUN_ID":                  "123456",
		"RUNNER_TEMP":                    "/tmp/runner",
		"GITHUB_WORKSPACE":               "/work",
		"ACTIONS_ID_TOKEN_REQUEST_URL":   ts.srv.URL + "/idtoken?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": ts.requestToken,
	}
}

func (ts *tokenService) issuedTokens() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.issued...)
}

func (ts *tokenService) requestCount() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.requests
}

// fakeIndex stands in for the index's trusted publishing endpoints.
type fakeIndex struct {
	srv *httptest.Server

	mu             sync.Mutex
	audience       string
	audienceStatus int
	audienceHits   int
	mintHits       int
	exchanged      map[string]int // JWT → times received
	jtis           map[string]bool
	refusals       []map[string]string
	mintFailNext   int
	mintFailStatus int
	lifetime       time.Duration
	clockOffset    time.Duration        // the index's clock minus ours
	minted         map[string]time.Time // token → expiry
	mintedOrder    []string
	mintHandler    http.HandlerFunc // overrides everything when set
}

func newFakeIndex(t *testing.T) *fakeIndex {
	ix := &fakeIndex{
		audience: "pypi", exchanged: map[string]int{}, jtis: map[string]bool{},
		lifetime: 15 * time.Minute, minted: map[string]time.Time{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_/oidc/audience", ix.handleAudience)
	mux.HandleFunc("POST /_/oidc/mint-token", ix.handleMint)
	ix.srv = httptest.NewServer(mux)
	t.Cleanup(ix.srv.Close)
	return ix
}

func (ix *fakeIndex) repositoryURL() string { return ix.srv.URL + "/legacy/" }

func (ix *fakeIndex) handleAudience(w http.ResponseWriter, r *http.Request) {
	ix.mu.Lock()
	ix.audienceHits++
	st, aud := ix.audienceStatus, ix.audience
	ix.mu.Unlock()
	if st != 0 {
		w.WriteHeader(st)
		fmt.Fprint(w, `{"message": "Trusted publishing functionality not enabled"}`)
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"audience": aud})
}

func (ix *fakeIndex) handleMint(w http.ResponseWriter, r *http.Request) {
	ix.mu.Lock()
	ix.mintHits++
	h := ix.mintHandler
	ix.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	var body struct {
		Token string `json:"token"`
	}
	data, _ := io.ReadAll(r.Body)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	invalid := func(code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		json.NewEncoder(w).Encode(map[string]any{"message": "Token request failed", "errors": []map[string]string{{"code": code, "description": desc}}})
	}
	if err := json.Unmarshal(data, &body); err != nil || body.Token == "" {
		invalid("invalid-payload", "token is required")
		return
	}
	ix.exchanged[body.Token]++
	if ix.mintFailNext > 0 {
		ix.mintFailNext--
		http.Error(w, "<html>Bad Gateway</html>", ix.mintFailStatus)
		return
	}
	parts := strings.Split(body.Token, ".")
	if len(parts) != 3 {
		invalid("invalid-payload", "malformed JWT")
		return
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if json.Unmarshal(raw, &claims) != nil {
		invalid("invalid-token", "malformed or invalid token")
		return
	}
	if claims["aud"] != ix.audience {
		invalid("invalid-token", "malformed or invalid token")
		return
	}
	if jti, _ := claims["jti"].(string); jti != "" {
		if ix.jtis[jti] {
			invalid("invalid-reuse-token", "invalid token: already used")
			return
		}
		ix.jtis[jti] = true
	}
	if len(ix.refusals) > 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		json.NewEncoder(w).Encode(map[string]any{"message": "Token request failed", "errors": ix.refusals})
		return
	}
	tok := "pypi-minted-" + randHex(24)
	exp := time.Now().Add(ix.lifetime)
	ix.minted[tok] = exp
	ix.mintedOrder = append(ix.mintedOrder, tok)
	serverExp := exp.Add(ix.clockOffset)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Date", time.Now().Add(ix.clockOffset).UTC().Format(http.TimeFormat))
	json.NewEncoder(w).Encode(map[string]any{"success": true, "token": tok, "expires": serverExp.Unix()})
}

// valid reports whether the index accepts tok now (an upload's check).
func (ix *fakeIndex) valid(tok string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	exp, ok := ix.minted[tok]
	return ok && time.Now().Before(exp)
}

func (ix *fakeIndex) stats() (audienceHits, mintHits int, reused []string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for jwt, n := range ix.exchanged {
		if n > 1 {
			reused = append(reused, jwt)
		}
	}
	return ix.audienceHits, ix.mintHits, reused
}

func (ix *fakeIndex) mintedTokens() []string {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return append([]string(nil), ix.mintedOrder...)
}

// capture is a run's outputs: a debug-level log and stdout.
type capture struct {
	log    *lockedBuffer
	stdout *lockedBuffer
	logger *log.Logger
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newCapture() *capture {
	c := &capture{log: &lockedBuffer{}, stdout: &lockedBuffer{}}
	c.logger = plainlog.New(c.log)
	c.logger.Level = log.DebugLevel
	return c
}

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}
