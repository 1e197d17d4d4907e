package pypitest

// Trusted publishing end to end through the index's upload endpoint: what
// a minted token may and may not do.

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tpUploadWheel uploads a wheel from testdata/good the way twine does, with
// the fields of its METADATA, and returns the status line.
func tpUploadWheel(t *testing.T, srv *Server, token, file string) (int, string) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "good", file)
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]string{}
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".dist-info/METADATA") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		hdr, err := textproto.NewReader(bufio.NewReader(io.MultiReader(rc, strings.NewReader("\r\n\r\n")))).ReadMIMEHeader()
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			meta[strings.ToLower(strings.ReplaceAll(k, "-", "_"))] = v[0]
		}
	}
	sum := sha256.Sum256(content)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fields := [][2]string{
		{":action", "file_upload"}, {"protocol_version", "1"},
		{"name", meta["name"]}, {"version", meta["version"]}, {"metadata_version", meta["metadata_version"]},
		{"summary", meta["summary"]}, {"requires_python", meta["requires_python"]},
		{"filetype", "bdist_wheel"}, {"pyversion", "py3"}, {"sha256_digest", hex.EncodeToString(sum[:])},
	}
	for _, f := range fields {
		if f[1] != "" {
			mw.WriteField(f[0], f[1])
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="content"; filename="`+file+`"`)
	h.Set("Content-Type", "application/octet-stream")
	part, _ := mw.CreatePart(h)
	part.Write(content)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.RepositoryURL, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("__token__:"+token)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Status
}

func tpWantUpload(t *testing.T, srv *Server, token, file string, status int, reason string) {
	t.Helper()
	got, line := tpUploadWheel(t, srv, token, file)
	if got != status || !strings.Contains(line, reason) {
		t.Fatalf("upload %s: %q, want %d %q", file, line, status, reason)
	}
}

// TestMintedTokenExpires: mint, upload, then at the end of the lifetime
// the index answers PyPI's "token is expired".
func TestMintedTokenExpires(t *testing.T) {
	clock := &tpClock{t: time.Unix(1_800_000_000, 0)}
	srv := NewServer(t, WithClock(clock.now),
		WithTrustedPublisher(GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Project: "demo-py", Pending: true}))
	mr := mustMint(t, srv, githubToken(t, srv.Issuer, "pypi"))
	if mr.Expires != clock.t.Unix()+900 {
		t.Fatalf("expires %d, want %d", mr.Expires, clock.t.Unix()+900)
	}
	tpWantUpload(t, srv, mr.Token, "demo_py-0.1.0-py3-none-any.whl", 200, "200")
	clock.t = clock.t.Add(899 * time.Second)
	tpWantUpload(t, srv, mr.Token, "demo_py-0.1.0-py3-none-any.whl", 200, "200") // identical re-upload
	clock.t = clock.t.Add(time.Second)
	tpWantUpload(t, srv, mr.Token, "demo_py-0.1.0-py3-none-any.whl", 403, "Invalid API Token: token is expired")
}

// TestMintedTokenExpiresRealTime is the same with the real clock and a short
// WithMintedTokenLifetime.
func TestMintedTokenExpiresRealTime(t *testing.T) {
	t.Parallel() // it sleeps up to 2 s
	srv := NewServer(t, WithMintedTokenLifetime(2*time.Second))
	mr := mustMint(t, srv, githubToken(t, srv.Issuer, "pypi"))
	tpWantUpload(t, srv, mr.Token, "tinyutil-0.1.0-py3-none-any.whl", 200, "200")
	time.Sleep(time.Until(time.Unix(mr.Expires, 0)))
	tpWantUpload(t, srv, mr.Token, "tinyutil-0.1.0-py3-none-any.whl", 403, "Invalid API Token: token is expired")
}

func TestMintedTokenCannotCreateProject(t *testing.T) {
	srv := NewServer(t, WithTrustedPublisher(GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Project: "demo-py"}))
	mr := mustMint(t, srv, githubToken(t, srv.Issuer, "pypi"))
	tpWantUpload(t, srv, mr.Token, "demo_py-0.1.0-py3-none-any.whl", 400, "Non-user identities cannot create new projects.")

	// Once the project exists (uploaded by its owner), the publisher works.
	srv = NewServer(t, WithTrustedPublisher(GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Project: "demo-py"}),
		WithToken("pypi-owner"), WithProject("demo-py", "pypi-owner"))
	mr = mustMint(t, srv, githubToken(t, srv.Issuer, "pypi"))
	tpWantUpload(t, srv, mr.Token, "demo_py-0.1.0-py3-none-any.whl", 200, "200")
	// ...for that project only.
	tpWantUpload(t, srv, mr.Token, "tinyutil-0.1.0-py3-none-any.whl", 400, "Non-user identities cannot create new projects.")
}

func TestMintedTokenScopedToProject(t *testing.T) {
	srv := NewServer(t, WithTrustedPublisher(GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Project: "demo-py"}),
		WithToken("pypi-owner"), WithProject("demo-py", "pypi-owner"), WithProject("tinyutil", "pypi-owner"))
	mr := mustMint(t, srv, githubToken(t, srv.Issuer, "pypi"))
	tpWantUpload(t, srv, mr.Token, "tinyutil-0.1.0-py3-none-any.whl", 403, "Invalid API Token: OIDC scoped token is not valid for project 'tinyutil'")
}

func TestPendingPublisherAfterUserUpload(t *testing.T) {
	// The project appeared (a user uploaded it) after the pending publisher
	// was registered: Warehouse refuses and drops the pending publisher.
	srv := NewServer(t, WithToken("pypi-user"),
		WithTrustedPublisher(GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Project: "demo-py", Pending: true}))
	tpWantUpload(t, srv, "pypi-user", "demo_py-0.1.0-py3-none-any.whl", 200, "200")
	wantRefusal(t, srv, githubToken(t, srv.Issuer, "pypi"), "invalid-pending-publisher", "valid token, but project already exists")
}

func TestDefaultPublisherCreatesAnyProject(t *testing.T) {
	srv := NewServer(t)
	mr := mustMint(t, srv, githubToken(t, srv.Issuer, "pypi"))
	tpWantUpload(t, srv, mr.Token, "demo_py-0.1.0-py3-none-any.whl", 200, "200")
	tpWantUpload(t, srv, mr.Token, "tinyutil-0.1.0-py3-none-any.whl", 200, "200")
}
