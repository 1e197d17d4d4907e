package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// silentIndex reads every upload in full and then never answers (until the
// client gives up); reads of the index find nothing.
func silentIndex(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var uploads atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		uploads.Add(1)
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &uploads
}

// TestUploadTimeoutFlag: an index that takes the file and never answers
// holds each attempt for --timeout, not for the 10-minute default, and the
// file is reported failed.
func TestUploadTimeoutFlag(t *testing.T) {
	srv, uploads := silentIndex(t)
	wheel := filepath.Join("..", "..", "testdata", "good", "tinyutil-0.1.0-py3-none-any.whl")
	env := map[string]string{"PYPI_API_TOKEN": uploadTestToken}
	start := time.Now()
	code, stdout, stderr := runCLI(t, env, "upload", "--json", "--repository-url", srv.URL+"/legacy/",
		"--timeout", "1s", "--retries", "1", wheel)
	took := time.Since(start)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	rep := parseReport(t, stdout)
	if rep.Summary.Failed != 1 || rep.Files[0].Attempts != 2 || uploads.Load() != 2 {
		t.Fatalf("report %+v, %d uploads seen", rep, uploads.Load())
	}
	if took > 20*time.Second {
		t.Fatalf("took %s with --timeout 1s and one retry", took)
	}
	if !strings.Contains(rep.Files[0].Error, "tinyutil-0.1.0-py3-none-any.whl") && !strings.Contains(stderr, "tinyutil-0.1.0-py3-none-any.whl") {
		t.Fatalf("the failure does not name the file:\n%s\n%s", rep.Files[0].Error, stderr)
	}
}

func TestTimeoutFlagBounds(t *testing.T) {
	for _, cmd := range []string{"upload", "publish"} {
		code, _, stderr := runCLI(t, map[string]string{"PYPI_API_TOKEN": uploadTestToken}, cmd, "--timeout", "soon", "x.whl")
		if code != 2 || !strings.Contains(stderr, "timeout") {
			t.Errorf("%s --timeout soon: exit %d\n%s", cmd, code, stderr)
		}
	}
	code, _, stderr := runCLI(t, map[string]string{"PYPI_API_TOKEN": uploadTestToken}, "upload", "--timeout", "0s", "x.whl")
	if code != 2 || !strings.Contains(stderr, "--timeout must be between 1s and 1h0m0s, got 0s") {
		t.Errorf("upload --timeout 0s: exit %d\n%s", code, stderr)
	}
}
