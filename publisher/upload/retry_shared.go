package upload

import (
	"net/http"
	"time"
)

// The retry rule (backoff, Retry-After, retryable statuses) has one home,
// retry.go; these exported forms let other packages that talk HTTP with the
// same policy (PEP 740 signing: Fulcio and Rekor) call it instead of copying
// it.

// WithDefaults returns p with zero fields filled from DefaultRetryPolicy.
func (p RetryPolicy) WithDefaults() RetryPolicy { return p.withDefaults() }

// Backoff is the wait after the failed attempt number attempt (1-based),
// with jitter; see RetryPolicy.
func (p RetryPolicy) Backoff(attempt int) time.Duration { return p.withDefaults().backoff(attempt) }

// RetryAfter parses a Retry-After header (delay seconds or HTTP date); false
// when absent or unparseable.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) { return retryAfter(h, now) }

// RetryableStatus reports whether an answer with this status may succeed when
// tried again: 429 and 5xx except 501 and 505.
func RetryableStatus(code int) bool { return retryableStatus(code) }
