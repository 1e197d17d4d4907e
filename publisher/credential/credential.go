// Package credential models the secrets used to upload to a package index,
// in the shape of golang.org/x/oauth2's TokenSource: a Source hands out a
// Token, sources compose (an API token from the environment, or a token minted
// through trusted publishing), and Reuse caches a token until shortly before
// it expires.
package credential

import (
	"context"
	"sync"
	"time"
)

// Token is an upload credential: an index API token ("pypi-..."), sent as
// HTTP Basic auth with the user name "__token__".
//
// Token deliberately formats as "[redacted]" with %v and %s so that a token
// that slips into a log line or an error never shows its value.
type Token struct {
	// Value is the secret. Read it only to build an Authorization header.
	Value string
	// Expiry is when the index stops accepting the token; zero means never.
	Expiry time.Time
	// Origin says where the token came from, for logs and errors:
	// "PYPI_API_TOKEN", "trusted publishing (GitHub Actions)"...
	Origin string
}

// String never shows the secret.
func (t *Token) String() string {
	if t == nil {
		return "<nil token>"
	}
	return "[redacted token from " + t.Origin + "]"
}

// GoString never shows the secret either (%#v).
func (t *Token) GoString() string { return t.String() }

// ValidFor reports whether the token is still good for at least d.
func (t *Token) ValidFor(d time.Duration, now time.Time) bool {
	if t == nil || t.Value == "" {
		return false
	}
	return t.Expiry.IsZero() || now.Add(d).Before(t.Expiry)
}

// Source hands out tokens. Implementations must be safe for concurrent use.
type Source interface {
	Token(ctx context.Context) (*Token, error)
}

// Invalidator is implemented by sources that cache tokens. The uploader
// calls Invalidate when the index refuses a token as expired, so that the
// next Token call fetches a fresh one.
type Invalidator interface {
	Invalidate(t *Token)
}

// SourceFunc adapts a function to a Source.
type SourceFunc func(ctx context.Context) (*Token, error)

// Token calls f.
func (f SourceFunc) Token(ctx context.Context) (*Token, error) { return f(ctx) }

// Static returns a Source that always returns the same never-expiring token.
func Static(value, origin string) Source {
	tok := &Token{Value: value, Origin: origin}
	return SourceFunc(func(context.Context) (*Token, error) { return tok, nil })
}

// DefaultEarly is how long before expiry Reuse fetches a new token. twine
// re-mints when less than 5 minutes remain; an upload of a large file can take
// longer than that, so the uploader also re-fetches per attempt.
const DefaultEarly = 5 * time.Minute

// Reuse caches the token of src and asks src for a new one when the cached
// token is close to expiry (or was invalidated). Concurrent callers share one
// fetch: a trusted-publishing source must not mint twice at once, because every
// mint spends a fresh single-use identity token.
type Reuse struct {
	src   Source
	early time.Duration
	now   func() time.Time

	mu        sync.Mutex
	tok       *Token
	fetchedAt time.Time
}

// NewReuse wraps src. A cached token is replaced once less than early
// (DefaultEarly when early <= 0) or less than half its lifetime remains,
// whichever is shorter, so that even a token living seconds is reused.
func NewReuse(src Source, early time.Duration) *Reuse {
	if early <= 0 {
		early = DefaultEarly
	}
	return &Reuse{src: src, early: early, now: time.Now}
}

// Token returns the cached token, or fetches a fresh one from the wrapped source.
func (r *Reuse) Token(ctx context.Context) (*Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tok != nil && r.tok.ValidFor(r.margin(), r.now()) {
		return r.tok, nil
	}
	tok, err := r.src.Token(ctx)
	if err != nil {
		return nil, err
	}
	r.tok, r.fetchedAt = tok, r.now()
	return tok, nil
}

// margin is how much validity the cached token must still have to be handed out.
func (r *Reuse) margin() time.Duration {
	if r.tok.Expiry.IsZero() {
		return 0
	}
	return min(r.early, r.tok.Expiry.Sub(r.fetchedAt)/2)
}

// Invalidate drops t from the cache if it is the cached token, so the next
// Token call fetches a new one. Invalidating an older token is a no-op: another
// goroutine has already replaced it. When the wrapped source caches too (a
// Reuse wrapping a Reuse), t is invalidated there as well, so wrapping twice
// is harmless.
func (r *Reuse) Invalidate(t *Token) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t != nil && r.tok != nil && r.tok.Value == t.Value {
		r.tok = nil
	}
	if inv, ok := r.src.(Invalidator); ok {
		inv.Invalidate(t)
	}
}
