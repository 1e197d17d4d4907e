package pypitest

// STUB: replaced by the trusted-publishing implementation.

import "net/http"

type oidcOptions struct{}

func defaultOIDCOptions() oidcOptions { return oidcOptions{} }

// Issuer is the fake CI identity issuer.
type Issuer struct{}

type oidcServer struct{ issuer *Issuer }

func newOIDCServer(s *Server) (*oidcServer, error)                           { return &oidcServer{issuer: &Issuer{}}, nil }
func (o *oidcServer) handleAudience(w http.ResponseWriter, r *http.Request)  { http.NotFound(w, r) }
func (o *oidcServer) handleMintToken(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
func (o *oidcServer) close()                                                 {}
