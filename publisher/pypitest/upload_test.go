package pypitest

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func goodFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(goodDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var dists []string
	for _, f := range files {
		if strings.HasSuffix(f, ".whl") || strings.HasSuffix(f, ".tar.gz") {
			dists = append(dists, f)
		}
	}
	if len(dists) < 8 {
		t.Fatalf("expected the testdata/good distributions, found %v", dists)
	}
	return dists
}

func TestUploadGoodDistributions(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	for _, path := range goodFiles(t) {
		wantReply(t, uploadFile(t, srv, testToken, path), http.StatusOK, "OK")
	}
	files := srv.Files()
	if len(files) != len(goodFiles(t)) {
		t.Fatalf("stored %d files, want %d", len(files), len(goodFiles(t)))
	}
	for _, f := range files {
		data, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		orig, err := os.ReadFile(filepath.Join(goodDir, f.Filename))
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != string(orig) || f.Size != int64(len(orig)) {
			t.Errorf("%s: stored content differs from the upload", f.Filename)
		}
		if f.RecordMismatch {
			t.Errorf("%s: RECORD reported as mismatching", f.Filename)
		}
		if f.Fields[0] != (Field{"protocol_version", "1"}) {
			t.Errorf("%s: fields not kept in order: %v", f.Filename, f.Fields[:3])
		}
	}

	// Re-uploading identical files is a no-op that succeeds.
	for _, path := range goodFiles(t) {
		wantReply(t, uploadFile(t, srv, testToken, path), http.StatusOK, "OK")
	}
	if n := len(srv.Files()); n != len(files) {
		t.Fatalf("re-upload changed the index: %d files", n)
	}
	total, perFile := srv.UploadAttempts()
	if total != 2*len(files) || perFile["tinyutil-0.1.0.tar.gz"] != 2 {
		t.Fatalf("attempts %d %v", total, perFile)
	}
}

func TestReadSide(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	for _, name := range []string{"richmeta-1.2.0-py3-none-any.whl", "richmeta-1.2.0.tar.gz", "spdx_demo-0.2.0-py3-none-any.whl"} {
		wantReply(t, uploadFile(t, srv, testToken, filepath.Join(goodDir, name)), http.StatusOK, "OK")
	}
	whl, _ := srv.File("richmeta-1.2.0-py3-none-any.whl")

	resp, body := get(t, srv.SimpleURL+"richmeta/", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html" {
		t.Fatalf("simple page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	wantAnchor := `<a href="` + whl.URL + `#sha256=` + whl.Digests.SHA256 + `" data-requires-python="&gt;=3.8"`
	if !strings.Contains(body, wantAnchor) {
		t.Fatalf("simple page lacks %s:\n%s", wantAnchor, body)
	}

	resp, _ = get(t, srv.SimpleURL+"RichMeta/", "")
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/simple/richmeta/" {
		t.Fatalf("non-normalized name: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = get(t, srv.SimpleURL+"nothing-here/", "")
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown project: %d", resp.StatusCode)
	}

	resp, body = get(t, srv.SimpleURL+"richmeta/", "application/vnd.pypi.simple.v1+json")
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.pypi.simple.v1+json" {
		t.Fatalf("PEP 691 content type %q", ct)
	}
	var page struct {
		Meta     map[string]any `json:"meta"`
		Name     string         `json:"name"`
		Versions []string       `json:"versions"`
		Files    []struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython *string           `json:"requires-python"`
			Size           int64             `json:"size"`
			Yanked         bool              `json:"yanked"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatal(err)
	}
	if page.Meta["api-version"] != "1.1" || page.Name != "richmeta" || len(page.Versions) != 1 || page.Versions[0] != "1.2.0" || len(page.Files) != 2 {
		t.Fatalf("PEP 691 page: %s", body)
	}
	for _, f := range page.Files {
		stored, ok := srv.File(f.Filename)
		if !ok || f.Hashes["sha256"] != stored.Digests.SHA256 || f.Size != stored.Size || f.URL != stored.URL ||
			f.RequiresPython == nil || *f.RequiresPython != ">=3.8" || f.Yanked {
			t.Fatalf("PEP 691 file entry %+v", f)
		}
	}

	// Downloads and PEP 658 metadata.
	resp, data := get(t, whl.URL, "")
	orig, _ := os.ReadFile(filepath.Join(goodDir, whl.Filename))
	if resp.StatusCode != 200 || data != string(orig) {
		t.Fatalf("download: %d, %d bytes", resp.StatusCode, len(data))
	}
	resp, data = get(t, whl.URL+".metadata", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(data, "Metadata-Version: 2.1\nName: richmeta\n") {
		t.Fatalf("metadata file: %d %q", resp.StatusCode, data[:min(len(data), 60)])
	}

	// PyPI's JSON API.
	for _, u := range []string{srv.URL + "/pypi/richmeta/json", srv.URL + "/pypi/richmeta/1.2.0/json"} {
		resp, body = get(t, u, "")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", u, resp.StatusCode)
		}
		var doc struct {
			Info struct {
				Name, Version  string
				RequiresPython string `json:"requires_python"`
			} `json:"info"`
			URLs []struct {
				Filename    string            `json:"filename"`
				Digests     map[string]string `json:"digests"`
				Size        int64             `json:"size"`
				PackageType string            `json:"packagetype"`
				URL         string            `json:"url"`
			} `json:"urls"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Info.Name != "richmeta" || doc.Info.Version != "1.2.0" || doc.Info.RequiresPython != ">=3.8" || len(doc.URLs) != 2 {
			t.Fatalf("%s: %s", u, body)
		}
		for _, f := range doc.URLs {
			stored, _ := srv.File(f.Filename)
			if f.Digests["sha256"] != stored.Digests.SHA256 || f.Digests["blake2b_256"] != stored.Digests.BLAKE2b256 ||
				f.Digests["md5"] != stored.Digests.MD5 || f.Size != stored.Size || f.PackageType != stored.PackageType || f.URL != stored.URL {
				t.Fatalf("%s: file %+v, stored %+v", u, f, stored)
			}
		}
	}
	for _, u := range []string{"/pypi/nothing/json", "/pypi/richmeta/9.9/json"} {
		if resp, _ := get(t, srv.URL+u, ""); resp.StatusCode != 404 {
			t.Fatalf("%s: %d", u, resp.StatusCode)
		}
	}
	if resp, _ := get(t, srv.URL+"/pypi/RichMeta/json", ""); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/pypi/richmeta/json" {
		t.Fatalf("JSON API redirect: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = get(t, srv.SimpleURL, "")
	if resp.StatusCode != 200 || !strings.Contains(body, `<a href="/simple/spdx-demo/">spdx-demo</a>`) {
		t.Fatalf("simple index: %s", body)
	}
}
