package credential

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counting mints a new token on every call, living life.
type counting struct {
	n    atomic.Int32
	life time.Duration
	err  error
	slow time.Duration
}

func (c *counting) Token(context.Context) (*Token, error) {
	time.Sleep(c.slow)
	n := c.n.Add(1)
	if c.err != nil {
		return nil, c.err
	}
	var exp time.Time
	if c.life > 0 {
		exp = time.Now().Add(c.life)
	}
	return &Token{Value: fmt.Sprintf("tok-%d", n), Expiry: exp, Origin: "test"}, nil
}

func TestTokenNeverPrintsItsValue(t *testing.T) {
	tok := &Token{Value: "pypi-secret-value", Origin: "PYPI_API_TOKEN"}
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %s %+v %#v", tok, tok, tok, tok)} {
		if want := "[redacted token from PYPI_API_TOKEN]"; s[:len(want)] != want {
			t.Errorf("formatted as %q", s)
		}
		for i := 0; i+len("secret") <= len(s); i++ {
			if s[i:i+len("secret")] == "secret" {
				t.Errorf("formatted token shows its value: %q", s)
			}
		}
	}
}

func TestReuseSharesOneFetch(t *testing.T) {
	src := &counting{life: time.Hour, slow: 50 * time.Millisecond}
	r := NewReuse(src, 0)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, err := r.Token(context.Background()); err != nil || tok.Value != "tok-1" {
				t.Errorf("Token() = %v, %v", tok, err)
			}
		}()
	}
	wg.Wait()
	if n := src.n.Load(); n != 1 {
		t.Errorf("fetches = %d, want 1", n)
	}
}

func TestReuseRefreshesShortLivedTokens(t *testing.T) {
	src := &counting{life: 200 * time.Millisecond}
	r := NewReuse(src, 0)
	t1, _ := r.Token(context.Background())
	if t2, _ := r.Token(context.Background()); t2 != t1 {
		t.Fatal("a fresh token was not reused")
	}
	time.Sleep(120 * time.Millisecond) // less than half its life remains
	if t3, _ := r.Token(context.Background()); t3 == t1 {
		t.Fatal("a token with less than half its life left was reused")
	}
}

func TestReuseInvalidate(t *testing.T) {
	src := &counting{life: time.Hour}
	inner := NewReuse(src, 0)
	outer := NewReuse(inner, 0)
	t1, _ := outer.Token(context.Background())
	outer.Invalidate(t1)
	t2, _ := outer.Token(context.Background())
	if t2.Value == t1.Value {
		t.Fatal("Invalidate did not reach the inner cache")
	}
	outer.Invalidate(t1) // stale: a no-op
	if t3, _ := outer.Token(context.Background()); t3.Value != t2.Value {
		t.Error("invalidating a stale token dropped the current one")
	}
}

func TestReuseDoesNotCacheErrors(t *testing.T) {
	src := &counting{err: errors.New("boom")}
	r := NewReuse(src, 0)
	if _, err := r.Token(context.Background()); err == nil {
		t.Fatal("no error")
	}
	src.err = nil
	if tok, err := r.Token(context.Background()); err != nil || tok == nil {
		t.Fatalf("after recovery: %v, %v", tok, err)
	}
}

func TestStaticNeverExpires(t *testing.T) {
	tok, err := Static("pypi-x", "ENV").Token(context.Background())
	if err != nil || tok.Value != "pypi-x" || !tok.ValidFor(24*time.Hour, time.Now()) {
		t.Errorf("Static: %v %v", tok, err)
	}
}
