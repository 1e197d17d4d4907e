package oidc

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Provider is a CI platform's ambient identity: it hands out identity tokens
// (JWTs) for an audience.
type Provider interface {
	// Name is the platform's name in logs and messages, e.g. "GitHub Actions".
	Name() string
	// IdentityToken returns an identity token for audience: a fresh one on
	// every call when the platform can issue more than one. Failures are
	// *Error values.
	IdentityToken(ctx context.Context, audience string) (string, error)
}

// GitHub Actions variables.
const (
	envGitHubActions = "GITHUB_ACTIONS"
	envRequestURL    = "ACTIONS_ID_TOKEN_REQUEST_URL"
	envRequestToken  = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
	envEventName     = "GITHUB_EVENT_NAME"
	envEventPath     = "GITHUB_EVENT_PATH"
)

// runnerVariables are set by GitHub in every job. When GITHUB_ACTIONS is
// true but none of them is, someone scrubbed the environment and forwarded
// GITHUB_ACTIONS: a GoReleaser custom publisher.
var runnerVariables = []string{"GITHUB_RUN_ID", "RUNNER_TEMP", "GITHUB_WORKSPACE"}

// gcpProductNameFile names the machine's product; Google's libraries read it
// too. It says "Google" or "Google Compute Engine" on Google Cloud VMs.
const gcpProductNameFile = "/sys/class/dmi/id/product_name"

// detect finds the ambient identity provider, in the documented order:
// GitHub Actions, GitLab CI/CD, Google Cloud. It returns a nil provider when
// none is present, and a problem when a platform is recognised but cannot
// give an identity (GitHub Actions without the token variables).
func detect(c *config, ix index) (Provider, *Error) {
	env := c.getenv
	url, tok := env(envRequestURL), env(envRequestToken)
	switch {
	case url != "" && tok != "":
		c.log.WithField("provider", gitHubName).Debug("detected ambient identity")
		return &gitHub{requestURL: url, requestToken: tok, req: c.web, log: c.log}, nil
	case url != "" || tok != "":
		return nil, partialEnvError(c, url == "")
	case env(envGitHubActions) == "true":
		return nil, gitHubNoTokenError(c, ix)
	}
	c.log.WithField("provider", gitHubName).Debug("not detected: ACTIONS_ID_TOKEN_REQUEST_URL and GITHUB_ACTIONS are not set")

	if env("GITLAB_CI") != "" {
		c.log.WithField("provider", gitLabName).Debug("detected ambient identity")
		return &gitLab{getenv: env, log: c.log}, nil
	}
	c.log.WithField("provider", gitLabName).Debug("not detected: GITLAB_CI is not set")

	if why := onGoogleCloud(c); why != "" {
		c.log.WithField("provider", googleName).WithField("because", why).Debug("detected ambient identity")
		return &google{host: metadataHost(c), req: c.md, log: c.log,
			impersonate: strings.TrimSpace(c.getenv(envGoogleServiceAccount)), iamURL: cmp.Or(c.GoogleIAMURL, DefaultGoogleIAMURL), iam: c.web}, nil
	}
	c.log.WithField("provider", googleName).Debug("not detected: no GCE_METADATA_HOST, no Google DMI product name, not Cloud Run")
	return nil, nil
}

// onGoogleCloud says why this looks like Google Cloud, or "" when it does
// not. It never touches the network: non-Google machines must not wait for
// a metadata probe to time out.
func onGoogleCloud(c *config) string {
	if c.MetadataHost != "" {
		return "metadata host configured"
	}
	if c.getenv("GCE_METADATA_HOST") != "" {
		return "GCE_METADATA_HOST is set"
	}
	for _, v := range []string{"K_SERVICE", "CLOUD_RUN_JOB"} {
		if c.getenv(v) != "" {
			return v + " is set (Cloud Run)"
		}
	}
	if b, err := c.ReadFile(gcpProductNameFile); err == nil {
		switch strings.TrimSpace(string(b)) {
		case "Google", "Google Compute Engine":
			return "DMI product name is " + strings.TrimSpace(string(b))
		}
	}
	return ""
}

// metadataHost is the Google metadata server to ask.
func metadataHost(c *config) string {
	if c.MetadataHost != "" {
		return c.MetadataHost
	}
	if h := c.getenv("GCE_METADATA_HOST"); h != "" {
		return h
	}
	return "metadata.google.internal"
}

// ScrubbedGitHubActions reports whether GITHUB_ACTIONS=true arrived without
// the variables GitHub sets in every job (GITHUB_RUN_ID, RUNNER_TEMP,
// GITHUB_WORKSPACE): the environment of a GoReleaser custom publisher that
// forwards GITHUB_ACTIONS. GoReleaser captures such a publisher's output
// (and re-prints it indented when the publisher fails), so workflow commands
// printed there never reach the runner: a caller may set Options.SkipMask.
func ScrubbedGitHubActions(getenv func(string) string) bool {
	return getenv(envGitHubActions) == "true" && looksScrubbed(getenv)
}

// looksScrubbed reports whether GITHUB_ACTIONS arrived without the variables
// GitHub sets in every job.
func looksScrubbed(env func(string) string) bool {
	for _, v := range runnerVariables {
		if env(v) != "" {
			return false
		}
	}
	return true
}

// forkPullRequest reports whether the job runs for a pull request from a
// fork, which GitHub never gives an identity token.
func forkPullRequest(c *config) bool {
	if c.getenv(envEventName) != "pull_request" {
		return false
	}
	path := c.getenv(envEventPath)
	if path == "" {
		return false
	}
	data, err := c.ReadFile(path)
	if err != nil {
		c.log.WithField("path", path).Debug("cannot read the GitHub event payload")
		return false
	}
	var ev struct {
		PullRequest struct {
			Head struct {
				Repo struct {
					Fork bool `json:"fork"`
				} `json:"repo"`
			} `json:"head"`
		} `json:"pull_request"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		c.log.WithField("path", path).Debug("the GitHub event payload is not JSON")
		return false
	}
	return ev.PullRequest.Head.Repo.Fork
}

// gitHubNoTokenError explains GITHUB_ACTIONS=true without the token variables.
func gitHubNoTokenError(c *config, ix index) *Error {
	missing := envRequestURL + " and " + envRequestToken + " are not set"
	if forkPullRequest(c) {
		return &Error{
			Problem: ProblemForkPullRequest,
			Summary: "trusted publishing: this GitHub Actions job has no identity token: it runs for a pull request from a fork (" + missing + ")",
			Guidance: "GitHub does not give workflows triggered by a pull request from a fork an OpenID Connect token, even\n" +
				"with `id-token: write` configured. Publish from an event that forks cannot trigger instead: a tag push,\n" +
				"a published release, or a manually triggered workflow_dispatch, e.g.:\n\n" +
				"    on:\n" +
				"      push:\n" +
				"        tags: [\"v*\"]\n",
		}
	}
	if looksScrubbed(c.getenv) {
		return &Error{
			Problem: ProblemEnvNotForwarded,
			Summary: "trusted publishing: GITHUB_ACTIONS is true but " + missing + ": as a GoReleaser custom publisher, goreleaser-pypi only gets the variables its env: forwards",
			Guidance: "The environment looks scrubbed (" + strings.Join(runnerVariables, ", ") + ", which GitHub sets in every job, are\n" +
				"missing), which is what GoReleaser does to custom publishers.\n\n" + goReleaserSection(c.tokenEnv) + "\n" +
				"The job must also be allowed to request an identity token.\n\n" + githubSection(ix),
		}
	}
	return &Error{
		Problem: ProblemMissingPermission,
		Summary: "trusted publishing: this GitHub Actions job has no identity token: " + missing + " (missing `permissions: id-token: write`?)",
		Guidance: "GitHub sets these variables only in jobs allowed to request an OpenID Connect token.\n\n" + githubSection(ix) + "\n" +
			"If goreleaser-pypi runs as a GoReleaser custom publisher, the variables must also be forwarded.\n\n" + goReleaserSection(c.tokenEnv),
	}
}

// partialEnvError explains one of the two token variables without the other.
func partialEnvError(c *config, urlMissing bool) *Error {
	set, unset := envRequestToken, envRequestURL
	if !urlMissing {
		set, unset = envRequestURL, envRequestToken
	}
	return &Error{
		Problem: ProblemPartialEnv,
		Summary: fmt.Sprintf("trusted publishing: %s is set but %s is not", set, unset),
		Guidance: "GitHub always sets both together, so one was lost on the way, typically in a GoReleaser custom publisher's\n" +
			"env: that forwards only one of them.\n\n" + goReleaserSection(c.tokenEnv),
	}
}
