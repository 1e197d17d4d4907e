package oidc

import (
	"fmt"
	"net/url"
	"strings"
)

// Problem classifies a credential failure, for callers that react to a
// kind of failure and for tests.
type Problem string

// The problems an *Error reports.
const (
	// ProblemNoCredentials: no API token and no ambient identity (mode auto).
	ProblemNoCredentials Problem = "no-credentials"
	// ProblemNoIdentity: mode always, and no CI identity provider was detected.
	ProblemNoIdentity Problem = "no-identity"
	// ProblemNoAPIToken: mode never, and the API token variable is empty.
	ProblemNoAPIToken Problem = "no-api-token"
	// ProblemMissingPermission: GitHub Actions without ACTIONS_ID_TOKEN_*:
	// the job lacks `permissions: id-token: write`.
	ProblemMissingPermission Problem = "missing-id-token-permission"
	// ProblemForkPullRequest: a pull request from a fork, which GitHub never
	// gives an identity token.
	ProblemForkPullRequest Problem = "fork-pull-request"
	// ProblemEnvNotForwarded: GITHUB_ACTIONS arrived but the environment was
	// scrubbed (a GoReleaser custom publisher) without ACTIONS_ID_TOKEN_*.
	ProblemEnvNotForwarded Problem = "env-not-forwarded"
	// ProblemPartialEnv: only one of ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN is set.
	ProblemPartialEnv Problem = "partial-env"
	// ProblemGitLabNoIDToken: GitLab CI without the <AUD>_ID_TOKEN variable.
	ProblemGitLabNoIDToken Problem = "gitlab-no-id-token"
	// ProblemInsecureURL: the repository URL is plain http to a non-loopback host.
	ProblemInsecureURL Problem = "insecure-url"
	// ProblemTrustedPublishingDisabled: the audience endpoint answered 403.
	ProblemTrustedPublishingDisabled Problem = "trusted-publishing-disabled"
	// ProblemTrustedPublishingUnsupported: the audience endpoint answered 404.
	ProblemTrustedPublishingUnsupported Problem = "trusted-publishing-unsupported"
	// ProblemAudience: any other failure to discover the audience.
	ProblemAudience Problem = "audience"
	// ProblemIdentityRequest: the CI provider did not hand out an identity token.
	ProblemIdentityRequest Problem = "identity-request"
	// ProblemMintRefused: the index refused the exchange (422 with error codes).
	ProblemMintRefused Problem = "mint-refused"
	// ProblemMintResponse: the index's answer to the exchange was unusable.
	ProblemMintResponse Problem = "mint-response"
	// ProblemTokenSpent: a new token is needed but the provider can only
	// give the single-use identity token already exchanged.
	ProblemTokenSpent Problem = "identity-token-spent"
)

// Error is a credential failure that says what to do about it. Error()
// returns the full multi-line guidance, meant to be printed as is (it reads
// as plain text and as Markdown, e.g. in a GitHub step summary). It never
// contains a token, a request token or an identity token.
type Error struct {
	Problem Problem
	// Summary is the first line: what failed.
	Summary string
	// Guidance is the rest: why, and every way to fix it.
	Guidance string
	// Refusals are the index's reasons when it refused the exchange.
	Refusals []Refusal
	// Claims are the identity token's claims when one was obtained.
	Claims Claims
	// Err is the underlying cause, if any (already part of the text).
	Err error

	// transient marks failures worth trying again later (network, 5xx);
	// others are remembered and returned again without new requests.
	transient bool
}

// Refusal is one entry of the index's mint-token error list.
type Refusal struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

func (e *Error) Error() string {
	if e.Guidance == "" {
		return e.Summary
	}
	return e.Summary + "\n\n" + strings.TrimRight(e.Guidance, "\n")
}

func (e *Error) Unwrap() error { return e.Err }

// Documentation links quoted in messages.
const (
	docsAddPublisher    = "https://docs.pypi.org/trusted-publishers/adding-a-publisher/"
	docsTroubleshooting = "https://docs.pypi.org/trusted-publishers/troubleshooting/"
	docsGitHubOIDC      = "https://docs.github.com/en/actions/deployment/security-hardening-your-deployments/about-security-hardening-with-openid-connect#adding-permissions-settings"
	docsGitLabIDTokens  = "https://docs.gitlab.com/ci/secrets/id_token_authentication/"
)

// goReleaserForwarded are the variables a GoReleaser custom publisher must
// forward for trusted publishing on GitHub Actions, besides the API token
// variable. GoReleaser scrubs GITHUB_* too, so they are listed as well: they
// let goreleaser-pypi recognise GitHub Actions, explain a fork pull request
// and write the step summary.
var goReleaserForwarded = []string{
	"ACTIONS_ID_TOKEN_REQUEST_URL",
	"ACTIONS_ID_TOKEN_REQUEST_TOKEN",
	"GITHUB_ACTIONS",
	"GITHUB_STEP_SUMMARY",
	"GITHUB_EVENT_NAME",
	"GITHUB_EVENT_PATH",
}

// GoReleaserEnv returns the env: entries of a GoReleaser custom publisher
// running goreleaser-pypi: the GitHub Actions variables trusted publishing
// needs and the API token variable (DefaultTokenEnv when tokenEnv is empty).
// `{{ index .Env "X" }}` renders empty when X is not set, where
// `{{ .Env.X }}` fails the release, so one configuration serves CI and local
// runs alike.
func GoReleaserEnv(tokenEnv string) []string {
	if tokenEnv == "" {
		tokenEnv = DefaultTokenEnv
	}
	names := append(append([]string{}, goReleaserForwarded...), tokenEnv)
	env := make([]string, len(names))
	for i, n := range names {
		env[i] = fmt.Sprintf(`%s={{ index .Env "%s" }}`, n, n)
	}
	return env
}

// GoReleaserEnvSnippet is the .goreleaser.yaml fragment that forwards
// GoReleaserEnv(tokenEnv), indented by indent spaces.
func GoReleaserEnvSnippet(tokenEnv string, indent int) string {
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	b.WriteString(pad + "publishers:\n")
	b.WriteString(pad + "  - name: pypi\n")
	b.WriteString(pad + "    # cmd, ids, ...: unchanged\n")
	b.WriteString(pad + "    env:\n")
	for _, e := range GoReleaserEnv(tokenEnv) {
		b.WriteString(pad + "      - " + e + "\n")
	}
	return b.String()
}

// permissionsSnippet is the workflow fragment granting an identity token.
const permissionsSnippet = `    jobs:
      release:
        permissions:
          contents: write   # what GoReleaser needs to create the release
          id-token: write   # trusted publishing
`

// index describes the index being published to, for messages.
type index struct {
	repo *url.URL
}

func (ix index) host() string { return ix.repo.Host }

// tokenPage is where API tokens are created on this index.
func (ix index) tokenPage() string {
	switch strings.ToLower(ix.repo.Hostname()) {
	case "upload.pypi.org", "pypi.org":
		return "https://pypi.org/manage/account/token/"
	case "test.pypi.org":
		return "https://test.pypi.org/manage/account/token/"
	}
	return ""
}

// publishingPage is where trusted publishers are configured on this index.
func (ix index) publishingPage() string {
	switch strings.ToLower(ix.repo.Hostname()) {
	case "upload.pypi.org", "pypi.org":
		return "For a new project add it at https://pypi.org/manage/account/publishing/, otherwise on the\nproject's Settings → Publishing page"
	case "test.pypi.org":
		return "For a new project add it at https://test.pypi.org/manage/account/publishing/, otherwise on the\nproject's Settings → Publishing page"
	}
	return "Add it in the project's trusted publishing settings on the index"
}

// apiTokenHowTo says where to create an API token and how to pass it.
func apiTokenHowTo(ix index, tokenEnv string) string {
	where := "Create an API token on the index"
	if p := ix.tokenPage(); p != "" {
		where = "Create an API token at " + p
	}
	return where + " (scoped to the project),\n" +
		"store it as a CI secret and pass it in the " + tokenEnv + " environment variable (never on the command line).\n"
}

// apiTokenAlternative is the closing "or use an API token" paragraph.
func apiTokenAlternative(ix index, tokenEnv string) string {
	return "Or upload with an API token instead.\n" + apiTokenHowTo(ix, tokenEnv)
}

// githubSection is the "how to set up trusted publishing on GitHub" advice.
func githubSection(ix index) string {
	return "Configure a trusted publisher for the project on the index: repository owner, repository name,\n" +
		"workflow file name such as release.yml, and optionally the GitHub environment.\n" +
		ix.publishingPage() + "\n(see " + docsAddPublisher + ").\n" +
		"Then let the publishing job request an identity token (at the job level: a job's `permissions:`\n" +
		"replaces the workflow's):\n\n" + permissionsSnippet + "\n" +
		"Learn more at " + docsGitHubOIDC + "\n"
}

// goReleaserSection explains GoReleaser's scrubbed environment.
func goReleaserSection(tokenEnv string) string {
	return "GoReleaser runs custom publishers with a scrubbed environment (only HOME, USER, TMPDIR, PATH... and\n" +
		"what the publisher's `env:` lists), which removes the identity token variables and GITHUB_ACTIONS.\n" +
		"Forward them in .goreleaser.yaml (`{{ index .Env \"X\" }}` renders empty instead of failing when X is\n" +
		"not set, so the same configuration also runs locally):\n\n" +
		GoReleaserEnvSnippet(tokenEnv, 4)
}

// gitLabSection is the GitLab CI/CD setup advice.
func gitLabSection(varName, aud string) string {
	if aud == "" {
		aud = "pypi"
	}
	return "Declare an ID token for the index's audience in the publishing job of .gitlab-ci.yml, and configure a\n" +
		"GitLab trusted publisher (namespace, project, top-level pipeline file, optional environment) on the index:\n\n" +
		"    release:\n" +
		"      id_tokens:\n" +
		"        " + varName + ":\n" +
		"          aud: " + aud + "\n\n" +
		"The index exchanges that token once: goreleaser-pypi mints once per target for the whole release, also\n" +
		"as a GoReleaser custom publisher (forward GITLAB_CI and PYPI_ID_TOKEN in its env:); a second target\n" +
		"(TestPyPI) needs a token of its own audience (TESTPYPI_ID_TOKEN with aud: testpypi)\n" +
		"(" + docsGitLabIDTokens + ").\n"
}

// googleSection is the Google Cloud setup advice.
func googleSection() string {
	return "On Google Cloud (Compute Engine, Cloud Build, Cloud Run...), the metadata server issues identity tokens\n" +
		"for the attached service account: configure a Google trusted publisher with the service account's email.\n" +
		"goreleaser-pypi asks the metadata server only when it recognises Google Cloud (or GCE_METADATA_HOST is set,\n" +
		"e.g. GCE_METADATA_HOST=metadata.google.internal).\n"
}

// noCredentialsError: auto mode, no API token (nor password), no identity
// anywhere. hints are c.misplaced's.
func noCredentialsError(c *config, ix index, hints []string) *Error {
	var password string
	notSet := c.tokenEnv + " is not set"
	if ix.warehouse() == "" {
		notSet = "neither " + c.tokenEnv + " nor " + c.passwordEnv + " is set"
		password = "* A user name and password, for indexes that take them (Artifactory, Nexus, GitLab, CodeArtifact, devpi...).\n" +
			indent(passwordHowTo(c))
	}
	return withMisplaced(&Error{
		Problem: ProblemNoCredentials,
		Summary: fmt.Sprintf("no credentials to upload to %s: %s and no trusted publishing identity was found "+
			"(looked for GitHub Actions, GitLab CI/CD and Google Cloud)", ix.repo, notSet),
		Guidance: "Fix it in one of these ways:\n\n" +
			"* Trusted publishing from GitHub Actions (recommended, no secret to store).\n" + indent(githubSection(ix)) + "\n" +
			"* If goreleaser-pypi runs as a GoReleaser custom publisher inside GitHub Actions, the variables may well be\n" +
			"  there but not forwarded to it.\n" + indent(goReleaserSection(c.tokenEnv)) + "\n" +
			"* Trusted publishing from GitLab CI/CD.\n" + indent(gitLabSection(gitLabVar("pypi"), "pypi")) + "\n" +
			"* Trusted publishing from Google Cloud.\n" + indent(googleSection()) + "\n" +
			"* An API token instead.\n" + indent(apiTokenHowTo(ix, c.tokenEnv)) + password,
	}, hints)
}

// passwordHowTo says how to pass a user name and password.
func passwordHowTo(c *config) string {
	return "Export the password in " + c.passwordEnv + " (or the variable --password-env names), never on the command line,\n" +
		"and give the user name with --username NAME or in " + c.usernameEnv + "; or name a ~/.pypirc repository with --repository NAME.\n"
}

// noIdentityError: mode always, no provider detected.
func noIdentityError(c *config, ix index) *Error {
	e := noCredentialsError(c, ix, nil)
	e.Problem = ProblemNoIdentity
	e.Summary = "trusted publishing is required (--trusted-publishing always) but no CI identity was found " +
		"(looked for GitHub Actions, GitLab CI/CD and Google Cloud)"
	e.Guidance = strings.Replace(e.Guidance, "* An API token instead.\n", "* An API token instead (and --trusted-publishing auto).\n", 1)
	return e
}

// noAPITokenError: mode never, no API token (nor password).
func noAPITokenError(c *config, ix index) *Error {
	what, how := "no API token: "+c.tokenEnv+" is not set", apiTokenHowTo(ix, c.tokenEnv)
	if ix.warehouse() == "" {
		what = "no credentials: neither " + c.tokenEnv + " nor " + c.passwordEnv + " is set"
		how += "\nOr, for an index that takes a user name and password:\n" + passwordHowTo(c)
	}
	return withMisplaced(&Error{
		Problem: ProblemNoAPIToken,
		Summary: what + ", and trusted publishing is off (--trusted-publishing never)",
		Guidance: how +
			"\nOr allow trusted publishing with --trusted-publishing auto (the default).\n",
	}, c.misplaced(ix))
}

// indent indents every non-empty line by two spaces, for nesting under a bullet.
func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
