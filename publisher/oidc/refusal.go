package oidc

import (
	"fmt"
	"strings"
	"unicode"
)

// Mint-token error codes sent by PyPI (Warehouse).
const (
	CodeNotEnabled              = "not-enabled"
	CodeInvalidPayload          = "invalid-payload"
	CodeInvalidToken            = "invalid-token"
	CodeInvalidPendingPublisher = "invalid-pending-publisher"
	CodeInvalidReuseToken       = "invalid-reuse-token"
	CodeInvalidPublisher        = "invalid-publisher"
)

// refusalHint says what to do about a mint-token error code. provider is
// the identity provider's name, audience the audience the token was asked
// for.
func refusalHint(code, provider, audience string) string {
	switch code {
	case CodeNotEnabled:
		return "The index has trusted publishing turned off (for this kind of identity, or entirely): its administrators\n" +
			"can do so, for example during an incident. Try again later, or upload with an API token."
	case CodeInvalidPayload:
		return "The index could not read the exchange request, or does not know the identity token's issuer\n" +
			"(`unknown trusted publishing issuer`: this index does not accept " + provider + " identities). With\n" +
			"`malformed JWT`, the CI provider handed out something that is not a JWT."
	case CodeInvalidToken:
		return "The index rejected the identity token itself, before matching it against any publisher: a bad signature,\n" +
			"an issuer it does not trust, an audience (`aud`) other than the index's (the token was requested for `" + audience + "`;\n" +
			"PyPI's is `pypi`, TestPyPI's `testpypi`: check --audience), or a token expired or not yet valid (check the\n" +
			"runner's clock)."
	case CodeInvalidPendingPublisher:
		return "A pending publisher (one that creates the project on its first upload) matched but cannot be used, typically\n" +
			"because the project exists already (`valid token, but project already exists`), created meanwhile or by\n" +
			"someone else. Configure the trusted publisher on the existing project (its Settings → Publishing page),\n" +
			"or choose another project name."
	case CodeInvalidReuseToken:
		hint := "The index has already exchanged this identity token (same `jti`): each one works once. goreleaser-pypi\n" +
			"never sends an identity token twice, so something else sent it first."
		if provider == gitLabName {
			hint += " On GitLab CI/CD every process of the job shares\n" +
				"the job's one ID token: a GoReleaser custom publisher runs one process per file, so only the first can\n" +
				"mint. Publish all files with one goreleaser-pypi run after the release instead."
		} else {
			hint += " Re-run the job."
		}
		return hint
	case CodeInvalidPublisher:
		switch provider {
		case gitLabName:
			return "No trusted publisher on the index matches this token. Compare the claims below with the project's\n" +
				"GitLab publisher (its Settings → Publishing page): namespace and project (`project_path`), the top-level\n" +
				"pipeline file (in `ci_config_ref_uri`) and the environment (`environment`). Check for typos, a renamed or\n" +
				"moved project, and that the publisher is configured on this index (PyPI and TestPyPI are separate)."
		case googleName:
			return "No trusted publisher on the index matches this token. Compare the service account (`email`) and, if\n" +
				"configured, the subject (`sub`) below with the project's Google publisher (its Settings → Publishing page)."
		}
		return "No trusted publisher on the index matches this token. Compare the claims below with the project's\n" +
			"publisher (its Settings → Publishing page): owner and repository (`repository`), the workflow file NAME\n" +
			"only, e.g. release.yml (the file in `job_workflow_ref`), and the environment (`environment`: when the\n" +
			"publisher names one, the job must run with `environment: <name>`). Check for typos, a renamed or\n" +
			"transferred repository or workflow file, and that the publisher is configured on this index (PyPI and\n" +
			"TestPyPI are separate)."
	}
	return "The index gave no further explanation for this code; compare the claims below with the trusted publisher\n" +
		"configured for the project."
}

// extraClaims are printed after DebugClaims for providers whose publishers
// match other claims.
func extraClaims(provider string) []string {
	switch provider {
	case gitLabName:
		return []string{"project_path", "ci_config_ref_uri"}
	case googleName:
		return []string{"email"}
	}
	return nil
}

// refusedError builds the message for a refused exchange: every code with
// its description and hint, then the token's claims, then the reusable
// workflow warning when it applies.
func refusedError(ix index, provider, audience string, refusals []Refusal, claims Claims, jwt string) *Error {
	var b strings.Builder
	b.WriteString("The index gave these reasons:\n\n")
	clean := make([]Refusal, len(refusals))
	for i, r := range refusals {
		r.Code = printable(redact(r.Code, jwt), 100)
		r.Description = printable(redact(r.Description, jwt), 500)
		clean[i] = r
		fmt.Fprintf(&b, "* `%s`: %s\n", r.Code, r.Description)
		b.WriteString(indent(refusalHint(r.Code, provider, audience)))
	}
	b.WriteString("\nThis generally indicates a trusted publisher configuration error, but could also indicate an internal\n" +
		"error on " + possessive(provider) + " or the index's part.\n\n")
	if claims == nil {
		b.WriteString("The identity token could not be decoded (it is not a JWT), so its claims cannot be shown.\n")
	} else {
		b.WriteString(claims.Render())
		for _, name := range extraClaims(provider) {
			fmt.Fprintf(&b, "* `%s`: `%s`\n", name, printable(claims.Get(name), 300))
		}
		if claims.reusableWorkflow() {
			b.WriteString("\n" + claims.reusableWorkflowWarning())
		}
	}
	b.WriteString("\nSee " + docsTroubleshooting + " for more help.\n")
	codes := make([]string, len(clean))
	for i, r := range clean {
		codes[i] = r.Code
	}
	return &Error{
		Problem:  ProblemMintRefused,
		Summary:  fmt.Sprintf("trusted publishing: %s refused to exchange the %s identity token for an upload token (%s)", ix.host(), provider, strings.Join(codes, ", ")),
		Guidance: b.String(),
		Refusals: clean,
		Claims:   claims,
	}
}

// printable removes control characters from server-provided text and bounds
// its length.
func printable(s string, limit int) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) { // C0, DEL and C1 (U+009B is an 8-bit CSI)
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit]) + "…"
	}
	return s
}

// possessive is "GitHub Actions'" or "Google Cloud's".
func possessive(name string) string {
	if strings.HasSuffix(name, "s") {
		return name + "'"
	}
	return name + "'s"
}
