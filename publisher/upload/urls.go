package upload

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ParseIndexURL parses an index URL (the repository URL or a check URL) and
// enforces the transport rule: https everywhere, plain http only to a
// loopback host, where nothing can read the traffic. It runs before any
// request, so a refused URL never sees one.
func ParseIndexURL(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("no repository URL: use https://upload.pypi.org/legacy/ for PyPI or https://test.pypi.org/legacy/ for TestPyPI")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid index URL %q: %w", raw, err)
	}
	if u.User != nil {
		// Never echo the URL itself: the user info may hold a password.
		return nil, fmt.Errorf("invalid index URL: it carries credentials (user:password@host); " +
			"remove them and set PYPI_API_TOKEN or use trusted publishing instead")
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("invalid index URL %q: it needs a scheme and a host, e.g. https://upload.pypi.org/legacy/", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("refusing plain http to %s: credentials and files would travel unencrypted; use https (plain http is only allowed to loopback hosts such as 127.0.0.1 and localhost)", raw)
		}
	default:
		return nil, fmt.Errorf("invalid index URL %q: the scheme must be https (or http to a loopback host)", raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// IsLoopback reports whether host (without port) is a loopback name or
// address: localhost (and *.localhost), 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// IndexURL is the base of the read APIs and the project pages for a
// repository URL: its scheme and host, except that PyPI's upload host maps
// to https://pypi.org (TestPyPI uploads and reads on the same host).
func IndexURL(repo *url.URL) *url.URL {
	host := strings.ToLower(repo.Host)
	if host == "upload.pypi.org" || host == "upload.pypi.org:443" {
		return &url.URL{Scheme: "https", Host: "pypi.org"}
	}
	return &url.URL{Scheme: repo.Scheme, Host: repo.Host}
}

// NormalizeName is a project name normalized as PEP 503 says: lower-case,
// every run of "-", "_" and "." replaced by a single "-".
func NormalizeName(name string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(name) {
		if r == '-' || r == '_' || r == '.' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		b.WriteRune(r)
	}
	return b.String()
}

// ProjectURL is the page of a release on the index: {index}/project/{name}/{version}/.
func ProjectURL(index *url.URL, name, version string) string {
	return index.JoinPath("project", NormalizeName(name), version).String() + "/"
}
