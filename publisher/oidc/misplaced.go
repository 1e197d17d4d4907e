package oidc

import (
	"fmt"
	"strings"

	settings "github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
)

// otherVariable is an environment variable another publishing tool reads a
// credential from. goreleaser-pypi does not read them on its own: a
// credential meant for one tool and index must not reach another index by
// surprise. When no credential is found and one of them is set, the error
// names it and the exact setting that makes goreleaser-pypi read it.
type otherVariable struct {
	name string
	// what the variable is, in messages: "uv's API token".
	what string
	// password: the variable holds a password (or a token sent as one),
	// whose user name is in user; otherwise it holds an API token.
	password bool
	user     string
}

// otherVariables, in the order they are reported.
var otherVariables = []otherVariable{
	{name: settings.DefaultTokenEnv, what: "goreleaser-pypi's default API token variable"},
	{name: settings.DefaultPasswordEnv, what: "goreleaser-pypi's default password variable", password: true, user: settings.DefaultUsernameEnv},
	{name: "PYPI_TOKEN", what: "a common name for a PyPI API token"},
	{name: "TWINE_PASSWORD", what: "twine's password", password: true, user: "TWINE_USERNAME"},
	{name: "UV_PUBLISH_TOKEN", what: "uv's API token"},
	{name: "UV_PUBLISH_PASSWORD", what: "uv's password", password: true, user: "UV_PUBLISH_USERNAME"},
	{name: "POETRY_PYPI_TOKEN_PYPI", what: "Poetry's PyPI token"},
	{name: "FLIT_PASSWORD", what: "flit's password", password: true, user: "FLIT_USERNAME"},
	{name: "HATCH_INDEX_AUTH", what: "Hatch's password", password: true, user: "HATCH_INDEX_USER"},
}

// misplaced lists, for an error about missing credentials, each variable
// of otherVariables that is set and what to pass to use it, e.g.
// "UV_PUBLISH_TOKEN is set: goreleaser-pypi reads PYPI_API_TOKEN; use
// --token-env UV_PUBLISH_TOKEN or token_env: UV_PUBLISH_TOKEN". Values are
// read only to tell an API token ("pypi-...") from a password; they are
// never shown.
func (c *config) misplaced(ix index) []string {
	var hints []string
	for _, v := range otherVariables {
		if v.name == c.tokenEnv || v.name == c.passwordEnv {
			continue
		}
		value := strings.TrimSpace(c.getenv(v.name))
		if value == "" {
			continue
		}
		isToken := strings.HasPrefix(value, credential.APITokenPrefix)
		if !v.password || isToken && !c.hasUser(v.user) {
			what := v.what
			if v.password {
				what += ", here an API token"
			}
			hints = append(hints, fmt.Sprintf("%s (%s) is set: goreleaser-pypi reads %s; use --token-env %s or token_env: %s",
				v.name, what, c.tokenEnv, v.name, v.name))
			continue
		}
		if w := ix.warehouse(); w != "" {
			hints = append(hints, fmt.Sprintf("%s (%s) is set, but it holds no API token (pypi-...), and %s takes no passwords",
				v.name, v.what, endpoint.WarehouseName(w)))
			continue
		}
		user, userSetting := "--username NAME", "username: NAME"
		if c.hasUser(v.user) {
			user, userSetting = "--username-env "+v.user, "username_env: "+v.user
		}
		hints = append(hints, fmt.Sprintf("%s (%s) is set: goreleaser-pypi reads %s; use --password-env %s %s, or password_env: %s and %s",
			v.name, v.what, c.passwordEnv, v.name, user, v.name, userSetting))
	}
	if r := c.Pypirc; r != nil && !r.HasPassword() {
		hints = append(hints, fmt.Sprintf("%s [%s] gives no password (goreleaser-pypi does not read keyring): add `password = ...` to the section, or export it in %s",
			r.File, r.Name, c.passwordEnv))
	}
	if strings.TrimSpace(c.getenv(c.usernameEnv)) != "" && ix.warehouse() == "" {
		hints = append(hints, fmt.Sprintf("%s (a user name) is set, but %s (its password) is not", c.usernameEnv, c.passwordEnv))
	}
	return hints
}

// hasUser reports whether the user name variable name is set to a real
// user name (not __token__).
func (c *config) hasUser(name string) bool {
	u := strings.TrimSpace(c.getenv(name))
	return u != "" && u != credential.TokenUser
}

// withMisplaced adds the hints to an error about missing credentials: the
// first line says a variable is there, the guidance opens with every one.
func withMisplaced(e *Error, hints []string) *Error {
	if len(hints) == 0 {
		return e
	}
	if len(hints) == 1 {
		e.Summary += "; but " + hints[0]
	} else {
		e.Summary += fmt.Sprintf("; but %d variables other tools read are set (see below)", len(hints))
	}
	var b strings.Builder
	b.WriteString("goreleaser-pypi reads only the variables it is told to, so that a credential meant for another tool\n" +
		"or index never reaches this one by surprise:\n\n")
	for _, h := range hints {
		b.WriteString("* " + h + "\n")
	}
	b.WriteString("\n")
	if rest, ok := strings.CutPrefix(e.Guidance, "Fix it in one of these ways:"); ok {
		e.Guidance = b.String() + "Otherwise, fix it in one of these ways:" + rest
	} else {
		e.Guidance = b.String() + "Otherwise:\n\n" + e.Guidance
	}
	return e
}
