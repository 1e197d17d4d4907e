package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// wanTestClient trusts the local CA only, as the contenders are made to.
func wanTestClient(t *testing.T, ca *localCA, http2 bool, cache tls.ClientSessionCache) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(ca.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ClientSessionCache: cache}, ForceAttemptHTTP2: http2}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// echoUpstream answers every request with the number of body bytes it read.
func echoUpstream(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%d", n)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func timed(t *testing.T, c *http.Client, method, url string, body []byte) (time.Duration, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return time.Since(start), resp.Proto + " " + string(b)
}

// TestWANPath checks the emulation against what the profile promises: a
// new connection pays the TCP and TLS handshakes, every request a round
// trip, a body its size over the bandwidth, an upload the index time, and a
// reused connection none of the handshakes. Times are checked from below
// (the emulation may never be faster than the path) and loosely from above
// (a loaded machine only adds).
func TestWANPath(t *testing.T) {
	ca, err := newLocalCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := wanProfile{Bandwidth: 8 * mib, RTT: 60 * time.Millisecond, Fixed: 100 * time.Millisecond, PerMiB: 50 * time.Millisecond}
	proxy, err := startWANProxy(echoUpstream(t).URL, p, ca)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.close()
	c := wanTestClient(t, ca, false, nil)
	const slack = 3 * time.Second

	// TCP handshake + TLS 1.3 handshake + the request: three round trips.
	took, got := timed(t, c, http.MethodGet, proxy.URL+"/simple/", nil)
	if got != "HTTP/1.1 0" {
		t.Fatalf("first GET answered %q", got)
	}
	t.Logf("first GET (new connection): %s", took)
	if min := 3 * p.RTT; took < min || took > min+slack {
		t.Errorf("first GET on a new connection took %s, want ≥ %s (TCP + TLS + request)", took, min)
	}
	// The same connection again: one round trip.
	took, _ = timed(t, c, http.MethodGet, proxy.URL+"/simple/", nil)
	t.Logf("second GET (same connection): %s", took)
	if took < p.RTT || took > p.RTT+slack {
		t.Errorf("second GET took %s, want ≥ %s (one round trip, no handshake)", took, p.RTT)
	}
	// An upload: transfer at the bandwidth, a round trip, the index time.
	body := bytes.Repeat([]byte("x"), 2*mib)
	took, got = timed(t, c, http.MethodPost, proxy.URL+"/legacy/", body)
	if got != fmt.Sprintf("HTTP/1.1 %d", len(body)) {
		t.Fatalf("POST answered %q", got)
	}
	t.Logf("2 MiB upload: %s", took)
	transfer := time.Duration(float64(len(body)) / p.Bandwidth * float64(time.Second))
	if min := transfer + p.RTT + p.serverTime(int64(len(body))); took < min || took > min+slack {
		t.Errorf("2 MiB upload took %s, want ≥ %s (transfer %s + RTT + index time %s)", took, min, transfer, p.serverTime(int64(len(body))))
	}
	st := proxy.stats()
	if st.Connections != 1 || st.Requests != 3 || st.HTTP2 != 0 {
		t.Errorf("stats %+v, want 1 connection (reused), 3 requests, no h2", st)
	}
}

// TestWANProtocols: h2 is negotiated when offered, never when not; a
// client with a session cache resumes its TLS session on a new connection,
// and the proxy counts it.
func TestWANProtocols(t *testing.T) {
	ca, err := newLocalCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	upstream := echoUpstream(t).URL
	for _, offer := range []bool{true, false} {
		p := wanProfile{RTT: 2 * time.Millisecond, HTTP2: offer}
		proxy, err := startWANProxy(upstream, p, ca)
		if err != nil {
			t.Fatal(err)
		}
		cache := tls.NewLRUClientSessionCache(4)
		for range 2 {
			// A new client per request: a new connection, the same cache.
			c := wanTestClient(t, ca, true, cache)
			_, got := timed(t, c, http.MethodPost, proxy.URL+"/legacy/", []byte("abc"))
			want := "HTTP/1.1 3"
			if offer {
				want = "HTTP/2.0 3"
			}
			if got != want {
				t.Errorf("h2 offered %t: answered %q, want %q", offer, got, want)
			}
		}
		st := proxy.stats()
		wantH2 := int64(0)
		if offer {
			wantH2 = 2
		}
		if st.Connections != 2 || st.HTTP2 != wantH2 || st.Resumed != 1 {
			t.Errorf("h2 offered %t: stats %+v, want 2 connections, %d h2, 1 resumed", offer, st, wantH2)
		}
		proxy.close()
	}
}

// TestWANProfileString names every parameter in the report.
func TestWANProfileString(t *testing.T) {
	s := defaultWANProfile().String()
	for _, want := range []string{"20 MiB/s", "RTT 40ms", "300ms + 20ms per MiB", "TLS"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
}
