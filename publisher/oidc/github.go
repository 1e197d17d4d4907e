package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/caarlos0/log"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
)

const gitHubName = "GitHub Actions"

// gitHub asks GitHub Actions' token service for an identity token:
// GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=<aud> with
// "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" answers
// {"value": "<JWT>"}. Every call issues a new token.
type gitHub struct {
	requestURL, requestToken string
	req                      *requester
	log                      log.Interface
}

func (g *gitHub) Name() string { return gitHubName }

func (g *gitHub) IdentityToken(ctx context.Context, audience string) (string, error) {
	u, err := url.Parse(g.requestURL)
	if err != nil || u.Host == "" {
		return "", g.fail("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL", "It must be the value GitHub sets in the job, forwarded unchanged.\n", nil, false)
	}
	if !endpoint.Secure(u) {
		return "", g.fail("refusing to send ACTIONS_ID_TOKEN_REQUEST_TOKEN over plain http to "+u.Host,
			"ACTIONS_ID_TOKEN_REQUEST_URL must be https (plain http is only allowed to loopback hosts). Forward the value GitHub sets, unchanged.\n", nil, false)
	}
	// The URL already has a query (api-version=...): append to it, as the
	// token service documents.
	if u.RawQuery == "" {
		u.RawQuery = "audience=" + url.QueryEscape(audience)
	} else {
		u.RawQuery += "&audience=" + url.QueryEscape(audience)
	}
	target := u.String()
	g.log.WithField("url", redactURL(target)).WithField("audience", audience).Debug("requesting identity token")
	resp, attempts, err := g.req.doRetry(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "bearer "+g.requestToken)
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return "", err
		}
		var re *redirectError
		if errors.As(err, &re) {
			return "", g.fail("the token service redirected the request", re.Error()+"\n", err, false)
		}
		return "", g.fail(fmt.Sprintf("cannot reach the token service at %s after %s: %v", u.Host, attemptsText(attempts), err),
			"This is usually a network or GitHub problem (https://www.githubstatus.com/): re-run the job.\n", err, true)
	}
	switch {
	case resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden:
		return "", g.fail("the token service refused the request: "+resp.statusText()+": "+snippet(resp.body, g.requestToken),
			"ACTIONS_ID_TOKEN_REQUEST_TOKEN is not valid for ACTIONS_ID_TOKEN_REQUEST_URL. Both are issued for one job and\n"+
				"expire with it: they must come from the running job, unchanged (when forwarding them through GoReleaser's env:,\n"+
				"forward both from the same job). Re-run the job; if it persists, check that the job has `permissions: id-token: write`.\n", nil, false)
	case resp.status >= 500 || resp.status == http.StatusTooManyRequests:
		return "", g.fail(fmt.Sprintf("the token service failed with %s after %s", resp.statusText(), attemptsText(attempts)),
			"This is a GitHub problem (https://www.githubstatus.com/): wait a few minutes and re-run the job.\n", nil, true)
	case resp.status != http.StatusOK:
		return "", g.fail("the token service answered "+resp.statusText()+": "+snippet(resp.body, g.requestToken),
			"Check that ACTIONS_ID_TOKEN_REQUEST_URL is the value GitHub set in this job, forwarded unchanged.\n", nil, false)
	}
	var body struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(resp.body, &body); err != nil || strings.TrimSpace(body.Value) == "" {
		return "", g.fail("the token service answered 200 OK without a token (no JSON \"value\")",
			"This suggests a GitHub problem or a wrong ACTIONS_ID_TOKEN_REQUEST_URL: re-run the job.\n", nil, true)
	}
	return strings.TrimSpace(body.Value), nil
}

func (g *gitHub) fail(what, guidance string, err error, transient bool) *Error {
	return &Error{
		Problem:   ProblemIdentityRequest,
		Summary:   "trusted publishing: GitHub Actions did not issue an identity token: " + what,
		Guidance:  guidance,
		Err:       err,
		transient: transient,
	}
}
