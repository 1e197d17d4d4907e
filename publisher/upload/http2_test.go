package upload

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caarlos0/log"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
)

// TestHTTP2 uploads over TLS with the production transport switched to
// HTTP/2 (as a transport given in Options.Transport may be): the body still
// has a known length, and an error, which HTTP/2 sends without a reason
// phrase, is read from the JSON body.
func TestHTTP2(t *testing.T) {
	var protos, lengths atomic.Int64
	var posts atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 {
			protos.Add(1)
		}
		if r.ContentLength > 0 && len(r.TransferEncoding) == 0 {
			lengths.Add(1)
		}
		io.Copy(io.Discard, r.Body)
		if posts.Add(1) == 2 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{
				"message": "Only one sdist may be uploaded per release.",
				"code":    "400 Only one sdist may be uploaded per release.",
				"title":   "Bad Request",
			})
		}
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()

	tr := newTransport(2, time.Minute)
	tr.Protocols = nil // back to net/http's default: HTTP/2 where offered
	tr.ForceAttemptHTTP2 = true
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	tr.TLSClientConfig.RootCAs = pool
	defer tr.CloseIdleConnections()

	p, err := New(Options{
		RepositoryURL: srv.URL + "/legacy/",
		Credentials:   credential.Static("pypi-h2", "test"),
		Concurrency:   1,
		Retry:         fastRetry,
		Log:           log.New(io.Discard),
		Transport:     tr,
	})
	if err != nil {
		t.Fatal(err)
	}
	ds := release(t, "demo", "1.0", 1)
	rep, _ := p.Upload(context.Background(), ds)
	if protos.Load() != 2 || lengths.Load() != 2 {
		t.Fatalf("%d HTTP/2 requests, %d with a Content-Length, of 2", protos.Load(), lengths.Load())
	}
	if rep[0].Status != StatusUploaded {
		t.Errorf("wheel: %+v", rep[0])
	}
	if got := rep[1].ErrorText(); !strings.HasSuffix(got, ": 400 Only one sdist may be uploaded per release.") {
		t.Errorf("sdist error %q", got)
	}
}
