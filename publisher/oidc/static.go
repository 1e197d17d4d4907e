package oidc

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
)

// Problems of credentials given explicitly (environment, --username,
// ~/.pypirc), reported before anything is uploaded.
const (
	// ProblemAmbiguousCredentials: an API token and a password are both set.
	ProblemAmbiguousCredentials Problem = "ambiguous-credentials"
	// ProblemNoUsername: a password (not an API token) without a user name.
	ProblemNoUsername Problem = "no-username"
	// ProblemNoPassword: a user name given explicitly without a password.
	ProblemNoPassword Problem = "no-password"
	// ProblemTokenShape: an API token PyPI or TestPyPI would certainly
	// refuse (see credential.CheckAPIToken).
	ProblemTokenShape Problem = "token-shape"
	// ProblemPasswordOnPyPI: a user name and password for PyPI or TestPyPI,
	// which take API tokens and trusted publishing only.
	ProblemPasswordOnPyPI Problem = "password-on-pypi"
)

// warehouse names the public Warehouse instance of the index ("pypi.org",
// "test.pypi.org") or "" for another index.
func (ix index) warehouse() string { return endpoint.Warehouse(ix.repo) }

// given is the credential given explicitly, with where it came from.
type given struct {
	tok  *credential.Token
	desc string // for the report: "API token from PYPI_API_TOKEN"...
}

// Token returns the credential; it never changes.
func (g *given) Token(context.Context) (*credential.Token, error) { return g.tok, nil }

// Describe says where the credential comes from, never what it is.
func (g *given) Describe() string { return g.desc }

// explicit reports whether any credential is given explicitly (for the
// warning of --trusted-publishing always, which ignores them).
func (c *config) explicit() []string {
	var set []string
	for _, v := range []string{c.tokenEnv, c.passwordEnv} {
		if strings.TrimSpace(c.getenv(v)) != "" {
			set = append(set, v)
		}
	}
	if c.Username != "" {
		set = append(set, "--username")
	}
	if r := c.Pypirc; r != nil && r.HasPassword() {
		set = append(set, r.File+" ["+r.Name+"]")
	}
	return set
}

// static resolves the credential given explicitly, in this order:
//
//   - an API token in the token variable (PYPI_API_TOKEN), sent with the
//     user name __token__;
//   - a password: the password variable (PYPI_PASSWORD), else the .pypirc
//     repository's; with the user name of --username (username:), else the
//     user name variable (PYPI_USERNAME), else the .pypirc repository's. A
//     password starting with "pypi-" given without a user name (or with
//     __token__) is an API token.
//
// An API token and a password both set is an error: which one the index
// should get is never guessed. It returns a nil credential when none is
// given. Warnings are for the caller to log; nothing here logs, so the
// pre-flight check (Check) and NewSource can share it.
func (c *config) static(ix index) (*given, []string, *Error) {
	token := strings.TrimSpace(c.getenv(c.tokenEnv))
	password, passwordFrom := c.getenv(c.passwordEnv), c.passwordEnv
	if strings.TrimSpace(password) == "" {
		password = ""
		if r := c.Pypirc; r != nil && r.HasPassword() {
			password, passwordFrom = r.Password(), r.File+" ["+r.Name+"]"
		}
	}
	username, usernameFrom := c.Username, "--username"
	if username == "" {
		username, usernameFrom = strings.TrimSpace(c.getenv(c.usernameEnv)), c.usernameEnv
	}
	if username == "" && c.Pypirc != nil {
		username, usernameFrom = c.Pypirc.Username, c.Pypirc.File+" ["+c.Pypirc.Name+"]"
	}

	var g *given
	switch {
	case token != "" && password != "":
		return nil, nil, &Error{
			Problem: ProblemAmbiguousCredentials,
			Summary: fmt.Sprintf("two credentials for %s: an API token in %s and a password from %s; goreleaser-pypi does not guess which one the index should get", ix.host(), c.tokenEnv, passwordFrom),
			Guidance: fmt.Sprintf("Keep one of them for this run: unset %s to send the password, or unset %s (drop --repository for a ~/.pypirc password) to send the API token.\n"+
				"If %s holds an API token, it is enough on its own (its user name is always __token__).\n", c.tokenEnv, c.passwordEnv, c.passwordEnv),
		}
	case token != "":
		if c.Username != "" && c.Username != credential.TokenUser {
			return nil, nil, &Error{
				Problem: ProblemAmbiguousCredentials,
				Summary: fmt.Sprintf("--username %s is given, but the credential is an API token in %s, which is always sent with the user name __token__", c.Username, c.tokenEnv),
				Guidance: fmt.Sprintf("For a user name and password, put the password in %s (or the variable --password-env names) and unset %s.\n"+
					"For the API token, drop --username (username: in the settings file).\n", c.passwordEnv, c.tokenEnv),
			}
		}
		g = &given{tok: credential.NewToken(token, c.tokenEnv, time.Time{}), desc: "API token from " + c.tokenEnv}
	case password != "":
		isToken := strings.HasPrefix(strings.TrimSpace(password), credential.APITokenPrefix)
		switch {
		case username == credential.TokenUser || username == "" && isToken:
			g = &given{tok: credential.NewToken(strings.TrimSpace(password), passwordFrom, time.Time{}), desc: "API token from " + passwordFrom}
		case username == "":
			return nil, nil, &Error{
				Problem: ProblemNoUsername,
				Summary: fmt.Sprintf("a password is set in %s but no user name to go with it", passwordFrom),
				Guidance: fmt.Sprintf("Give the user name with --username NAME (username: in the settings file) or in %s (the variable --username-env names).\n"+
					"If %s holds an API token of PyPI or TestPyPI, it starts with pypi- and needs no user name: check that it was copied whole.\n", c.usernameEnv, passwordFrom),
			}
		case ix.warehouse() != "" && isToken:
			// As twine: PyPI's user name is always __token__.
			g = &given{tok: credential.NewToken(strings.TrimSpace(password), passwordFrom, time.Time{}), desc: "API token from " + passwordFrom}
		default:
			g = &given{tok: credential.NewBasic(username, password, passwordFrom),
				desc: fmt.Sprintf("user %s (from %s), password from %s", username, usernameFrom, passwordFrom)}
		}
	case c.Username != "" && c.Username != credential.TokenUser:
		return nil, nil, &Error{
			Problem: ProblemNoPassword,
			Summary: fmt.Sprintf("--username %s is given but no password: %s is not set", c.Username, c.passwordEnv),
			Guidance: fmt.Sprintf("Export the password in %s (or the variable --password-env names; a GoReleaser custom publisher must forward it in env:).\n"+
				"goreleaser-pypi never takes a password from the command line, where every process on the machine can read it.\n", c.passwordEnv),
		}
	default:
		return nil, nil, nil
	}

	var warnings []string
	if g.tok.IsAPIToken() && username != "" && username != credential.TokenUser {
		warnings = append(warnings, fmt.Sprintf("the credential is an API token, always sent with the user name __token__: the user name %s (from %s) is not sent", username, usernameFrom))
	}
	if !g.tok.IsAPIToken() {
		if w := ix.warehouse(); w != "" {
			name := endpoint.WarehouseName(w)
			return nil, nil, &Error{
				Problem: ProblemPasswordOnPyPI,
				Summary: fmt.Sprintf("%s does not accept user names and passwords (the password from %s is not an API token: it does not start with pypi-)", name, passwordFrom),
				Guidance: fmt.Sprintf("Upload to %s with trusted publishing (see docs/trusted-publishing.md), or with an API token:\n"+
					"%s", name, apiTokenHowTo(ix, c.tokenEnv)),
			}
		}
		return g, warnings, nil
	}
	warning, err := credential.CheckAPIToken(g.tok.Secret(), g.tok.Origin, ix.warehouse(), ix.host())
	if err != nil {
		return nil, nil, &Error{
			Problem:  ProblemTokenShape,
			Summary:  err.Error(),
			Guidance: "Nothing was sent: goreleaser-pypi checks the token's shape before uploading (it never prints the token).\n",
			Err:      err,
		}
	}
	if warning != "" {
		warnings = append(warnings, warning)
	}
	return g, warnings, nil
}

// Check reports, without a request and without logging, a problem with
// the credentials given explicitly to opts (two credentials at once, a
// password without a user name, an API token PyPI would refuse...), so that
// a release with several targets stops before its first upload. Problems
// found only by talking to a CI provider or the index are left to
// NewSource. With Mode always, explicit credentials are ignored: no error.
func Check(opts Options) error {
	c, err := opts.config()
	if err != nil {
		return err
	}
	if c.mode == Always {
		return nil
	}
	if _, _, problem := c.static(index{repo: c.repo}); problem != nil {
		return problem
	}
	return nil
}
