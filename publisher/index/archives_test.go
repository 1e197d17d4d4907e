package index_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/index"
)

// Archives written member by member, to vary exactly one property of a
// real distribution: the encoding (timestamps, compression, order,
// ownership, format) or the contents.

const goodDir = "../../testdata/good"

// goodFile inspects a distribution of testdata/good (built by setuptools).
func goodFile(t *testing.T, name string) *dist.Distribution {
	t.Helper()
	d, problems, err := dist.Inspect(filepath.Join(goodDir, name), dist.Options{})
	if err != nil || len(problems) > 0 {
		t.Fatalf("inspecting %s: %v %v", name, err, problems)
	}
	return d
}

// zipEntry is one member as written to the central directory and the
// local header.
type zipEntry struct {
	Name     string
	Data     []byte
	Mode     uint32 // Unix mode (high 16 bits of the external attributes); 0 for none
	Stored   bool   // method 0 instead of deflate
	Level    int    // deflate level (0: flate.DefaultCompression)
	Modified time.Time
	Extra    []byte
	DOS      bool // created on MS-DOS (no Unix mode) instead of Unix
}

// zipEntries reads a real wheel's members.
func zipEntries(t *testing.T, path string) []zipEntry {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out []zipEntry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, zipEntry{Name: f.Name, Data: data, Mode: f.ExternalAttrs >> 16, Modified: f.Modified})
	}
	return out
}

// writeZip writes entries the way build backends do: sizes in the local
// headers, no data descriptors (which PyPI refuses).
func writeZip(t testing.TB, entries []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.Name, Modified: e.Modified, Extra: e.Extra, CRC32: crc32.ChecksumIEEE(e.Data), UncompressedSize64: uint64(len(e.Data))}
		if fh.Modified.IsZero() {
			fh.Modified = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		fh.CreatorVersion = 3<<8 | 20
		if e.DOS {
			fh.CreatorVersion = 20
		}
		fh.ExternalAttrs = e.Mode << 16
		data := e.Data
		if !e.Stored && !strings.HasSuffix(e.Name, "/") {
			fh.Method = zip.Deflate
			level := e.Level
			if level == 0 {
				level = flate.DefaultCompression
			}
			var c bytes.Buffer
			fw, _ := flate.NewWriter(&c, level)
			fw.Write(e.Data)
			fw.Close()
			data = c.Bytes()
		}
		fh.CompressedSize64 = uint64(len(data))
		w, err := zw.CreateRaw(fh)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tarEntry is one sdist member.
type tarEntry struct {
	Header tar.Header
	Data   []byte
}

func tarEntries(t *testing.T, path string) []tarEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out []tarEntry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{Header: *h, Data: data})
	}
}

func writeTarGz(t testing.TB, entries []tarEntry, level int, format tar.Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	gz.Name, gz.ModTime = "rebuilt.tar", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := e.Header
		h.Format = format
		h.Size = int64(len(e.Data))
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.Data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	gz.Close()
	return buf.Bytes()
}

// fileServer serves files by path on a loopback httptest server and
// records what each request carried.
type fileServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	seen  []*http.Request
}

func newFileServer(t *testing.T) *fileServer {
	fs := &fileServer{files: map[string][]byte{}}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *fileServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	fs.seen = append(fs.seen, r)
	data, ok := fs.files[r.URL.Path]
	fs.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

// put stores data and returns it as the index would list it.
func (fs *fileServer) put(path string, data []byte) index.RemoteFile {
	fs.mu.Lock()
	fs.files[path] = data
	fs.mu.Unlock()
	sum := sha256.Sum256(data)
	return index.RemoteFile{URL: fs.URL + path, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
}

func (fs *fileServer) requests() []*http.Request {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]*http.Request(nil), fs.seen...)
}
