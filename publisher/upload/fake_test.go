package upload

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/blake2b"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// makeDist writes a file and describes it the way dist.Check would.
func makeDist(t testing.TB, dir, filename, name, version string, content []byte) *dist.Distribution {
	t.Helper()
	path := filepath.Join(dir, filename)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	typ, py := dist.Wheel, "py3"
	if strings.HasSuffix(filename, ".tar.gz") {
		typ, py = dist.Sdist, "source"
	}
	s := sha256.Sum256(content)
	b := blake2b.Sum256(content)
	return &dist.Distribution{
		Path:      path,
		Filename:  filename,
		Type:      typ,
		Size:      int64(len(content)),
		PyVersion: py,
		Metadata: &dist.Metadata{
			Headers: []dist.Header{
				{Name: "Metadata-Version", Value: "2.1"},
				{Name: "Name", Value: name},
				{Name: "Version", Value: version},
				{Name: "Summary", Value: "A test package"},
				{Name: "Classifier", Value: "Programming Language :: Python :: 3"},
				{Name: "Classifier", Value: "License :: OSI Approved :: MIT License"},
			},
			Body: "# Test\n\nA description.\n",
		},
		Digests: dist.Digests{SHA256: hex.EncodeToString(s[:]), BLAKE2b256: hex.EncodeToString(b[:])},
	}
}

// stored is a file the fake index holds.
type stored struct {
	name, version, filename, sha256 string
	size                            int64
}

// upload is what the fake index saw of one upload request.
type seenUpload struct {
	contentLength    int64
	transferEncoding []string
	auth             string
	accept           string
	fields           []string // field names in order, "content" included
	values           map[string][]string
	contentType      string // of the content part
	filename         string
	start, end       time.Time
}

// fakeIndex is a small Warehouse stand-in: enough of the upload endpoint and
// the read APIs to test the client's side of the protocol in isolation.
type fakeIndex struct {
	t   *testing.T
	srv *httptest.Server
	// token the index accepts
	token string
	// identicalIsConflict answers 409 to a re-upload of the same file
	// (pypiserver) instead of Warehouse's 200.
	identicalIsConflict bool
	// noReadAPI makes the JSON and simple APIs answer 404.
	noReadAPI bool
	// before may answer an upload first (fault injection); it returns true
	// when it did. n counts upload requests, from 1.
	before func(w http.ResponseWriter, r *http.Request, n int) bool
	// beforeStore may answer an upload whose body was read whole, before
	// it is checked and stored; it returns true when it did.
	beforeStore func(w http.ResponseWriter, filename string) bool
	// afterStore may replace the normal 200 after a successful store.
	afterStore func(w http.ResponseWriter, r *http.Request, n int) bool
	// discard skips multipart parsing and digest checks (memory tests).
	discard bool

	requests  atomic.Int64 // every request
	posts     atomic.Int64
	inFlight  atomic.Int64
	maxFlight atomic.Int64
	mu        sync.Mutex
	files     map[string]stored
	uploads   []seenUpload
	reads     []string
	// answered is when the index answered an upload whose body it read
	// whole, by file name (the last answer when sent more than once).
	answered map[string]time.Time
}

func newFakeIndex(t *testing.T) *fakeIndex {
	f := &fakeIndex{t: t, token: "pypi-test-token", files: map[string]stored{}, answered: map[string]time.Time{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIndex) repositoryURL() string { return f.srv.URL + "/legacy/" }

func (f *fakeIndex) serve(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/legacy/":
		f.handleUpload(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/pypi/"):
		f.mu.Lock()
		f.reads = append(f.reads, r.URL.Path)
		f.mu.Unlock()
		f.handleJSON(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/simple/"):
		f.mu.Lock()
		f.reads = append(f.reads, r.URL.Path)
		f.mu.Unlock()
		f.handleSimple(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeIndex) handleUpload(w http.ResponseWriter, r *http.Request) {
	n := int(f.posts.Add(1))
	cur := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxFlight.Load()
		if cur <= m || f.maxFlight.CompareAndSwap(m, cur) {
			break
		}
	}
	if f.before != nil && f.before(w, r, n) {
		return
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("__token__:"+f.token))
	if r.Header.Get("Authorization") != want {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"message":"Invalid or non-existent authentication information.","code":"403 Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.","title":"Forbidden"}`)
		return
	}
	seen := seenUpload{
		contentLength:    r.ContentLength,
		transferEncoding: r.TransferEncoding,
		auth:             r.Header.Get("Authorization"),
		accept:           r.Header.Get("Accept"),
		values:           map[string][]string{},
		start:            time.Now(),
	}
	if f.discard {
		io.Copy(io.Discard, r.Body)
		seen.end = time.Now()
		f.mu.Lock()
		f.uploads = append(f.uploads, seen)
		f.mu.Unlock()
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return
	}
	var sum string
	var size int64
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
			return
		}
		name := part.FormName()
		seen.fields = append(seen.fields, name)
		if name == "content" {
			seen.filename = part.FileName()
			seen.contentType = part.Header.Get("Content-Type")
			h := sha256.New()
			size, err = io.Copy(h, part)
			if err != nil {
				return // connection dropped
			}
			sum = hex.EncodeToString(h.Sum(nil))
			continue
		}
		b, _ := io.ReadAll(part)
		seen.values[name] = append(seen.values[name], string(b))
	}
	seen.end = time.Now()
	f.mu.Lock()
	f.uploads = append(f.uploads, seen)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.answered[seen.filename] = time.Now()
		f.mu.Unlock()
	}()
	if f.beforeStore != nil && f.beforeStore(w, seen.filename) {
		return
	}
	if sum != seen.values["sha256_digest"][0] {
		reason := "The digest supplied does not match a digest calculated from the uploaded file."
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"message": reason, "code": "400 " + reason, "title": "Bad Request"})
		return
	}
	f.mu.Lock()
	old, exists := f.files[seen.filename]
	if !exists {
		f.files[seen.filename] = stored{name: seen.values["name"][0], version: seen.values["version"][0], filename: seen.filename, sha256: sum, size: size}
	}
	f.mu.Unlock()
	if exists && (old.sha256 != sum || f.identicalIsConflict) {
		if f.identicalIsConflict {
			http.Error(w, "File already exists", http.StatusConflict)
			return
		}
		reason := fmt.Sprintf("File already exists ('%s', with blake2_256 hash '%s'). See https://pypi.org/help/#file-name-reuse for more information.", seen.filename, seen.values["blake2_256_digest"][0])
		writeReason(w, http.StatusBadRequest, reason)
		return
	}
	if f.afterStore != nil && f.afterStore(w, r, n) {
		return
	}
}

// writeReason answers like Warehouse: the message in the reason phrase and an HTML body.
func writeReason(w http.ResponseWriter, code int, reason string) {
	// net/http cannot set a custom reason phrase; hijack to write the raw status line.
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, reason, code)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	body := "<html>\n <head>\n  <title>" + fmt.Sprint(code) + " " + reason + "</title>\n </head>\n <body>\n  <h1>" + fmt.Sprint(code) + " " + reason + "</h1>\n  " + reason + "\n </body>\n</html>"
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", code, reason, len(body), body)
	buf.Flush()
}

func (f *fakeIndex) list(name, version string) []stored {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []stored
	for _, s := range f.files {
		if dist.NormalizeName(s.name) == dist.NormalizeName(name) && (version == "" || s.version == version) {
			out = append(out, s)
		}
	}
	return out
}

func (f *fakeIndex) handleJSON(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if f.noReadAPI || len(parts) != 4 || parts[3] != "json" {
		http.NotFound(w, r)
		return
	}
	files := f.list(parts[1], parts[2])
	if len(files) == 0 {
		http.NotFound(w, r)
		return
	}
	type u struct {
		Filename string            `json:"filename"`
		Digests  map[string]string `json:"digests"`
		Size     int64             `json:"size"`
	}
	var urls []u
	for _, s := range files {
		urls = append(urls, u{s.filename, map[string]string{"sha256": s.sha256}, s.size})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"info": map[string]string{"name": parts[1], "version": parts[2]}, "urls": urls})
}

func (f *fakeIndex) handleSimple(w http.ResponseWriter, r *http.Request) {
	name := strings.Trim(strings.TrimPrefix(r.URL.Path, "/simple/"), "/")
	files := f.list(name, "")
	if f.noReadAPI || len(files) == 0 {
		http.NotFound(w, r)
		return
	}
	if strings.Contains(r.Header.Get("Accept"), "application/vnd.pypi.simple.v1+json") && r.URL.Query().Get("html") == "" {
		type file struct {
			Filename string            `json:"filename"`
			URL      string            `json:"url"`
			Hashes   map[string]string `json:"hashes"`
		}
		var fs []file
		for _, s := range files {
			fs = append(fs, file{s.filename, "../../files/" + s.filename, map[string]string{"sha256": s.sha256}})
		}
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		json.NewEncoder(w).Encode(map[string]any{"meta": map[string]string{"api-version": "1.1"}, "name": name, "files": fs})
		return
	}
	w.Header().Set("Content-Type", "text/html")
	fmt.Fprintf(w, "<!DOCTYPE html><html><body><h1>Links for %s</h1>\n", name)
	for _, s := range files {
		fmt.Fprintf(w, "<a href=\"../../files/%s#sha256=%s\">%s</a><br/>\n", s.filename, s.sha256, s.filename)
	}
	fmt.Fprint(w, "</body></html>")
}

// rotatingSource hands out values in turn, moving on only when the current
// token is invalidated, like a caching trusted-publishing source.
type rotatingSource struct {
	mu          sync.Mutex
	values      []string
	next        int
	calls       int
	invalidated int
	cur         *credential.Token
}

func (s *rotatingSource) Token(context.Context) (*credential.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.cur == nil {
		if s.next >= len(s.values) {
			return nil, errors.New("no more tokens")
		}
		s.cur = credential.NewToken(s.values[s.next], "test", time.Time{})
		s.next++
	}
	return s.cur, nil
}

func (s *rotatingSource) Invalidate(t *credential.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil && t.Secret() == s.cur.Secret() {
		s.cur = nil
		s.invalidated++
	}
}
