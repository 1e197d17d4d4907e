package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
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
		if at.offset != 0 {
			e.Field = "" // the key counts in other units than the flag named
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
	for _, v := range []struct{ field, value, def, holds string }{
		{"token_env", t.TokenEnv, DefaultTokenEnv, "the API token"},
		{"password_env", t.PasswordEnv, DefaultPasswordEnv, "the password"},
		{"username_env", t.UsernameEnv, DefaultUsernameEnv, "the user name"},
	} {
		if msg := checkEnvName(v.field, v.value, v.def, v.holds); msg != "" {
			fail(v.field, "%s", msg)
		}
	}
	if t.TokenEnv == t.PasswordEnv && t.TokenEnv != "" {
		fail("password_env", "names the same variable as token_env (%s): give the password its own variable, so that which one is meant is never a guess", t.TokenEnv)
	}
	if msg := checkUsername(t.Username); msg != "" {
		fail("username", "%s", msg)
	}
	if t.Repository != "" {
		switch at := t.at["repository_url"]; {
		case strings.Contains(t.Repository, "/"):
			fail("repository", "names a repository of ~/.pypirc (as twine --repository does), not a URL: put an upload URL in repository_url")
		case strings.TrimSpace(t.Repository) == "" || strings.ContainsAny(t.Repository, " \t\r\n[]"):
			fail("repository", "%q is not a repository name of ~/.pypirc (a section name listed in its [distutils] index-servers, such as pypi, testpypi or private)", t.Repository)
		case at.line != 0 || at.flag != "":
			where := "repository_url"
			if at.flag != "" {
				where = at.flag
			}
			fail("repository", "is set together with %s: repository takes the upload URL (and the user name and password) from ~/.pypirc [%s]; set one of them", where, t.Repository)
		}
	}
	if t.Concurrency < 1 || t.Concurrency > MaxConcurrency {
		fail("concurrency", "must be between 1 and %d, got %d", MaxConcurrency, t.Concurrency)
	}
	r := t.Retry
	if r.Attempts < 1 || r.Attempts > MaxRetryAttempts {
		// In the units of what set it: attempts for the key, retries for
		// --retries (offset 1), so "--retries 0" reads as allowed.
		off := t.at["retry.attempts"].offset
		fail("retry.attempts", "must be between %d (no retries) and %d, got %d", 1-off, MaxRetryAttempts-off, r.Attempts-off)
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
	switch strings.ToLower(t.Attestations.Mode) {
	case AttestationsAuto, AttestationsAlways, AttestationsNever:
		t.Attestations.Mode = strings.ToLower(t.Attestations.Mode)
	case "true": // gh-action-pypi-publish's spelling
		t.Attestations.Mode = AttestationsAuto
	case "false":
		t.Attestations.Mode = AttestationsNever
	default:
		fail("attestations.mode", "%q is not one of auto, always, never", t.Attestations.Mode)
	}
	if msg := checkURL(t.Attestations.FulcioURL, true); msg != "" {
		fail("attestations.fulcio_url", "%s", msg)
	}
	if msg := checkURL(t.Attestations.RekorURL, true); msg != "" {
		fail("attestations.rekor_url", "%s", msg)
	}
	if t.Timeout < MinTimeout || t.Timeout > MaxTimeout {
		fail("timeout", "must be between %s and %s, got %s", MinTimeout, MaxTimeout, t.Timeout)
	}
	return errs
}

// checkEnvName checks a setting that names an environment variable
// holding a secret (or a user name). Its value is never echoed: a value
// that is not a name is likely the secret itself.
func checkEnvName(field, value, def, holds string) string {
	switch {
	case strings.HasPrefix(value, "pypi-"):
		return fmt.Sprintf("holds what looks like an API token itself; %s is the NAME of the environment variable that holds %s (default %s). "+
			"Remove the token from this file and revoke it on the index", field, holds, def)
	case !envName.MatchString(value):
		return fmt.Sprintf("is not an environment variable name (letters, digits and _, not starting with a digit): %s is the NAME of the variable "+
			"that holds %s (default %s), not the value itself; if you wrote the value itself there, remove it and change it", field, holds, def)
	}
	return ""
}

// checkUsername checks a user name given in the file or with --username.
// A user name is not a secret, but a token written in its place is, so
// that is not echoed either.
func checkUsername(name string) string {
	switch {
	case name == "":
		return ""
	case strings.HasPrefix(name, "pypi-"):
		return fmt.Sprintf("holds what looks like an API token; an API token goes in the environment variable token_env names (default %s), "+
			"with no user name. Remove the token from where you wrote it and revoke it on the index", DefaultTokenEnv)
	case strings.TrimSpace(name) != name || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "has leading or trailing spaces, or control characters: write the user name alone"
	case strings.Contains(name, ":"):
		return "contains \":\", which HTTP Basic authentication cannot send in a user name"
	case len(name) > 256:
		return "is longer than 256 characters"
	}
	return ""
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
	case slices.ContainsFunc(strings.Split(path, "/"), func(seg string) bool { return seg == "simple" || seg == "+simple" }):
		// A path segment, not a substring: /simple-uploads/ may be an
		// index's real upload endpoint.
		return fmt.Sprintf("%q looks like a simple index (used for downloads), not an upload endpoint; on PyPI-like indexes the upload URL ends in /legacy/ (the simple index can go in check_url)", raw)
	}
	return ""
}

// derivedName is the name of a target that has none: its .pypirc
// repository's name, else its index's.
func (t *Target) derivedName() string {
	if t.Repository != "" {
		if name := strings.Map(func(r rune) rune {
			if r < 128 && (r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return r
			}
			return '-'
		}, t.Repository); targetName.MatchString(name) {
			return name
		}
	}
	return defaultName(t.RepositoryURL)
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
		// An IPv6 host ("::1") becomes "ipv6-1", a usable --target value.
		prefix := ""
		if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
			prefix = "ipv6-"
		}
		name := strings.Map(func(r rune) rune {
			if r < 128 && (r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z') {
				return r
			}
			return '-'
		}, host)
		if name = strings.Trim(name, "._-"); name == "" {
			return "index"
		}
		return prefix + name
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
