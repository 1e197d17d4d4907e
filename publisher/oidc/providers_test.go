package oidc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/secrets"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
)

func gitLabClaims(aud string) map[string]any {
	return map[string]any{
		"iss":               "https://gitlab.com",
		"aud":               aud,
		"sub":               "project_path:group/demo:ref_type:tag:ref:v1.0.0",
		"project_path":      "group/demo",
		"namespace_path":    "group",
		"ci_config_ref_uri": "gitlab.com/group/demo//.gitlab-ci.yml@refs/tags/v1.0.0",
		"ref":               "v1.0.0",
	}
}

func TestGitLab(t *testing.T) {
	ix := newFakeIndex(t)
	jwt := makeJWT(gitLabClaims("pypi"))
	env := map[string]string{"GITLAB_CI": "true", "PYPI_ID_TOKEN": jwt}

	t.Run("mint once, then explain why it cannot mint again", func(t *testing.T) {
		c := newCapture()
		src, err := oidc.NewSource(options(ix, env, c))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := src.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !ix.valid(tok.Secret()) || tok.Origin != "trusted publishing (GitLab CI/CD)" {
			t.Fatalf("token %v not valid", tok)
		}
		if c.stdout.String() != "" {
			t.Error("::add-mask:: printed outside GitHub Actions")
		}
		mustContain(t, "log", c.log.String(), "provider", "GitLab CI/CD", "minting token via trusted publishing")
		// The index says the token expired: the job's only ID token is spent.
		src.(credential.Invalidator).Invalidate(tok)
		_, err = src.Token(context.Background())
		e := asError(t, err)
		if e.Problem != oidc.ProblemTokenSpent {
			t.Fatalf("problem = %s: %v", e.Problem, err)
		}
		mustContain(t, "message", err.Error(),
			"a new upload token is needed, but GitLab CI/CD gave the identity token already exchanged once",
			"GitLab CI/CD gives a job one ID token per `id_tokens:` entry")
		if _, _, reused := ix.stats(); len(reused) != 0 {
			t.Error("the GitLab ID token was sent twice")
		}
		secrets.Scan(t, map[string]string{"log": c.log.String(), "error": err.Error()}, jwt, tok.Secret())
	})

	t.Run("no ID token for the audience", func(t *testing.T) {
		ix := newFakeIndex(t)
		ix.audience = "testpypi"
		src, err := oidc.NewSource(options(ix, map[string]string{"GITLAB_CI": "true", "PYPI_ID_TOKEN": jwt}, newCapture()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Token(context.Background())
		e := asError(t, err)
		if e.Problem != oidc.ProblemGitLabNoIDToken {
			t.Fatalf("problem = %s", e.Problem)
		}
		mustContain(t, "message", err.Error(),
			"trusted publishing: GITLAB_CI is set but TESTPYPI_ID_TOKEN is not: the job declares no ID token for the audience testpypi",
			"    release:\n      id_tokens:\n        TESTPYPI_ID_TOKEN:\n          aud: testpypi\n",
			"goreleaser-pypi mints once per target for the whole release",
			"Or upload with an API token instead.")
		if _, mints, _ := ix.stats(); mints != 0 {
			t.Error("minted without a token")
		}
	})

	t.Run("refusal shows GitLab claims", func(t *testing.T) {
		ix := newFakeIndex(t)
		ix.refusals = []map[string]string{{"code": "invalid-publisher", "description": "valid token, but no corresponding publisher"}}
		env := map[string]string{"GITLAB_CI": "true", "PYPI_ID_TOKEN": makeJWT(gitLabClaims("pypi"))}
		src, _ := oidc.NewSource(options(ix, env, newCapture()))
		_, err := src.Token(context.Background())
		mustContain(t, "message", err.Error(),
			"GitLab publisher (its Settings → Publishing page): namespace and project (`project_path`)",
			"* `sub`: `project_path:group/demo:ref_type:tag:ref:v1.0.0`\n",
			"* `repository`: `MISSING`\n",
			"* `project_path`: `group/demo`\n",
			"* `ci_config_ref_uri`: `gitlab.com/group/demo//.gitlab-ci.yml@refs/tags/v1.0.0`\n")
	})
}

func TestGitLabVariableName(t *testing.T) {
	ix := newFakeIndex(t)
	for aud, name := range map[string]string{"pypi": "PYPI_ID_TOKEN", "testpypi": "TESTPYPI_ID_TOKEN", "https://x.example/aud-1": "HTTPS___X_EXAMPLE_AUD_1_ID_TOKEN"} {
		o := options(ix, map[string]string{"GITLAB_CI": "true"}, newCapture())
		o.Audience = aud
		src, _ := oidc.NewSource(o)
		_, err := src.Token(context.Background())
		mustContain(t, "message", err.Error(), "but "+name+" is not")
	}
}

// metadataServer stands in for Google's metadata server.
type metadataServer struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests int
	issued   []string
	failNext int
	status   int
}

func newMetadataServer(t *testing.T) *metadataServer {
	m := &metadataServer{}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.requests++
		if r.Header.Get("Metadata-Flavor") != "Google" {
			http.Error(w, "Missing Metadata-Flavor:Google header.", http.StatusForbidden)
			return
		}
		if r.URL.Path != "/computeMetadata/v1/instance/service-accounts/default/identity" || r.URL.Query().Get("format") != "full" {
			http.NotFound(w, r)
			return
		}
		if m.status != 0 {
			w.WriteHeader(m.status)
			return
		}
		if m.failNext > 0 {
			m.failNext--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		jwt := makeJWT(map[string]any{
			"iss": "https://accounts.google.com", "aud": r.URL.Query().Get("audience"),
			"sub": "112233445566", "email": "publisher@demo.iam.gserviceaccount.com", "jti": nil,
		})
		m.issued = append(m.issued, jwt)
		w.Header().Set("Metadata-Flavor", "Google")
		w.Write([]byte(jwt))
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *metadataServer) host() string { return strings.TrimPrefix(m.srv.URL, "http://") }

func TestGoogle(t *testing.T) {
	t.Run("GCE_METADATA_HOST", func(t *testing.T) {
		md := newMetadataServer(t)
		md.failNext = 1
		ix := newFakeIndex(t)
		c := newCapture()
		src, err := oidc.NewSource(options(ix, map[string]string{"GCE_METADATA_HOST": md.host()}, c))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := src.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !ix.valid(tok.Secret()) || tok.Origin != "trusted publishing (Google Cloud)" {
			t.Fatalf("token %v", tok)
		}
		if md.requests != 2 {
			t.Errorf("metadata requests = %d, want 2 (a 503 retried)", md.requests)
		}
		mustContain(t, "log", c.log.String(), "provider", "Google Cloud", "GCE_METADATA_HOST is set")
		secrets.Scan(t, map[string]string{"log": c.log.String()}, append(md.issued, tok.Secret())...)
	})

	t.Run("DMI product name", func(t *testing.T) {
		md := newMetadataServer(t)
		ix := newFakeIndex(t)
		o := options(ix, map[string]string{}, newCapture())
		o.MetadataHost = ""
		o.ReadFile = func(name string) ([]byte, error) {
			if name == "/sys/class/dmi/id/product_name" {
				return []byte("Google Compute Engine\n"), nil
			}
			return nil, fs.ErrNotExist
		}
		// Detection says Google; the host comes from the environment.
		o.Getenv = envFunc(map[string]string{"GCE_METADATA_HOST": md.host()})
		src, err := oidc.NewSource(o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Token(context.Background()); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Options.MetadataHost, no service account", func(t *testing.T) {
		md := newMetadataServer(t)
		md.status = http.StatusNotFound
		ix := newFakeIndex(t)
		o := options(ix, map[string]string{}, newCapture())
		o.MetadataHost = md.host()
		src, err := oidc.NewSource(o)
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Token(context.Background())
		e := asError(t, err)
		if e.Problem != oidc.ProblemIdentityRequest {
			t.Errorf("problem = %s", e.Problem)
		}
		mustContain(t, "message", err.Error(), "Google Cloud did not issue an identity token: the metadata server answered 404 Not Found", "no service account attached")
	})

	t.Run("not Google Cloud: no probe, no delay", func(t *testing.T) {
		ix := newFakeIndex(t)
		start := time.Now()
		o := options(ix, map[string]string{"HOME": "/root"}, newCapture())
		o.ReadFile = nil // the real file system: this machine is not Google's
		_, err := oidc.NewSource(o)
		if oidc.ErrorProblem(err) != oidc.ProblemNoCredentials {
			t.Fatalf("err = %v", err)
		}
		if d := time.Since(start); d > 500*time.Millisecond { // a network probe would wait seconds
			t.Errorf("detection took %s", d)
		}
	})

	t.Run("refusal shows the service account", func(t *testing.T) {
		md := newMetadataServer(t)
		ix := newFakeIndex(t)
		ix.refusals = []map[string]string{{"code": "invalid-publisher", "description": "valid token, but no corresponding publisher"}}
		src, _ := oidc.NewSource(options(ix, map[string]string{"GCE_METADATA_HOST": md.host()}, newCapture()))
		_, err := src.Token(context.Background())
		mustContain(t, "message", err.Error(), "* `email`: `publisher@demo.iam.gserviceaccount.com`\n", "the project's Google publisher")
	})
}

// A GitLab job has one ID token: a mint failing with 502 is not retried
// with the same token; the 502 is reported.
func TestGitLabMintFailureIsNotRetriedWithTheSameToken(t *testing.T) {
	ix := newFakeIndex(t)
	ix.mintFailNext, ix.mintFailStatus = 5, http.StatusBadGateway
	jwt := makeJWT(gitLabClaims("pypi"))
	src, _ := oidc.NewSource(options(ix, map[string]string{"GITLAB_CI": "true", "PYPI_ID_TOKEN": jwt}, newCapture()))
	_, err := src.Token(context.Background())
	e := asError(t, err)
	if e.Problem != oidc.ProblemMintResponse {
		t.Fatalf("problem = %s: %v", e.Problem, err)
	}
	mustContain(t, "message", err.Error(), "unexpected 502 Bad Gateway after 1 attempt")
	if _, mints, reused := ix.stats(); mints != 1 || len(reused) != 0 {
		t.Errorf("mint requests = %d, JWTs sent twice = %d", mints, len(reused))
	}
	// Asking again cannot help either: the token may have been spent.
	_, err = src.Token(context.Background())
	if oidc.ErrorProblem(err) != oidc.ProblemTokenSpent {
		t.Errorf("second call: %v", err)
	}
	secrets.Scan(t, map[string]string{"error": err.Error()}, jwt)
}

// TestGoogleImpersonation: with GOOGLE_SERVICE_ACCOUNT_NAME, the attached
// account's access token (metadata server) buys an identity token of the
// named account (IAM Credentials generateIdToken), as the id library does;
// a refusal says which role to grant, and the access token never shows.
func TestGoogleImpersonation(t *testing.T) {
	const access = "ya29.attached-account-access-token"
	const account = "publisher@demo.iam.gserviceaccount.com"
	md := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata-Flavor") != "Google" || r.URL.Path != "/computeMetadata/v1/instance/service-accounts/default/token" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"access_token":%q,"expires_in":3599,"token_type":"Bearer"}`, access)
	}))
	defer md.Close()
	var refuse atomic.Bool
	var issued []string
	iam := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Audience     string `json:"audience"`
			IncludeEmail bool   `json:"includeEmail"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		switch {
		case r.Method != http.MethodPost || r.URL.EscapedPath() != "/v1/projects/-/serviceAccounts/"+url.PathEscape(account)+":generateIdToken":
			http.NotFound(w, r)
		case r.Header.Get("Authorization") != "Bearer "+access:
			http.Error(w, `{"error":{"code":401,"message":"no credentials"}}`, http.StatusUnauthorized)
		case refuse.Load():
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"error":{"code":403,"message":"Permission 'iam.serviceAccounts.getOpenIdToken' denied on resource (or it may not exist). token %s","status":"PERMISSION_DENIED"}}`, access)
		case body.Audience == "" || !body.IncludeEmail:
			http.Error(w, "bad request", http.StatusBadRequest)
		default:
			jwt := makeJWT(map[string]any{"iss": "https://accounts.google.com", "aud": body.Audience, "sub": "998877", "email": account, "jti": nil})
			issued = append(issued, jwt)
			fmt.Fprintf(w, `{"token":%q}`, jwt)
		}
	}))
	defer iam.Close()

	ix := newFakeIndex(t)
	c := newCapture()
	o := options(ix, map[string]string{"GCE_METADATA_HOST": strings.TrimPrefix(md.URL, "http://"), "GOOGLE_SERVICE_ACCOUNT_NAME": account}, c)
	o.GoogleIAMURL = iam.URL
	src, err := oidc.NewSource(o)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !ix.valid(tok.Secret()) || len(issued) != 1 {
		t.Fatalf("token %v, %d identity tokens issued", tok, len(issued))
	}
	mustContain(t, "log", c.log.String(), "impersonating", account)

	refuse.Store(true)
	src, err = oidc.NewSource(o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Token(context.Background())
	if e := asError(t, err); e.Problem != oidc.ProblemIdentityRequest {
		t.Errorf("problem = %s", e.Problem)
	}
	mustContain(t, "message", err.Error(), "impersonating "+account+" was refused: 403 Forbidden", "Permission 'iam.serviceAccounts.getOpenIdToken' denied", "roles/iam.serviceAccountOpenIdTokenCreator")
	secrets.Scan(t, map[string]string{"log": c.log.String(), "error": err.Error()}, append(issued, access, tok.Secret())...)
}
