package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveSession is a `goreleaser-pypi serve` running in-process.
type serveSession struct {
	repositoryURL, simpleURL, token string
	githubEnv                       map[string]string
	lines                           []string
	stderr                          *bytes.Buffer
	stop                            context.CancelFunc
	code                            chan int
}

// startServe runs serve with args and reads its banner.
func startServe(t *testing.T, env map[string]string, args ...string) *serveSession {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &serveSession{stderr: &bytes.Buffer{}, stop: cancel, code: make(chan int, 1), githubEnv: map[string]string{}}
	go func() {
		s.code <- run(ctx, append([]string{"serve"}, args...), pw, s.stderr, func(k string) string { return env[k] })
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.code:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		s.lines = append(s.lines, line)
		switch {
		case strings.HasPrefix(line, "Repository URL: "):
			s.repositoryURL = strings.TrimSpace(strings.TrimPrefix(line, "Repository URL: "))
		case strings.HasPrefix(line, "Simple index: "):
			s.simpleURL = strings.TrimSpace(strings.TrimPrefix(line, "Simple index: "))
		case strings.HasPrefix(line, "  export "):
			k, v, _ := strings.Cut(strings.TrimPrefix(line, "  export "), "=")
			if k == "PYPI_API_TOKEN" {
				s.token = v
			} else {
				s.githubEnv[k] = v
			}
		}
		if strings.HasPrefix(line, "  pip install") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if s.repositoryURL == "" {
		t.Fatalf("no banner:\n%s\nstderr: %s", strings.Join(s.lines, "\n"), s.stderr)
	}
	return s
}

// upload posts testdata/good's tinyutil wheel with the given token.
func (s *serveSession) upload(t *testing.T, token string) *http.Response {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "good", "tinyutil-0.1.0-py3-none-any.whl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, kv := range [][2]string{{":action", "file_upload"}, {"protocol_version", "1"}, {"metadata_version", "2.1"},
		{"name", "tinyutil"}, {"version", "0.1.0"}, {"filetype", "bdist_wheel"}, {"pyversion", "py3"},
		{"requires_python", ">=3.8"}, {"sha256_digest", hex.EncodeToString(sum[:])}} {
		_ = mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("content", filepath.Base(path))
	_, _ = fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.repositoryURL, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("__token__:"+token)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestServeGeneratesATokenAndStopsOnCancel(t *testing.T) {
	storage := t.TempDir()
	s := startServe(t, map[string]string{}, "--port", "0", "--storage", storage)
	if !strings.HasPrefix(s.repositoryURL, "http://127.0.0.1:") || !strings.HasSuffix(s.repositoryURL, "/legacy/") ||
		s.simpleURL != strings.TrimSuffix(s.repositoryURL, "legacy/")+"simple/" {
		t.Fatalf("URLs %q %q", s.repositoryURL, s.simpleURL)
	}
	if !strings.HasPrefix(s.token, "pypi-") || len(s.token) < 40 {
		t.Fatalf("generated token %q", s.token)
	}
	if s.githubEnv["ACTIONS_ID_TOKEN_REQUEST_URL"] == "" || s.githubEnv["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] == "" {
		t.Fatalf("no GitHub Actions environment: %v", s.lines)
	}
	if resp := s.upload(t, "pypi-wrong"); resp.StatusCode != 403 {
		t.Fatalf("wrong token: %s", resp.Status)
	}
	if resp := s.upload(t, s.token); resp.StatusCode != 200 {
		t.Fatalf("upload: %s", resp.Status)
	}
	resp, err := http.Get(s.simpleURL + "tinyutil/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("simple page: %v %v", resp, err)
	}
	resp.Body.Close()
	if files, _ := filepath.Glob(filepath.Join(storage, "packages", "*", "*", "*", "tinyutil-0.1.0-py3-none-any.whl")); len(files) != 1 {
		t.Fatalf("stored files: %v", files)
	}
	if strings.Contains(s.stderr.String(), s.token) {
		t.Fatal("the token appeared in the log")
	}

	s.stop()
	select {
	case code := <-s.code:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, s.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop on cancel")
	}
	if _, err := http.Get(s.simpleURL); err == nil {
		t.Fatal("still listening after stop")
	}
	if !strings.Contains(s.stderr.String(), "local index stopped") {
		t.Fatalf("log: %s", s.stderr)
	}
	s.code <- 0 // for the cleanup
}

func TestServeTokenFromEnvironment(t *testing.T) {
	const token = "pypi-chosen-by-the-user"
	s := startServe(t, map[string]string{"PYPITEST_TOKEN": token}, "--port", "0")
	if strings.Contains(strings.Join(s.lines, "\n"), token) {
		t.Fatal("a token from the environment must not be printed")
	}
	if resp := s.upload(t, token); resp.StatusCode != 200 {
		t.Fatalf("upload: %s", resp.Status)
	}
}

func TestServeTrustedPublishing(t *testing.T) {
	s := startServe(t, map[string]string{}, "--port", "0",
		"--trusted-publisher", "repository=octo-org/demo,workflow=release.yml,project=tinyutil,pending=true")
	// What a GitHub Actions job does: ask for an identity token, exchange it.
	req, _ := http.NewRequest(http.MethodGet, s.githubEnv["ACTIONS_ID_TOKEN_REQUEST_URL"]+"&audience=pypi", nil)
	req.Header.Set("Authorization", "bearer "+s.githubEnv["ACTIONS_ID_TOKEN_REQUEST_TOKEN"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var id struct{ Value string }
	_ = json.NewDecoder(resp.Body).Decode(&id)
	resp.Body.Close()
	if id.Value == "" {
		t.Fatalf("no identity token: %s", resp.Status)
	}
	base := strings.TrimSuffix(s.repositoryURL, "/legacy/")
	resp, err = http.Post(base+"/_/oidc/mint-token", "application/json", strings.NewReader(fmt.Sprintf(`{"token": %q}`, id.Value)))
	if err != nil {
		t.Fatal(err)
	}
	var minted struct {
		Success bool
		Token   string
	}
	_ = json.NewDecoder(resp.Body).Decode(&minted)
	resp.Body.Close()
	if !minted.Success || !strings.HasPrefix(minted.Token, "pypi-") {
		t.Fatalf("mint: %s %+v", resp.Status, minted)
	}
	if resp := s.upload(t, minted.Token); resp.StatusCode != 200 {
		t.Fatalf("upload with the minted token: %s", resp.Status)
	}
}

func TestServeRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--port", "70000"},
		{"serve", "--port", "0", "--max-file-size", "lots"},
		{"serve", "--port", "0", "--trusted-publisher", "repository=octo-org/demo"},
		{"serve", "--port", "0", "--gitlab-publisher", "nonsense"},
		{"serve", "extra-arg"},
	} {
		code, _, stderr := runCLI(t, map[string]string{}, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{"100MiB": 100 << 20, "1GiB": 1 << 30, "512 KiB": 512 << 10, "100MB": 100e6, "1048576": 1 << 20, "10B": 10} {
		if got, err := parseByteSize(in); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1MiB", "MiB", "1.5GiB", "9999999999GiB"} {
		if _, err := parseByteSize(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
