package oidc

import (
	"bytes"
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

const googleName = "Google Cloud"

// google asks the metadata server for an identity token of the attached
// service account: GET http://<host>/computeMetadata/v1/instance/
// service-accounts/default/identity?audience=<aud>&format=full with
// "Metadata-Flavor: Google" answers the JWT itself.
type google struct {
	host string
	req  *requester
	log  log.Interface
	// impersonate is GOOGLE_SERVICE_ACCOUNT_NAME: the service account whose
	// identity token the attached one obtains from the IAM Credentials API
	// (the id library's way, e.g. Cloud Build running as its default account).
	impersonate string
	iamURL      string
	iam         *requester
}

// envGoogleServiceAccount names a service account to impersonate.
const envGoogleServiceAccount = "GOOGLE_SERVICE_ACCOUNT_NAME"

// DefaultGoogleIAMURL is Google's IAM Credentials API.
const DefaultGoogleIAMURL = "https://iamcredentials.googleapis.com"

func (g *google) Name() string { return googleName } // refusal hints match on it

func (g *google) IdentityToken(ctx context.Context, audience string) (string, error) {
	if g.impersonate != "" {
		return g.impersonatedToken(ctx, audience)
	}
	u := &url.URL{
		Scheme:   "http",
		Host:     g.host,
		Path:     "/computeMetadata/v1/instance/service-accounts/default/identity",
		RawQuery: url.Values{"audience": {audience}, "format": {"full"}}.Encode(),
	}
	target := u.String()
	g.log.WithField("url", redactURL(target)).WithField("audience", audience).Debug("requesting identity token")
	resp, attempts, err := g.metadata(ctx, target)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return "", err
		}
		return "", g.fail(fmt.Sprintf("cannot reach the metadata server %s after %s: %v", g.host, attemptsText(attempts), err),
			"goreleaser-pypi asked it because this looks like Google Cloud. Outside Google Cloud, unset GCE_METADATA_HOST;\n"+
				"on Google Cloud, check that the metadata server is reachable (GCE_METADATA_HOST overrides its address).\n", err, true)
	}
	switch {
	case resp.status == http.StatusNotFound:
		return "", g.fail("the metadata server answered 404 Not Found",
			"The instance or service has no service account attached. Attach one (not the default compute account) and\n"+
				"configure a Google trusted publisher with its email on the index.\n", nil, false)
	case resp.status >= 500 || resp.status == http.StatusTooManyRequests:
		return "", g.fail(fmt.Sprintf("the metadata server failed with %s after %s", resp.statusText(), attemptsText(attempts)),
			"This is a Google Cloud problem: wait a few minutes and try again.\n", nil, true)
	case resp.status != http.StatusOK:
		return "", g.fail("the metadata server answered "+resp.statusText()+": "+snippet(resp.body),
			"Check the service account attached to the instance or service, and its permissions.\n", nil, false)
	}
	tok := strings.TrimSpace(string(resp.body))
	if strings.Count(tok, ".") != 2 {
		return "", g.fail("the metadata server answered 200 OK with something that is not a JWT",
			"Check GCE_METADATA_HOST: it must point at Google's metadata server.\n", nil, false)
	}
	return tok, nil
}

// metadata GETs target from the metadata server, with retries.
func (g *google) metadata(ctx context.Context, target string) (*response, int, error) {
	return g.req.doRetry(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Metadata-Flavor", "Google")
		return req, nil
	})
}

func (g *google) fail(what, guidance string, err error, transient bool) *Error {
	return &Error{
		Problem:   ProblemIdentityRequest,
		Summary:   "trusted publishing: Google Cloud did not issue an identity token: " + what,
		Guidance:  guidance,
		Err:       err,
		transient: transient,
	}
}

// impersonatedToken obtains an identity token of g.impersonate: an access
// token of the attached service account from the metadata server, then
// IAM Credentials' generateIdToken for the other account, which the
// attached one needs roles/iam.serviceAccountOpenIdTokenCreator on.
func (g *google) impersonatedToken(ctx context.Context, audience string) (string, error) {
	tokenURL := (&url.URL{Scheme: "http", Host: g.host, Path: "/computeMetadata/v1/instance/service-accounts/default/token"}).String()
	resp, attempts, err := g.metadata(ctx, tokenURL)
	switch {
	case errors.Is(err, context.Canceled):
		return "", err
	case err != nil:
		return "", g.fail(fmt.Sprintf("cannot reach the metadata server %s after %s: %v", g.host, attemptsText(attempts), err),
			"goreleaser-pypi asked it for the attached service account's access token, to impersonate "+envGoogleServiceAccount+".\n", err, true)
	case resp.status != http.StatusOK:
		return "", g.fail("the metadata server refused an access token: "+resp.statusText(),
			"The instance or service needs an attached service account to impersonate "+g.impersonate+".\n", nil, resp.status >= 500)
	}
	var access struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(resp.body, &access) != nil || access.AccessToken == "" {
		return "", g.fail("the metadata server answered 200 OK without an access token", "Check GCE_METADATA_HOST: it must point at Google's metadata server.\n", nil, false)
	}

	body, _ := json.Marshal(map[string]any{"audience": audience, "includeEmail": true})
	target := strings.TrimSuffix(g.iamURL, "/") + "/v1/projects/-/serviceAccounts/" + url.PathEscape(g.impersonate) + ":generateIdToken"
	if u, err := url.Parse(target); err != nil || !endpoint.Secure(u) {
		return "", g.fail("the IAM Credentials URL "+redactURL(target)+" is not https", "", nil, false)
	}
	g.log.WithField("service_account", g.impersonate).WithField("audience", audience).Info("impersonating a Google service account for the identity token")
	resp, attempts, err = g.iam.doRetry(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+access.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		return req, nil
	})
	switch {
	case errors.Is(err, context.Canceled):
		return "", err
	case err != nil:
		return "", g.fail(fmt.Sprintf("cannot reach the IAM Credentials API after %s: %v", attemptsText(attempts), err),
			"Check the network route to iamcredentials.googleapis.com.\n", err, true)
	case resp.status == http.StatusForbidden || resp.status == http.StatusNotFound:
		return "", g.fail(fmt.Sprintf("impersonating %s was refused: %s %s", g.impersonate, resp.statusText(), googleAPIError(resp.body, access.AccessToken)),
			"Grant the attached service account the role roles/iam.serviceAccountOpenIdTokenCreator on "+g.impersonate+"\n"+
				"(and check "+envGoogleServiceAccount+" names an existing service account), or unset "+envGoogleServiceAccount+"\n"+
				"to publish as the attached account.\n", nil, false)
	case resp.status != http.StatusOK:
		return "", g.fail(fmt.Sprintf("the IAM Credentials API answered %s %s", resp.statusText(), googleAPIError(resp.body, access.AccessToken)),
			"", nil, resp.status >= 500 || resp.status == http.StatusTooManyRequests)
	}
	var id struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(resp.body, &id) != nil || strings.Count(id.Token, ".") != 2 {
		return "", g.fail("the IAM Credentials API answered 200 OK without an identity token", "", nil, false)
	}
	return id.Token, nil
}

// googleAPIError is the message of a Google API error answer, or a short
// excerpt of the body, without secret.
func googleAPIError(body []byte, secrets ...string) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		return "(" + redact(e.Error.Message, secrets...) + ")"
	}
	return "(" + snippet(body, secrets...) + ")"
}
