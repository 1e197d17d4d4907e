package endpoint

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, ok := range []string{
		"https://upload.pypi.org/legacy/", "HTTPS://example.com/legacy/#frag",
		"http://127.0.0.1:8080/legacy/", "http://localhost/legacy/", "http://localhost./legacy/",
		"http://pypi.localhost/legacy/", "http://[::1]:9/legacy/", "http://127.9.9.9/",
	} {
		u, err := Parse(ok)
		if err != nil {
			t.Errorf("Parse(%q): %v", ok, err)
			continue
		}
		if u.Fragment != "" || u.Scheme != strings.ToLower(u.Scheme) {
			t.Errorf("Parse(%q) = %s", ok, u)
		}
	}
	for raw, want := range map[string]string{
		"":                                 "is empty",
		"http://pypi.corp.example/legacy/": "uses plain http: use https",
		"http://localhost.evil.com/":       "uses plain http",
		"http://127.0.0.1.nip.io/":         "uses plain http",
		"ftp://example.com/":               "the scheme must be https",
		"upload.pypi.org/legacy/":          "is not an absolute URL",
		"https://exa mple.com/legacy/":     "is not a valid URL",
	} {
		_, err := Parse(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", raw, err, want)
		}
	}
	if _, err := Parse("http://h.example/"); !errors.Is(err, ErrInsecure) {
		t.Errorf("plain http error does not wrap ErrInsecure: %v", err)
	}
	_, err := Parse("https://__token__:pypi-secret@upload.pypi.org/legacy/")
	if err == nil || strings.Contains(err.Error(), "pypi-secret") {
		t.Errorf("credentials in URL: %v", err)
	}
	_, err = Parse("https://u:pypi-secret@exa mple.com/")
	if err == nil || strings.Contains(err.Error(), "pypi-secret") {
		t.Errorf("credentials in an invalid URL: %v", err)
	}
}

func TestSecure(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://x.example/": true, "http://127.0.0.1/": true, "http://localhost./": true,
		"http://x.example/": false, "ftp://127.0.0.1/": false,
	} {
		u, _ := url.Parse(raw)
		if got := Secure(u); got != want {
			t.Errorf("Secure(%s) = %v", raw, got)
		}
	}
}

func TestIndexURL(t *testing.T) {
	u, _ := Parse(PyPIUploadURL)
	idx := IndexURL(u)
	if idx.String() != "https://pypi.org" {
		t.Errorf("IndexURL(PyPI) = %s", idx)
	}
	t2, _ := Parse("http://127.0.0.1:9/legacy/")
	if got := IndexURL(t2).String(); got != "http://127.0.0.1:9" {
		t.Errorf("IndexURL(local) = %s", got)
	}
}
