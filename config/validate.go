package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
)

// targetName keeps names usable as --target values and in log fields.
var targetName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// validate checks every value of t. label names the target in errors.
func (t *Target) validate(label string) Errors {
	var errs Errors
	fail := func(field, format string, args ...any) {
		at := t.at[field]
		e := &Error{File: t.file, Line: at.line, Column: at.col, Flag: at.flag, Target: label, Field: field, Msg: fmt.Sprintf(format, args...)}
		if at.line == 0 && at.flag == "" {
			e.Line, e.Column = t.line, 0 // a derived value: point at the target
		}
		if t.file == "" && at.flag == "" {
			e.File = ""
		}
		errs = append(errs, e)
	}

	if !targetName.MatchString(t.Name) {
		fail("name", "%q is not a usable name: use letters, digits, '.', '_' and '-', starting with a letter or digit", t.Name)
	}
	if msg := checkURL(t.RepositoryURL, true); msg != "" {
		fail("repository_url", "%s", msg)
	} else if msg := checkUploadURL(t.RepositoryURL); msg != "" {
		fail("repository_url", "%s", msg)
	}
	if t.CheckURL != "" {
		if msg := checkURL(t.CheckURL, false); msg != "" {
			fail("check_url", "%s", msg)
		} else if u, _ := url.Parse(t.CheckURL); strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/legacy") {
			fail("check_url", "%q is an upload URL; check_url is the simple index files are read from, such as https://pypi.org/simple/", t.CheckURL)
		}
	}
	if strings.ContainsAny(t.Audience, " \t\r\n") || len(t.Audience) > 256 {
		fail("audience", "%q is not an audience: a short word such as pypi or testpypi (leave it out to ask the index)", t.Audience)
	}
	seen := map[string]bool{}
	for i, id := range t.IDs {
		switch {
		case strings.TrimSpace(id) == "":
			fail("ids", "ids[%d] is empty", i)
		case seen[id]:
			fail("ids", "build id %q is listed twice", id)
		}
		seen[id] = true
	}
	if t.TrustedPublishing == "automatic" { // uv's spelling
		t.TrustedPublishing = TrustedPublishingAuto
	}
	switch t.TrustedPublishing {
	case TrustedPublishingAuto, TrustedPublishingAlways, TrustedPublishingNever:
	case "true", "false", "yes", "no", "on", "off":
		fail("trusted_publishing", "%q: write auto, always or never (always = trusted publishing only, never = API token only)", t.TrustedPublishing)
	default:
		fail("trusted_publishing", "%q is not one of auto, always, never", t.TrustedPublishing)
	}
	switch {
	case strings.HasPrefix(t.TokenEnv, "pypi-"):
		// Never echo it: it may well be a live token.
		fail("token_env", "holds what looks like an API token itself; token_env is the NAME of the environment variable that holds the token (default %s). Remove the token from this file and revoke it on the index", DefaultTokenEnv)
	case !envName.MatchString(t.TokenEnv):
		fail("token_env", "%q is not an environment variable name (letters, digits and _, not starting with a digit)", t.TokenEnv)
	}
	if t.Concurrency < 1 || t.Concurrency > MaxConcurrency {
		fail("concurrency", "must be between 1 and %d, got %d", MaxConcurrency, t.Concurrency)
	}
	r := t.Retry
	if r.Attempts < 1 || r.Attempts > MaxRetryAttempts {
		fail("retry.attempts", "must be between 1 (no retries) and %d, got %d", MaxRetryAttempts, r.Attempts)
	}
	if r.Delay < 0 || r.Delay > MaxRetryDelay {
		fail("retry.delay", "must be between 0s and %s, got %s", MaxRetryDelay, r.Delay)
	}
	if r.MaxDelay < 0 || r.MaxDelay > MaxRetryDelay {
		fail("retry.max_delay", "must be between 0s and %s, got %s", MaxRetryDelay, r.MaxDelay)
	} else if r.MaxDelay < r.Delay {
		fail("retry.max_delay", "(%s) is shorter than retry.delay (%s); raise it or lower the delay", r.MaxDelay, r.Delay)
	}
	if t.MaxFileSize < 0 {
		fail("max_file_size", "must not be negative")
	}
	if t.Timeout < MinTimeout || t.Timeout > MaxTimeout {
		fail("timeout", "must be between %s and %s, got %s", MinTimeout, MaxTimeout, t.Timeout)
	}
	return errs
}

// checkURL validates an index URL with the project's one URL rule
// (publisher/endpoint: https, plain http only to loopback, no credentials),
// and refuses a #fragment, which is never sent and so cannot be meant.
func checkURL(raw string, required bool) string {
	if raw == "" {
		if required {
			return "is empty"
		}
		return ""
	}
	if u, err := url.Parse(raw); err == nil && u.Fragment != "" && u.User == nil {
		return fmt.Sprintf("%q has a #fragment, which is never sent to the server; remove it", raw)
	}
	if _, err := endpoint.Parse(raw); err != nil {
		return err.Error()
	}
	return ""
}

// checkUploadURL catches the usual wrong URLs for an upload endpoint.
func checkUploadURL(raw string) string {
	u, _ := url.Parse(raw)
	host := strings.ToLower(u.Hostname())
	path := u.Path
	switch {
	case host == "pypi.org" || host == "www.pypi.org":
		return fmt.Sprintf("%q is PyPI's website; PyPI's upload URL is https://upload.pypi.org/legacy/", raw)
	case host == "upload.pypi.org" && path != "/legacy/":
		return fmt.Sprintf("%q: PyPI's upload URL is https://upload.pypi.org/legacy/", raw)
	case host == "test.pypi.org" && path != "/legacy/":
		return fmt.Sprintf("%q: TestPyPI's upload URL is https://test.pypi.org/legacy/", raw)
	case strings.HasSuffix(path, "/legacy"):
		return fmt.Sprintf("%q lacks the trailing slash: write %s/ (the index redirects the upload, and an upload is never re-sent through a redirect)", raw, strings.TrimSuffix(raw, "/"))
	case strings.Contains(path, "/simple"):
		return fmt.Sprintf("%q looks like a simple index (used for downloads), not an upload endpoint; on PyPI-like indexes the upload URL ends in /legacy/ (the simple index can go in check_url)", raw)
	}
	return ""
}

// defaultName names a target after its index: "pypi", "testpypi", or the host.
func defaultName(repositoryURL string) string {
	u, err := url.Parse(repositoryURL)
	if err != nil || u.Host == "" {
		return "index"
	}
	switch host := strings.ToLower(u.Hostname()); host {
	case "upload.pypi.org", "pypi.org":
		return "pypi"
	case "test.pypi.org", "upload.test.pypi.org":
		return "testpypi"
	default:
		// IPv6 hosts ("::1") become "--1": still a usable --target value.
		name := strings.Map(func(r rune) rune {
			if r < 128 && (r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z') {
				return r
			}
			return '-'
		}, host)
		if name = strings.TrimLeft(name, "._-"); name == "" {
			return "index"
		}
		return name
	}
}

// validateBinaryWheel checks an entry of binary_wheels.
func (d *decoder) validateBinaryWheel(bw BinaryWheel, label string, n *yaml.Node) {
	at := func(key string) *yaml.Node {
		if k := findKey(n, key); k != nil {
			return k
		}
		return n
	}
	if len(bw.IDs) == 0 {
		d.fail(at("ids"), label+".ids", "list the GoReleaser Go builds whose binaries become wheels, e.g. ids: [mytool]")
	}
	for label2, u := range bw.URLs {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			d.fail(at("urls"), label+".urls."+label2, "%q is not an http(s) URL: PyPI refuses other project URLs", u)
		}
	}
}
