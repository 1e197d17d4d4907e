package index

import (
	"bufio"
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

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// Bounds on what reading the index may cost.
const (
	maxJSONBody   = 16 << 20 // a release's JSON
	maxSimpleBody = 64 << 20 // a project's simple page (every file of every release)
	readTimeout   = time.Minute
)

// File is a file the index lists.
type File struct {
	Filename string
	SHA256   string // lowercase hex; "" when the index shows no sha256
	// URL is where the file is downloaded, resolved against the page that
	// listed it ("" when the listing gave none).
	URL string
	// Size in bytes, when the listing says (0 otherwise).
	Size int64
}

// Reader reads an index's listings. It is safe for concurrent use.
type Reader struct {
	index     *url.URL     // read APIs: {index}/pypi/..., {index}/simple/...
	check     *url.URL     // optional simple index that replaces them
	client    *http.Client // never sets credentials
	userAgent string
}

// NewReader reads the index at index (its base URL, endpoint.IndexURL of a
// repository URL) or, when check is not nil, only the simple index at check
// (like uv publish --check-url). client must carry no credentials.
func NewReader(index, check *url.URL, client *http.Client, userAgent string) *Reader {
	return &Reader{index: index, check: check, client: client, userAgent: userAgent}
}

// Listing is what the index says about one release (or, read from the simple
// API, about the whole project).
type Listing struct {
	Source string          // the URL that was read
	Files  map[string]File // by file name
}

// ErrUnreadable means the index offered no readable Listing, so existing
// files cannot be compared by hash.
var ErrUnreadable = errors.New("the index has no readable JSON or simple API")

// Release lists the files of a release, without credentials. With a check
// URL (a simple index, like uv's --check-url) it reads only that. Otherwise
// it reads the JSON API ({index}/pypi/{name}/{version}/json) and, when that
// does not know the release, the simple API ({index}/simple/{name}/): a 404
// from the JSON API alone does not tell a missing release from an index
// without a JSON API.
func (p *Reader) Release(ctx context.Context, name, version string) (*Listing, error) {
	norm := dist.NormalizeName(name)
	if p.check != nil {
		u := DirURL(p.check, norm)
		l, found, err := p.readSimple(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
		}
		if !found {
			// The check URL is a simple index by contract: a 404 means the project is not there.
			l = &Listing{Source: u, Files: map[string]File{}}
		}
		return l, nil
	}
	l, found, jsonErr := p.readJSON(ctx, p.index.JoinPath("pypi", norm, version, "json").String())
	if jsonErr == nil && found {
		return l, nil
	}
	l, found, simpleErr := p.readSimple(ctx, DirURL(p.index, "simple", norm))
	if simpleErr == nil && found {
		return l, nil
	}
	if err := errors.Join(jsonErr, simpleErr); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	return nil, ErrUnreadable
}

// dirURL joins elems to base's path and ends it with "/", as simple index
// pages are addressed (base's query, if any, is kept).
func DirURL(base *url.URL, elems ...string) string {
	u := base.JoinPath(elems...)
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	u.RawPath = ""
	return u.String()
}

// open fetches u and returns its body, bounded: reading past limit fails
// with an error that says so, so a Listing is parsed as it streams in and
// never buffered whole, and the URL that answered (after redirects: the
// base of the page's relative links). found is false on 404 and 410. The request carries no
// credentials: the read client never sets any, and redirects (which Go's
// client may follow to other hosts) have none to leak. The caller closes body.
func (p *Reader) open(ctx context.Context, u, accept string, limit int64) (body io.ReadCloser, contentType string, final *url.URL, found bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		return nil, "", nil, false, err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", p.userAgent)
	// Ask past caches: a file uploaded a moment ago must be seen.
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := p.client.Do(req)
	if err != nil {
		cancel()
		return nil, "", nil, false, fmt.Errorf("reading %s: %w", u, err)
	}
	fail := func(err error) (io.ReadCloser, string, *url.URL, bool, error) {
		resp.Body.Close()
		cancel()
		return nil, "", nil, false, err
	}
	switch {
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusGone:
		ReadBounded(resp.Body, MaxErrorBody)
		return fail(nil)
	case resp.StatusCode != http.StatusOK:
		b := ReadBounded(resp.Body, MaxErrorBody)
		return fail(fmt.Errorf("reading %s: %s", u, StatusLine(resp, b)))
	case resp.ContentLength > limit:
		// Refuse a declared oversize answer before reading any of it.
		return fail(fmt.Errorf("reading %s: answer of %d MiB is larger than %d MiB", u, resp.ContentLength>>20, limit>>20))
	}
	return &boundedBody{r: resp.Body, left: limit, limit: limit, cancel: cancel}, resp.Header.Get("Content-Type"), resp.Request.URL, true, nil
}

// boundedBody reads at most limit bytes and fails beyond, rather than
// pretending the answer ended there.
type boundedBody struct {
	r      io.ReadCloser
	left   int64
	limit  int64
	cancel context.CancelFunc
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells an answer of exactly limit bytes from a longer one.
		var one [1]byte
		if n, _ := b.r.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("answer larger than %d MiB", b.limit>>20)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error {
	err := b.r.Close()
	b.cancel()
	return err
}

// readJSON reads Warehouse's JSON API for one release.
func (p *Reader) readJSON(ctx context.Context, u string) (*Listing, bool, error) {
	body, _, base, found, err := p.open(ctx, u, "application/json", maxJSONBody)
	if err != nil || !found {
		return nil, found, err
	}
	defer body.Close()
	var v struct {
		URLs *[]struct {
			Filename string `json:"filename"`
			URL      string `json:"url"`
			Size     int64  `json:"size"`
			Digests  struct {
				SHA256 string `json:"sha256"`
			} `json:"digests"`
		} `json:"urls"`
	}
	if err := json.NewDecoder(body).Decode(&v); err != nil {
		return nil, false, fmt.Errorf("reading %s: not the JSON API: %w", u, err)
	}
	if v.URLs == nil {
		// Some other JSON (an index's catch-all answer): no listing, so
		// the simple API is asked rather than concluding "no files".
		return nil, false, fmt.Errorf("reading %s: not the JSON API: no \"urls\" list", u)
	}
	l := &Listing{Source: u, Files: map[string]File{}}
	for _, f := range *v.URLs {
		if f.Filename != "" {
			l.Files[f.Filename] = File{Filename: f.Filename, SHA256: strings.ToLower(f.Digests.SHA256), URL: resolve(base, f.URL), Size: f.Size}
		}
	}
	return l, true, nil
}

// simpleAccept prefers PEP 691 JSON and accepts PEP 503 HTML.
const simpleAccept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"

// readSimple reads a project's simple page, PEP 691 JSON or PEP 503 HTML,
// parsing it as it streams in.
func (p *Reader) readSimple(ctx context.Context, u string) (*Listing, bool, error) {
	body, ctype, base, found, err := p.open(ctx, u, simpleAccept, maxSimpleBody)
	if err != nil || !found {
		return nil, found, err
	}
	defer body.Close()
	br := bufio.NewReader(body)
	mt, _, _ := mime.ParseMediaType(ctype)
	l := &Listing{Source: u, Files: map[string]File{}}
	if strings.HasSuffix(mt, "json") || startsWithBrace(br) {
		var v struct {
			Files []struct {
				Filename string            `json:"filename"`
				URL      string            `json:"url"`
				Size     int64             `json:"size"`
				Hashes   map[string]string `json:"hashes"`
			} `json:"files"`
		}
		if err := json.NewDecoder(br).Decode(&v); err != nil {
			return nil, false, fmt.Errorf("reading %s: not a simple API page: %w", u, err)
		}
		for _, f := range v.Files {
			if f.Filename != "" {
				l.Files[f.Filename] = File{Filename: f.Filename, SHA256: strings.ToLower(f.Hashes["sha256"]), URL: resolve(base, f.URL), Size: f.Size}
			}
		}
		return l, true, nil
	}
	files, err := simpleHTMLFiles(br, base)
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", u, err)
	}
	for _, f := range files {
		l.Files[f.Filename] = f
	}
	return l, true, nil
}

// startsWithBrace reports whether the first non-space byte is "{" (a JSON
// page served with a vague content type), without consuming anything.
func startsWithBrace(br *bufio.Reader) bool {
	for n := 1; n <= 4096; n++ {
		b, _ := br.Peek(n)
		if len(b) < n {
			return false
		}
		switch b[n-1] {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b[n-1] == '{'
	}
	return false
}

// simpleHTMLFiles lists the anchors of a PEP 503 page: the file name is the
// anchor text (or the last segment of its URL), the sha256 comes from the
// URL fragment "#sha256=<hex>"; relative URLs resolve against base, or the
// page's <base href>. It fails when the page cannot be read whole.
func simpleHTMLFiles(r io.Reader, base *url.URL) ([]File, error) {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(1 << 20) // no token (an anchor, a text) is near that size
	var files []File
	var href string
	var text strings.Builder
	inA := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				return nil, err
			}
			return files, nil
		case html.StartTagToken:
			name, hasAttr := z.TagName()
			if string(name) == "base" {
				// <base href> rebases the page's relative links (HTML).
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if u, err := url.Parse(string(v)); string(k) == "href" && err == nil && base != nil {
						base = base.ResolveReference(u)
					}
				}
				continue
			}
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
			if inA && text.Len() < 4096 {
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

func simpleAnchor(href, text string, base *url.URL) (File, bool) {
	if href == "" {
		return File{}, false
	}
	u, err := url.Parse(href)
	if err != nil {
		return File{}, false
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	name := text
	if name == "" {
		name = path.Base(u.Path)
	}
	if name == "" || name == "." || name == "/" {
		return File{}, false
	}
	f := File{Filename: name}
	if frag, ok := strings.CutPrefix(u.Fragment, "sha256="); ok {
		f.SHA256 = strings.ToLower(frag)
	}
	u.Fragment, u.RawFragment = "", ""
	f.URL = u.String()
	return f, true
}

// resolve makes a listed file's URL absolute against the page it was on
// ("" stays "": the listing gave none).
func resolve(base *url.URL, ref string) string {
	if ref == "" || base == nil {
		return ref
	}
	u, err := base.Parse(ref)
	if err != nil {
		return ""
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// NewClient is the HTTP client for reading an index: it never carries
// credentials, so following redirects is safe; still, only as checkRedirect
// allows (never from https down to plain http, at most 10).
func NewClient(tr http.RoundTripper) *http.Client {
	return &http.Client{Transport: tr, CheckRedirect: checkRedirect}
}
