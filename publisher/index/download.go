package index

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/useragent"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
)

// DefaultTimeout bounds one download of an index's file, answer and body:
// 100 MiB at well under 1 MiB/s.
const DefaultTimeout = 10 * time.Minute

// maxRedirects is where following stops (Go's client stops at 10 as well).
const maxRedirects = 10

// RemoteFile is a file as the index lists it: PyPI's JSON API ("urls":
// "url", "digests.sha256", "size") or a PEP 691 page ("files": "url",
// "hashes.sha256", "size"; PEP 503 HTML gives the URL and the sha256 in its
// fragment, no size).
type RemoteFile struct {
	// URL is the file's URL as listed: absolute (often on another host,
	// such as files.pythonhosted.org) or relative to Page.
	URL string
	// Page is the URL of the listing URL was read from; it resolves a
	// relative URL and is not needed for an absolute one.
	Page string
	// SHA256 is the hex digest the index lists. Required: the download is
	// checked against it.
	SHA256 string
	// Size is the size the index lists; 0 when it lists none.
	Size int64
}

// fileURL resolves rf's URL and applies the transport rule.
func (rf RemoteFile) fileURL() (*url.URL, error) {
	if strings.TrimSpace(rf.URL) == "" {
		return nil, errors.New("the index lists the file without a URL")
	}
	u, err := url.Parse(rf.URL)
	if err != nil {
		return nil, fmt.Errorf("the index lists the file at an invalid URL: %w", err)
	}
	if !u.IsAbs() {
		if rf.Page == "" {
			return nil, fmt.Errorf("the index lists the file at the relative URL %s, and the page it was listed on is unknown", endpoint.Redacted(u))
		}
		base, err := url.Parse(rf.Page)
		if err != nil || !base.IsAbs() {
			return nil, fmt.Errorf("the index lists the file at the relative URL %s, and the page it was listed on (%q) is not an absolute URL", endpoint.Redacted(u), rf.Page)
		}
		u = base.ResolveReference(u)
	}
	u.Fragment, u.RawFragment = "", "" // "#sha256=…" on PEP 503 pages
	if err := checkTransport(u); err != nil {
		return nil, err
	}
	return u, nil
}

// checkTransport is the project's URL rule for reads: https anywhere,
// plain http only to a loopback host, and no credentials in the URL.
func checkTransport(u *url.URL) error {
	if u.User != nil {
		return fmt.Errorf("refusing %s: the URL carries credentials (user@host), and downloads from the index carry none", endpoint.Redacted(u))
	}
	if u.Hostname() == "" {
		return fmt.Errorf("refusing %s: no host", endpoint.Redacted(u))
	}
	if endpoint.Secure(u) {
		return nil
	}
	if strings.EqualFold(u.Scheme, "http") {
		return fmt.Errorf("refusing plain http to %s: use https (plain http is only allowed to loopback hosts such as 127.0.0.1 and localhost)", endpoint.Redacted(u))
	}
	return fmt.Errorf("refusing %s: the scheme must be https (or http to a loopback host)", endpoint.Redacted(u))
}

// readClient is client without a cookie jar, following redirects by the
// transport rule and never from https down to http.
func readClient(client *http.Client) *http.Client {
	var c http.Client
	if client != nil {
		c = *client
	}
	c.Jar = nil
	c.CheckRedirect = checkRedirect
	return &c
}

// checkRedirect is the redirect rule of every read: at most maxRedirects,
// each to a URL the transport rule allows, never from https down to http.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if err := checkTransport(req.URL); err != nil {
		return fmt.Errorf("redirected from %s: %w", endpoint.Redacted(via[len(via)-1].URL), err)
	}
	if prev := via[len(via)-1].URL; strings.EqualFold(prev.Scheme, "https") && !strings.EqualFold(req.URL.Scheme, "https") {
		return fmt.Errorf("refusing a redirect from https down to plain http (%s to %s)", endpoint.Redacted(prev), endpoint.Redacted(req.URL))
	}
	return nil
}

// download streams the file at u to a temporary file, hashing it, and
// checks it against what the index lists. The caller closes and removes
// the file.
func download(ctx context.Context, client *http.Client, u *url.URL, rf RemoteFile, opts Options) (_ *os.File, err error) {
	limit := opts.maxFileSize()
	shown := endpoint.Redacted(u)
	if rf.Size > limit {
		return nil, fmt.Errorf("the index lists %s at %d bytes, more than the %d-byte limit on what is downloaded to compare (raise --max-file-size if the index allows larger files)", shown, rf.Size, limit)
	}
	timeout := opts.timeout()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("downloading %s: %w", shown, err)
	}
	req.Header.Set("User-Agent", opts.userAgent())
	// The bytes as stored: a transparently gunzipped .tar.gz would not be
	// the file the index lists.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := readClient(client).Do(req)
	if err != nil {
		return nil, downloadError(shown, err, timeout)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("downloading %s, the URL the index lists: the server answered %s; run again, and if it persists, check the file on the index", shown, resp.Status)
	case resp.ContentLength > limit:
		return nil, fmt.Errorf("downloading %s: the answer is %d bytes, more than the %d-byte limit", shown, resp.ContentLength, limit)
	}
	f, err := os.CreateTemp(opts.TempDir, "goreleaser-pypi-index-*")
	if err != nil {
		return nil, fmt.Errorf("downloading %s: %w", shown, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, sum), io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, downloadError(shown, err, timeout)
	}
	if n > limit {
		return nil, fmt.Errorf("downloading %s: the answer is larger than the %d-byte limit", shown, limit)
	}
	if rf.Size > 0 && n != rf.Size {
		return nil, &IntegrityError{URL: shown, Listed: fmt.Sprintf("%d bytes", rf.Size), Got: fmt.Sprintf("%d bytes", n)}
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != strings.ToLower(rf.SHA256) {
		return nil, &IntegrityError{URL: shown, Listed: "sha256 " + strings.ToLower(rf.SHA256), Got: "sha256 " + got}
	}
	return f, nil
}

// IntegrityError is a download that is not the file the index lists: the
// transfer was corrupted, or the index is inconsistent. Nothing can be
// concluded from it.
type IntegrityError struct {
	URL    string // without query
	Listed string // what the index lists, e.g. "sha256 ab…" or "1234 bytes"
	Got    string // what was downloaded
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("downloaded %s, but got %s where the index lists %s: the download was corrupted or the index is inconsistent; run again", e.URL, e.Got, e.Listed)
}

// downloadError words a transport failure without the request's URL (Go's
// *url.Error would print its query) and says what a timeout was.
func downloadError(shown string, err error, timeout time.Duration) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("downloading %s: no complete answer within %s: %w", shown, timeout, err)
	}
	return fmt.Errorf("downloading %s: %w", shown, err)
}

// maxFileSize is the download limit.
func (o Options) maxFileSize() int64 {
	if o.MaxFileSize > 0 {
		return o.MaxFileSize
	}
	return dist.DefaultMaxFileSize
}

func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

func (o Options) userAgent() string { return useragent.Or(o.UserAgent) }
