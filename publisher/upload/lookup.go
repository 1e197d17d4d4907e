package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// Bounds on what reading the index may cost.
const (
	maxJSONBody   = 16 << 20 // a release's JSON
	maxSimpleBody = 64 << 20 // a project's simple page (every file of every release)
	readTimeout   = time.Minute
)

// remoteFile is a file the index lists.
type remoteFile struct {
	Filename string
	SHA256   string // lowercase hex; "" when the index shows no sha256
}

// listing is what the index says about one release (or, read from the simple
// API, about the whole project).
type listing struct {
	source string                // the URL that was read
	files  map[string]remoteFile // by file name
}

// errUnreadable means the index offered no readable listing, so existing
// files cannot be compared by hash.
var errUnreadable = errors.New("the index has no readable JSON or simple API")

// readIndex lists the files of a release, without credentials. With a check
// URL (a simple index, like uv's --check-url) it reads only that. Otherwise
// it reads the JSON API ({index}/pypi/{name}/{version}/json) and, when that
// does not know the release, the simple API ({index}/simple/{name}/): a 404
// from the JSON API alone does not tell a missing release from an index
// without a JSON API.
func (p *Publisher) readIndex(ctx context.Context, name, version string) (*listing, error) {
	norm := NormalizeName(name)
	if p.check != nil {
		u := dirURL(p.check, norm)
		l, found, err := p.readSimple(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errUnreadable, err)
		}
		if !found {
			// The check URL is a simple index by contract: a 404 means the project is not there.
			l = &listing{source: u, files: map[string]remoteFile{}}
		}
		return l, nil
	}
	l, found, jsonErr := p.readJSON(ctx, p.index.JoinPath("pypi", norm, version, "json").String())
	if jsonErr == nil && found {
		return l, nil
	}
	l, found, simpleErr := p.readSimple(ctx, dirURL(p.index, "simple", norm))
	if simpleErr == nil && found {
		return l, nil
	}
	if err := errors.Join(jsonErr, simpleErr); err != nil {
		return nil, fmt.Errorf("%w: %w", errUnreadable, err)
	}
	return nil, errUnreadable
}

// dirURL joins elems to base's path and ends it with "/", as simple index
// pages are addressed (base's query, if any, is kept).
func dirURL(base *url.URL, elems ...string) string {
	u := base.JoinPath(elems...)
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	u.RawPath = ""
	return u.String()
}

// get fetches u with a bounded body. found is false on 404 and 410. The
// request carries no credentials: the read client never sets any, and
// redirects (which Go's client may follow to other hosts) have none to leak.
func (p *Publisher) get(ctx context.Context, u, accept string, limit int64) (body []byte, contentType string, found bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", false, err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", p.userAgent)
	// Ask past caches: a file uploaded a moment ago must be seen.
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := p.read.Do(req)
	if err != nil {
		return nil, "", false, fmt.Errorf("reading %s: %w", u, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusGone:
		readBounded(resp.Body, maxErrorBody)
		return nil, "", false, nil
	case resp.StatusCode != http.StatusOK:
		b := readBounded(resp.Body, maxErrorBody)
		return nil, "", false, fmt.Errorf("reading %s: %s", u, statusLine(resp, b))
	}
	if resp.ContentLength > limit {
		// Refuse a declared oversize answer before reading any of it.
		return nil, "", false, fmt.Errorf("reading %s: answer of %d MiB is larger than %d MiB", u, resp.ContentLength>>20, limit>>20)
	}
	b, err := readAllLimited(resp.Body, limit)
	if err != nil {
		return nil, "", false, fmt.Errorf("reading %s: %w", u, err)
	}
	return b, resp.Header.Get("Content-Type"), true, nil
}

func readAllLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("answer larger than %d MiB", limit>>20)
	}
	return b, nil
}

// readJSON reads Warehouse's JSON API for one release.
func (p *Publisher) readJSON(ctx context.Context, u string) (*listing, bool, error) {
	body, _, found, err := p.get(ctx, u, "application/json", maxJSONBody)
	if err != nil || !found {
		return nil, found, err
	}
	var v struct {
		URLs []struct {
			Filename string `json:"filename"`
			Digests  struct {
				SHA256 string `json:"sha256"`
			} `json:"digests"`
		} `json:"urls"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, false, fmt.Errorf("reading %s: not the JSON API: %w", u, err)
	}
	l := &listing{source: u, files: map[string]remoteFile{}}
	for _, f := range v.URLs {
		if f.Filename != "" {
			l.files[f.Filename] = remoteFile{Filename: f.Filename, SHA256: strings.ToLower(f.Digests.SHA256)}
		}
	}
	return l, true, nil
}

// simpleAccept prefers PEP 691 JSON and accepts PEP 503 HTML.
const simpleAccept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"

// readSimple reads a project's simple page, PEP 691 JSON or PEP 503 HTML.
func (p *Publisher) readSimple(ctx context.Context, u string) (*listing, bool, error) {
	body, ctype, found, err := p.get(ctx, u, simpleAccept, maxSimpleBody)
	if err != nil || !found {
		return nil, found, err
	}
	mt, _, _ := mime.ParseMediaType(ctype)
	trimmed := bytes.TrimSpace(body)
	l := &listing{source: u, files: map[string]remoteFile{}}
	if strings.HasSuffix(mt, "json") || (len(trimmed) > 0 && trimmed[0] == '{') {
		var v struct {
			Files []struct {
				Filename string            `json:"filename"`
				Hashes   map[string]string `json:"hashes"`
			} `json:"files"`
		}
		if err := json.Unmarshal(trimmed, &v); err != nil {
			return nil, false, fmt.Errorf("reading %s: not a simple API page: %w", u, err)
		}
		for _, f := range v.Files {
			if f.Filename != "" {
				l.files[f.Filename] = remoteFile{Filename: f.Filename, SHA256: strings.ToLower(f.Hashes["sha256"])}
			}
		}
		return l, true, nil
	}
	base, _ := url.Parse(u)
	for _, f := range simpleHTMLFiles(body, base) {
		l.files[f.Filename] = f
	}
	return l, true, nil
}

// simpleHTMLFiles lists the anchors of a PEP 503 page: the file name is the
// anchor text (or the last segment of its URL), the sha256 comes from the
// URL fragment "#sha256=<hex>".
func simpleHTMLFiles(body []byte, base *url.URL) []remoteFile {
	z := html.NewTokenizer(bytes.NewReader(body))
	var files []remoteFile
	var href string
	var text strings.Builder
	inA := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return files
		case html.StartTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "a" {
				continue
			}
			inA, href = true, ""
			text.Reset()
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if string(k) == "href" {
					href = string(v)
				}
			}
		case html.TextToken:
			if inA {
				text.Write(z.Text())
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if string(name) != "a" || !inA {
				continue
			}
			inA = false
			if f, ok := simpleAnchor(href, strings.TrimSpace(text.String()), base); ok {
				files = append(files, f)
			}
		}
	}
}

func simpleAnchor(href, text string, base *url.URL) (remoteFile, bool) {
	if href == "" {
		return remoteFile{}, false
	}
	u, err := url.Parse(href)
	if err != nil {
		return remoteFile{}, false
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	name := text
	if name == "" {
		name = path.Base(u.Path)
	}
	if name == "" || name == "." || name == "/" {
		return remoteFile{}, false
	}
	f := remoteFile{Filename: name}
	if frag, ok := strings.CutPrefix(u.Fragment, "sha256="); ok {
		f.SHA256 = strings.ToLower(frag)
	}
	return f, true
}
