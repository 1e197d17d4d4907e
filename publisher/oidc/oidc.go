// Package oidc obtains upload credentials: an API token or a user name and
// password given explicitly (environment variables, --username, a
// ~/.pypirc repository), or trusted publishing (a CI identity token
// exchanged at the index's /_/oidc/mint-token for a short-lived API token).
//
// NewSource picks the source from Options.Mode:
//
//   - auto (default): the credential given explicitly, when there is one;
//     otherwise trusted publishing when an ambient CI identity exists;
//     otherwise an *Error that lists every way to fix it, and names the
//     variables of other tools (TWINE_PASSWORD, UV_PUBLISH_TOKEN,
//     PYPI_TOKEN...) that are set, with the setting that reads them.
//   - always: trusted publishing only (explicit credentials are ignored,
//     with a warning); an *Error when there is no ambient identity.
//   - never: the credential given explicitly only.
//
// Explicit credentials, in order: an API token in Options.TokenEnv
// (PYPI_API_TOKEN), sent with the user name __token__; or a password in
// Options.PasswordEnv (PYPI_PASSWORD), else the .pypirc repository's, with
// the user name of Options.Username, else Options.UsernameEnv
// (PYPI_USERNAME), else the .pypirc repository's (a password starting with
// "pypi-" without a user name is an API token). Both an API token and a
// password is an error, never a guess. Before anything is sent, an API
// token for PyPI or TestPyPI is checked for what they certainly refuse (see
// credential.CheckAPIToken), and a password for them is refused; Check runs
// these checks alone, for a release's pre-flight.
//
// Ambient identities are detected in this order: GitHub Actions
// (ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN, or GITHUB_ACTIONS=true, which
// without them is diagnosed: missing `id-token: write`, fork pull request,
// GoReleaser custom publisher without env: forwarding), GitLab CI/CD
// (GITLAB_CI with an `<AUD>_ID_TOKEN` variable) and Google Cloud (the
// metadata server, asked only when GCE_METADATA_HOST is set or the machine
// says it is Google: the DMI product name, or Cloud Run's K_SERVICE /
// CLOUD_RUN_JOB; other machines never wait for a probe).
//
// A trusted-publishing source is returned already wrapped in
// credential.Reuse: concurrent callers share one mint, the minted token is
// reused until shortly before it expires (Options.RefreshBefore), then a new
// one is minted with a FRESH identity token (each identity token can be
// exchanged once). When the index refuses a token as expired, call
// Invalidate (the source implements credential.Invalidator) and ask again.
// Wrapping it in another credential.Reuse is harmless: Invalidate passes
// through.
//
// Failures are *Error values whose Error() is the full guidance, meant to be
// printed as is. No error, log line or output of this package contains a
// token, except the `::add-mask::` line printed on GitHub Actions so the
// runner hides the minted token from the job's log.
package oidc

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/caarlos0/log"

	settings "github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/useragent"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypirc"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/retry"
)

// Mode is the trusted publishing mode.
type Mode string

// Trusted publishing modes.
const (
	Auto   Mode = settings.TrustedPublishingAuto   // OIDC when no API token is given and an ambient identity exists
	Always Mode = settings.TrustedPublishingAlways // OIDC only; fail clearly without an ambient identity
	Never  Mode = settings.TrustedPublishingNever  // API token only
)

// DefaultTokenEnv is the environment variable read for an API token (the
// settings' default, settings.DefaultTokenEnv).
const DefaultTokenEnv = settings.DefaultTokenEnv

// DefaultPasswordEnv and DefaultUsernameEnv are the variables read for a
// password and its user name (the settings' defaults).
const (
	DefaultPasswordEnv = settings.DefaultPasswordEnv
	DefaultUsernameEnv = settings.DefaultUsernameEnv
)

// DefaultRepositoryURL is PyPI's upload endpoint.
const DefaultRepositoryURL = settings.DefaultRepositoryURL

// Options for NewSource.
type Options struct {
	// RepositoryURL is the upload endpoint; trusted publishing talks to its
	// scheme and host. "" means DefaultRepositoryURL.
	RepositoryURL string
	Mode          Mode   // "" means Auto
	Audience      string // "" means discover from {scheme}://{host}/_/oidc/audience
	TokenEnv      string // "" means DefaultTokenEnv
	// PasswordEnv and UsernameEnv name the variables holding a password
	// and its user name; "" means DefaultPasswordEnv, DefaultUsernameEnv.
	PasswordEnv string
	UsernameEnv string
	// Username is a user name given explicitly (--username, username:);
	// it wins over UsernameEnv and the .pypirc repository's.
	Username string
	// Pypirc is the ~/.pypirc repository chosen with --repository (nil for
	// none): its user name and password are used when the environment
	// gives none.
	Pypirc *pypirc.Repository
	// Getenv reads the environment; nil means os.Getenv. The environment is
	// read when NewSource runs, except GitLab's <AUD>_ID_TOKEN, read when a
	// token is minted.
	Getenv     func(string) string
	HTTPClient *http.Client  // nil means a default client; redirects are never followed either way
	Log        log.Interface // nil means no logging
	// Stdout is where `::add-mask::<minted token>` is printed on GitHub
	// Actions (GITHUB_ACTIONS=true), before the token is used anywhere: the
	// runner reads workflow commands from the step's stdout.
	Stdout io.Writer
	// SkipMask suppresses the `::add-mask::` line, for callers whose stdout
	// does not reach the runner (a GoReleaser custom publisher's output is
	// captured, and re-printed indented on failure, where the runner would
	// not parse the command but a reader would see the token).
	SkipMask bool

	// Provider overrides ambient identity detection (tests, embedding).
	Provider Provider
	// MetadataHost is the Google metadata server ("host" or "host:port");
	// "" means $GCE_METADATA_HOST, else metadata.google.internal. Setting it
	// (or GCE_METADATA_HOST) also tells detection that this is Google Cloud.
	MetadataHost string
	// ReadFile reads GITHUB_EVENT_PATH and the DMI product name; nil means
	// the real file system.
	ReadFile func(name string) ([]byte, error)

	// GoogleIAMURL is the IAM Credentials API that impersonates
	// GOOGLE_SERVICE_ACCOUNT_NAME ("" means DefaultGoogleIAMURL; tests).
	GoogleIAMURL string

	// RefreshBefore: a minted token is replaced once less than this (or less
	// than half its lifetime) remains. 0 means credential.DefaultEarly.
	RefreshBefore time.Duration
	// Timeout bounds each HTTP request; 0 means DefaultTimeout.
	Timeout time.Duration
	// Retries is how many times a request failing with a connection error,
	// a timeout, a 5xx or a 429 is retried (identity token, audience and mint
	// each); 0 means DefaultRetries, negative means none. Each mint retry
	// uses a fresh identity token.
	Retries int
	// RetryWait is the first backoff; it doubles per retry (with jitter, at
	// most 8 s). 0 means DefaultRetryWait.
	RetryWait time.Duration
	// UserAgent is sent with every request (audience, mint, the CI's
	// identity token); "" means "goreleaser-pypi".
	UserAgent string
}

// config is Options with defaults applied.
type config struct {
	Options
	repo     *url.URL
	tokenEnv string
	mode     Mode
	log      log.Interface
	getenv   func(string) string
	web, md  *requester

	// passwordEnv, usernameEnv: Options' with defaults applied.
	passwordEnv, usernameEnv string
}

func (o Options) config() (*config, error) {
	c := &config{Options: o}
	c.getenv = o.Getenv
	if c.getenv == nil {
		c.getenv = os.Getenv
	}
	c.tokenEnv = o.TokenEnv
	if c.tokenEnv == "" {
		c.tokenEnv = DefaultTokenEnv
	}
	c.passwordEnv, c.usernameEnv = cmp.Or(o.PasswordEnv, DefaultPasswordEnv), cmp.Or(o.UsernameEnv, DefaultUsernameEnv)
	switch o.Mode {
	case "":
		c.mode = Auto
	case Auto, Always, Never:
		c.mode = o.Mode
	default:
		return nil, fmt.Errorf("invalid trusted publishing mode %q: use auto, always or never", o.Mode)
	}
	c.log = o.Log
	if c.log == nil {
		c.log = log.New(io.Discard)
	}
	raw := o.RepositoryURL
	if raw == "" {
		raw = DefaultRepositoryURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Not echoed: a malformed URL may still carry a password.
		return nil, fmt.Errorf("invalid repository URL: it needs an https scheme and a host, e.g. %s", DefaultRepositoryURL)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("invalid repository URL %s: it needs an https scheme and a host, e.g. %s", redactURL(raw), DefaultRepositoryURL)
	}
	// User info is dropped: credentials come from the environment, never the URL.
	c.repo = &url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	if c.ReadFile == nil {
		c.ReadFile = readFileLimited
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	retries := o.Retries
	switch {
	case retries == 0:
		retries = DefaultRetries
	case retries < 0:
		retries = 0
	}
	wait := o.RetryWait
	if wait <= 0 {
		wait = DefaultRetryWait
	}
	web, md := newClients(o.HTTPClient)
	policy := retry.Policy{Attempts: retries + 1, Delay: wait, MaxDelay: maxRetryWait}
	ua := useragent.Or(o.UserAgent)
	c.web = &requester{client: web, timeout: timeout, policy: policy, sleep: retry.Sleep, userAgent: ua}
	c.md = &requester{client: md, timeout: timeout, policy: policy, sleep: retry.Sleep, userAgent: ua}
	return c, nil
}

// readFileLimited reads a small file (an event payload, a DMI entry).
func readFileLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 64<<20))
}

// NewSource chooses the credential source as the package documentation
// describes. It makes no network request: a source that cannot possibly
// work fails here, with guidance (an *Error); trusted publishing talks to
// the CI provider and the index when a token is first asked for.
//
// An API token comes as credential.Static. A trusted-publishing source is a
// credential.Reuse over the minter, so it also implements
// credential.Invalidator, and has Provider() string (e.g. "GitHub Actions")
// and Mints() int (tokens minted so far), IdentityToken(ctx, audience)
// (another identity token from the same CI identity, e.g. for audience
// "sigstore" to sign PEP 740 attestations) and MintClaims() Claims (the
// claims behind the current upload token: which trusted publisher matched).
func NewSource(opts Options) (credential.Source, error) {
	c, err := opts.config()
	if err != nil {
		return nil, err
	}
	ix := index{repo: c.repo}

	// Credentials given explicitly come first, unless only trusted
	// publishing will do.
	if c.mode != Always {
		g, warnings, problem := c.static(ix)
		if problem != nil {
			return nil, problem
		}
		for _, w := range warnings {
			c.log.Warn(w)
		}
		switch {
		case g != nil && g.tok.IsAPIToken():
			c.log.WithField("from", g.tok.Origin).Info("using API token")
			return g, nil
		case g != nil:
			c.log.WithField("user", g.tok.Username()).WithField("from", g.tok.Origin).Info("using user name and password")
			return g, nil
		case c.mode == Never:
			return nil, noAPITokenError(c, ix)
		}
	}

	provider := c.Provider
	if provider == nil {
		var problem *Error
		provider, problem = detect(c, ix)
		if problem != nil {
			problem.Guidance += "\n" + c.alternative(ix)
			return nil, problem
		}
	}
	if provider == nil {
		if c.mode == Always {
			return nil, noIdentityError(c, ix)
		}
		return nil, noCredentialsError(c, ix, c.misplaced(ix))
	}
	if !endpoint.Secure(c.repo) {
		return nil, &Error{
			Problem: ProblemInsecureURL,
			Summary: fmt.Sprintf("refusing trusted publishing over plain http to %s: the identity token and the minted upload token would travel unencrypted", c.repo.Host),
			Guidance: "Use an https repository URL (plain http is only allowed to loopback hosts such as 127.0.0.1 and localhost),\n" +
				"e.g. " + DefaultRepositoryURL + " for PyPI or https://test.pypi.org/legacy/ for TestPyPI.\n",
		}
	}
	if ignored := c.explicit(); c.mode == Always && len(ignored) > 0 {
		c.log.WithField("ignored", strings.Join(ignored, ", ")).Warn("trusted publishing is required (--trusted-publishing always): not using the API token or password given")
	}
	c.log.WithField("provider", provider.Name()).WithField("index", c.repo.Host).Info("using trusted publishing")
	m := newMinter(c, ix, provider)
	return &source{Reuse: credential.NewReuse(m, c.RefreshBefore), m: m}, nil
}

// alternative is the closing paragraph of a detection failure: the other
// way to get a credential in this mode.
func (c *config) alternative(ix index) string {
	if c.mode == Always {
		return "Or, to upload with an API token, set " + c.tokenEnv + " and drop --trusted-publishing always.\n"
	}
	return apiTokenAlternative(ix, c.tokenEnv)
}

// source is the trusted-publishing credential source: a credential.Reuse
// over the minter.
type source struct {
	*credential.Reuse
	m *minter
}

// Provider returns the name of the identity provider in use, e.g. "GitHub Actions".
func (s *source) Provider() string { return s.m.provider.Name() }

// Mints reports how many upload tokens have been minted so far.
func (s *source) Mints() int { return s.m.count() }

// IdentityToken returns an identity token for audience from the identity
// provider in use (GitHub: a new one per call; GitLab: <AUD>_ID_TOKEN, e.g.
// SIGSTORE_ID_TOKEN; Google: the metadata server). It is not exchanged
// anywhere by this package. Failures are *Error values.
func (s *source) IdentityToken(ctx context.Context, audience string) (string, error) {
	return s.m.provider.IdentityToken(ctx, audience)
}

// MintClaims returns the claims of the identity token exchanged for the
// current upload token, nil before the first mint: they say which trusted
// publisher the index matched.
func (s *source) MintClaims() Claims { return s.m.mintClaims() }

// ErrorProblem returns the Problem of err if it is (or wraps) an *Error,
// or "" otherwise.
func ErrorProblem(err error) Problem {
	var e *Error
	if errors.As(err, &e) {
		return e.Problem
	}
	return ""
}
