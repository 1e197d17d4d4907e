package upload

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy bounds how an upload is retried after a transient failure: a
// connection error or timeout, a 5xx answer, or 429 Too Many Requests. Other
// 4xx answers are final and never retried.
type RetryPolicy struct {
	// Attempts is the maximum number of attempts per file, the first one
	// included (DefaultRetryPolicy: 5). 1 disables retries.
	Attempts int
	// Delay is the wait before the second attempt; it doubles with every
	// attempt, with jitter.
	Delay time.Duration
	// MaxDelay caps a single wait, including one asked for by Retry-After.
	MaxDelay time.Duration
	// MaxElapsed caps the time spent on one file, waits included: no new
	// attempt starts once it would be exceeded.
	MaxElapsed time.Duration
}

// DefaultRetryPolicy is the policy used for zero fields.
var DefaultRetryPolicy = RetryPolicy{Attempts: 5, Delay: time.Second, MaxDelay: 30 * time.Second, MaxElapsed: 10 * time.Minute}

// withDefaults fills zero fields from DefaultRetryPolicy.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultRetryPolicy.Attempts
	}
	if p.Delay <= 0 {
		p.Delay = DefaultRetryPolicy.Delay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetryPolicy.MaxDelay
	}
	if p.MaxDelay < p.Delay {
		p.MaxDelay = p.Delay
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = DefaultRetryPolicy.MaxElapsed
	}
	return p
}

// backoff is the wait after the failed attempt number attempt (1-based):
// Delay·2^(attempt-1), capped at MaxDelay, with "equal jitter" (between half
// and all of it) so that concurrent uploads hitting the same outage do not
// come back in lockstep.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.Delay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date.
// It returns false when the header is absent or unparseable.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// retryableStatus reports whether an answer with this status may succeed
// when tried again: 429 and 5xx, except the 5xx that say the request itself
// will never work (501 Not Implemented, 505 HTTP Version Not Supported).
func retryableStatus(code int) bool {
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
