package pypitest

import (
	"sync"
	"time"
)

// apiToken is an upload credential the index accepts.
type apiToken struct {
	value    string
	user     string    // owner of a static token ("" for minted ones)
	projects []string  // normalized project names it may upload to; empty = any
	expires  time.Time // zero = never
	minted   bool      // minted by trusted publishing (a "non-user identity")
	// publisher minted it: the identity its uploads' attestations must have.
	publisher *trustedPublisher
	password  bool // a user name and password (WithUser), not a token
}

// tokenStore holds the static tokens (WithToken) and the minted ones.
type tokenStore struct {
	mu     sync.Mutex
	tokens map[string]*apiToken
}

func newTokenStore() *tokenStore { return &tokenStore{tokens: map[string]*apiToken{}} }

func (ts *tokenStore) add(t *apiToken) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.tokens[t.value] = t
}

func (ts *tokenStore) lookup(value string) (*apiToken, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, ok := ts.tokens[value]
	return t, ok
}
