package pypitest

// STUB: replaced by the trusted-publishing implementation.

import "net/http"

type oidcOptions struct{}

func defaultOIDCOptions() oidcOptions { return oidcOptions{} }

// Issuer is the fake CI identity issuer.
type Issuer struct {
	URL          string // the "iss" claim; serves OpenID configuration and JWKS
	RequestURL   string // what ACTIONS_ID_TOKEN_REQUEST_URL must be set to
	RequestToken string // what ACTIONS_ID_TOKEN_REQUEST_TOKEN must be set to
}

// GitHubEnv returns the ACTIONS_ID_TOKEN_REQUEST_URL=... and
// ACTIONS_ID_TOKEN_REQUEST_TOKEN=... assignments that make a process behave as
// a GitHub Actions job with "permissions: id-token: write".
func (i *Issuer) GitHubEnv() []string { return nil }

// GitHubPublisher is a trusted publisher configured on the index.
type GitHubPublisher struct{}

// ParsePublisherSpec parses the serve command's --trusted-publisher value.
func ParsePublisherSpec(spec string) (GitHubPublisher, error) { return GitHubPublisher{}, nil }

// WithTrustedPublisher configures a trusted publisher.
func WithTrustedPublisher(p GitHubPublisher) Option { return func(*options) {} }

type oidcServer struct{ issuer *Issuer }

func newOIDCServer(s *Server) (*oidcServer, error)                           { return &oidcServer{issuer: &Issuer{}}, nil }
func (o *oidcServer) handleAudience(w http.ResponseWriter, r *http.Request)  { http.NotFound(w, r) }
func (o *oidcServer) handleMintToken(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
func (o *oidcServer) close()                                                 {}
