package pypitest

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/blake2b"
)

// Test helpers: an upload client written independently of publisher/dist
// and publisher/upload (so the index catches their bugs rather than
// sharing them), speaking the form twine sends.

const testToken = "pypi-test-token"

var (
	goodDir = filepath.Join("..", "..", "testdata", "good")
	badDir  = filepath.Join("..", "..", "testdata", "bad")
)

// header is one core metadata header.
type header struct{ name, value string }

// readCoreMetadata returns the METADATA (wheel) or PKG-INFO (sdist) headers
// and body of a distribution.
func readCoreMetadata(t testing.TB, path string) ([]header, string) {
	t.Helper()
	var raw []byte
	name := filepath.Base(path)
	switch {
	case strings.HasSuffix(name, ".whl") || strings.HasSuffix(name, ".zip") || strings.HasSuffix(name, ".egg"):
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			if (strings.HasSuffix(f.Name, ".dist-info/METADATA") || strings.HasSuffix(f.Name, "/PKG-INFO")) && strings.Count(f.Name, "/") == 1 {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				raw, _ = io.ReadAll(rc)
				rc.Close()
			}
		}
	case strings.HasSuffix(name, ".tar.gz"):
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
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if strings.HasSuffix(h.Name, "/PKG-INFO") && strings.Count(h.Name, "/") == 1 {
				raw, _ = io.ReadAll(tr)
			}
		}
	}
	if raw == nil {
		t.Fatalf("%s: no core metadata", path)
	}
	head, body, _ := strings.Cut(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n\n")
	var hs []header
	for _, line := range strings.Split(head, "\n") {
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(hs) > 0 {
			hs[len(hs)-1].value += "\n" + strings.TrimSpace(line)
			continue
		}
		k, v, _ := strings.Cut(line, ":")
		hs = append(hs, header{k, strings.TrimSpace(v)})
	}
	return hs, body
}

// formFor returns the upload form fields for a distribution, as twine
// sends them (without the file part).
func formFor(t testing.TB, path string) []Field {
	t.Helper()
	hs, body := readCoreMetadata(t, path)
	name := filepath.Base(path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fields := []Field{{":action", "file_upload"}, {"protocol_version", "1"}}
	filetype, pyversion := "sdist", "source"
	if strings.HasSuffix(name, ".whl") {
		parts := strings.Split(strings.TrimSuffix(name, ".whl"), "-")
		filetype, pyversion = "bdist_wheel", parts[len(parts)-3]
	}
	fields = append(fields, Field{"filetype", filetype}, Field{"pyversion", pyversion})
	for _, h := range hs {
		key := strings.ReplaceAll(strings.ToLower(h.name), "-", "_")
		switch key {
		case "classifier":
			key = "classifiers"
		case "project_url":
			key = "project_urls"
		case "description":
			continue
		}
		fields = append(fields, Field{key, h.value})
	}
	if body != "" {
		fields = append(fields, Field{"description", body})
	}
	return append(fields, digestFields(data)...)
}

// digestFields are the three digest fields for content.
func digestFields(data []byte) []Field {
	sha := sha256.Sum256(data)
	b2 := blake2b.Sum256(data)
	m5 := md5.Sum(data)
	return []Field{
		{"md5_digest", hex.EncodeToString(m5[:])},
		{"sha256_digest", hex.EncodeToString(sha[:])},
		{"blake2_256_digest", hex.EncodeToString(b2[:])},
	}
}

// setField replaces every value of name with value ("" removes the field).
func setField(fields []Field, name, value string) []Field {
	var out []Field
	done := false
	for _, f := range fields {
		if f.Name == name {
			if !done && value != "" {
				out = append(out, Field{name, value})
			}
			done = true
			continue
		}
		out = append(out, f)
	}
	if !done && value != "" {
		out = append(out, Field{name, value})
	}
	return out
}

// uploadResult is what the index answered.
type uploadResult struct {
	status int
	reason string // the reason phrase
	body   string
	header http.Header
}

// uploadRequest is one upload to send.
type uploadRequest struct {
	url      string
	token    string // "" sends no Authorization
	auth     string // explicit Authorization header, overrides token
	fields   []Field
	filename string
	content  []byte
	noFile   bool
	partType string // the file part's Content-Type; default application/octet-stream
	accept   string
}

func (u uploadRequest) send(t testing.TB) uploadResult {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range u.fields {
		if err := mw.WriteField(f.Name, f.Value); err != nil {
			t.Fatal(err)
		}
	}
	if !u.noFile {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="content"; filename="%s"`, u.filename))
		pt := u.partType
		if pt == "" {
			pt = "application/octet-stream"
		}
		h.Set("Content-Type", pt)
		pw, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = pw.Write(u.content)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, u.url, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	switch {
	case u.auth != "":
		req.Header.Set("Authorization", u.auth)
	case u.token != "":
		req.Header.Set("Authorization", basicToken(u.token))
	}
	if u.accept != "" {
		req.Header.Set("Accept", u.accept)
	}
	resp, err := noRedirectClient.Do(req)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return uploadResult{status: resp.StatusCode, reason: reasonPhrase(resp), body: string(body), header: resp.Header}
}

var noRedirectClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func basicToken(token string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte("__token__:"+token))
}

// reasonPhrase is the status line's text after the code, decoded as
// ISO-8859-1 (as Python's http.client does).
func reasonPhrase(resp *http.Response) string {
	_, reason, _ := strings.Cut(resp.Status, " ")
	runes := make([]rune, len(reason))
	for i := 0; i < len(reason); i++ {
		runes[i] = rune(reason[i])
	}
	return string(runes)
}

// uploadFile uploads a distribution file as twine would.
func uploadFile(t testing.TB, srv *Server, token, path string) uploadResult {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return uploadRequest{url: srv.RepositoryURL, token: token, fields: formFor(t, path), filename: filepath.Base(path), content: data}.send(t)
}

// wantReply checks an upload's status and reason phrase.
func wantReply(t testing.TB, got uploadResult, status int, reason string) {
	t.Helper()
	if got.status != status || got.reason != reason {
		t.Fatalf("got %d %q\nwant %d %q\nbody: %s", got.status, got.reason, status, reason, got.body)
	}
}

func get(t testing.TB, url, accept string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := noRedirectClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(bufio.NewReader(resp.Body))
	return resp, string(b)
}
