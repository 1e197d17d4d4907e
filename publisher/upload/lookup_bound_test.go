package upload

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/plainlog"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
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
	p, err := New(Options{RepositoryURL: srv.URL + "/legacy/", Credentials: credential.Static("pypi-x", "test"), Log: plainlog.New(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
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
		p, err := New(Options{RepositoryURL: srv.URL + "/legacy/", Credentials: credential.Static("pypi-x", "test"), Log: plainlog.New(io.Discard)})
		if err != nil {
			t.Fatal(err)
		}
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
