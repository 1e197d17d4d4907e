package oidc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/retry"
)

// maxBody bounds every response body this package reads: audience and mint
// answers, identity tokens and error bodies are all well under it, and a
// broken or hostile server answering gigabytes cannot make us buffer them.
const maxBody = 1 << 20

// Defaults for the zero values of Options.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultRetries   = 3
	DefaultRetryWait = 500 * time.Millisecond
	maxRetryWait     = 8 * time.Second // a cap: identity tokens and mints are quick or down
)

// noRedirect is the clients' CheckRedirect: credentials (a request token,
// an identity token) must never follow a redirect to wherever it points.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// newClients returns the client for the index and CI endpoints and the
// client for the Google metadata server. Both never follow redirects. The
// metadata client bypasses proxies, as Google's libraries do: the metadata
// server is link-local and a proxy would answer for it.
func newClients(base *http.Client) (web, metadata *http.Client) {
	if base != nil {
		c := *base
		c.CheckRedirect = noRedirect
		return &c, &c
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	m := t.Clone()
	m.Proxy = nil
	return &http.Client{Transport: t, CheckRedirect: noRedirect},
		&http.Client{Transport: m, CheckRedirect: noRedirect}
}

// response is a bounded, fully read HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// statusText is "403 Forbidden".
func (r *response) statusText() string {
	return fmt.Sprintf("%d %s", r.status, http.StatusText(r.status))
}

// requester sends requests with a per-attempt timeout and retries transient
// failures (connection errors, timeouts, 5xx, 429) with exponential backoff.
type requester struct {
	client  *http.Client
	timeout time.Duration
	policy  retry.Policy // Attempts counts the first one
	sleep   func(context.Context, time.Duration) error
	// userAgent is set on requests that do not set their own.
	userAgent string
}

// canRetry reports whether attempt (1-based) may be followed by another.
func (r *requester) canRetry(attempt int) bool { return attempt < r.policy.Attempts }

// do performs one request (no retries). build is called to create the
// request, so a body can be sent again.
func (r *requester) do(ctx context.Context, build func(context.Context) (*http.Request, error)) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := build(ctx)
	if err != nil {
		return nil, err
	}
	if req.Header.Get("User-Agent") == "" && r.userAgent != "" {
		req.Header.Set("User-Agent", r.userAgent)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, transportError(err, r.timeout)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return &response{status: resp.StatusCode, header: resp.Header}, &redirectError{
			status: resp.StatusCode, location: redactURL(resp.Header.Get("Location")),
		}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, transportError(err, r.timeout)
	}
	if len(body) > maxBody {
		return nil, &tooLargeError{status: resp.StatusCode}
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// retryable reports whether a request that ended with (resp, err) may succeed
// when tried again: a transport failure, or a status the retry rules call
// transient (publisher/retry.RetryableStatus).
func retryable(resp *response, err error) bool {
	if err != nil {
		var te *transportErr
		return errors.As(err, &te)
	}
	return retry.RetryableStatus(resp.status)
}

// backoff waits before retry number n (1-based), as the retry policy says.
func (r *requester) backoff(ctx context.Context, n int) error {
	return r.sleep(ctx, r.policy.Backoff(n))
}

// doRetry performs a request, retrying transient failures. It returns the
// last response or error and how many attempts were made.
func (r *requester) doRetry(ctx context.Context, build func(context.Context) (*http.Request, error)) (*response, int, error) {
	var (
		resp *response
		err  error
	)
	for attempt := 1; ; attempt++ {
		resp, err = r.do(ctx, build)
		if !retryable(resp, err) || !r.canRetry(attempt) || ctx.Err() != nil {
			return resp, attempt, err
		}
		if werr := r.backoff(ctx, attempt); werr != nil {
			return resp, attempt, err
		}
	}
}

// transportErr is a connection failure or timeout: worth retrying. Its text
// never includes the request URL, which for GitHub carries run identifiers
// and could carry more.
type transportErr struct {
	msg string
	err error
}

func (e *transportErr) Error() string { return e.msg }
func (e *transportErr) Unwrap() error { return e.err }

func transportError(err error, timeout time.Duration) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &transportErr{msg: fmt.Sprintf("no answer within %s", timeout), err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &transportErr{msg: fmt.Sprintf("no answer within %s", timeout), err: err}
	}
	return &transportErr{msg: err.Error(), err: err}
}

// redirectError is a 3xx answer: never followed with credentials.
type redirectError struct {
	status   int
	location string
}

func (e *redirectError) Error() string {
	return fmt.Sprintf("the server answered %d %s, redirecting to %s; redirects are not followed with credentials: use the final URL",
		e.status, http.StatusText(e.status), e.location)
}

// tooLargeError is an answer over maxBody.
type tooLargeError struct{ status int }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("the server answered %d %s with a body over %d bytes; refusing to read it", e.status, http.StatusText(e.status), maxBody)
}

// redactURL keeps scheme, host and path of a URL: queries can carry secrets.
func redactURL(raw string) string {
	if raw == "" {
		return "(no Location)"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(an unparseable Location)"
	}
	return endpoint.Redacted(u)
}

// snippet is a short, printable excerpt of a server's answer for an error
// message, with every secret removed.
func snippet(body []byte, secrets ...string) string {
	s := printable(redact(strings.TrimSpace(string(body)), secrets...), 300)
	if s == "" {
		return "(empty body)"
	}
	return s
}

// redact replaces every secret in s.
func redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// attemptsText is "1 attempt" or "4 attempts".
func attemptsText(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}
