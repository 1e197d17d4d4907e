package retry

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"7":                             7 * time.Second,
		"Fri, 02 Jan 2026 03:04:15 GMT": 10 * time.Second,
		"Fri, 02 Jan 2026 03:00:00 GMT": 0,
		"99999999":                      24 * time.Hour,
	} {
		got, ok := RetryAfter(http.Header{"Retry-After": {v}}, now)
		if !ok || got != want {
			t.Errorf("%q: %v %v", v, got, ok)
		}
	}
	for _, bad := range []string{"soon", "-3", ""} {
		if _, ok := RetryAfter(http.Header{"Retry-After": {bad}}, now); ok {
			t.Errorf("parsed %q", bad)
		}
	}
	p := Policy{Delay: time.Second, MaxDelay: 5 * time.Second}
	if got := p.Wait(1, http.Header{"Retry-After": {"60"}}, now); got != 5*time.Second {
		t.Errorf("Retry-After not capped at MaxDelay: %s", got)
	}
}

func TestBackoff(t *testing.T) {
	pol := Policy{Delay: 100 * time.Millisecond, MaxDelay: time.Second}
	for attempt, max := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 10: time.Second} {
		for range 50 {
			if d := pol.Backoff(attempt); d < max/2 || d > max {
				t.Errorf("attempt %d: %s outside [%s, %s]", attempt, d, max/2, max)
			}
		}
	}
}

func TestRetryableStatus(t *testing.T) {
	for code, want := range map[int]bool{429: true, 500: true, 502: true, 503: true, 504: true, 599: true,
		501: false, 505: false, 400: false, 403: false, 404: false, 409: false, 200: false, 308: false} {
		if got := RetryableStatus(code); got != want {
			t.Errorf("RetryableStatus(%d) = %v", code, got)
		}
	}
}

func TestSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context: %v", err)
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Error(err)
	}
}
