// Package pypitest is a faithful local PyPI (Warehouse) for tests, demos and
// benchmarks: the legacy upload API with Warehouse's validation order, status
// codes and messages, the simple and JSON read APIs, trusted publishing
// (audience and mint-token endpoints) against a built-in fake CI identity
// issuer, fault injection and an inspection API.
//
// A Go test starts one in one line, like net/http/httptest:
//
//	srv := pypitest.NewServer(t, pypitest.WithToken("pypi-test-token"))
//	// upload to srv.RepositoryURL, pip install from srv.SimpleURL
//
// Uploads (POST /legacy/) are read to the end first, the file streamed to
// disk while hashed (memory does not grow with the file), then checked in
// Warehouse's order: identity, protocol version, the upload form, core
// metadata (packaging.metadata's rules and Warehouse's), the file part,
// project and permission, file name, size, digests, duplicates (an
// identical re-upload is a 200 no-op), one sdist per release, the archive
// (including the 2025 ZIP framing checks), PEP 625 and wheel file names,
// License-File presence, RECORD and METADATA. A refusal carries its message
// in the status line, as Warehouse's does, and in a body negotiated by
// Accept (HTML, JSON {"message","code","title"}, or plain text).
//
// The read side serves GET /simple/ and /simple/<name>/ (PEP 503 HTML,
// PEP 691 JSON, PEP 658 metadata), downloads under /files/, and PyPI's JSON
// API at /pypi/<name>/json and /pypi/<name>/<version>/json.
//
// Faults injects failures (statuses, Retry-After, dropped connections,
// delays, redirects, HTML error pages, accepted-then-failed uploads, huge
// bodies); Files, UploadAttempts, Requests and Stats show what happened.
//
// # Independent on purpose
//
// pypitest imports nothing from the client packages (publisher/dist,
// publisher/upload...): it is the other side of the wire, written from
// Warehouse's source, so that a client bug cannot hide behind a shared
// helper. These files restate rules the client also implements, and must
// stay separate copies: version.go (PEP 440, as packaging.version),
// names.go (PEP 503 names, wheel filenames and platform tags), metadata.go
// and requirement.go (core metadata and PEP 508, as packaging.metadata),
// archive.go (Warehouse's ZIP and tar checks), classifiers.go and
// classifiers.txt (the trove classifier list). The tests in
// publisher/dist and here compare both sides against real tools (packaging,
// twine, pip) rather than against each other.
//
// Several indexes can trust one issuer (WithIssuer), as TestPyPI and PyPI
// both trust GitHub's, so one CI job publishes to both; WithClaim (or
// Claims.With) changes the run the issuer describes, to rehearse the
// refusal of a job that does not match its trusted publisher.
//
// The server itself does not depend on package testing: `goreleaser-pypi
// serve` and `demo` run it with Start; NewServer is the one-line helper for
// tests on top of it.
//
// PEP 740 attestations (the "attestations" field) are verified as
// Warehouse verifies them, against the trusted root of the fake Sigstore
// the server starts (Sigstore) or WithAttestationTrustedRoot's, stored,
// and served by PyPI's Integrity API at
// /integrity/<project>/<version>/<filename>/provenance. This verifier is
// written independently of the client's (publisher/attest), on sigstore-go,
// so that the index catches the client's mistakes instead of sharing them.
//
// Also modelled: the description must render (Warehouse refuses an upload
// whose reStructuredText description readme_renderer cannot render; the
// index recognizes the most common failures independently of the client's
// checker, see describe.go), and no new file may join a release older than
// 14 days (AgeRelease moves a release back in time).
//
// Authentication is PyPI's by default: API tokens with the user name
// __token__, any other user name refused. WithUser turns the index into a
// private one (devpi, Artifactory, Nexus, GitLab, CodeArtifact) that also
// accepts HTTP Basic user names and passwords.
//
// Not modelled: rate limits, organizations and yanking.
package pypitest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/sigstore/sigstore-go/pkg/verify"
)

// Server is a running local index.
type Server struct {
	// URL is the index base URL, e.g. "http://127.0.0.1:41234".
	URL string
	// RepositoryURL is the upload endpoint: URL + "/legacy/".
	RepositoryURL string
	// SimpleURL is the simple index: URL + "/simple/".
	SimpleURL string
	// Issuer is the fake CI identity issuer the index trusts (its own
	// listener): the server's own, or another server's (WithIssuer).
	Issuer *Issuer
	// Sigstore is the fake Fulcio and Rekor (their own listeners) trusting
	// Issuer; the index verifies attestations against its TrustedRoot
	// unless WithAttestationTrustedRoot says otherwise.
	Sigstore *Sigstore

	opts     options
	listener net.Listener
	http     *http.Server
	tokens   *tokenStore
	oidc     *oidcServer
	stats    serverStats
	core     *core
	// attestVerifier checks uploaded attestations (attestations.go).
	attestVerifier *verify.Verifier
	cancel         context.CancelFunc // ends the requests in flight (Close)
}

// serverStats are counters the handlers bump and tests read through Stats.
type serverStats struct {
	mints         atomic.Int64 // successful POST /_/oidc/mint-token
	audienceCalls atomic.Int64 // GET /_/oidc/audience
}

// options collects what Option functions set. Upload/index options live in
// coreOptions (core.go), trusted publishing options in oidcOptions (oidc.go).
type options struct {
	core   coreOptions
	oidc   oidcOptions
	attest attestOptions
}

// Option configures a Server.
type Option func(*options)

// TB is the part of testing.TB NewServer uses (*testing.T, *testing.B and
// *testing.F satisfy it), so that this package does not import testing.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// NewServer starts a Server on a loopback port and closes it when the test
// ends. It fails the test if the server cannot start.
func NewServer(t TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start("127.0.0.1:0", opts...)
	if err != nil {
		t.Fatalf("pypitest: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Start starts a Server listening on addr (e.g. "127.0.0.1:8080"; port 0
// picks a free one). Close it when done.
func Start(addr string, opts ...Option) (*Server, error) {
	s := &Server{tokens: newTokenStore()}
	s.opts.core = defaultCoreOptions()
	s.opts.oidc = defaultOIDCOptions()
	for _, o := range opts {
		o(&s.opts)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	s.listener = ln
	s.URL = "http://" + ln.Addr().String()
	s.RepositoryURL = s.URL + "/legacy/"
	s.SimpleURL = s.URL + "/simple/"
	if err := s.initCore(); err != nil {
		ln.Close()
		return nil, err
	}
	if s.oidc, err = newOIDCServer(s); err != nil {
		ln.Close()
		return nil, err
	}
	s.Issuer = s.oidc.issuer
	if err := s.initAttestations(); err != nil {
		ln.Close()
		s.oidc.close()
		s.closeCore()
		return nil, err
	}
	mux := http.NewServeMux()
	s.registerCore(mux)
	mux.HandleFunc("GET /integrity/{project}/{version}/{filename}/provenance", s.handleProvenance)
	mux.HandleFunc("GET /_/oidc/audience", s.oidc.handleAudience)
	mux.HandleFunc("POST /_/oidc/mint-token", s.oidc.handleMintToken)
	// Requests live in a context Close cancels: a handler sleeping out an
	// injected Delay ends with the server, even when its client went away
	// unnoticed (a POST whose body is unread).
	base, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.http = &http.Server{Handler: s.wrap(mux), ReadHeaderTimeout: time.Minute, BaseContext: func(net.Listener) context.Context { return base }}
	go s.http.Serve(ln)
	return s, nil
}

// Close stops the index and the fake issuer.
func (s *Server) Close() error {
	s.cancel()
	err := s.http.Close()
	s.oidc.close()
	s.Sigstore.Close()
	s.closeCore()
	return err
}
