package pypitest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
)

// memoryPeak samples the Go heap while an upload runs.
type memoryPeak struct {
	heapInuse, sys atomic.Uint64
	stop           chan struct{}
	done           sync.WaitGroup
}

func sampleMemory() *memoryPeak {
	m := &memoryPeak{stop: make(chan struct{})}
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > m.heapInuse.Load() {
				m.heapInuse.Store(ms.HeapInuse)
			}
			if ms.Sys > m.sys.Load() {
				m.sys.Store(ms.Sys)
			}
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memoryPeak) finish() (heapInuse, sys uint64) {
	close(m.stop)
	m.done.Wait()
	return m.heapInuse.Load(), m.sys.Load()
}

// streamUpload uploads the file at path with a streamed multipart body
// (io.Pipe): neither side holds the file in memory.
func streamUpload(t testing.TB, srv *Server, path, project, version string) (int, string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(path)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fields := []Field{{":action", "file_upload"}, {"protocol_version", "1"}, {"metadata_version", "2.1"},
			{"name", project}, {"version", version},
			{"filetype", "bdist_wheel"}, {"pyversion", "py3"}, {"sha256_digest", hex.EncodeToString(h.Sum(nil))}}
		for _, fl := range fields {
			if err := mw.WriteField(fl.Name, fl.Value); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		fw, err := mw.CreateFormFile("content", name)
		if err == nil {
			_, err = io.Copy(fw, f)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest(http.MethodPost, srv.RepositoryURL, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", basicToken(testToken))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Status
}

// uploadMemory uploads a generated wheel of size bytes and returns the
// peak heap in use and memory obtained from the OS during the upload.
func uploadMemory(t *testing.T, size int64) (heapInuse, sys uint64, elapsed time.Duration) {
	dir := t.TempDir()
	path, err := wheelgen.Write(dir, wheelgen.Spec{Name: "big", Version: "1.0", Size: size})
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(t, WithToken(testToken), WithMaxFileSize(2<<30), WithStorageDir(filepath.Join(dir, "index")))
	runtime.GC()
	m := sampleMemory()
	start := time.Now()
	status, line := streamUpload(t, srv, path, "big", "1.0")
	elapsed = time.Since(start)
	heapInuse, sys = m.finish()
	if status != 200 {
		t.Fatalf("upload of %d bytes: %s", size, line)
	}
	f, ok := srv.File(filepath.Base(path))
	if !ok || f.Size < size {
		t.Fatalf("stored %+v", f)
	}
	return heapInuse, sys, elapsed
}

// TestUploadMemoryIsBounded streams a 64 MiB wheel: the index's (and the
// streaming client's) memory must not grow with the file.
func TestUploadMemoryIsBounded(t *testing.T) {
	heap, sys, _ := uploadMemory(t, 64<<20)
	t.Logf("64 MiB upload: peak HeapInuse %.1f MiB, peak Sys %.1f MiB", float64(heap)/(1<<20), float64(sys)/(1<<20))
	if heap > 32<<20 {
		t.Fatalf("peak HeapInuse %d bytes for a 64 MiB upload", heap)
	}
}

// TestUpload1GiB is the measurement behind the streaming claim: a 1 GiB
// wheel through the whole upload path (multipart streaming, hashing,
// archive checks, storage). PYPITEST_BIG=1 runs it.
func TestUpload1GiB(t *testing.T) {
	if os.Getenv("PYPITEST_BIG") != "1" {
		t.Skip("set PYPITEST_BIG=1 to stream a 1 GiB upload (writes ~2 GiB to the temporary directory)")
	}
	heap, sys, elapsed := uploadMemory(t, 1<<30)
	msg := fmt.Sprintf("1 GiB upload in %v: peak HeapInuse %.1f MiB, peak Sys %.1f MiB (client and index in one process)",
		elapsed.Round(time.Millisecond), float64(heap)/(1<<20), float64(sys)/(1<<20))
	t.Log(msg)
	if heap > 64<<20 || sys > 64<<20 {
		t.Fatal("memory grew with the file: " + msg)
	}
}
