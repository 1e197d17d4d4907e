// Package endpoint is the one home of the rules about the URLs
// goreleaser-pypi talks to: which are allowed (https everywhere, plain http
// only to a loopback host, no credentials in the URL), and how an index's
// pages are found from its upload URL. The settings file's validation, the
// upload engine, the index reader and trusted publishing all call it, so a
// URL is judged the same way whichever front end it came through.
package endpoint

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrInsecure is wrapped by the error Parse returns for plain http to a
// host that is not loopback.
var ErrInsecure = errors.New("plain http to a host that is not loopback")

// Parse parses an absolute URL the program will send requests to and
// enforces the transport rule: https, or plain http to a loopback host,
// where nothing can read the traffic. It runs before any request, so a
// refused URL never sees one. The fragment, never sent, is dropped.
//
// Errors never echo a URL that carries user info (it may hold a password).
func Parse(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, errors.New("is empty: use https://upload.pypi.org/legacy/ for PyPI or https://test.pypi.org/legacy/ for TestPyPI")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if strings.Contains(raw, "@") {
			return nil, fmt.Errorf("is not a valid URL: %v", err)
		}
		return nil, fmt.Errorf("%q is not a valid URL: %v", raw, err)
	}
	if u.User != nil {
		return nil, errors.New("must not contain credentials (user:password@host): export the API token in an environment variable (PYPI_API_TOKEN, or the one token_env names) or use trusted publishing")
	}
	if u.Scheme == "" || u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%q is not an absolute URL; write it in full, such as https://upload.pypi.org/legacy/", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("%q uses plain http: use https (http is allowed only to loopback addresses such as 127.0.0.1 or localhost, because credentials would travel in clear text): %w", raw, ErrInsecure)
		}
	default:
		return nil, fmt.Errorf("%q: the scheme must be https (or http to a loopback address)", raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// Secure reports whether a request to u may carry a secret: https, or
// plain http to a loopback host.
func Secure(u *url.URL) bool {
	switch strings.ToLower(u.Scheme) {
	case "https":
		return true
	case "http":
		return IsLoopback(u.Hostname())
	}
	return false
}

// IsLoopback reports whether host (without port) is a loopback name or
// address: localhost and *.localhost (RFC 6761; a trailing dot is the same
// name), 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Redacted is u as messages may show it: no user info, and the query (a
// signed download URL's query is a credential) replaced by "…".
func Redacted(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		c.RawQuery = "…"
	}
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

// PyPI's and TestPyPI's well-known addresses.
const (
	PyPIUploadURL     = "https://upload.pypi.org/legacy/"
	TestPyPIUploadURL = "https://test.pypi.org/legacy/"
)

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
