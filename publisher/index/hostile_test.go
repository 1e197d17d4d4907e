package index_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"hash/crc32"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/index"
)

// Index copies that are broken or hostile: each is a clear error, never a
// verdict, and memory stays flat however much they would decompress to.

const bombSize = 128 << 20 // decompressed; well past dist's 64 MiB floor

// deflatedZeros is a deflate stream of prefix then n zero bytes (n a
// multiple of 1 MiB), made of independently compressed pieces so that
// building a bomb costs compressing 1 MiB, not n.
func deflatedZeros(prefix []byte, n int, suffix []byte) []byte {
	piece := func(b []byte) []byte {
		var c bytes.Buffer
		fw, _ := flate.NewWriter(&c, flate.BestCompression)
		fw.Write(b)
		fw.Flush() // a non-final, byte-aligned run of blocks with no reference before it
		return c.Bytes()
	}
	var out bytes.Buffer
	if len(prefix) > 0 {
		out.Write(piece(prefix))
	}
	chunk := piece(make([]byte, 1<<20))
	for range n >> 20 {
		out.Write(chunk)
	}
	if len(suffix) > 0 {
		out.Write(piece(suffix))
	}
	fw, _ := flate.NewWriter(&out, flate.NoCompression)
	fw.Close() // the final, empty block
	return out.Bytes()
}

func zerosCRC(crc uint32, n int) uint32 {
	chunk := make([]byte, 1<<20)
	for left := n; left > 0; left -= len(chunk) {
		crc = crc32.Update(crc, crc32.IEEETable, chunk[:min(len(chunk), left)])
	}
	return crc
}

// bombWheel is a wheel with one member of bombSize zeros whose headers
// declare declared bytes.
func bombWheel(t testing.TB, declared int) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	data := deflatedZeros(nil, bombSize, nil)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "tinyutil/zeros.bin", Method: zip.Deflate, CRC32: zerosCRC(0, declared),
		CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(declared), CreatorVersion: 3<<8 | 20, ExternalAttrs: 0o100644 << 16})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bombSdist is a .tar.gz holding one member of bombSize zeros.
func bombSdist(t testing.TB) []byte {
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	if err := tw.WriteHeader(&tar.Header{Name: "tinyutil-0.1.0/zeros.bin", Typeflag: tar.TypeReg, Mode: 0o644, Size: bombSize}); err != nil {
		t.Fatal(err)
	}
	tw.Flush()
	end := make([]byte, 1024) // the two zero blocks that end a tar
	var out bytes.Buffer
	out.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	out.Write(deflatedZeros(hdr.Bytes(), bombSize, end))
	crc := zerosCRC(crc32.ChecksumIEEE(hdr.Bytes()), bombSize+len(end))
	size := uint32(hdr.Len() + bombSize + len(end))
	out.Write([]byte{byte(crc), byte(crc >> 8), byte(crc >> 16), byte(crc >> 24), byte(size), byte(size >> 8), byte(size >> 16), byte(size >> 24)})
	return out.Bytes()
}

// allocated runs f and returns the bytes it allocated (TotalAlloc, which
// counts every allocation, so a buffered member would show).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

const flatMemory = 8 << 20

func TestHostileArchives(t *testing.T) {
	wheel, sdist := goodFile(t, tinyWheel), goodFile(t, tinySdist)
	srv := newFileServer(t)
	traversal := writeTarGz(t, []tarEntry{
		{Header: tar.Header{Name: "tinyutil-0.1.0/PKG-INFO", Typeflag: tar.TypeReg, Mode: 0o644}, Data: []byte("Metadata-Version: 2.1\n")},
		{Header: tar.Header{Name: "tinyutil-0.1.0/../../evil.py", Typeflag: tar.TypeReg, Mode: 0o644}, Data: []byte("import os\n")},
	}, gzip.DefaultCompression, tar.FormatPAX)
	escape := writeTarGz(t, []tarEntry{
		{Header: tar.Header{Name: "tinyutil-0.1.0/passwd", Typeflag: tar.TypeSymlink, Linkname: "../../../etc/passwd", Mode: 0o777}},
	}, gzip.DefaultCompression, tar.FormatPAX)
	zipTraversal := writeZip(t, []zipEntry{{Name: "../tinyutil/__init__.py", Data: []byte("x"), Mode: 0o100644}})
	cases := []struct {
		name  string
		local *dist.Distribution
		data  []byte
		rule  string
		text  string
	}{
		{"zip bomb", wheel, bombWheel(t, bombSize), dist.RuleCompressionRatio, "compression ratio"},
		{"zip bomb declaring less", wheel, bombWheel(t, 1000), dist.RuleArchive, `member "tinyutil/zeros.bin" decompresses to 1001 bytes, not the 1000`},
		{"tar.gz bomb", sdist, bombSdist(t), dist.RuleCompressionRatio, "refusing to decompress further"},
		{"tar path traversal", sdist, traversal, dist.RuleArchivePath, `member "tinyutil-0.1.0/../../evil.py" contains ".."`},
		{"tar symlink escape", sdist, escape, dist.RuleArchivePath, `symlink "tinyutil-0.1.0/passwd" points to "../../../etc/passwd"`},
		{"zip path traversal", wheel, zipTraversal, dist.RuleArchivePath, `contains ".."`},
		{"not an archive", wheel, []byte("<html>maintenance</html>"), dist.RuleZipStructure, "File is not a zipfile"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			remote := srv.put("/h/"+strings.ReplaceAll(c.name, " ", "-")+"/"+c.local.Filename, c.data)
			var v index.Verdict
			var err error
			n := allocated(func() { v, err = index.Compare(context.Background(), nil, c.local, remote, index.Options{}) })
			t.Log(err)
			var ae *dist.ArchiveError
			if !errors.As(err, &ae) || ae.Problems[0].Rule != c.rule {
				t.Fatalf("want a %s *dist.ArchiveError, got %v", c.rule, err)
			}
			for _, want := range []string{c.local.Path, "the index's copy of " + c.local.Filename, remote.URL, "cannot be compared", c.text, "bump the version"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if v.Same || v.Difference != nil {
				t.Errorf("a verdict came with the error: %s", v)
			}
			t.Logf("%d-byte copy: %.1f MiB allocated", len(c.data), float64(n)/(1<<20))
			if n > flatMemory {
				t.Errorf("comparing a %d-byte copy allocated %d MiB", len(c.data), n>>20)
			}
		})
	}
}

func TestDownloadLimits(t *testing.T) {
	wheel := goodFile(t, tinyWheel)
	srv := newFileServer(t)
	big := bytes.Repeat([]byte("x"), 256<<10)
	opts := index.Options{MaxFileSize: 64 << 10}

	t.Run("listed size over the limit: nothing is requested", func(t *testing.T) {
		remote := srv.put("/l/listed/"+tinyWheel, big)
		before := len(srv.requests())
		_, err := index.Compare(context.Background(), nil, wheel, remote, opts)
		if err == nil || !strings.Contains(err.Error(), "more than the 65536-byte limit") {
			t.Fatalf("got %v", err)
		}
		if len(srv.requests()) != before {
			t.Error("the file was requested")
		}
	})
	t.Run("declared length over the limit", func(t *testing.T) {
		remote := srv.put("/l/declared/"+tinyWheel, big)
		remote.Size = 0 // a PEP 503 page lists no size
		_, err := index.Compare(context.Background(), nil, wheel, remote, opts)
		if err == nil || !strings.Contains(err.Error(), "the answer is 262144 bytes, more than the 65536-byte limit") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("streamed past the limit", func(t *testing.T) {
		chunked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for range 16 { // no Content-Length: 16 flushed chunks
				w.Write(big[:32<<10])
				w.(http.Flusher).Flush()
			}
		}))
		defer chunked.Close()
		remote := index.RemoteFile{URL: chunked.URL + "/" + tinyWheel, SHA256: strings.Repeat("ab", 32)}
		var err error
		n := allocated(func() { _, err = index.Compare(context.Background(), nil, wheel, remote, opts) })
		if err == nil || !strings.Contains(err.Error(), "larger than the 65536-byte limit") {
			t.Fatalf("got %v", err)
		}
		if n > flatMemory {
			t.Errorf("allocated %d MiB", n>>20)
		}
	})
	t.Run("sha256 mismatch", func(t *testing.T) {
		remote := srv.put("/l/sha/"+tinyWheel, reencodedWheel(t, nil))
		remote.SHA256 = strings.Repeat("0", 64)
		_, err := index.Compare(context.Background(), nil, wheel, remote, index.Options{})
		var ie *index.IntegrityError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "where the index lists sha256 "+remote.SHA256) {
			t.Fatalf("want an *index.IntegrityError, got %v", err)
		}
	})
	t.Run("size mismatch", func(t *testing.T) {
		remote := srv.put("/l/size/"+tinyWheel, reencodedWheel(t, nil))
		remote.Size++
		_, err := index.Compare(context.Background(), nil, wheel, remote, index.Options{})
		var ie *index.IntegrityError
		if !errors.As(err, &ie) {
			t.Fatalf("want an *index.IntegrityError, got %v", err)
		}
	})
	t.Run("no sha256 listed", func(t *testing.T) {
		remote := srv.put("/l/nosha/"+tinyWheel, reencodedWheel(t, nil))
		remote.SHA256 = ""
		_, err := index.Compare(context.Background(), nil, wheel, remote, index.Options{})
		if err == nil || !strings.Contains(err.Error(), "without a valid sha256") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("not found", func(t *testing.T) {
		remote := srv.put("/l/gone/"+tinyWheel, nil)
		remote.URL = srv.URL + "/l/elsewhere/" + tinyWheel
		_, err := index.Compare(context.Background(), nil, wheel, remote, index.Options{})
		if err == nil || !strings.Contains(err.Error(), "the server answered 404 Not Found") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}))
		defer slow.Close()
		remote := index.RemoteFile{URL: slow.URL + "/" + tinyWheel, SHA256: strings.Repeat("ab", 32)}
		start := time.Now()
		_, err := index.Compare(context.Background(), nil, wheel, remote, index.Options{Timeout: 200 * time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), "no complete answer within 200ms") || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v", err)
		}
		if time.Since(start) > 5*time.Second {
			t.Error("the timeout did not stop the download")
		}
	})
}

func TestTransportRule(t *testing.T) {
	wheel := goodFile(t, tinyWheel)
	srv := newFileServer(t)
	good := srv.put("/t/"+tinyWheel, reencodedWheel(t, nil))

	// https redirecting down to plain http, even to loopback: refused.
	tlsSrv := httptest.NewTLSServer(http.RedirectHandler(good.URL, http.StatusFound))
	defer tlsSrv.Close()
	remote := good
	remote.URL = tlsSrv.URL + "/t/" + tinyWheel
	_, err := index.Compare(context.Background(), tlsSrv.Client(), wheel, remote, index.Options{})
	if err == nil || !strings.Contains(err.Error(), "refusing a redirect from https down to plain http") {
		t.Fatalf("https → http redirect: %v", err)
	}
	if len(srv.requests()) != 0 {
		t.Error("the plain http target was requested")
	}

	// https to https is followed, and carries no credentials or cookies
	// even when the client has some for the host.
	tlsFiles := httptest.NewTLSServer(http.HandlerFunc(srv.serve))
	defer tlsFiles.Close()
	hop := httptest.NewTLSServer(http.RedirectHandler(tlsFiles.URL+"/t/"+tinyWheel, http.StatusMovedPermanently))
	defer hop.Close()
	client := tlsFiles.Client()
	client.Jar, _ = cookiejar.New(nil)
	for _, s := range []*httptest.Server{hop, tlsFiles} {
		u, _ := url.Parse(s.URL)
		client.Jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: "secret"}})
	}
	remote.URL = hop.URL + "/t/" + tinyWheel
	v, err := index.Compare(context.Background(), client, wheel, remote, index.Options{})
	if err != nil || !v.Same {
		t.Fatalf("https → https redirect: %s, %v", v, err)
	}
	for _, r := range srv.requests() {
		if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
			t.Errorf("the download carried credentials: %v", r.Header)
		}
		if r.Header.Get("Accept-Encoding") != "identity" {
			t.Errorf("Accept-Encoding %q: the file must arrive as stored", r.Header.Get("Accept-Encoding"))
		}
	}
	if client.Jar == nil || client.CheckRedirect != nil {
		t.Error("Compare changed the caller's client")
	}

	// Plain http off loopback, as listed or as a redirect target: refused
	// before any request leaves.
	for _, listed := range []string{"http://files.example.org/t/" + tinyWheel, "ftp://127.0.0.1/" + tinyWheel, "https://user:pw@files.example.org/" + tinyWheel} {
		remote.URL = listed
		_, err := index.Compare(context.Background(), nil, wheel, remote, index.Options{})
		if err == nil || !strings.Contains(err.Error(), "refusing") || strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: %v", listed, err)
		}
	}
	offLoopback := httptest.NewServer(http.RedirectHandler("http://files.example.org/t/"+tinyWheel, http.StatusFound))
	defer offLoopback.Close()
	remote.URL = offLoopback.URL + "/t/" + tinyWheel
	_, err = index.Compare(context.Background(), nil, wheel, remote, index.Options{})
	if err == nil || !strings.Contains(err.Error(), "refusing plain http to http://files.example.org/") {
		t.Errorf("redirect off loopback: %v", err)
	}
	// A signed URL's query never appears in an error.
	remote.URL = srv.URL + "/missing/" + tinyWheel + "?X-Amz-Signature=topsecret"
	if _, err = index.Compare(context.Background(), nil, wheel, remote, index.Options{}); err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("signed URL: %v", err)
	}
}
