package pypitest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Issuer is the fake CI identity provider the index trusts: GitHub Actions'
// ID-token service (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN), GitLab CI's
// id_tokens (IDToken, GitLabEnv), its OpenID configuration and its JWKS.
// It listens on its own loopback port, like the different host it stands
// for, and signs RS256 JWTs with a 2048-bit RSA key.
//
// The claims it asserts are configurable (SetClaims, WithIssuerClaims); by
// default they describe a GitHub Actions run of the first configured trusted
// publisher, or of DefaultClaims when none is configured, so minting works
// out of the box.
type Issuer struct {
	// URL is the "iss" claim, e.g. "http://127.0.0.1:41235"; it serves
	// /.well-known/openid-configuration and /.well-known/jwks.
	URL string
	// RequestURL is what ACTIONS_ID_TOKEN_REQUEST_URL must be set to. Like
	// GitHub's, it already has a query, so clients append "&audience=...".
	RequestURL string
	// RequestToken is what ACTIONS_ID_TOKEN_REQUEST_TOKEN must be set to.
	RequestToken string

	clock func() time.Time
	key   *rsa.PrivateKey
	kid   string
	ln    net.Listener
	srv   *http.Server

	mu         sync.Mutex
	claims     Claims
	failNext   int
	failStatus int
	stats      IssuerStats
}

// IssuerStats counts what the issuer did.
type IssuerStats struct {
	// TokenRequests counts calls to the GitHub-style ID-token endpoint.
	TokenRequests int
	// Unauthorized counts token requests refused for a missing or wrong bearer token.
	Unauthorized int
	// InjectedFailures counts token requests answered by FailNext.
	InjectedFailures int
	// TokensIssued counts JWTs handed out, over HTTP or by IDToken.
	TokensIssued int
	// UserAgents counts the token requests by User-Agent header.
	UserAgents map[string]int
	// ConfigRequests and JWKSRequests count discovery fetches (the index's
	// key cache makes these rare).
	ConfigRequests int
	JWKSRequests   int
}

// Claims are the facts about a CI run that an ID token asserts. Empty
// fields are left out of the token. A token whose ProjectPath is set is
// GitLab-shaped and is matched against GitLab publishers; any other token is
// matched against GitHub publishers.
type Claims struct {
	// Subject is "sub". Empty: derived as the CI provider does,
	// "repo:{Repository}:environment:{Environment}" or
	// "repo:{Repository}:ref:{Ref}" on GitHub,
	// "project_path:{ProjectPath}:ref_type:{RefType}:ref:{Ref}" on GitLab.
	Subject string

	// GitHub Actions.
	Repository        string // "owner/name"
	RepositoryOwner   string
	RepositoryOwnerID string
	RepositoryID      string
	// WorkflowRef is the top-level (caller) workflow,
	// "owner/name/.github/workflows/release.yml@refs/tags/v1.0.0".
	WorkflowRef string
	// JobWorkflowRef is the workflow file running the job: the same as
	// WorkflowRef, except in a reusable workflow, where it names the called
	// workflow. PyPI matches the publisher against this one.
	JobWorkflowRef string
	Ref            string // "refs/tags/v1.0.0"
	RefType        string // "tag" or "branch"
	SHA            string
	Environment    string
	EventName      string // "push", "release", "workflow_dispatch", "pull_request_target"...
	Actor          string
	RunID          string

	// GitLab CI.
	ProjectPath    string // "group/subgroup/project"
	NamespacePath  string // "group/subgroup"
	CIConfigRefURI string // "gitlab.com/group/project//.gitlab-ci.yml@refs/tags/v1.0.0"
	RefPath        string // "refs/tags/v1.0.0"
	PipelineSource string // "push", "web"...

	// IssuedAt, NotBefore and Expiry set "iat", "nbf" and "exp". Zero:
	// now, now, and IssuedAt plus 5 minutes (GitHub's lifetime).
	IssuedAt, NotBefore, Expiry time.Time

	// Extra adds claims or overrides any claim, registered ones included
	// ("iss", "aud", "jti", "exp"...). A nil value removes the claim.
	Extra map[string]any
}

// gitLab reports whether these claims describe a GitLab CI job.
func (c Claims) gitLab() bool { return c.ProjectPath != "" }

// Defaults shared by the default claims and the claims derived from
// publishers: a tag push of v0.1.0.
const (
	defaultRef = "refs/tags/v0.1.0"
	defaultSHA = "3f786850e387550fdab836ed7e6dc881de23001b"
)

// DefaultClaims describes a GitHub Actions release run of the repository
// "pypitest/demo" with the workflow "release.yml", on a tag push: what the
// issuer asserts, and DefaultPublisher accepts, when no trusted publisher is
// configured.
func DefaultClaims() Claims { return DefaultPublisher().Claims() }

// DefaultPublisher is the trusted publisher the index has when none is
// configured: repository "pypitest/demo", workflow "release.yml", any
// project (new ones included). It accepts DefaultClaims.
func DefaultPublisher() GitHubPublisher {
	return GitHubPublisher{Repository: "pypitest/demo", Workflow: "release.yml"}
}

// Claims returns the claims of a GitHub Actions run this publisher accepts:
// a push of the tag v0.1.0, in the publisher's environment if it names one.
func (p GitHubPublisher) Claims() Claims {
	owner, _, _ := strings.Cut(p.Repository, "/")
	workflowRef := p.Repository + "/.github/workflows/" + p.Workflow + "@" + defaultRef
	return Claims{
		Repository:        p.Repository,
		RepositoryOwner:   owner,
		RepositoryOwnerID: p.ownerID(),
		RepositoryID:      derivedID("repository:" + strings.ToLower(p.Repository)),
		WorkflowRef:       workflowRef,
		JobWorkflowRef:    workflowRef,
		Ref:               defaultRef,
		RefType:           "tag",
		SHA:               defaultSHA,
		Environment:       p.Environment,
		EventName:         "push",
		Actor:             owner,
		RunID:             "1",
	}
}

// Claims returns the claims of a GitLab CI job this publisher accepts: a
// pipeline for the tag v0.1.0, in the publisher's environment if it names one.
func (p GitLabPublisher) Claims() Claims {
	namespace := p.ProjectPath
	if i := strings.LastIndex(namespace, "/"); i >= 0 {
		namespace = namespace[:i]
	}
	return Claims{
		ProjectPath:    p.ProjectPath,
		NamespacePath:  namespace,
		CIConfigRefURI: "gitlab.com/" + p.ProjectPath + "//" + p.WorkflowPath + "@" + defaultRef,
		RefPath:        defaultRef,
		Ref:            strings.TrimPrefix(defaultRef, "refs/tags/"),
		RefType:        "tag",
		SHA:            defaultSHA,
		Environment:    p.Environment,
		PipelineSource: "push",
	}
}

// GitHubEnv returns the ACTIONS_ID_TOKEN_REQUEST_URL=... and
// ACTIONS_ID_TOKEN_REQUEST_TOKEN=... assignments that make a process behave as
// a GitHub Actions job with "permissions: id-token: write".
func (i *Issuer) GitHubEnv() []string {
	return []string{
		"ACTIONS_ID_TOKEN_REQUEST_URL=" + i.RequestURL,
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + i.RequestToken,
	}
}

// GitLabEnv returns the assignments a GitLab CI job declaring
// "id_tokens: {NAME}_ID_TOKEN: {aud: audience}" sees: GITLAB_CI=true and the
// JWT in {AUDIENCE}_ID_TOKEN (audience upper-cased, anything outside
// [A-Z0-9_] turned into "_"), e.g. PYPI_ID_TOKEN for "pypi".
func (i *Issuer) GitLabEnv(audience string) ([]string, error) {
	tok, err := i.IDToken(audience)
	if err != nil {
		return nil, err
	}
	return []string{"GITLAB_CI=true", GitLabTokenEnv(audience) + "=" + tok}, nil
}

var notEnvChar = regexp.MustCompile(`[^A-Z0-9_]`)

// GitLabTokenEnv is the variable GitLab CI jobs conventionally receive the ID
// token for audience in: "pypi" → "PYPI_ID_TOKEN", "testpypi" → "TESTPYPI_ID_TOKEN".
func GitLabTokenEnv(audience string) string {
	return notEnvChar.ReplaceAllString(strings.ToUpper(audience), "_") + "_ID_TOKEN"
}

// SetClaims replaces the claims asserted by tokens issued from now on.
func (i *Issuer) SetClaims(c Claims) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.claims = c
}

// Claims returns the claims currently asserted.
func (i *Issuer) Claims() Claims {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.claims
}

// IDToken returns a fresh JWT (new "jti") for audience with the current
// claims, as GitLab CI puts one in an environment variable.
func (i *Issuer) IDToken(audience string) (string, error) {
	return i.IDTokenWithClaims(audience, i.Claims())
}

// IDTokenWithClaims returns a fresh JWT for audience asserting c instead of
// the current claims: custom times, missing or extra claims...
func (i *Issuer) IDTokenWithClaims(audience string, c Claims) (string, error) {
	tok, err := i.sign(i.claimSet(audience, c))
	if err != nil {
		return "", err
	}
	i.mu.Lock()
	i.stats.TokensIssued++
	i.mu.Unlock()
	return tok, nil
}

// FailNext makes the next n calls to the ID-token endpoint answer status
// (e.g. 503) instead of a token.
func (i *Issuer) FailNext(n, status int) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.failNext, i.failStatus = n, status
}

// Stats returns what the issuer did so far.
func (i *Issuer) Stats() IssuerStats {
	i.mu.Lock()
	defer i.mu.Unlock()
	st := i.stats
	st.UserAgents = maps.Clone(i.stats.UserAgents)
	return st
}

// claimSet renders c as the JSON claims of a token for audience.
func (i *Issuer) claimSet(audience string, c Claims) map[string]any {
	now := i.clock()
	iat, nbf, exp := c.IssuedAt, c.NotBefore, c.Expiry
	if iat.IsZero() {
		iat = now
	}
	if nbf.IsZero() {
		nbf = now
	}
	if exp.IsZero() {
		exp = iat.Add(5 * time.Minute)
	}
	m := map[string]any{
		"iss": i.URL,
		"aud": audience,
		"jti": newJTI(),
		"iat": iat.Unix(),
		"nbf": nbf.Unix(),
		"exp": exp.Unix(),
	}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	sub := c.Subject
	if c.gitLab() {
		if sub == "" {
			sub = "project_path:" + c.ProjectPath + ":ref_type:" + c.RefType + ":ref:" + c.Ref
		}
		set("project_path", c.ProjectPath)
		set("namespace_path", c.NamespacePath)
		set("ci_config_ref_uri", c.CIConfigRefURI)
		set("ref_path", c.RefPath)
		set("pipeline_source", c.PipelineSource)
		// The rest of a real GitLab token, for clients that show claims.
		m["project_id"] = derivedID("project:" + strings.ToLower(c.ProjectPath))
		m["namespace_id"] = derivedID("namespace:" + strings.ToLower(c.NamespacePath))
		m["pipeline_id"] = "1"
		m["job_id"] = "1"
		m["ci_config_sha"] = c.SHA
		m["ref_protected"] = "true"
		m["runner_environment"] = "gitlab-hosted"
		m["project_visibility"] = "public"
	} else if c.Repository != "" {
		if sub == "" {
			if c.Environment != "" {
				sub = "repo:" + c.Repository + ":environment:" + c.Environment
			} else {
				sub = "repo:" + c.Repository + ":ref:" + c.Ref
			}
		}
		// The rest of a real GitHub token, for clients that show claims.
		m["head_ref"] = ""
		m["base_ref"] = ""
		m["ref_protected"] = "false"
		m["repository_visibility"] = "public"
		m["runner_environment"] = "github-hosted"
		m["run_number"] = "1"
		m["run_attempt"] = "1"
		m["workflow_sha"] = c.SHA
		m["job_workflow_sha"] = c.SHA
		m["actor_id"] = derivedID("actor:" + strings.ToLower(c.Actor))
	}
	set("sub", sub)
	set("repository", c.Repository)
	set("repository_owner", c.RepositoryOwner)
	set("repository_owner_id", c.RepositoryOwnerID)
	set("repository_id", c.RepositoryID)
	set("workflow_ref", c.WorkflowRef)
	set("job_workflow_ref", c.JobWorkflowRef)
	if c.WorkflowRef != "" {
		// "workflow" is the workflow's name; GitHub uses the file name when
		// the workflow has none.
		file := c.WorkflowRef
		if at := strings.LastIndex(file, "@"); at >= 0 {
			file = file[:at]
		}
		m["workflow"] = file[strings.LastIndex(file, "/")+1:]
	}
	set("ref", c.Ref)
	set("ref_type", c.RefType)
	set("sha", c.SHA)
	set("environment", c.Environment)
	set("event_name", c.EventName)
	set("actor", c.Actor)
	set("run_id", c.RunID)
	for k, v := range c.Extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

func (i *Issuer) sign(claims map[string]any) (string, error) {
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: i.key, KeyID: i.kid}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return "", fmt.Errorf("pypitest issuer: %w", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("pypitest issuer: encoding claims: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("pypitest issuer: signing: %w", err)
	}
	return jws.CompactSerialize()
}

// startIssuer starts an issuer on a free loopback port.
func startIssuer(clock func() time.Time, claims Claims) (*Issuer, error) {
	key, err := issuerKey()
	if err != nil {
		return nil, err
	}
	thumb, err := (&jose.JSONWebKey{Key: &key.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("pypitest issuer: key thumbprint: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("pypitest issuer: listening: %w", err)
	}
	i := &Issuer{
		URL:          "http://" + ln.Addr().String(),
		RequestToken: "ghs_" + oidcRandomHex(18),
		clock:        clock,
		key:          key,
		kid:          base64.RawURLEncoding.EncodeToString(thumb),
		ln:           ln,
		claims:       claims,
	}
	i.RequestURL = i.URL + "/_apis/token?api-version=2.0"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_apis/token", i.handleToken)
	mux.HandleFunc("GET /.well-known/openid-configuration", i.handleConfig)
	mux.HandleFunc("GET /.well-known/jwks", i.handleJWKS)
	i.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go i.srv.Serve(ln)
	return i, nil
}

func (i *Issuer) close() error { return i.srv.Close() }

// handleToken is GitHub Actions' ID-token endpoint.
func (i *Issuer) handleToken(w http.ResponseWriter, r *http.Request) {
	i.mu.Lock()
	i.stats.TokenRequests++
	if i.stats.UserAgents == nil {
		i.stats.UserAgents = map[string]int{}
	}
	i.stats.UserAgents[r.UserAgent()]++
	if i.failNext > 0 {
		i.failNext--
		i.stats.InjectedFailures++
		status := i.failStatus
		i.mu.Unlock()
		http.Error(w, http.StatusText(status), status)
		return
	}
	claims := i.claims
	i.mu.Unlock()

	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") || subtle.ConstantTimeCompare([]byte(token), []byte(i.RequestToken)) != 1 {
		i.mu.Lock()
		i.stats.Unauthorized++
		i.mu.Unlock()
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeOIDCJSON(w, http.StatusUnauthorized, map[string]any{
			"message": "Bad credentials: ACTIONS_ID_TOKEN_REQUEST_TOKEN is missing or wrong",
		})
		return
	}
	audience := r.URL.Query().Get("audience")
	if audience == "" {
		// GitHub's default audience is the URL of the repository owner.
		audience = "https://github.com/" + claims.RepositoryOwner
	}
	tok, err := i.IDTokenWithClaims(audience, claims)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeOIDCJSON(w, http.StatusOK, map[string]any{"count": len(tok), "value": tok})
}

func (i *Issuer) handleConfig(w http.ResponseWriter, _ *http.Request) {
	i.mu.Lock()
	i.stats.ConfigRequests++
	i.mu.Unlock()
	writeOIDCJSON(w, http.StatusOK, map[string]any{
		"issuer":                                i.URL,
		"jwks_uri":                              i.URL + "/.well-known/jwks",
		"subject_types_supported":               []string{"public", "pairwise"},
		"response_types_supported":              []string{"id_token"},
		"scopes_supported":                      []string{"openid"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"claims_supported": []string{
			"sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "sha", "repository",
			"repository_id", "repository_owner", "repository_owner_id", "run_id", "actor",
			"workflow", "workflow_ref", "job_workflow_ref", "event_name", "ref_type", "environment",
			"project_path", "namespace_path", "ci_config_ref_uri", "ref_path", "pipeline_source",
		},
	})
}

func (i *Issuer) handleJWKS(w http.ResponseWriter, _ *http.Request) {
	i.mu.Lock()
	i.stats.JWKSRequests++
	i.mu.Unlock()
	writeOIDCJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &i.key.PublicKey, KeyID: i.kid, Algorithm: string(jose.RS256), Use: "sig",
	}}})
}

// One RSA key per process: generating a 2048-bit key takes tens of
// milliseconds to seconds, and every test starts an issuer.
var (
	issuerKeyOnce sync.Once
	issuerKeyVal  *rsa.PrivateKey
	issuerKeyErr  error
)

func issuerKey() (*rsa.PrivateKey, error) {
	issuerKeyOnce.Do(func() {
		issuerKeyVal, issuerKeyErr = rsa.GenerateKey(rand.Reader, 2048)
		if issuerKeyErr != nil {
			issuerKeyErr = fmt.Errorf("pypitest issuer: generating the RSA key: %w", issuerKeyErr)
		}
	})
	return issuerKeyVal, issuerKeyErr
}

func newJTI() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40 // a version 4 UUID, as GitHub's jti
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func oidcRandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func writeOIDCJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
