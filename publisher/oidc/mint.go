package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/caarlos0/log"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/ghactions"
)

// DefaultMintedLifetime is how long a minted token lives when the index
// does not say (PyPI: 900 s).
const DefaultMintedLifetime = 15 * time.Minute

// minter is a credential.Source minting a new upload token on every call:
// audience (discovered once), a fresh identity token, the exchange. It is
// always wrapped in credential.Reuse, which calls it only when the cached
// token is about to expire or was invalidated.
type minter struct {
	c        *config
	ix       index
	provider Provider
	mask     bool
	now      func() time.Time

	mu       sync.Mutex
	audience string
	spent    map[string]bool // identity tokens already sent, by issuer and jti
	fatal    error           // a failure that will not go away: returned again
	mints    int
	claims   Claims // of the identity token behind the last minted token
}

func newMinter(c *config, ix index, p Provider) *minter {
	return &minter{
		c:        c,
		ix:       ix,
		provider: p,
		// No mask when the caller says stdout never reaches the runner (a
		// GoReleaser custom publisher: GoReleaser captures the output and
		// shows it indented, where the runner does not parse "::add-mask::"
		// but people read it).
		mask:     c.getenv(envGitHubActions) == "true" && c.Stdout != nil && !c.SkipMask,
		now:      time.Now,
		audience: c.Audience,
		spent:    map[string]bool{},
	}
}

// mintClaims returns the claims of the identity token exchanged for the
// last minted token (nil before the first mint).
func (m *minter) mintClaims() Claims {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.claims
}

func (m *minter) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mints
}

// endpoint is {scheme}://{host}{path} of the repository URL.
func (m *minter) endpoint(path string) string {
	return (&url.URL{Scheme: m.ix.repo.Scheme, Host: m.ix.repo.Host, Path: path}).String()
}

// Token mints a new upload token.
func (m *minter) Token(ctx context.Context) (*credential.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fatal != nil {
		return nil, m.fatal
	}
	tok, err := m.mint(ctx)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			if e.Problem == ProblemGitLabNoIDToken {
				e.Guidance += "\n" + m.c.alternative(m.ix)
			}
			if !e.transient {
				m.fatal = err
			}
		}
		return nil, err
	}
	m.mints++
	return tok, nil
}

func (m *minter) mint(ctx context.Context) (*credential.Token, error) {
	aud, err := m.discoverAudience(ctx)
	if err != nil {
		return nil, err
	}
	l := m.c.log.WithField("provider", m.provider.Name()).WithField("audience", aud)
	l.Info("minting token via trusted publishing")
	mintURL := m.endpoint("/_/oidc/mint-token")
	var (
		claims  Claims
		resp    *response
		sendErr error
		lastJWT string
	)
	for attempt := 1; ; attempt++ {
		jwt, err := m.provider.IdentityToken(ctx, aud)
		if err != nil {
			return nil, err
		}
		next, err := ParseClaims(jwt)
		if err != nil {
			l.WithField("problem", err.Error()).Warn("the identity token is not a JWT; sending it anyway")
		}
		key := spentKey(next)
		if key != "" && m.spent[key] {
			if attempt > 1 {
				// A provider with a single token per job (GitLab) cannot
				// retry: report the failure that asked for the retry.
				l.Debug("no fresh identity token for a retry")
				if sendErr != nil {
					return nil, m.exchangeFailed(sendErr, attempt-1, lastJWT)
				}
				return m.accept(l, resp, claims, aud, lastJWT, attempt-1)
			}
			return nil, spentError(m.provider, next)
		}
		claims, lastJWT = next, jwt
		if attempt == 1 {
			logClaims(l, claims)
			if claims.reusableWorkflow() {
				l.WithField("workflow_ref", claims.Get("workflow_ref")).
					WithField("job_workflow_ref", claims.Get("job_workflow_ref")).
					Warn("reusable workflow: not officially supported by trusted publishing")
			}
		}
		l.WithField("url", mintURL).Debug("exchanging identity token")
		resp, sendErr = m.c.web.do(ctx, func(ctx context.Context) (*http.Request, error) {
			body, err := json.Marshal(map[string]string{"token": jwt})
			if err != nil {
				return nil, err
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, mintURL, bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			return req, nil
		})
		// Once sent, the identity token may have been spent even if the
		// answer was lost: never send it again.
		if key != "" {
			m.spent[key] = true
		}
		if sendErr != nil && errors.Is(sendErr, context.Canceled) {
			return nil, sendErr
		}
		if retryable(resp, sendErr) && m.c.web.canRetry(attempt) && ctx.Err() == nil {
			why := ""
			if sendErr != nil {
				why = sendErr.Error()
			} else {
				why = resp.statusText()
			}
			l.WithField("attempt", attempt).WithField("error", why).Warn("token exchange failed; retrying with a new identity token")
			if werr := m.c.web.backoff(ctx, attempt); werr != nil {
				return nil, werr
			}
			continue
		}
		if sendErr != nil {
			return nil, m.exchangeFailed(sendErr, attempt, jwt)
		}
		return m.accept(l, resp, claims, aud, jwt, attempt)
	}
}

// accept turns the exchange's answer into a token or an *Error.
func (m *minter) accept(l *log.Entry, resp *response, claims Claims, aud, jwt string, attempts int) (*credential.Token, error) {
	if resp.status == http.StatusOK {
		var ok struct {
			Success *bool           `json:"success"`
			Token   string          `json:"token"`
			Expires json.RawMessage `json:"expires"`
		}
		if err := json.Unmarshal(resp.body, &ok); err != nil || ok.Token == "" || (ok.Success != nil && !*ok.Success) {
			return nil, &Error{
				Problem: ProblemMintResponse,
				Summary: "trusted publishing: the index answered the token exchange with 200 OK but no token",
				Guidance: "This strongly suggests a server configuration or downtime issue; wait a few minutes and try again\n" +
					"(PyPI's status: https://status.python.org/).\n",
				transient: true,
			}
		}
		// Mask first: nothing may echo the token before the runner knows it.
		if m.mask {
			ghactions.AddMask(m.c.Stdout, ok.Token)
		}
		m.claims = claims
		expiry := m.expiry(ok.Expires, resp.header)
		l.WithField("expires_in", expiry.Sub(m.now()).Round(time.Second)).Info("minted upload token")
		return credential.NewToken(ok.Token, "trusted publishing ("+m.provider.Name()+")", expiry), nil
	}
	var refused struct {
		Message string    `json:"message"`
		Errors  []Refusal `json:"errors"`
	}
	if resp.status >= 400 && resp.status < 500 && json.Unmarshal(resp.body, &refused) == nil && len(refused.Errors) > 0 {
		return nil, refusedError(m.ix, m.provider.Name(), aud, refused.Errors, claims, jwt)
	}
	transient := resp.status >= 500 || resp.status == http.StatusTooManyRequests
	e := &Error{
		Problem: ProblemMintResponse,
		Summary: fmt.Sprintf("trusted publishing: the index answered the token exchange (POST %s) with an unexpected %s",
			m.endpoint("/_/oidc/mint-token"), resp.statusText()),
		Guidance: "This strongly suggests a server configuration or downtime issue; wait a few minutes and try again\n" +
			"(PyPI's status: https://status.python.org/). The answer was: " + snippet(resp.body, jwt) + "\n",
		Claims:    claims,
		transient: transient,
	}
	if transient {
		e.Summary += fmt.Sprintf(" after %s", attemptsText(attempts))
	}
	if resp.status == http.StatusNotFound || resp.status == http.StatusMethodNotAllowed {
		e.Guidance = "The index has no trusted publishing token exchange at this address: check the repository URL, or use\n" +
			"an API token.\n\n" + apiTokenHowTo(m.ix, m.c.tokenEnv)
	}
	return nil, e
}

// exchangeFailed explains a token exchange that got no usable answer.
func (m *minter) exchangeFailed(err error, attempts int, jwt string) error {
	var re *redirectError
	if errors.As(err, &re) {
		return &Error{
			Problem:  ProblemMintResponse,
			Summary:  "trusted publishing: the index redirected the token exchange (POST " + m.endpoint("/_/oidc/mint-token") + ")",
			Guidance: re.Error() + ". The identity token is not sent anywhere else; check the repository URL's host.\n",
			Err:      err,
		}
	}
	var tl *tooLargeError
	transient := !errors.As(err, &tl)
	return &Error{
		Problem: ProblemMintResponse,
		Summary: fmt.Sprintf("trusted publishing: the token exchange with %s failed after %s: %s",
			m.ix.host(), attemptsText(attempts), redact(err.Error(), jwt)),
		Guidance:  "Check the network and the index's status (PyPI: https://status.python.org/), then try again.\n",
		Err:       err,
		transient: transient,
	}
}

// expiry is when the minted token stops working, on our clock. The index
// says "expires" in its own time. When our clock agrees with the answer's
// Date header, our clock measures the lifetime (precisely); when it is
// skewed, Date does, counting Date as a second late because it is truncated
// to the second. Either way the estimate errs on the short side.
func (m *minter) expiry(raw json.RawMessage, h http.Header) time.Time {
	now := m.now()
	var exp float64
	if err := json.Unmarshal(raw, &exp); err != nil || exp <= 0 {
		return now.Add(DefaultMintedLifetime)
	}
	expires := time.Unix(0, int64(exp*float64(time.Second)))
	serverNow := now
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		if skew := now.Sub(d); skew < -time.Second || skew > 2*time.Second {
			serverNow = d.Add(time.Second)
			m.c.log.WithField("skew", skew.Round(time.Second)).Debug("the local clock differs from the index's; measuring the token's lifetime on the index's clock")
		}
	}
	life := expires.Sub(serverNow)
	if life <= 0 || life > 24*time.Hour {
		m.c.log.WithField("expires", expires.UTC().Format(time.RFC3339)).Debug("implausible token expiry; assuming 15 minutes")
		return now.Add(DefaultMintedLifetime)
	}
	return now.Add(life)
}

// discoverAudience returns Options.Audience, or asks the index once.
func (m *minter) discoverAudience(ctx context.Context) (string, error) {
	if m.audience != "" {
		return m.audience, nil
	}
	target := m.endpoint("/_/oidc/audience")
	m.c.log.WithField("url", target).Debug("discovering trusted publishing audience")
	resp, attempts, err := m.c.web.doRetry(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return "", err
		}
		var re *redirectError
		var tl *tooLargeError
		return "", &Error{
			Problem:   ProblemAudience,
			Summary:   fmt.Sprintf("trusted publishing: cannot get the audience from %s after %s: %v", target, attemptsText(attempts), err),
			Guidance:  "Check the repository URL and the network, then try again; or pass the audience with --audience (PyPI: pypi, TestPyPI: testpypi).\n",
			Err:       err,
			transient: !errors.As(err, &re) && !errors.As(err, &tl),
		}
	}
	switch resp.status {
	case http.StatusOK:
		var body struct {
			Audience string `json:"audience"`
		}
		if json.Unmarshal(resp.body, &body) != nil || strings.TrimSpace(body.Audience) == "" {
			return "", &Error{
				Problem:  ProblemAudience,
				Summary:  "trusted publishing: " + target + " answered 200 OK without an audience",
				Guidance: "Expected {\"audience\": \"...\"}; got: " + snippet(resp.body) + "\nPass the audience with --audience if the index documents it.\n",
			}
		}
		m.audience = strings.TrimSpace(body.Audience)
		return m.audience, nil
	case http.StatusForbidden:
		return "", &Error{
			Problem: ProblemTrustedPublishingDisabled,
			Summary: fmt.Sprintf("trusted publishing: the index at %s has trusted publishing disabled (GET %s answered 403 Forbidden)", m.ix.host(), target),
			Guidance: "The index supports trusted publishing but refuses it for now (PyPI's administrators can turn it off, for\n" +
				"example during an incident). Try again later, or upload with an API token.\n\n" + apiTokenHowTo(m.ix, m.c.tokenEnv),
		}
	case http.StatusNotFound:
		return "", &Error{
			Problem: ProblemTrustedPublishingUnsupported,
			Summary: fmt.Sprintf("trusted publishing: the index at %s does not support trusted publishing (GET %s answered 404 Not Found)", m.ix.host(), target),
			Guidance: "PyPI (" + DefaultRepositoryURL + ") and TestPyPI (https://test.pypi.org/legacy/) support trusted publishing;\n" +
				"most other indexes (devpi, Artifactory, Nexus, private indexes) do not. Check the repository URL (" + m.ix.repo.String() + "):\n" +
				"a wrong host gives this error too. Otherwise upload with an API token and --trusted-publishing never.\n\n" +
				apiTokenHowTo(m.ix, m.c.tokenEnv) +
				"\nIf the index does support trusted publishing under a known audience, pass it with --audience.\n",
		}
	}
	transient := resp.status >= 500 || resp.status == http.StatusTooManyRequests
	e := &Error{
		Problem: ProblemAudience,
		Summary: fmt.Sprintf("trusted publishing: audience retrieval failed: %s responded with an unexpected %s", target, resp.statusText()),
		Guidance: "The index may be broken, in maintenance or misconfigured: wait a few minutes and try again\n" +
			"(PyPI's status: https://status.python.org/), or pass the audience with --audience (PyPI: pypi, TestPyPI: testpypi).\n",
		transient: transient,
	}
	if transient {
		e.Summary += fmt.Sprintf(" after %s", attemptsText(attempts))
	}
	return "", e
}

// spentKey identifies a single-use identity token: issuer and jti. Tokens
// without a jti (Google's) are not single-use and may be exchanged again.
func spentKey(c Claims) string {
	if c == nil || !c.has("jti") {
		return ""
	}
	return c.Get("iss") + "\x00" + c.Get("jti")
}

// logClaims logs the claims that matter for matching a publisher. They are
// facts about the CI run, not secrets.
func logClaims(l *log.Entry, c Claims) {
	if c == nil {
		return
	}
	e := l
	for _, name := range []string{"sub", "repository", "job_workflow_ref", "ref", "environment"} {
		if c.has(name) {
			e = e.WithField(name, c.Get(name))
		}
	}
	e.Debug("identity token claims")
}

// spentError: a new token is needed but the provider only has the one
// already exchanged.
func spentError(p Provider, c Claims) *Error {
	e := &Error{
		Problem: ProblemTokenSpent,
		Summary: "trusted publishing: a new upload token is needed, but " + p.Name() + " gave the identity token already exchanged once (jti " + c.Get("jti") + ")",
		Claims:  c,
	}
	if p.Name() == gitLabName {
		e.Guidance = "GitLab CI/CD gives a job one ID token per `id_tokens:` entry, fixed for the whole job, and the index\n" +
			"exchanges each identity token only once. The upload token minted from it lasts 15 minutes and this job needed\n" +
			"another one (the first expired, the index refused it as expired, or the exchange failed). Split long uploads\n" +
			"across jobs, or upload with an API token.\n"
		return e
	}
	e.Guidance = "The index exchanges each identity token only once, and " + p.Name() + " handed out the same one again.\n" +
		"Re-run the job; if it persists, upload with an API token.\n"
	return e
}
