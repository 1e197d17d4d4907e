package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/caarlos0/log"
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
}

func (g *google) Name() string { return googleName }

func (g *google) IdentityToken(ctx context.Context, audience string) (string, error) {
	u := &url.URL{
		Scheme:   "http",
		Host:     g.host,
		Path:     "/computeMetadata/v1/instance/service-accounts/default/identity",
		RawQuery: url.Values{"audience": {audience}, "format": {"full"}}.Encode(),
	}
	target := u.String()
	g.log.WithField("url", redactURL(target)).WithField("audience", audience).Debug("requesting identity token")
	resp, attempts, err := g.req.doRetry(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Metadata-Flavor", "Google")
		return req, nil
	})
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

func (g *google) fail(what, guidance string, err error, transient bool) *Error {
	return &Error{
		Problem:   ProblemIdentityRequest,
		Summary:   "trusted publishing: Google Cloud did not issue an identity token: " + what,
		Guidance:  guidance,
		Err:       err,
		transient: transient,
	}
}
