package credential

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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
	return NewToken(fmt.Sprintf("tok-%d", n), "test", exp), nil
}

func TestTokenNeverPrintsItsValue(t *testing.T) {
	const secret = "pypi-secret-value"
	tok := NewToken(secret, "PYPI_API_TOKEN", time.Time{})
	if tok.Secret() != secret {
		t.Fatalf("Secret() = %q", tok.Secret())
	}
	// Every way a token, a pointer to one, or a struct or map holding one
	// (exported or not, by value or by pointer) can be printed or encoded.
	type holder struct {
		Tok   Token
		tok   Token
		Ptr   *Token
		inner struct{ t Token }
	}
	h := holder{Tok: *tok, tok: *tok, Ptr: tok}
	h.inner.t = *tok
	var outputs []string
	for _, v := range []any{tok, *tok, h, &h, map[string]Token{"k": *tok}, []Token{*tok}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			outputs = append(outputs, fmt.Sprintf(verb, v))
		}
		outputs = append(outputs, fmt.Sprint(v), fmt.Sprintln(v))
		if b, err := json.Marshal(v); err == nil {
			outputs = append(outputs, string(b))
		}
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "token", *tok, "ptr", tok, "holder", h)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "token", *tok, "ptr", tok)
	outputs = append(outputs, logged.String())
	hexSecret := hex.EncodeToString([]byte(secret))
	for _, s := range outputs {
		if strings.Contains(s, secret) || strings.Contains(strings.ToLower(s), hexSecret) || strings.Contains(s, "secret-value") {
			t.Errorf("a formatted token shows its value: %q", s)
		}
	}
	if got := fmt.Sprintf("%+v", *tok); got != "[redacted token from PYPI_API_TOKEN]" {
		t.Errorf("%%+v of a Token value = %q", got)
	}
	if b, _ := json.Marshal(*tok); string(b) != `"[redacted token from PYPI_API_TOKEN]"` {
		t.Errorf("JSON = %s", b)
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
			if tok, err := r.Token(context.Background()); err != nil || tok.Secret() != "tok-1" {
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
	if t2.Secret() == t1.Secret() {
		t.Fatal("Invalidate did not reach the inner cache")
	}
	outer.Invalidate(t1) // stale: a no-op
	if t3, _ := outer.Token(context.Background()); t3.Secret() != t2.Secret() {
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
	if err != nil || tok.Secret() != "pypi-x" || !tok.ValidFor(24*time.Hour, time.Now()) {
		t.Errorf("Static: %v %v", tok, err)
	}
}
