package attest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/retry"
)

// DefaultRetry is how Fulcio and Rekor requests are retried (the rule is
// publisher/retry's: backoff with jitter, Retry-After, 429 and 5xx but
// 501/505). Sigstore answers fast or is down: a few quick attempts.
var DefaultRetry = retry.Policy{Attempts: 3, Delay: time.Second, MaxDelay: 10 * time.Second}

// maxAnswer bounds what is read of an answer: a certificate chain or a log
// entry is a few kilobytes.
const maxAnswer = 1 << 20

// answer is a complete HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// requester sends requests to one Sigstore service with retries.
type requester struct {
	service string // "Fulcio" or "Rekor", for messages
	client  *http.Client
	retry   retry.Policy
	timeout time.Duration
	sleep   func(context.Context, time.Duration) error
	// userAgent is set on requests that do not set their own.
	userAgent string
}

// do sends the request build makes (once per attempt) until it gets an
// answer that is not transient, or runs out of attempts. It returns the
// last answer, or the last transport error, and the attempts made.
func (r *requester) do(ctx context.Context, build func(ctx context.Context) (*http.Request, error)) (*answer, int, error) {
	attempts := max(r.retry.Attempts, 1)
	var lastErr error
	for attempt := 1; ; attempt++ {
		a, err := r.once(ctx, build)
		if ctx.Err() != nil {
			return nil, attempt, ctx.Err()
		}
		var header http.Header
		switch {
		case err != nil:
			var perm *permanentError
			if errors.As(err, &perm) {
				return nil, attempt, err
			}
			lastErr = err
		case retry.RetryableStatus(a.status):
			lastErr, header = nil, a.header
		default:
			return a, attempt, nil
		}
		if attempt >= attempts {
			return a, attempt, lastErr
		}
		if err := r.sleep(ctx, r.retry.Wait(attempt, header, time.Now())); err != nil {
			return nil, attempt, err
		}
	}
}

// permanentError is a failure that another attempt cannot fix (a redirect,
// an answer too large).
type permanentError struct{ msg string }

func (e *permanentError) Error() string { return e.msg }

func (r *requester) once(ctx context.Context, build func(ctx context.Context) (*http.Request, error)) (*answer, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := build(ctx)
	if err != nil {
		return nil, &permanentError{err.Error()}
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", r.userAgent)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil, &permanentError{fmt.Sprintf("%s answered a redirect (%s) to %q; redirects are not followed (the identity token must not travel elsewhere): point the URL at the service itself",
			r.service, resp.Status, resp.Header.Get("Location"))}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxAnswer {
		return nil, &permanentError{fmt.Sprintf("%s answered more than %d bytes", r.service, maxAnswer)}
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// newHTTPClient returns base (or a default client) with redirects
// refused: requests carry an identity token.
func newHTTPClient(base *http.Client) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// snippet is the start of an answer's body, for messages.
func snippet(b []byte) string {
	const n = 300
	s := string(b)
	if len(s) > n {
		s = s[:n] + "…"
	}
	return fmt.Sprintf("%q", s)
}
