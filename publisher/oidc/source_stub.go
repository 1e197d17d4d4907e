// Package oidc obtains upload credentials: an API token from the
// environment, or trusted publishing (a CI identity token exchanged at the
// index's /_/oidc/mint-token for a short-lived API token).
package oidc

// STUB: replaced by the real implementation.

import (
	"fmt"
	"io"
	"net/http"

	"github.com/caarlos0/log"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
)

// Mode is the trusted publishing mode.
type Mode string

// Trusted publishing modes.
const (
	Auto   Mode = "auto"   // OIDC when no API token is given and an ambient identity exists
	Always Mode = "always" // OIDC only; fail clearly without an ambient identity
	Never  Mode = "never"  // API token only
)

// DefaultTokenEnv is the environment variable read for an API token.
const DefaultTokenEnv = "PYPI_API_TOKEN"

// Options for NewSource.
type Options struct {
	RepositoryURL string
	Mode          Mode   // "" means Auto
	Audience      string // "" means discover from {scheme}://{host}/_/oidc/audience
	TokenEnv      string // "" means DefaultTokenEnv
	Getenv        func(string) string
	HTTPClient    *http.Client // nil means a default client that never follows redirects
	Log           log.Interface
	Stdout        io.Writer // where ::add-mask:: is printed on GitHub Actions
}

// NewSource chooses the credential source. It fails (without network
// access) when no credential can possibly be found, with guidance.
func NewSource(opts Options) (credential.Source, error) {
	env := opts.TokenEnv
	if env == "" {
		env = DefaultTokenEnv
	}
	if tok := opts.Getenv(env); tok != "" {
		return credential.Static(tok, env), nil
	}
	return nil, fmt.Errorf("no credentials: set %s", env)
}
