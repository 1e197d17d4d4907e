package index

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// simpleIndex serves one project's listing: the JSON API when json is set,
// and the simple page as PEP 691 JSON when the client prefers it (and
// pep691 is set), else as PEP 503 HTML, the way Warehouse negotiates.
type simpleIndex struct {
	json, pep691 bool

	mu      sync.Mutex
	seen    []string // "GET path Accept"
	served  []string // content types of the simple pages
	filesha string
}

func (s *simpleIndex) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.seen = append(s.seen, r.URL.Path+" "+r.Header.Get("Accept"))
	s.mu.Unlock()
	switch {
	case r.URL.Path == "/pypi/demo/1.0/json" && s.json:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"urls":[{"filename":"demo-1.0-py3-none-any.whl","url":"/files/demo-1.0-py3-none-any.whl","size":3,"digests":{"sha256":%q}}]}`, s.filesha)
	case r.URL.Path == "/simple/demo/":
		ctype := negotiate(r.Header.Get("Accept"), s.pep691)
		s.mu.Lock()
		s.served = append(s.served, ctype)
		s.mu.Unlock()
		w.Header().Set("Content-Type", ctype)
		if strings.HasSuffix(ctype, "json") {
			fmt.Fprintf(w, `{"meta":{"api-version":"1.1"},"name":"demo","files":[{"filename":"demo-1.0-py3-none-any.whl","url":"../../files/demo-1.0-py3-none-any.whl","hashes":{"sha256":%q},"size":3}]}`, s.filesha)
			return
		}
		fmt.Fprintf(w, `<!DOCTYPE html><html><body><a href="../../files/demo-1.0-py3-none-any.whl#sha256=%s">demo-1.0-py3-none-any.whl</a></body></html>`, s.filesha)
	default:
		http.NotFound(w, r)
	}
}

// readRelease reads release 1.0 of project from the index at indexURL.
func readRelease(t *testing.T, indexURL, project string) *Listing {
	t.Helper()
	base, err := url.Parse(indexURL)
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewReader(base, nil, NewClient(http.DefaultTransport), "test").Release(context.Background(), project, "1.0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// negotiate picks the served type by the client's q values (PEP 691's
// server-side negotiation), HTML when the server has no JSON form.
func negotiate(accept string, pep691 bool) string {
	best, bestQ := "text/html", -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			q, _ = strconv.ParseFloat(v, 64)
		}
		switch mt {
		case "application/vnd.pypi.simple.v1+json":
			if !pep691 {
				continue
			}
		case "application/vnd.pypi.simple.v1+html", "text/html":
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = mt, q
		}
	}
	return best
}

// Existence checks read the JSON API first, then the simple page asking
// for PEP 691 JSON above HTML (PEP 833 froze the HTML form), and still read
// an index that only has HTML.
func TestExistencePrefersJSONWithHTMLFallback(t *testing.T) {
	const sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	cases := []struct {
		name      string
		srv       *simpleIndex
		wantPaths []string
		wantType  string // served simple page, "" when none was read
	}{
		{"JSON API", &simpleIndex{json: true, pep691: true, filesha: sha}, []string{"/pypi/demo/1.0/json"}, ""},
		{"PEP 691 simple page", &simpleIndex{pep691: true, filesha: sha}, []string{"/pypi/demo/1.0/json", "/simple/demo/"}, "application/vnd.pypi.simple.v1+json"},
		{"HTML only", &simpleIndex{filesha: sha}, []string{"/pypi/demo/1.0/json", "/simple/demo/"}, "application/vnd.pypi.simple.v1+html"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hs := httptest.NewServer(c.srv)
			defer hs.Close()
			l := readRelease(t, hs.URL, "Demo")
			f, ok := l.Files["demo-1.0-py3-none-any.whl"]
			if !ok || f.SHA256 != sha || f.URL != hs.URL+"/files/demo-1.0-py3-none-any.whl" {
				t.Fatalf("listing %+v", l.Files)
			}
			var paths []string
			for i, s := range c.srv.seen {
				path, accept, _ := strings.Cut(s, " ")
				paths = append(paths, path)
				if path == "/simple/demo/" {
					// JSON first, HTML accepted at a lower preference.
					j := strings.Index(accept, "application/vnd.pypi.simple.v1+json")
					h := strings.Index(accept, "text/html")
					if j != 0 || h < 0 || !strings.Contains(accept, "q=") {
						t.Errorf("request %d Accept %q", i, accept)
					}
				}
			}
			if strings.Join(paths, " ") != strings.Join(c.wantPaths, " ") {
				t.Errorf("requests %q, want %q", paths, c.wantPaths)
			}
			if got := strings.Join(c.srv.served, ","); got != c.wantType {
				t.Errorf("simple page served as %q, want %q", got, c.wantType)
			}
		})
	}
}

// An index may redirect its simple pages (a mirror's /simple/ → its own
// path) and list files relative to the page it served, or to the page's
// <base href>: links resolve against the URL that answered, not the one
// asked for.
func TestRelativeLinksAfterRedirect(t *testing.T) {
	const sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	for _, c := range []struct{ name, ctype, page, want string }{
		{"PEP 691", "application/vnd.pypi.simple.v1+json",
			`{"meta":{"api-version":"1.1"},"name":"demo","files":[{"filename":"demo-1.0-py3-none-any.whl","url":"../../files/demo-1.0-py3-none-any.whl","hashes":{"sha256":"` + sha + `"}}]}`,
			"/r/files/demo-1.0-py3-none-any.whl"},
		{"HTML", "text/html",
			`<html><body><a href="../../files/demo-1.0-py3-none-any.whl#sha256=` + sha + `">demo-1.0-py3-none-any.whl</a></body></html>`,
			"/r/files/demo-1.0-py3-none-any.whl"},
		{"HTML with base", "text/html",
			`<html><head><base href="/cdn/pkgs/"></head><body><a href="demo-1.0-py3-none-any.whl#sha256=` + sha + `">demo-1.0-py3-none-any.whl</a></body></html>`,
			"/cdn/pkgs/demo-1.0-py3-none-any.whl"},
	} {
		t.Run(c.name, func(t *testing.T) {
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/simple/demo/":
					http.Redirect(w, r, "/r/+simple/demo/", http.StatusMovedPermanently)
				case "/r/+simple/demo/":
					w.Header().Set("Content-Type", c.ctype)
					fmt.Fprint(w, c.page)
				default:
					http.NotFound(w, r)
				}
			}))
			defer hs.Close()
			l := readRelease(t, hs.URL, "demo")
			f, ok := l.Files["demo-1.0-py3-none-any.whl"]
			if !ok || f.SHA256 != sha || f.URL != hs.URL+c.want {
				t.Fatalf("listing %+v, want the file at %s", l.Files, hs.URL+c.want)
			}
		})
	}
}

// A JSON answer from the JSON API's address that is not a release listing
// (no "urls": an index's catch-all JSON) is no proof that the release has
// no files: the simple page is read instead.
func TestJSONWithoutURLsFallsBackToSimple(t *testing.T) {
	const sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/pypi/demo/1.0/json":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"message":"ok","status":200}`)
		case "/simple/demo/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<a href="/files/demo-1.0-py3-none-any.whl#sha256=%s">demo-1.0-py3-none-any.whl</a>`, sha)
		default:
			http.NotFound(w, r)
		}
	}))
	defer hs.Close()
	l := readRelease(t, hs.URL, "demo")
	if f, ok := l.Files["demo-1.0-py3-none-any.whl"]; !ok || f.SHA256 != sha {
		t.Fatalf("listing %+v from %s", l.Files, l.Source)
	}
}
