package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sync/atomic"
	"time"
)

// wanProfile is what the WAN benchmarks (B5–B7) emulate between the
// contenders and the index: a CI runner uploading to PyPI through its CDN.
// BENCHMARKS.md says where each default comes from.
type wanProfile struct {
	// Bandwidth is each connection's rate, in bytes per second, in each
	// direction (0: unlimited).
	Bandwidth float64
	// RTT is the round-trip time: half of it on every byte each way, and one
	// whole round trip for the TCP handshake of every new connection.
	RTT time.Duration
	// Fixed and PerMiB are the index's processing time of one upload, from
	// the last byte of the request to the first byte of the answer:
	// Fixed + PerMiB × the body's size in MiB. The real index's own time
	// counts towards it (the emulation only adds what is missing).
	Fixed  time.Duration
	PerMiB time.Duration
	// HTTP2 offers h2 by ALPN, as PyPI's CDN does; clients that speak it
	// multiplex their uploads on one connection.
	HTTP2 bool
}

func defaultWANProfile() wanProfile {
	return wanProfile{Bandwidth: 20 * mib, RTT: 40 * time.Millisecond, Fixed: 300 * time.Millisecond, PerMiB: 20 * time.Millisecond, HTTP2: true}
}

// smokeWANProfile keeps the shape (TLS, latency, bandwidth, server time)
// at a scale that runs in seconds.
func smokeWANProfile() wanProfile {
	return wanProfile{Bandwidth: 64 * mib, RTT: 4 * time.Millisecond, Fixed: 10 * time.Millisecond, PerMiB: 2 * time.Millisecond, HTTP2: true}
}

// window is the bytes in flight per connection and direction: two
// bandwidth-delay products (so the path, not the window, sets the rate),
// at least 256 KiB.
func (p wanProfile) window() int {
	bdp := p.Bandwidth * p.RTT.Seconds()
	if p.Bandwidth == 0 {
		bdp = 4 * mib
	}
	return max(int(2*bdp), 256*kib)
}

// serverTime is the emulated processing time of an upload of n bytes.
func (p wanProfile) serverTime(n int64) time.Duration {
	return p.Fixed + time.Duration(float64(p.PerMiB)*float64(n)/mib)
}

// String is the profile as the report states it.
func (p wanProfile) String() string {
	bw := "unlimited"
	if p.Bandwidth > 0 {
		bw = fmt.Sprintf("%s/s", humanBytes(int64(p.Bandwidth)))
	}
	proto := "HTTP/2 and HTTP/1.1 offered (ALPN)"
	if !p.HTTP2 {
		proto = "HTTP/1.1 only"
	}
	return fmt.Sprintf("%s per connection and direction, RTT %s (also on the TCP and TLS handshakes), index time %s + %s per MiB per upload, TLS 1.3 with a local CA, %s",
		bw, p.RTT, p.Fixed, p.PerMiB, proto)
}

// flags is the profile as command-line flags, for the reproduce line.
func (p wanProfile) flags() string {
	return fmt.Sprintf("-wan-bandwidth %s -wan-rtt %s -wan-fixed %s -wan-per-mib %s -wan-http2=%t",
		sizeFlag(int64(p.Bandwidth)), p.RTT, p.Fixed, p.PerMiB, p.HTTP2)
}

// localCA is a certificate authority made for one harness run, and the
// server certificate it issued for 127.0.0.1 and localhost. Clients trust it
// through CAFile: goreleaser-pypi via SSL_CERT_FILE (Go's crypto/x509 reads
// it on Linux instead of the system bundle), twine via REQUESTS_CA_BUNDLE,
// curl via --cacert.
type localCA struct {
	CAFile string
	server tls.Certificate
}

func newLocalCA(dir string) (*localCA, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "goreleaser-pypi bench CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	path := dir + "/wan-ca.pem"
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		return nil, err
	}
	return &localCA{CAFile: path, server: tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}}, nil
}

// wanStats counts what the clients did on the emulated path during a run.
type wanStats struct {
	Connections int64 // TCP connections accepted
	Resumed     int64 // TLS handshakes that resumed a session
	HTTP2       int64 // connections that negotiated h2
	Requests    int64
}

func (s wanStats) add(o wanStats) wanStats {
	return wanStats{Connections: s.Connections + o.Connections, Resumed: s.Resumed + o.Resumed, HTTP2: s.HTTP2 + o.HTTP2, Requests: s.Requests + o.Requests}
}

// wanProxy is the emulated path and CDN in front of the index: TLS
// terminated on the shaped connection, requests forwarded to the index
// (plain HTTP on loopback), and each upload's answer held back until the
// emulated processing time has passed.
type wanProxy struct {
	URL                          string // https://127.0.0.1:port
	profile                      wanProfile
	srv                          *http.Server
	ln                           net.Listener
	conns, resumed, h2, requests atomic.Int64
}

type uploadClockKey struct{}

// uploadClock records when the last byte of an upload's body was read.
type uploadClock struct {
	io.ReadCloser
	n    atomic.Int64
	done atomic.Int64 // unix nanoseconds; 0 until EOF
}

func (u *uploadClock) Read(p []byte) (int, error) {
	n, err := u.ReadCloser.Read(p)
	u.n.Add(int64(n))
	if err == io.EOF {
		u.done.CompareAndSwap(0, time.Now().UnixNano())
	}
	return n, err
}

// startWANProxy serves the emulated path on a loopback port and forwards to
// upstream.
func startWANProxy(upstream string, p wanProfile, ca *localCA) (*wanProxy, error) {
	target, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	w := &wanProxy{URL: "https://" + ln.Addr().String(), profile: p, ln: ln}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true},
		ModifyResponse: func(resp *http.Response) error {
			clock, _ := resp.Request.Context().Value(uploadClockKey{}).(*uploadClock)
			if clock == nil {
				return nil
			}
			from := time.Now()
			if done := clock.done.Load(); done != 0 {
				from = time.Unix(0, done)
			}
			wait := time.Until(from.Add(p.serverTime(clock.n.Load())))
			if wait <= 0 {
				return nil
			}
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-resp.Request.Context().Done():
				return resp.Request.Context().Err()
			}
		},
	}
	handler := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.requests.Add(1)
		if r.Method == http.MethodPost {
			clock := &uploadClock{ReadCloser: r.Body}
			r.Body = clock
			r = r.WithContext(context.WithValue(r.Context(), uploadClockKey{}, clock))
		}
		rp.ServeHTTP(rw, r)
	})
	protos := []string{"http/1.1"}
	if p.HTTP2 {
		protos = []string{"h2", "http/1.1"}
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{ca.server}, NextProtos: protos, MinVersion: tls.VersionTLS12}
	// Called after every handshake, full or resumed.
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if cs.DidResume {
			w.resumed.Add(1)
		}
		if cs.NegotiatedProtocol == "h2" {
			w.h2.Add(1)
		}
		return nil
	}
	w.srv = &http.Server{Handler: handler, TLSConfig: cfg, ReadHeaderTimeout: time.Minute}
	if !p.HTTP2 {
		w.srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	go w.srv.Serve(tls.NewListener(shapedListener{Listener: ln, profile: p, accepted: &w.conns}, cfg))
	return w, nil
}

func (w *wanProxy) stats() wanStats {
	return wanStats{Connections: w.conns.Load(), Resumed: w.resumed.Load(), HTTP2: w.h2.Load(), Requests: w.requests.Load()}
}

func (w *wanProxy) close() error { return w.srv.Close() }
