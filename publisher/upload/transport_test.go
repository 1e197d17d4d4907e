package upload

import (
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/caarlos0/log"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
)

// TestOneConnectionPerWorker uploads a release (the first file alone, then
// four at once) with the production transport to an index that offers
// HTTP/2: the four concurrent uploads must travel on four connections, over
// HTTP/1.1. Over HTTP/2 they would share the first file's connection, and
// with it one TCP window (half the throughput in the WAN benchmark).
func TestOneConnectionPerWorker(t *testing.T) {
	const workers = 4
	var mu sync.Mutex
	conns := map[string]bool{}
	protos := map[string]bool{}
	inFlight := 0
	all := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		conns[r.RemoteAddr] = true
		protos[r.Proto] = true
		if r.Method == http.MethodPost {
			inFlight++
			if inFlight == 1+workers { // the first file, then the four
				close(all)
			}
		}
		n := inFlight
		mu.Unlock()
		if n > 1 {
			// Hold each follower until all four are in flight, so none can
			// reuse another's connection (bounded: a failing client must
			// not hang the test).
			select {
			case <-all:
			case <-time.After(5 * time.Second):
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()

	tr := newTransport(workers, time.Minute)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	tr.TLSClientConfig.RootCAs = pool
	defer tr.CloseIdleConnections()
	p, err := New(Options{
		RepositoryURL: srv.URL + "/legacy/",
		Credentials:   credential.Static("pypi-conns", "test"),
		Concurrency:   workers,
		Retry:         fastRetry,
		Log:           log.New(io.Discard),
		Transport:     tr,
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := p.Upload(context.Background(), release(t, "demo", "1.0", workers))
	if err != nil {
		t.Fatalf("%v %+v", err, rep)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(conns) != workers || len(protos) != 1 || !protos["HTTP/1.1"] {
		t.Errorf("%d connections, protocols %v; want %d connections, HTTP/1.1 only", len(conns), protos, workers)
	}
}
