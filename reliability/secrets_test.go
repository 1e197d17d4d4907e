package reliability

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// TestVerboseTrustedPublishingLeaksNothing: a GitHub Actions run with
// trusted publishing, --verbose (debug logs), an index that fails the mint
// once and an upload once: stdout, stderr, the JSON report and the step
// summary hold no token, JWT or request token; the minted token is
// announced with ::add-mask:: only; the index never sees the CI request
// token, and the identity service never sees an index token.
func TestVerboseTrustedPublishingLeaksNothing(t *testing.T) {
	cliBinary(t)
	for _, fe := range []frontEnd{viaUpload, viaPublish} {
		t.Run(string(fe), func(t *testing.T) {
			t.Parallel()
			srv := pypitest.NewServer(t, pypitest.WithToken(apiToken))
			srv.FailMintNext(1, 503)
			srv.Faults().Next(1, pypitest.Fault{Status: 500})
			fx := newFixture(t)
			fx.addRelease(t, "verbosedemo", "1.0.0", 2, true, 2<<10, 23)
			env, summary := ciEnv(t, srv)
			env = append(env, "PYPI_API_TOKEN=") // present but empty: auto mode must use trusted publishing
			res := fe.run(t, fx, settings(t, srv.RepositoryURL, "trusted_publishing: auto"), env, "--verbose")
			if res.code != 0 {
				t.Fatalf("%s", res)
			}
			// --verbose must really log at debug level (or the scan below
			// would not cover the debug lines): "using credentials" is one.
			if !strings.Contains(res.stderr, "using credentials") {
				t.Errorf("--verbose printed no debug line:\n%s", res.stderr)
			}
			outputs := res.outputs()
			b, err := os.ReadFile(summary)
			if err != nil || len(b) == 0 {
				t.Errorf("no step summary: %v", err)
			}
			outputs["step summary"] = string(b)
			scanSecrets(t, outputs, srv, apiToken)

			minted := map[string]bool{}
			for _, r := range srv.Requests() {
				if strings.Contains(r.Authorization, srv.Issuer.RequestToken) {
					t.Errorf("the index received the CI request token (%s %s)", r.Method, r.Path)
				}
				if p := basicPassword(r.Authorization); p != "" {
					minted[p] = true
				}
			}
			if len(minted) == 0 {
				t.Fatal("no minted token reached the index (test is vacuous)")
			}
			masked := 0
			for _, l := range strings.Split(res.stdout+"\n"+res.stderr, "\n") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(l), "::add-mask::"); ok && minted[v] {
					masked++
				}
			}
			if masked == 0 {
				t.Errorf("no ::add-mask:: for the minted token")
			}
			rep := oneReport(t, res.stdout)
			if got := checkLedger(t, srv, fx, rep); got != len(fx.files) {
				t.Errorf("%d files stored", got)
			}
			if !strings.HasPrefix(rep.Credentials, "trusted publishing") {
				t.Errorf("credentials %q", rep.Credentials)
			}
		})
	}
}

// TestIndexReflectingTheToken: a hostile index that puts the credential it
// received into its error answers (reason phrase, JSON message, HTML
// body): nothing the client prints, in --verbose, carries it.
func TestIndexReflectingTheToken(t *testing.T) {
	cliBinary(t)
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := basicPassword(r.Header.Get("Authorization"))
		auth := r.Header.Get("Authorization")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/legacy/raw/":
			// The credential in the reason phrase and a plain-text body,
			// in both its forms.
			_, _ = io.Copy(io.Discard, r.Body)
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			body := "your credentials: " + auth + " / " + tok + "\n"
			fmt.Fprintf(buf, "HTTP/1.1 400 Invalid credentials %s for %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", auth, tok, len(body), body)
			_ = buf.Flush()
			_ = conn.Close()
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/legacy/"):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{
				"message": "token " + tok + " is not valid (" + auth + ")",
				"code":    "400 Invalid token " + tok,
			})
		default:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("<html><body>Server error for " + auth + "</body></html>"))
		}
	}))
	defer mirror.Close()
	fx := newFixture(t)
	fx.addRelease(t, "mirrordemo", "1.0.0", 1, true, 1<<10, 29)
	for _, args := range [][]string{
		append([]string{"upload", "--verbose", "--json", "--repository-url", mirror.URL + "/legacy/", "--trusted-publishing", "never"}, fx.paths()...),
		append([]string{"upload", "--verbose", "--json", "--skip-existing", "--repository-url", mirror.URL + "/legacy/", "--trusted-publishing", "never"}, fx.paths()...),
		append([]string{"upload", "--verbose", "--json", "--repository-url", mirror.URL + "/legacy/raw/", "--trusted-publishing", "never"}, fx.paths()...),
	} {
		res := runCLI(t, cliOpts{args: args, env: []string{"PYPI_API_TOKEN=" + apiToken}, timeout: time.Minute})
		if res.code != 1 {
			t.Errorf("exit %d\n%s", res.code, res)
		}
		if !strings.Contains(res.stderr, "[redacted]") && !strings.Contains(res.stdout, "[redacted]") {
			t.Errorf("the reflected token is not shown as redacted (test may be vacuous)\n%s", res)
		}
		scanSecrets(t, res.outputs(), nil, apiToken)
	}
}

// TestIndexCannotInjectTerminalEscapes: whatever text an index sends back
// (reason phrases, JSON messages, trusted publishing refusals), no escape
// sequence or other control character reaches the user's terminal or CI
// log.
func TestIndexCannotInjectTerminalEscapes(t *testing.T) {
	cliBinary(t)
	const evil = "\x1b[2J\x1b]0;pwned\x07\u009b31m\x08\x08\x08"
	srv := pypitest.NewServer(t, pypitest.WithToken(apiToken)) // only for its CI identity issuer
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch {
		case r.URL.Path == "/_/oidc/audience":
			_, _ = w.Write([]byte(`{"audience": "pypi"}`))
		case r.URL.Path == "/_/oidc/mint-token":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			_ = json.NewEncoder(w).Encode(map[string]any{"message": "Token request failed" + evil, "errors": []map[string]string{
				{"code": "invalid-publisher" + evil, "description": "valid token, but no corresponding publisher" + evil},
			}})
		case r.URL.Path == "/legacy/json/":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": "bad" + evil, "code": "400 bad" + evil})
		default:
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			body := "body" + evil + "\n"
			fmt.Fprintf(buf, "HTTP/1.1 400 Bad %s request\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", evil, len(body), body)
			_ = buf.Flush()
			_ = conn.Close()
		}
	}))
	defer hostile.Close()
	fx := newFixture(t)
	fx.addRelease(t, "escapedemo", "1.0.0", 1, true, 1<<10, 31)
	ci, _ := ciEnv(t, srv)
	for _, run := range []struct {
		args []string
		env  []string
	}{
		{append([]string{"upload", "--repository-url", hostile.URL + "/legacy/", "--trusted-publishing", "never"}, fx.paths()...), []string{"PYPI_API_TOKEN=" + apiToken}},
		{append([]string{"upload", "--verbose", "--json", "--repository-url", hostile.URL + "/legacy/json/", "--trusted-publishing", "never"}, fx.paths()...), []string{"PYPI_API_TOKEN=" + apiToken}},
		{append([]string{"upload", "--verbose", "--repository-url", hostile.URL + "/legacy/", "--trusted-publishing", "always"}, fx.paths()...), ci},
	} {
		res := runCLI(t, cliOpts{args: run.args, env: run.env})
		if res.code != 1 {
			t.Errorf("exit %d\n%s", res.code, res)
		}
		for name, out := range res.outputs() {
			for i, r := range out {
				if r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f)) {
					t.Errorf("%v: %s holds control character %U at %d:\n%q", run.args[:4], name, r, i, out)
					break
				}
			}
		}
		scanSecrets(t, res.outputs(), srv, apiToken)
	}
}
