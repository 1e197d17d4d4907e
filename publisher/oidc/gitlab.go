package oidc

import (
	"context"
	"regexp"
	"strings"

	"github.com/caarlos0/log"
)

const gitLabName = "GitLab CI/CD"

// gitLab reads the identity token GitLab CI/CD puts in the job's environment
// for an `id_tokens:` entry: `<AUD>_ID_TOKEN`. A job has exactly one such
// token per entry, so it can be exchanged only once; the minter refuses to
// send it twice and explains.
type gitLab struct {
	getenv func(string) string
	log    log.Interface
}

func (g *gitLab) Name() string { return gitLabName }

// envNameRe matches what cannot appear in an environment variable name.
var envNameRe = regexp.MustCompile(`[^A-Z0-9_]|^[^A-Z_]`)

// gitLabVar is the variable holding the ID token for audience: upper-cased,
// every character other than A-Z, 0-9 and _ (and a leading digit) replaced by
// "_", then "_ID_TOKEN": "pypi" → PYPI_ID_TOKEN, "testpypi" →
// TESTPYPI_ID_TOKEN. The same rule as the `id` library PyPA's tools use.
func gitLabVar(audience string) string {
	return envNameRe.ReplaceAllString(strings.ToUpper(audience), "_") + "_ID_TOKEN"
}

func (g *gitLab) IdentityToken(_ context.Context, audience string) (string, error) {
	name := gitLabVar(audience)
	tok := strings.TrimSpace(g.getenv(name))
	if tok == "" {
		return "", &Error{
			Problem:  ProblemGitLabNoIDToken,
			Summary:  "trusted publishing: GITLAB_CI is set but " + name + " is not: the job declares no ID token for the audience " + audience,
			Guidance: gitLabSection(name, audience),
		}
	}
	g.log.WithField("variable", name).Debug("found identity token")
	return tok, nil
}
