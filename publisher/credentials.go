package publisher

import (
	"fmt"
	"net/url"

	"github.com/caarlos0/log"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypirc"
)

// repositoryOf is a target's upload URL, checked by the URL rule: its
// repository_url, or the URL of its ~/.pypirc repository (returned too, for
// its user name and password).
func repositoryOf(t config.Target, getenv func(string) string) (*url.URL, *pypirc.Repository, error) {
	if t.Repository == "" {
		repo, err := endpoint.Parse(t.RepositoryURL)
		if err != nil {
			return nil, nil, fmt.Errorf("repository URL %w", err)
		}
		return repo, nil, nil
	}
	path, err := pypirc.DefaultPath(getenv)
	if err != nil {
		return nil, nil, fmt.Errorf("repository %s: %w", t.Repository, err)
	}
	rc, err := pypirc.Lookup(path, t.Repository, false)
	if err != nil {
		return nil, nil, err
	}
	repo, err := endpoint.Parse(rc.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("%s [%s]: repository URL %w", rc.File, rc.Name, err)
	}
	return repo, rc, nil
}

// logPypirc says which ~/.pypirc repository a target uses, and what of it
// is not used.
func logPypirc(l log.Interface, rc *pypirc.Repository) {
	e := l.WithField("file", rc.File).WithField("repository", rc.Name).WithField("url", rc.URL)
	if rc.Username != "" {
		e = e.WithField("username", rc.Username)
	}
	e.Info("using a repository of the .pypirc file")
	for _, k := range rc.Ignored {
		l.WithField("file", rc.File).WithField("key", k).Warn("not used: goreleaser-pypi trusts the system's certificate store and sends no client certificate")
	}
	for _, w := range rc.Warnings {
		l.Warn(w)
	}
}

// credentialOptions are a target's credential settings as oidc.Options
// (without the output options, which the caller sets).
func credentialOptions(t config.Target, repo *url.URL, rc *pypirc.Repository, o Options) oidc.Options {
	return oidc.Options{
		RepositoryURL: repo.String(),
		Mode:          oidc.Mode(t.TrustedPublishing),
		Audience:      t.Audience,
		TokenEnv:      t.TokenEnv,
		PasswordEnv:   t.PasswordEnv,
		UsernameEnv:   t.UsernameEnv,
		Username:      t.Username,
		Pypirc:        rc,
		Getenv:        o.Getenv,
		UserAgent:     o.UserAgent,
	}
}

// checkCredentials finds, for every target and before anything is
// uploaded anywhere, what makes its credentials unusable without asking
// anyone: a ~/.pypirc repository that is not there, two credentials at
// once, a password without a user name, an API token PyPI would refuse...
// (oidc.Check). A release with several targets thus never stops after its
// first target for a problem known from the start.
func checkCredentials(targets []config.Target, o Options) []error {
	var errs []error
	for _, t := range targets {
		repo, rc, err := repositoryOf(t, o.Getenv)
		if err == nil {
			err = oidc.Check(credentialOptions(t, repo, rc, o))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("target %q (%s): %w", t.Name, t.Source(), err))
		}
	}
	return errs
}
