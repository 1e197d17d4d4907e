package index

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestDeclaredOversizeListingIsNotRead: an index that announces a listing
// larger than the bound is refused on its Content-Length, before the client
// reads (and buffers) any of it.
func TestDeclaredOversizeListingIsNotRead(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		w.Header().Set("Content-Length", strconv.Itoa(maxSimpleBody+1))
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"files": [`) // and nothing more: the client must not wait for the rest
	}))
	defer srv.Close()
	p := testReader(srv.URL)
	_, found, err := p.readSimple(context.Background(), srv.URL+"/simple/demo/")
	if err == nil || found || !strings.Contains(err.Error(), "larger than 64 MiB") {
		t.Fatalf("found=%v err=%v", found, err)
	}
}

// TestChunkedHugeListingIsReadBounded: without a declared length, a listing
// is parsed as it streams in and given up on long before it is buffered.
func TestChunkedHugeListingIsReadBounded(t *testing.T) {
	for _, ctype := range []string{"text/html", "application/vnd.pypi.simple.v1+json"} {
		var sent int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.WriteHeader(http.StatusOK)
			chunk := []byte(strings.Repeat("a", 64<<10))
			if strings.HasSuffix(ctype, "json") {
				io.WriteString(w, `{"files": [{"filename": "`)
			}
			for sent < 1<<30 {
				n, err := w.Write(chunk)
				sent += int64(n)
				if err != nil {
					return
				}
			}
		}))
		p := testReader(srv.URL)
		_, found, err := p.readSimple(context.Background(), srv.URL+"/simple/demo/")
		srv.Close()
		if err == nil || found {
			t.Fatalf("%s: found=%v err=%v", ctype, found, err)
		}
		if sent > maxSimpleBody+(8<<20) {
			t.Fatalf("%s: the client read %d MiB of a listing bounded at %d MiB", ctype, sent>>20, maxSimpleBody>>20)
		}
	}
}

func TestBoundedBody(t *testing.T) {
	read := func(n, limit int) error {
		b := &boundedBody{r: io.NopCloser(strings.NewReader(strings.Repeat("x", n))), left: int64(limit), limit: int64(limit), cancel: func() {}}
		_, err := io.ReadAll(b)
		return err
	}
	if err := read(10, 10); err != nil {
		t.Fatalf("exactly the limit: %v", err)
	}
	if err := read(11, 10); err == nil || !strings.Contains(err.Error(), "answer larger than") {
		t.Fatalf("one byte over: %v", err)
	}
}

func testReader(base string) *Reader {
	u, _ := url.Parse(base)
	return NewReader(u, nil, NewClient(http.DefaultTransport), "test")
}

func TestIndexMessages(t *testing.T) {
	mk := func(status string, code int, ctype, body string) *http.Response {
		return &http.Response{Status: status, StatusCode: code, Header: http.Header{"Content-Type": {ctype}}}
	}
	for _, tc := range []struct {
		resp *http.Response
		body string
		want string
	}{
		{mk("400 Bad Request", 400, "application/json", ""), `{"message":"x","code":"400 File already exists ('a.whl', with blake2_256 hash 'ab').","title":"Bad Request"}`, "400 File already exists ('a.whl', with blake2_256 hash 'ab')."},
		{mk("400 Unknown protocol version.", 400, "text/html", ""), "<html><title>400 Unknown protocol version.</title></html>", "400 Unknown protocol version."},
		{mk("400 Bad Request", 400, "text/html", ""), "<html><head><title>400 Bad Request</title><style>p{}</style></head><body><h1>400 Bad Request</h1>\n<p>Error: Include at least one message digest.</p></body></html>", "400 Bad Request Error: Include at least one message digest."},
		{mk("403 Forbidden", 403, "text/plain", ""), "", "403 Forbidden"},
		{mk("502 Bad Gateway", 502, "text/plain", ""), "upstream connect error\n", "502 upstream connect error"},
		{mk("413 ", 413, "", ""), "", "413 Request Entity Too Large"},
	} {
		if got := StatusLine(tc.resp, []byte(tc.body)); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestDirURL(t *testing.T) {
	base, _ := url.Parse("https://example.com/simple/?x=1")
	if got := DirURL(base, "demo-pkg"); got != "https://example.com/simple/demo-pkg/?x=1" {
		t.Errorf("dirURL: %s", got)
	}
}
