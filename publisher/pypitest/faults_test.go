package pypitest

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
)

func tinyutilRequest(t *testing.T, srv *Server, sdist bool) uploadRequest {
	path, data := tinyutil(t, sdist)
	return uploadRequest{url: srv.RepositoryURL, token: testToken, fields: formFor(t, path), filename: filepath.Base(path), content: data}
}

func TestFaultStatusThenRecovery(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	srv.Faults().Next(2, Fault{Status: http.StatusServiceUnavailable, RetryAfter: "2"})
	r := tinyutilRequest(t, srv, false)
	for i := 0; i < 2; i++ {
		got := r.send(t)
		if got.status != 503 || got.header.Get("Retry-After") != "2" {
			t.Fatalf("attempt %d: %d %v", i, got.status, got.header)
		}
	}
	wantReply(t, r.send(t), 200, "OK")
	if total, perFile := srv.UploadAttempts(); total != 3 || perFile[r.filename] != 3 {
		t.Fatalf("attempts %d %v", total, perFile)
	}
}

func TestFaultMessageInReason(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	srv.Faults().Next(1, Fault{Status: http.StatusTooManyRequests, Message: "Too many uploads, slow down.", RetryAfter: "1"})
	got := tinyutilRequest(t, srv, false).send(t)
	if got.status != 429 || got.reason != "Too many uploads, slow down." || got.header.Get("Retry-After") != "1" {
		t.Fatalf("%d %q %v", got.status, got.reason, got.header)
	}
}

func TestFaultDropMidBody(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	srv.Faults().Next(1, Fault{Drop: true, DropAfter: 300})
	r := tinyutilRequest(t, srv, false)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range r.fields {
		_ = mw.WriteField(f.Name, f.Value)
	}
	fw, _ := mw.CreateFormFile("content", r.filename)
	_, _ = fw.Write(r.content)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.RepositoryURL, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", basicToken(testToken))
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("the connection should have been dropped, got %s", resp.Status)
	}
	if len(srv.Files()) != 0 {
		t.Fatal("a dropped upload was stored")
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Status != 0 {
		t.Fatalf("requests %+v", reqs)
	}
	wantReply(t, r.send(t), 200, "OK")
}

func TestFaultDelay(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	srv.Faults().Next(1, Fault{Delay: 300 * time.Millisecond})
	start := time.Now()
	wantReply(t, tinyutilRequest(t, srv, false).send(t), 200, "OK")
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("answered after %v", d)
	}
}

func TestFaultRedirect(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	srv.Faults().Next(1, Fault{RedirectTo: "http://127.0.0.1:1/elsewhere/", Status: http.StatusPermanentRedirect})
	got := tinyutilRequest(t, srv, false).send(t)
	if got.status != 308 || got.header.Get("Location") != "http://127.0.0.1:1/elsewhere/" || len(srv.Files()) != 0 {
		t.Fatalf("%d %v", got.status, got.header)
	}
}

func TestFaultHTMLErrorPage(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	srv.Faults().Next(1, Fault{Status: http.StatusBadGateway, HTML: true})
	got := tinyutilRequest(t, srv, false).send(t)
	if got.status != 502 || got.reason != "Bad Gateway" || got.header.Get("Content-Type") != "text/html" || !strings.Contains(got.body, "<h1>502 Bad Gateway</h1>") {
		t.Fatalf("%d %q %q", got.status, got.reason, got.body)
	}
}

func TestFaultAcceptThenFail(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	srv.Faults().Next(1, Fault{AcceptThenFail: true})
	r := tinyutilRequest(t, srv, false)
	if got := r.send(t); got.status != 503 {
		t.Fatalf("got %d", got.status)
	}
	if _, ok := srv.File(r.filename); !ok {
		t.Fatal("the upload should have landed")
	}
	wantReply(t, r.send(t), 200, "OK") // the retry finds an identical file
	if len(srv.Files()) != 1 {
		t.Fatal("the retry stored a second file")
	}
}

func TestFaultHugeBody(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	srv.Faults().Next(1, Fault{Status: 500, HugeBody: 8 << 20})
	got := tinyutilRequest(t, srv, false).send(t)
	if got.status != 500 || len(got.body) != 8<<20 {
		t.Fatalf("%d, %d bytes", got.status, len(got.body))
	}
}

func TestFaultForFile(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	srv.Faults().ForFile("tinyutil-0.1.0.tar.gz", -1, Fault{Status: 500})
	wantReply(t, tinyutilRequest(t, srv, false).send(t), 200, "OK")
	for i := 0; i < 3; i++ {
		if got := tinyutilRequest(t, srv, true).send(t); got.status != 500 {
			t.Fatalf("sdist attempt %d: %d", i, got.status)
		}
	}
	srv.Faults().Clear()
	wantReply(t, tinyutilRequest(t, srv, true).send(t), 200, "OK")
}

func TestFaultOnOtherPaths(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	wantReply(t, tinyutilRequest(t, srv, false).send(t), 200, "OK")
	srv.Faults().Next(1, Fault{Path: "/simple/", Status: 503})
	srv.Faults().Next(1, Fault{Path: "/_/oidc/audience", Drop: true})
	if resp, _ := get(t, srv.SimpleURL+"tinyutil/", ""); resp.StatusCode != 503 {
		t.Fatalf("simple: %d", resp.StatusCode)
	}
	if resp, _ := get(t, srv.SimpleURL+"tinyutil/", ""); resp.StatusCode != 200 {
		t.Fatalf("simple after the fault: %d", resp.StatusCode)
	}
	// A fresh connection: Go retries a GET whose reused connection closes.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if _, err := fresh.Get(srv.URL + "/_/oidc/audience"); err == nil {
		t.Fatal("audience: the connection should have been dropped")
	}
}

func TestConcurrentUploads(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	var wg sync.WaitGroup
	errs := make(chan string, 32)
	dir := t.TempDir()
	for i := 0; i < 8; i++ {
		path, err := wheelgen.Write(dir, wheelgen.Spec{Name: "concurrent", Version: fmt.Sprintf("1.%d", i), Size: 256 << 10, Seed: int64(i)})
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 2; j++ { // each file twice, at the same time
			wg.Add(1)
			go func() {
				defer wg.Done()
				got := uploadFile(t, srv, testToken, path)
				if got.status != 200 {
					errs <- fmt.Sprintf("%s: %d %s", filepath.Base(path), got.status, got.reason)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := len(srv.Files()); n != 8 {
		t.Fatalf("%d files stored", n)
	}
	resp, body := get(t, srv.SimpleURL+"concurrent/", "application/vnd.pypi.simple.v1+json")
	if resp.StatusCode != 200 || strings.Count(body, `"filename"`) != 8 {
		t.Fatalf("simple: %s", body)
	}
}
