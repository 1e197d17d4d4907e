package pypitest

import (
	"crypto/subtle"
	"fmt"
	"time"
)

// passwordUser is a user name and password the index accepts (WithUser).
type passwordUser struct {
	name, password string
	projects       []string // normalized; empty = any project the user owns or creates
}

// WithUser makes the index accept HTTP Basic authentication with this user
// name and password, as the private indexes people publish to do (devpi,
// Artifactory, Nexus, GitLab's package registry, AWS CodeArtifact,
// Gitea/Forgejo). PyPI itself refuses every user name but __token__
// ("Username/Password authentication is no longer supported..."), which
// stays the index's behaviour until a WithUser option is given; from then
// on a user name that is not __token__ must match a user and its password,
// or the upload is refused as invalid authentication information. The user
// owns the projects its uploads create; with projects, it may upload only
// to those. API tokens keep working alongside.
func WithUser(name, password string, projects ...string) Option {
	return func(o *options) {
		o.core.users = append(o.core.users, &passwordUser{name: name, password: password, projects: normalizeAll(projects)})
	}
}

// passwordIdentity authenticates a user name and password (WithUser).
func (s *Server) passwordIdentity(name, password string) (*apiToken, bool) {
	for _, u := range s.opts.core.users {
		nameOK := subtle.ConstantTimeCompare([]byte(u.name), []byte(name)) == 1
		passOK := subtle.ConstantTimeCompare([]byte(u.password), []byte(password)) == 1
		if nameOK && passOK {
			return &apiToken{user: u.name, projects: u.projects, password: true}, true
		}
	}
	return nil, false
}

// PyPI refuses new files in releases older than this
// (warehouse/forklift/legacy.py MAXIMUM_AGE_FOR_NEW_UPLOADS_DAYS).
const (
	closedReleaseDays = 14
	closedReleaseAge  = closedReleaseDays * 24 * time.Hour
)

// AgeRelease moves the creation of a release back by age, as if it had
// been made that long before: past 14 days it is closed to new files (an
// identical re-upload of a file it has still succeeds). The version is
// matched as PyPI does ("1.0" finds "1.0.0").
func (s *Server) AgeRelease(project, version string, age time.Duration) error {
	s.core.mu.Lock()
	defer s.core.mu.Unlock()
	p := s.core.projects[normalizeName(project)]
	if p == nil {
		return fmt.Errorf("pypitest: no project %s", project)
	}
	r := p.findRelease(version)
	if r == nil {
		return fmt.Errorf("pypitest: project %s has no release %s", project, version)
	}
	r.created = r.created.Add(-age)
	return nil
}

// ReleaseCreated returns when a release was created (the index's clock).
func (s *Server) ReleaseCreated(project, version string) (time.Time, bool) {
	s.core.mu.Lock()
	defer s.core.mu.Unlock()
	p := s.core.projects[normalizeName(project)]
	if p == nil {
		return time.Time{}, false
	}
	r := p.findRelease(version)
	if r == nil {
		return time.Time{}, false
	}
	return r.created, true
}
