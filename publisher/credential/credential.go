// Package credential models the secrets used to upload to a package index,
// in the shape of golang.org/x/oauth2's TokenSource: a Source hands out a
// Token, sources compose (an API token from the environment, or a token minted
// through trusted publishing), and Reuse caches a token until shortly before
// it expires.
package credential

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Token is an upload credential, sent as HTTP Basic auth: an index API
// token ("pypi-...") with the user name "__token__" (NewToken), or a
// password with a real user name (NewBasic), as private indexes
// (Artifactory, Nexus, GitLab, CodeArtifact, devpi...) take.
//
// A Token redacts itself BY VALUE: String, GoString, Format (every verb:
// %v, %+v, %#v, %s, %q, %x...), MarshalJSON and LogValue (log/slog) are
// methods of the value type, so a Token, a *Token and any struct or map
// holding one print "[redacted token from <origin>]". The secret itself is
// kept behind a pointer: fmt prints a nested pointer as an address, so even
// a struct holding a Token in an unexported field (which fmt formats without
// calling its methods) never shows it. Read it only through Secret, to build
// an Authorization header.
type Token struct {
	secret *string
	// user is the Basic-auth user name; "" means TokenUser. Not a secret,
	// but never printed by the formatting methods either.
	user string
	// Expiry is when the index stops accepting the token; zero means never.
	Expiry time.Time
	// Origin says where the token came from, for logs and errors:
	// "PYPI_API_TOKEN", "trusted publishing (GitHub Actions)"...
	Origin string
}

// TokenUser is the user name an API token is sent with.
const TokenUser = "__token__"

// NewToken returns a token holding secret.
func NewToken(secret, origin string, expiry time.Time) *Token {
	return &Token{secret: &secret, Expiry: expiry, Origin: origin}
}

// NewBasic returns a credential for a real user name and its password.
// A username of "" or TokenUser makes it an API token (NewToken).
func NewBasic(username, password, origin string) *Token {
	t := NewToken(password, origin, time.Time{})
	if username != TokenUser {
		t.user = username
	}
	return t
}

// Username is the user name sent with the secret: TokenUser for an API token.
func (t Token) Username() string {
	if t.user == "" {
		return TokenUser
	}
	return t.user
}

// IsAPIToken reports whether the secret is sent as an API token (user
// name TokenUser) rather than a user's password.
func (t Token) IsAPIToken() bool { return t.user == "" }

// Secret is the token's value. Call it only to authenticate a request.
func (t Token) Secret() string {
	if t.secret == nil {
		return ""
	}
	return *t.secret
}

// String never shows the secret.
func (t Token) String() string {
	if !t.IsAPIToken() {
		return "[redacted password from " + t.Origin + "]"
	}
	return "[redacted token from " + t.Origin + "]"
}

// GoString never shows the secret either (%#v).
func (t Token) GoString() string { return t.String() }

// Format renders every fmt verb as String, so no verb (%x, %q, %+v...)
// reaches the secret.
func (t Token) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// MarshalJSON renders the token as its redacted text.
func (t Token) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// LogValue renders the token as its redacted text in log/slog.
func (t Token) LogValue() slog.Value { return slog.StringValue(t.String()) }

// ValidFor reports whether the token is still good for at least d.
func (t *Token) ValidFor(d time.Duration, now time.Time) bool {
	if t == nil || t.Secret() == "" {
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
	return Fixed(NewToken(value, origin, time.Time{}))
}

// Fixed returns a Source that always returns tok (an API token or a user
// name and password from the environment or a file).
func Fixed(tok *Token) Source {
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
	if t != nil && r.tok != nil && r.tok.Secret() == t.Secret() {
		r.tok = nil
	}
	if inv, ok := r.src.(Invalidator); ok {
		inv.Invalidate(t)
	}
}
