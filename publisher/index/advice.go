package index

import (
	"net/http"
	"strings"
)

// advice is what to do about one refusal an index explains, recognised by
// its status and a piece of Warehouse's message (forklift/legacy.py).
type advice struct {
	code int
	text string // lower case, matched in the message
	what string
	// credentials: the index refuses the credentials themselves, whatever
	// the file (its identity check comes first, PROTOCOL §1).
	credentials bool
}

// advices are the refusals whose message does not say what to do, or says
// it in the index's terms rather than the release's.
var advices = []advice{
	{
		// Warehouse, since 2026-07: a release takes new files for 14 days.
		code: http.StatusBadRequest,
		text: "older than 14 days is not allowed",
		what: "PyPI closes a release to new files 14 days after it was created, and this release is older: " +
			"the files already in it stay as they are, but nothing can be added. Publish these files as a new version " +
			"(bump the version, tag and build a new release). Files the release already has, byte for byte, are still " +
			"recognised as uploaded",
	},
	{
		code: http.StatusForbidden,
		text: "invalid or non-existent authentication information",
		what: "the index does not know this credential: check that the token is complete and was created on this index " +
			"(a TestPyPI token does not work on PyPI, nor the other way round), and that it was not revoked; " +
			"for a private index, check the user name and password",
		credentials: true,
	},
	{
		code: http.StatusForbidden,
		text: "username/password authentication is no longer supported",
		what: "PyPI takes API tokens (user name __token__) and trusted publishing only: put an API token in PYPI_API_TOKEN " +
			"(or the variable token_env names) and no user name, or publish with trusted publishing",
		credentials: true,
	},
}

// Advice says what to do about a refusal whose index message is message
// (as Message or StatusLine give it), or "" when the message is not one
// goreleaser-pypi knows more about.
func Advice(code int, message string) string {
	m := strings.ToLower(message)
	for _, a := range advices {
		if a.code == code && strings.Contains(m, a.text) {
			return a.what
		}
	}
	return ""
}

// RefusesCredentials reports whether a refusal (status code and message)
// refuses the credentials themselves, whatever the file: 401, or one of
// Warehouse's identity refusals above (an unknown token, a password). A
// refusal for one project ("isn't allowed to upload to project") is not.
func RefusesCredentials(code int, message string) bool {
	if code == http.StatusUnauthorized {
		return true
	}
	m := strings.ToLower(message)
	for _, a := range advices {
		if a.credentials && a.code == code && strings.Contains(m, a.text) {
			return true
		}
	}
	return false
}
