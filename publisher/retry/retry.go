// Package retry is the one home of how goreleaser-pypi retries a request
// that failed for a reason that may go away: which answers are worth another
// attempt, how long to wait (exponential backoff with jitter, Retry-After
// honoured) and how waiting ends when the run is interrupted. Uploads,
// trusted publishing and attestations each choose their own Policy values;
// the rules are these.
package retry

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Policy bounds how a request is retried.
type Policy struct {
	// Attempts is the maximum number of attempts, the first one included.
	// 1 disables retries.
	Attempts int
	// Delay is the wait before the second attempt; it doubles with every
	// attempt, with jitter.
	Delay time.Duration
	// MaxDelay caps a single wait, including one asked for by Retry-After.
	MaxDelay time.Duration
	// MaxElapsed caps the time spent on one request, waits included: no
	// new attempt starts once it would be exceeded. 0 means no cap.
	MaxElapsed time.Duration
}

// Backoff is the wait after the failed attempt number attempt (1-based):
// Delay·2^(attempt-1), capped at MaxDelay, with "equal jitter" (between half
// and all of it) so that concurrent requests hitting the same outage do not
// come back in lockstep.
func (p Policy) Backoff(attempt int) time.Duration {
	d := p.Delay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	if p.MaxDelay > 0 {
		d = min(d, p.MaxDelay)
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// Wait is how long to wait before the attempt after attempt: the server's
// Retry-After when it sent one (capped at MaxDelay), else Backoff.
func (p Policy) Wait(attempt int, h http.Header, now time.Time) time.Duration {
	if ra, ok := RetryAfter(h, now); ok {
		if p.MaxDelay > 0 {
			return min(ra, p.MaxDelay)
		}
		return ra
	}
	return p.Backoff(attempt)
}

// RetryableStatus reports whether an answer with this status may succeed
// when tried again: 429 and 5xx, except the 5xx that say the request itself
// will never work (501 Not Implemented, 505 HTTP Version Not Supported).
// Every other status is final.
func RetryableStatus(code int) bool {
	switch {
	case code == http.StatusTooManyRequests:
		return true
	case code == http.StatusNotImplemented, code == http.StatusHTTPVersionNotSupported:
		return false
	case code >= 500 && code <= 599:
		return true
	}
	return false
}

// RetryAfter parses a Retry-After header: delay seconds or an HTTP date,
// capped at a day. It returns false when the header is absent or unparseable.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		secs = min(secs, int64(24*time.Hour/time.Second))
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// Sleep waits d, or until ctx ends (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
