package attest

import (
	_ "embed"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
)

// The defaults, in one place: Sigstore's public-good instance.
const (
	// DefaultFulcioURL is the certificate authority that certifies the
	// ephemeral signing key for the CI identity.
	DefaultFulcioURL = config.DefaultFulcioURL
	// DefaultRekorURL is the transparency log. It must be a Rekor v1 API:
	// PEP 740 attestations have no place for Rekor v2's signed timestamps,
	// so the log is never taken from a TUF signing config (which may name a
	// v2 log).
	DefaultRekorURL = config.DefaultRekorURL
	// DefaultConcurrency bounds the Rekor entries created at once.
	DefaultConcurrency = 4
	// DefaultTimeout bounds one request to Fulcio or Rekor.
	DefaultTimeout = 30 * time.Second
)

// PublicGoodTrustedRoot is the public-good Sigstore trust root
// (trusted_root.json: Fulcio CAs, Rekor and CT log keys, TSA), embedded so
// that verification needs no network and no TUF client at run time.
//
// Source: github.com/sigstore/root-signing, targets/trusted_root.json at
// commit c9bda74ad2221f938f7d2e0295ca3aad2da710a8 (2025-09-22, "Update TR
// and SC for first Rekor v2 instance"), still the newest on 2026-08-21.
// sha256 6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66.
// Refresh it, verified through Sigstore's TUF repository, with
// scripts/update-trusted-root.
//
//go:embed trusted_root.json
var PublicGoodTrustedRoot []byte

// PublicGoodTrustedRootDate is when the embedded root last changed upstream.
const PublicGoodTrustedRootDate = "2025-09-22"

// ReadTrustedRoot reads a user's trusted_root.json (--trusted-root FILE),
// checking that it parses as a Sigstore trust root.
func ReadTrustedRoot(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the Sigstore trusted root: %w", err)
	}
	if _, err := parseTrustedRoot(data); err != nil {
		return nil, fmt.Errorf("%s is not a Sigstore trusted_root.json: %w", path, err)
	}
	return data, nil
}

// parseServiceURL checks a Fulcio or Rekor URL with the project's transport
// rule (https, plain http only to loopback) and returns it without a
// trailing slash. what names the setting in errors, e.g. "--fulcio-url".
func parseServiceURL(what, raw, def string) (string, error) {
	if raw == "" {
		raw = def
	}
	u, err := endpoint.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if u.RawQuery != "" {
		return "", fmt.Errorf("%s %s: a Sigstore service URL takes no query", what, u.Redacted())
	}
	u.Path = trimSlash(u.Path)
	u.RawPath = ""
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String(), nil
}

func trimSlash(p string) string {
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}
