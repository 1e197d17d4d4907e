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
