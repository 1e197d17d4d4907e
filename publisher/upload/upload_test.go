package upload

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/bytesize"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/retry"

	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caarlos0/log"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/plainlog"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// fastRetry keeps retry tests quick.
var fastRetry = retry.Policy{Attempts: 4, Delay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxElapsed: 10 * time.Second}

func newPublisher(t *testing.T, idx *fakeIndex, mod func(*Options)) (*Publisher, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	opts := Options{
		RepositoryURL: idx.repositoryURL(),
		Credentials:   credential.Static(idx.token, "test"),
		Retry:         fastRetry,
		Log:           plainlog.New(&logs),
	}
	if mod != nil {
		mod(&opts)
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return p, &logs
}

// release builds a release with a few wheels and an sdist.
func release(t *testing.T, name, version string, wheels int) []*dist.Distribution {
	dir := t.TempDir()
	var ds []*dist.Distribution
	fn := strings.ReplaceAll(dist.NormalizeName(name), "-", "_")
	// The sdist first: the uploader must still send wheels before it.
	ds = append(ds, makeDist(t, dir, fn+"-"+version+".tar.gz", name, version, []byte("sdist of "+name+version)))
	for i := range wheels {
		tag := fmt.Sprintf("cp3%d-cp3%d-manylinux_2_17_x86_64", 10+i, 10+i)
		ds = append(ds, makeDist(t, dir, fn+"-"+version+"-"+tag+".whl", name, version, bytes.Repeat([]byte{byte(i)}, 1000+i)))
	}
	return ds
}

func TestUploadStreamsEveryField(t *testing.T) {
	idx := newFakeIndex(t)
	p, _ := newPublisher(t, idx, nil)
	ds := release(t, "Demo.Pkg", "1.0", 2)
	rep, err := p.Upload(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	if s := summarize(rep); s.Uploaded != 3 || s.Failed != 0 {
		t.Fatalf("summary %+v", s)
	}
	if len(idx.files) != 3 {
		t.Fatalf("index holds %d files", len(idx.files))
	}
	for _, u := range idx.uploads {
		if u.contentLength <= 0 || len(u.transferEncoding) != 0 {
			t.Errorf("%s: Content-Length %d, Transfer-Encoding %v: want a known length, not chunked", u.filename, u.contentLength, u.transferEncoding)
		}
		if u.accept != "application/json" {
			t.Errorf("Accept %q", u.accept)
		}
		if last := u.fields[len(u.fields)-1]; last != "content" {
			t.Errorf("last part %q, want content", last)
		}
		if u.contentType != "application/octet-stream" {
			t.Errorf("content part type %q", u.contentType)
		}
		for _, f := range []string{":action", "protocol_version", "name", "version", "filetype", "pyversion", "metadata_version", "sha256_digest", "blake2_256_digest", "summary", "description"} {
			if len(u.values[f]) != 1 {
				t.Errorf("%s: field %s sent %d times", u.filename, f, len(u.values[f]))
			}
		}
		if got := u.values["classifiers"]; len(got) != 2 {
			t.Errorf("classifiers %q", got)
		}
		if u.values["name"][0] != "Demo.Pkg" || u.values[":action"][0] != "file_upload" || u.values["protocol_version"][0] != "1" {
			t.Errorf("identity fields %v", u.values)
		}
	}
	// Results follow the upload order: wheels, then the sdist.
	if rep[len(rep)-1].Dist.Type != dist.Sdist {
		t.Errorf("sdist not last: %+v", rep)
	}
	if got := ProjectURL(p.index, rep[0].Dist.Metadata.Name(), "1.0"); got != idx.srv.URL+"/project/demo-pkg/1.0/" {
		t.Errorf("release URL %s", got)
	}
}

func TestFormLengthIsExact(t *testing.T) {
	d := makeDist(t, t.TempDir(), "x-1.0-py3-none-any.whl", "x", "1.0", bytes.Repeat([]byte("ab"), 5000))
	f, err := newForm(d, "")
	if err != nil {
		t.Fatal(err)
	}
	body, err := f.open(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	b, _ := io.ReadAll(body)
	if int64(len(b)) != f.Len() {
		t.Fatalf("body is %d bytes, Len says %d", len(b), f.Len())
	}
	if !bytes.HasSuffix(b, []byte("--\r\n")) || !bytes.Contains(b, []byte(`filename="x-1.0-py3-none-any.whl"`)) {
		t.Fatalf("unexpected body tail %q", b[len(b)-80:])
	}
}

func TestWheelsFirstReleaseLeaderGatesConcurrencyBounded(t *testing.T) {
	idx := newFakeIndex(t)
	// The index takes a while over every file it stores, so overlaps are visible.
	idx.afterStore = func(w http.ResponseWriter, r *http.Request, n int) bool {
		time.Sleep(100 * time.Millisecond)
		return false
	}
	p, _ := newPublisher(t, idx, func(o *Options) { o.Concurrency = 3 })
	ds := release(t, "demo", "2.0", 5)
	// The smallest wheel leads, wherever it is given.
	ds[1], ds[5] = ds[5], ds[1]
	smallest := ds[5].Filename
	if _, err := p.Upload(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
	ups := idx.uploads
	if len(ups) != 6 {
		t.Fatalf("%d uploads", len(ups))
	}
	leader := ups[0]
	if leader.filename != smallest {
		t.Errorf("first upload %s, want the smallest wheel %s", leader.filename, smallest)
	}
	stored := idx.answered[leader.filename]
	overlapped := false
	for _, u := range ups[1:] {
		// No body completes before the release exists...
		if u.end.Before(stored) {
			t.Errorf("%s reached the index whole at %s, before the release's first file was stored (%s)", u.filename, u.end.Format(time.StampMicro), stored.Format(time.StampMicro))
		}
		// ...but the transfers start while the first file is processed.
		if u.start.Before(stored) {
			overlapped = true
		}
	}
	if !overlapped {
		t.Error("no follower was sent while the release's first file was processed")
	}
	if m := idx.maxFlight.Load(); m != 3 {
		t.Errorf("max uploads in flight %d, want 3", m)
	}
}

// TestRefusedLeaderPassesTheGate: when the release's first file is refused,
// the release does not exist yet, and the next file takes its place: still
// one complete body at a time until a file is stored.
func TestRefusedLeaderPassesTheGate(t *testing.T) {
	idx := newFakeIndex(t)
	// The first body to arrive whole (the leader's) is refused.
	var arrived atomic.Int64
	idx.beforeStore = func(w http.ResponseWriter, filename string) bool {
		if arrived.Add(1) == 1 {
			http.Error(w, "Invalid value for blake2_256_digest.", http.StatusBadRequest)
			return true
		}
		return false
	}
	idx.afterStore = func(w http.ResponseWriter, r *http.Request, n int) bool {
		time.Sleep(100 * time.Millisecond)
		return false
	}
	p, _ := newPublisher(t, idx, func(o *Options) { o.Concurrency = 4 })
	rep, err := p.Upload(context.Background(), release(t, "demo", "3.0", 3))
	if err == nil || !strings.Contains(err.Error(), "Invalid value for blake2_256_digest") {
		t.Fatalf("err %v", err)
	}
	if s := summarize(rep); s.Uploaded != 3 || s.Failed != 1 {
		t.Fatalf("%+v", s)
	}
	// The first stored file reached the index whole before any other; the
	// others only after it was stored.
	first := idx.uploads[0]
	for _, u := range idx.uploads[1:] {
		if u.end.Before(first.end) {
			first = u
		}
	}
	stored := idx.answered[first.filename]
	for _, u := range idx.uploads {
		if u.filename != first.filename && u.end.Before(stored) {
			t.Errorf("%s reached the index whole before the release existed (%s stored at %s)", u.filename, first.filename, stored.Format(time.StampMicro))
		}
	}
}

// TestWaitingAtTheGateIsNotAStall: a body held back while the release's
// first file is processed is not stalled, whatever the stall timeout.
func TestWaitingAtTheGateIsNotAStall(t *testing.T) {
	idx := newFakeIndex(t)
	// The first file stored (the leader: the others wait for it) takes a while.
	var stores atomic.Int64
	idx.afterStore = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if stores.Add(1) == 1 {
			time.Sleep(time.Second)
		}
		return false
	}
	p, logs := newPublisher(t, idx, func(o *Options) { o.Concurrency = 4; o.StallTimeout = 100 * time.Millisecond })
	rep, err := p.Upload(context.Background(), release(t, "demo", "4.0", 3))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep {
		if r.Attempts != 1 {
			t.Errorf("%s: %d attempts\n%s", r.Dist.Filename, r.Attempts, logs)
		}
	}
}

// TestInterruptedWhileHeldBackStoresNothing: a run cancelled while bodies
// wait at the gate cuts them short; the index stores none of them.
func TestInterruptedWhileHeldBackStoresNothing(t *testing.T) {
	idx := newFakeIndex(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stores atomic.Int64
	idx.afterStore = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if stores.Add(1) == 1 {
			// The leader is stored (the others wait for it) and the
			// others are on their way: stop the run before it is answered.
			deadline := time.Now().Add(5 * time.Second)
			for idx.inFlight.Load() < 4 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			time.Sleep(200 * time.Millisecond)
		}
		return false
	}
	p, _ := newPublisher(t, idx, func(o *Options) { o.Concurrency = 4 })
	rep, err := p.Upload(ctx, release(t, "demo", "5.0", 3))
	if err == nil {
		t.Fatal("no error")
	}
	if got := idx.inFlight.Load(); got != 0 {
		time.Sleep(200 * time.Millisecond) // let the handlers see the cut
	}
	idx.mu.Lock()
	n := len(idx.files)
	idx.mu.Unlock()
	if n != 1 {
		t.Errorf("the index stored %d files, want only the first one", n)
	}
	if s := summarize(rep); s.Failed != 4 {
		t.Errorf("%+v", s)
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(w http.ResponseWriter, r *http.Request)
	}{
		{"503", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		}},
		{"429 with Retry-After", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600") // capped at MaxDelay
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}},
		{"connection dropped mid-body", func(w http.ResponseWriter, r *http.Request) {
			io.CopyN(io.Discard, r.Body, 100)
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx := newFakeIndex(t)
			idx.before = func(w http.ResponseWriter, r *http.Request, n int) bool {
				if n <= 2 {
					tc.fault(w, r)
					return true
				}
				return false
			}
			p, logs := newPublisher(t, idx, nil)
			ds := release(t, "demo", "1.0", 0)
			start := time.Now()
			rep, err := p.Upload(context.Background(), ds)
			if err != nil {
				t.Fatal(err)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %s: Retry-After not capped?", time.Since(start))
			}
			if r := rep[0]; r.Status != StatusUploaded || r.Attempts != 3 {
				t.Errorf("result %+v", r)
			}
			if len(idx.files) != 1 {
				t.Errorf("index holds %d files", len(idx.files))
			}
			if !strings.Contains(logs.String(), "retrying") {
				t.Errorf("no retry logged:\n%s", logs)
			}
		})
	}
}

func TestGivesUpAfterAttempts(t *testing.T) {
	idx := newFakeIndex(t)
	idx.before = func(w http.ResponseWriter, r *http.Request, n int) bool {
		_, _ = io.Copy(io.Discard, r.Body) // as a real index: the body first, then the answer
		http.Error(w, "upstream down", http.StatusBadGateway)
		return true
	}
	p, _ := newPublisher(t, idx, nil)
	rep, err := p.Upload(context.Background(), release(t, "demo", "1.0", 0))
	if err == nil {
		t.Fatal("want an error")
	}
	r := rep[0]
	if r.Status != StatusFailed || r.Attempts != fastRetry.Attempts || idx.posts.Load() != int64(fastRetry.Attempts) {
		t.Fatalf("result %+v, posts %d", r, idx.posts.Load())
	}
	if !strings.Contains(r.ErrorText(), "gave up after 4 attempts") || !strings.Contains(r.ErrorText(), "502 upstream down") {
		t.Errorf("error %q", r.ErrorText())
	}
}

func TestNeverRetriesOther4xx(t *testing.T) {
	idx := newFakeIndex(t)
	idx.before = func(w http.ResponseWriter, r *http.Request, n int) bool {
		_, _ = io.Copy(io.Discard, r.Body) // as a real index: the body first, then the answer
		writeReason(w, http.StatusBadRequest, "'dog' is invalid for 'version'. See https://packaging.python.org/specifications/core-metadata for more information.")
		return true
	}
	p, _ := newPublisher(t, idx, nil)
	ds := release(t, "demo", "1.0", 0)
	rep, err := p.Upload(context.Background(), ds)
	if err == nil || idx.posts.Load() != 1 {
		t.Fatalf("err %v, posts %d", err, idx.posts.Load())
	}
	want := ds[0].Path + ": upload refused by " + idx.repositoryURL() + ": 400 'dog' is invalid for 'version'. See https://packaging.python.org/specifications/core-metadata for more information."
	if rep[0].ErrorText() != want {
		t.Errorf("error\n got %q\nwant %q", rep[0].ErrorText(), want)
	}
}

func TestLandedAttemptCountedOnce(t *testing.T) {
	for _, conflict := range []bool{false, true} {
		t.Run(map[bool]string{false: "index answers 200 to identical", true: "index answers 409 to identical"}[conflict], func(t *testing.T) {
			idx := newFakeIndex(t)
			idx.identicalIsConflict = conflict
			// The first attempt is stored, but its answer never arrives.
			idx.afterStore = func(w http.ResponseWriter, r *http.Request, n int) bool {
				if n == 1 {
					conn, _, _ := w.(http.Hijacker).Hijack()
					conn.Close()
					return true
				}
				return false
			}
			p, _ := newPublisher(t, idx, nil)
			rep, err := p.Upload(context.Background(), release(t, "demo", "1.0", 0))
			if err != nil {
				t.Fatal(err)
			}
			r := rep[0]
			if r.Status != StatusUploaded || r.Attempts != 2 {
				t.Errorf("result %+v", r)
			}
			if conflict && r.Reason != noteLanded {
				t.Errorf("reason %q", r.Reason)
			}
			if len(idx.files) != 1 {
				t.Errorf("index holds %d files", len(idx.files))
			}
		})
	}
}

func TestSkipExisting(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check func(idx *fakeIndex) string // the CheckURL
	}{
		{"JSON API", func(*fakeIndex) string { return "" }},
		{"simple JSON via check URL", func(idx *fakeIndex) string { return idx.srv.URL + "/simple/" }},
		{"simple HTML via check URL", func(idx *fakeIndex) string { return idx.srv.URL + "/simple/?html=1" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx := newFakeIndex(t)
			ds := release(t, "Demo_Pkg", "1.0", 2)
			p, _ := newPublisher(t, idx, nil)
			if _, err := p.Upload(context.Background(), ds); err != nil {
				t.Fatal(err)
			}
			posts := idx.posts.Load()

			p, logs := newPublisher(t, idx, func(o *Options) { o.SkipExisting = true; o.CheckURL = tc.check(idx) })
			rep, err := p.Upload(context.Background(), ds)
			if err != nil {
				t.Fatal(err)
			}
			if idx.posts.Load() != posts {
				t.Errorf("re-run uploaded %d files", idx.posts.Load()-posts)
			}
			for _, r := range rep {
				if r.Status != StatusSkipped || r.Reason != reasonIdentical {
					t.Errorf("%s: %s %q", r.Dist.Filename, r.Status, r.Reason)
				}
			}
			if !strings.Contains(logs.String(), "skipped") {
				t.Errorf("logs:\n%s", logs)
			}
			// One read per release, not per file.
			if n := len(idx.reads); n != 1 {
				t.Errorf("%d index reads: %v", n, idx.reads)
			}
		})
	}
}

func TestDifferentContentUnderExistingName(t *testing.T) {
	for _, skip := range []bool{true, false} {
		t.Run(map[bool]string{true: "skip-existing", false: "plain"}[skip], func(t *testing.T) {
			idx := newFakeIndex(t)
			dir := t.TempDir()
			old := makeDist(t, dir, "demo-1.0-py3-none-any.whl", "demo", "1.0", []byte("old content"))
			p, _ := newPublisher(t, idx, nil)
			if _, err := p.Upload(context.Background(), []*dist.Distribution{old}); err != nil {
				t.Fatal(err)
			}
			changed := makeDist(t, dir, "demo-1.0-py3-none-any.whl", "demo", "1.0", []byte("new content"))
			p, _ = newPublisher(t, idx, func(o *Options) { o.SkipExisting = skip })
			rep, err := p.Upload(context.Background(), []*dist.Distribution{changed})
			if err == nil {
				t.Fatal("want an error")
			}
			msg := rep[0].ErrorText()
			for _, want := range []string{changed.Path, "a different file named demo-1.0-py3-none-any.whl", changed.Digests.SHA256, old.Digests.SHA256, "never allows re-using a file name", "bump the version"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
			if skip && idx.posts.Load() != 1 {
				t.Errorf("skip-existing still uploaded the changed file")
			}
		})
	}
}

func TestAlreadyExistsWithoutReadableIndex(t *testing.T) {
	for _, skip := range []bool{true, false} {
		idx := newFakeIndex(t)
		idx.noReadAPI = true
		idx.identicalIsConflict = true
		ds := release(t, "demo", "1.0", 0)
		p, _ := newPublisher(t, idx, nil)
		if _, err := p.Upload(context.Background(), ds); err != nil {
			t.Fatal(err)
		}
		p, _ = newPublisher(t, idx, func(o *Options) { o.SkipExisting = skip })
		rep, err := p.Upload(context.Background(), ds)
		r := rep[0]
		if skip {
			if err != nil || r.Status != StatusSkipped || r.Reason != reasonTextExists {
				t.Errorf("skip: err %v, result %+v", err, r)
			}
		} else if err == nil || !strings.Contains(r.ErrorText(), "409 File already exists") || !strings.Contains(r.ErrorText(), "skip-existing") {
			t.Errorf("no skip: err %v, result %+v", err, r)
		}
	}
}

func TestRedirectIsNeverFollowed(t *testing.T) {
	var otherHits atomic.Int64
	var sawAuth atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		if r.Header.Get("Authorization") != "" {
			sawAuth.Store(true)
		}
	}))
	defer other.Close()

	idx := newFakeIndex(t)
	idx.before = func(w http.ResponseWriter, r *http.Request, n int) bool {
		_, _ = io.Copy(io.Discard, r.Body) // as a real index: the body first, then the answer
		http.Redirect(w, r, other.URL+"/legacy/", http.StatusTemporaryRedirect)
		return true
	}
	p, _ := newPublisher(t, idx, nil)
	rep, err := p.Upload(context.Background(), release(t, "demo", "1.0", 0))
	if err == nil {
		t.Fatal("want an error")
	}
	if otherHits.Load() != 0 || sawAuth.Load() {
		t.Fatalf("the redirect target got %d requests (auth: %v)", otherHits.Load(), sawAuth.Load())
	}
	if msg := rep[0].ErrorText(); !strings.Contains(msg, "the index answered 307 Temporary Redirect to "+other.URL+"/legacy/") {
		t.Errorf("error %q", msg)
	}
	if idx.posts.Load() != 1 {
		t.Errorf("%d posts: a redirect must not be retried", idx.posts.Load())
	}
}

func TestRedirectTrailingSlashHint(t *testing.T) {
	idx := newFakeIndex(t)
	idx.before = func(w http.ResponseWriter, r *http.Request, n int) bool { return false }
	mux := http.NewServeMux()
	mux.HandleFunc("/legacy", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/legacy/", http.StatusPermanentRedirect)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	p, err := New(Options{RepositoryURL: srv.URL + "/legacy", Credentials: credential.Static("pypi-x", "test"), Log: log.New(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := p.Upload(context.Background(), release(t, "demo", "1.0", 0))
	want := "the index answered 308 Permanent Redirect to " + srv.URL + "/legacy/: use the repository URL with a trailing slash: " + srv.URL + "/legacy/"
	if msg := rep[0].ErrorText(); !strings.Contains(msg, want) {
		t.Errorf("error\n got %q\nwant %q", msg, want)
	}
}

// countingTransport counts requests and sends none.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, io.EOF
}

func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	tr := &countingTransport{}
	for _, u := range []string{"http://upload.example.com/legacy/", "http://10.0.0.1/legacy/", "http://[2001:db8::1]/legacy/", "ftp://example.com/"} {
		_, err := New(Options{RepositoryURL: u, Credentials: credential.Static("pypi-x", "t"), Transport: tr})
		if err == nil || !strings.Contains(err.Error(), u) || (strings.HasPrefix(u, "http:") && !strings.Contains(err.Error(), "use https")) {
			t.Errorf("%s: err %v", u, err)
		}
	}
	_, err := New(Options{RepositoryURL: "https://example.com/legacy/", CheckURL: "http://example.com/simple/", Credentials: credential.Static("pypi-x", "t"), Transport: tr})
	if err == nil {
		t.Error("plain http check URL accepted")
	}
	if tr.n.Load() != 0 {
		t.Errorf("%d requests sent", tr.n.Load())
	}
	for _, u := range []string{"http://127.0.0.1:8080/legacy/", "http://localhost/legacy/", "http://[::1]:9/legacy/", "http://127.5.5.5/", "https://upload.pypi.org/legacy/"} {
		if _, err := New(Options{RepositoryURL: u, Credentials: credential.Static("pypi-x", "t"), Transport: tr}); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if _, err := New(Options{RepositoryURL: "https://__token__:pypi-secret@upload.pypi.org/legacy/", Credentials: credential.Static("pypi-x", "t")}); err == nil || strings.Contains(err.Error(), "pypi-secret") {
		t.Errorf("credentials in URL: %v", err)
	}
}

func TestExpiredTokenIsRenewedOnce(t *testing.T) {
	idx := newFakeIndex(t)
	idx.token = "pypi-fresh"
	idx.before = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if user, pass, _ := r.BasicAuth(); user == "__token__" && pass == "pypi-stale" {
			_, _ = io.Copy(io.Discard, r.Body) // Warehouse reads the form first
			writeReason(w, http.StatusForbidden, "Invalid API Token: token is expired")
			return true
		}
		return false
	}
	src := &rotatingSource{values: []string{"pypi-stale", "pypi-fresh"}}
	p, _ := newPublisher(t, idx, func(o *Options) { o.Credentials = src })
	rep, err := p.Upload(context.Background(), release(t, "demo", "1.0", 1))
	if err != nil {
		t.Fatal(err)
	}
	if src.invalidated != 1 {
		t.Errorf("invalidated %d times", src.invalidated)
	}
	if summarize(rep).Uploaded != 2 {
		t.Errorf("%+v", summarize(rep))
	}

	// A token that stays expired fails after one renewal, with the index's words.
	idx2 := newFakeIndex(t)
	idx2.before = func(w http.ResponseWriter, r *http.Request, n int) bool {
		_, _ = io.Copy(io.Discard, r.Body) // Warehouse reads the form first
		writeReason(w, http.StatusForbidden, "Invalid API Token: token is expired")
		return true
	}
	src2 := &rotatingSource{values: []string{"pypi-a", "pypi-b", "pypi-c"}}
	p2, _ := newPublisher(t, idx2, func(o *Options) { o.Credentials = src2 })
	rep2, err := p2.Upload(context.Background(), release(t, "demo", "1.0", 0))
	if err == nil || idx2.posts.Load() != 2 || !strings.Contains(rep2[0].ErrorText(), "403 Invalid API Token: token is expired") {
		t.Errorf("err %v, posts %d, %+v", err, idx2.posts.Load(), rep2[0])
	}
	if strings.Contains(rep2[0].ErrorText(), "pypi-") {
		t.Errorf("token leaked: %s", rep2[0].ErrorText())
	}
}

func TestCredentialFailureStopsTheRun(t *testing.T) {
	idx := newFakeIndex(t)
	src := credential.SourceFunc(func(context.Context) (*credential.Token, error) {
		return nil, io.ErrUnexpectedEOF
	})
	p, _ := newPublisher(t, idx, func(o *Options) { o.Credentials = src; o.Concurrency = 1 })
	rep, err := p.Upload(context.Background(), release(t, "demo", "1.0", 3))
	if err == nil || idx.posts.Load() != 0 {
		t.Fatalf("err %v, posts %d", err, idx.posts.Load())
	}
	if !strings.Contains(err.Error(), "no upload credentials: unexpected EOF") || !strings.Contains(err.Error(), "3 more file(s) not attempted") {
		t.Errorf("error: %v", err)
	}
	if summarize(rep).Failed != 4 {
		t.Errorf("%+v", summarize(rep))
	}
}

// Credentials the index refuses as such (not for one project) stop the
// run: the other files are not sent only to be refused the same way.
func TestRefusedCredentialsStopTheRun(t *testing.T) {
	for _, c := range []struct {
		name   string
		code   int
		reason string
		stops  bool
	}{
		{"unknown token", http.StatusForbidden, "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.", true},
		{"password", http.StatusForbidden, "Username/Password authentication is no longer supported. Migrate to API Tokens or Trusted Publishers instead. See https://pypi.org/help/#apitoken and https://pypi.org/help/#trusted-publishers", true},
		{"401", http.StatusUnauthorized, "Unauthorized", true},
		{"expired API token", http.StatusForbidden, "Invalid API Token: token is expired", true},
		{"one project", http.StatusForbidden, "The given token isn't allowed to upload to project 'demo'. See https://pypi.org/help/#project-name for more information.", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			idx := newFakeIndex(t)
			idx.before = func(w http.ResponseWriter, r *http.Request, n int) bool {
				_, _ = io.Copy(io.Discard, r.Body) // Warehouse reads the form first
				writeReason(w, c.code, c.reason)
				return true
			}
			p, _ := newPublisher(t, idx, func(o *Options) { o.Concurrency = 1 })
			rep, err := p.Upload(context.Background(), release(t, "demo", "1.0", 3))
			if err == nil || summarize(rep).Failed != 4 {
				t.Fatalf("err %v, %+v", err, summarize(rep))
			}
			if !strings.Contains(rep[0].ErrorText(), c.reason) && !strings.Contains(err.Error(), c.reason) {
				t.Errorf("the index's words are lost: %v", err)
			}
			want := int64(4)
			if c.stops {
				want = 1
				if !strings.Contains(err.Error(), "3 more file(s) not attempted") {
					t.Errorf("error: %v", err)
				}
			}
			if got := idx.posts.Load(); got != want {
				t.Errorf("%d uploads sent, want %d", got, want)
			}
		})
	}
}

func TestFailFast(t *testing.T) {
	idx := newFakeIndex(t)
	// Like Warehouse, the index reads the whole form before it answers.
	var whole atomic.Int64
	idx.before = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if _, err := io.Copy(io.Discard, r.Body); err == nil {
			whole.Add(1)
		}
		http.Error(w, "The user 'x' isn't allowed to upload to project 'demo'.", http.StatusForbidden)
		return true
	}
	p, _ := newPublisher(t, idx, func(o *Options) { o.FailFast = true })
	rep, err := p.Upload(context.Background(), release(t, "demo", "1.0", 3))
	// The others were on their way, their last bytes held back until the
	// release's first file was answered: cut short, never whole.
	if err == nil || whole.Load() != 1 {
		t.Fatalf("err %v, bodies sent whole %d", err, whole.Load())
	}
	if s := summarize(rep); s.Failed != 4 || rep.Count(StatusNotAttempted) != 3 {
		t.Errorf("%+v", s)
	}
	if !strings.Contains(err.Error(), "not attempted: stopped after the first failure") {
		t.Errorf("%v", err)
	}

	// Without fail-fast every file is tried.
	whole.Store(0)
	p, _ = newPublisher(t, idx, nil)
	if _, err := p.Upload(context.Background(), release(t, "demo", "1.0", 3)); err == nil || whole.Load() != 4 {
		t.Fatalf("err %v, bodies sent whole %d", err, whole.Load())
	}
}

func TestStalledUploadIsRetried(t *testing.T) {
	idx := newFakeIndex(t)
	release := make(chan struct{})
	idx.before = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			// Read nothing and hold the connection: the client's writes stop moving.
			select {
			case <-release:
			case <-time.After(10 * time.Second):
			}
			return true
		}
		return false
	}
	dir := t.TempDir()
	// Bigger than the socket buffers, so that the writes block.
	d := makeDist(t, dir, "demo-1.0-py3-none-any.whl", "demo", "1.0", bytes.Repeat([]byte("x"), 16<<20))
	// The stall timeout is well above any pause a loaded CI machine puts
	// into a moving upload, and well below the 10 s hold.
	p, _ := newPublisher(t, idx, func(o *Options) { o.StallTimeout = time.Second })
	start := time.Now()
	rep, err := p.Upload(context.Background(), []*dist.Distribution{d})
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	if rep[0].Attempts != 2 || time.Since(start) > 8*time.Second {
		t.Errorf("%+v after %s", rep[0], time.Since(start))
	}
}

func TestDryRunSendsNothing(t *testing.T) {
	idx := newFakeIndex(t)
	ds := release(t, "demo", "1.0", 1)
	p, _ := newPublisher(t, idx, nil)
	if _, err := p.Upload(context.Background(), ds[:1]); err != nil {
		t.Fatal(err)
	}
	p, logs := newPublisher(t, idx, func(o *Options) { o.DryRun = true; o.Credentials = nil })
	rep, err := p.Upload(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	if idx.posts.Load() != 1 {
		t.Errorf("dry run posted")
	}
	s := summarize(rep)
	if s.WouldUpload != 1 || s.Skipped != 1 {
		t.Errorf("%+v\n%s", s, logs)
	}
}

// TestMemoryDoesNotGrowWithFileSize uploads a 128 MiB file and checks that
// the client allocates a small fraction of it: the file is streamed.
func TestMemoryDoesNotGrowWithFileSize(t *testing.T) {
	if testing.Short() {
		t.Skip("large file")
	}
	idx := newFakeIndex(t)
	idx.discard = true
	dir := t.TempDir()
	path := filepath.Join(dir, "big-1.0-py3-none-any.whl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	const size = 128 << 20
	if err := f.Truncate(size); err != nil { // sparse: instant, reads as zeros
		t.Fatal(err)
	}
	f.Close()
	d := makeDist(t, dir, "small.whl", "big", "1.0", []byte("x"))
	d.Path, d.Filename, d.Size = path, "big-1.0-py3-none-any.whl", size
	p, _ := newPublisher(t, idx, nil)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rep, err := p.Upload(context.Background(), []*dist.Distribution{d})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if idx.uploads[0].contentLength < size {
		t.Errorf("content length %d", idx.uploads[0].contentLength)
	}
	// The fake server in this process allocates too; both stay far below the file size.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("allocated %s to upload %s", bytesize.Format(int64(alloc)), bytesize.Format(size))
	}
	_ = rep
}

// TestProgressLine draws progress for a large file and clears it at the end.
func TestProgressLine(t *testing.T) {
	idx := newFakeIndex(t)
	idx.discard = true
	idx.before = func(w http.ResponseWriter, r *http.Request, n int) bool {
		// Slow reader: the line gets drawn a few times.
		buf := make([]byte, 1<<20)
		for {
			time.Sleep(60 * time.Millisecond)
			if _, err := io.ReadFull(r.Body, buf); err != nil {
				return true
			}
		}
	}
	d := makeDist(t, t.TempDir(), "demo-1.0-py3-none-any.whl", "demo", "1.0", bytes.Repeat([]byte("y"), 8<<20))
	var term syncBuffer
	p, _ := newPublisher(t, idx, func(o *Options) { o.Progress = &term })
	if _, err := p.Upload(context.Background(), []*dist.Distribution{d}); err != nil {
		t.Fatal(err)
	}
	out := term.String()
	if !strings.Contains(out, "uploading 1 large file:") || !strings.HasSuffix(out, "\r\033[K") {
		t.Errorf("progress output %q", out)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestUploadOrderSmallestWheelLeads(t *testing.T) {
	dir := t.TempDir()
	mk := func(name, file string, size int) *dist.Distribution {
		return makeDist(t, dir, file, name, "1.0", bytes.Repeat([]byte("x"), size))
	}
	given := []*dist.Distribution{
		mk("a", "a-1.0.tar.gz", 10),
		mk("a", "a-1.0-cp311-cp311-win_amd64.whl", 3000),
		mk("b", "b-1.0-py3-none-any.whl", 2000),
		mk("a", "a-1.0-py3-none-any.whl", 1000),
		mk("c", "c-1.0.tar.gz", 10),
		mk("a", "a-1.0-cp312-cp312-win_amd64.whl", 500),
	}
	var got []string
	for _, d := range uploadOrder(given) {
		got = append(got, d.Filename)
	}
	want := []string{
		"a-1.0-cp312-cp312-win_amd64.whl", // a's smallest wheel leads a
		"a-1.0-cp311-cp311-win_amd64.whl",
		"b-1.0-py3-none-any.whl",
		"a-1.0-py3-none-any.whl",
		"a-1.0.tar.gz", // sdists after every wheel
		"c-1.0.tar.gz", // a release without wheels: as given
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("order\n got %v\nwant %v", got, want)
	}
}

// TestLongHoldSendsAgainLater: when the release's first file takes longer
// than maxHold, the others do not keep their connections open mid-body:
// they are cut off (the index never sees them whole) and sent again once
// it is answered, without counting an attempt.
func TestLongHoldSendsAgainLater(t *testing.T) {
	old := maxHold
	maxHold = 100 * time.Millisecond
	t.Cleanup(func() { maxHold = old })
	idx := newFakeIndex(t)
	var stores atomic.Int64
	idx.afterStore = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if stores.Add(1) == 1 {
			time.Sleep(600 * time.Millisecond)
		}
		return false
	}
	p, _ := newPublisher(t, idx, func(o *Options) { o.Concurrency = 4 })
	rep, err := p.Upload(context.Background(), release(t, "demo", "6.0", 3))
	if err != nil {
		t.Fatal(err)
	}
	leader := rep[0].Dist.Filename
	stored := idx.answered[leader]
	for _, r := range rep {
		if r.Status != StatusUploaded || r.Attempts != 1 {
			t.Errorf("%s: %s after %d attempts", r.Dist.Filename, r.Status, r.Attempts)
		}
	}
	for _, u := range idx.uploads {
		if u.filename != leader && u.end.Before(stored) {
			t.Errorf("%s reached the index whole before the release existed", u.filename)
		}
	}
	// Sent once cut off, once whole: more requests than files.
	if n := idx.posts.Load(); n <= 4 {
		t.Errorf("%d upload requests: the followers were not cut off and sent again", n)
	}
}
