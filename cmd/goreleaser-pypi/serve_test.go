package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveSession is a `goreleaser-pypi serve` running in-process, and what
// its banner said.
type serveSession struct {
	repositoryURL, simpleURL string            // the (first) index
	indexes                  map[string]string // index name → repository URL
	env                      map[string]string // what the pasted lines export
	unset                    []string          // what they unset
	settings                 []string          // the settings block's lines, as printed
	claims                   string            // "The job's identity: ..."
	lines                    []string
	stderr                   *syncBuffer
	stop                     context.CancelFunc
	code                     chan int
}

// syncBuffer is a bytes.Buffer serve's logger writes to while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startServe runs serve with args and reads its banner.
func startServe(t *testing.T, env map[string]string, args ...string) *serveSession {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &serveSession{stderr: &syncBuffer{}, stop: cancel, code: make(chan int, 1),
		indexes: map[string]string{}, env: map[string]string{}}
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
	index, inSettings := "pypi", false
	for sc.Scan() {
		line := sc.Text()
		s.lines = append(s.lines, line)
		trimmed := strings.TrimSpace(line)
		switch {
		case inSettings && strings.HasPrefix(line, "  "):
			s.settings = append(s.settings, line)
			continue
		case strings.HasPrefix(line, "Settings naming each index"):
			inSettings = true
			continue
		case strings.HasSuffix(line, "):") && strings.Contains(line, " (like "):
			index, _, _ = strings.Cut(line, " ")
		case strings.HasPrefix(trimmed, "Repository URL: "):
			u := strings.TrimSpace(strings.TrimPrefix(trimmed, "Repository URL: "))
			s.indexes[index] = u
			if s.repositoryURL == "" {
				s.repositoryURL = u
			}
		case strings.HasPrefix(trimmed, "Simple index: ") && s.simpleURL == "":
			s.simpleURL = strings.TrimSpace(strings.TrimPrefix(trimmed, "Simple index: "))
		case strings.HasPrefix(line, "  export "):
			k, v, _ := strings.Cut(strings.TrimPrefix(line, "  export "), "=")
			s.env[k] = v
		case strings.HasPrefix(line, "  unset "):
			s.unset = append(s.unset, strings.Fields(strings.TrimPrefix(line, "  unset "))...)
		case strings.HasPrefix(line, "The job's identity: "):
			s.claims = strings.TrimPrefix(line, "The job's identity: ")
		}
		inSettings = false
		if strings.HasPrefix(line, "A full rehearsal") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if s.repositoryURL == "" {
		t.Fatalf("no banner:\n%s\nstderr: %s", strings.Join(s.lines, "\n"), s.stderr)
	}
	return s
}

// uploadCLI runs `goreleaser-pypi upload` in a shell that pasted the
// banner's lines on top of base.
func (s *serveSession) uploadCLI(t *testing.T, base map[string]string, args ...string) (int, string, string) {
	t.Helper()
	env := map[string]string{}
	for k, v := range base {
		env[k] = v
	}
	for _, k := range s.unset {
		delete(env, k)
	}
	for k, v := range s.env {
		env[k] = v
	}
	return runCLI(t, env, append([]string{"upload"}, args...)...)
}

// filesOn lists the files an index's simple page shows for project.
func filesOn(t *testing.T, repositoryURL, project string) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(repositoryURL, "legacy/")+"simple/"+project+"/", nil)
	req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	var page struct {
		Files []struct{ Filename string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatalf("simple page of %s: %s: %v", project, resp.Status, err)
	}
	var names []string
	for _, f := range page.Files {
		names = append(names, f.Filename)
	}
	return names
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
	s := startServe(t, map[string]string{}, "--port", "0", "--storage", storage, "--credentials", "token")
	token := s.env["PYPI_API_TOKEN"]
	if !strings.HasPrefix(s.repositoryURL, "http://127.0.0.1:") || !strings.HasSuffix(s.repositoryURL, "/legacy/") ||
		s.simpleURL != strings.TrimSuffix(s.repositoryURL, "legacy/")+"simple/" {
		t.Fatalf("URLs %q %q", s.repositoryURL, s.simpleURL)
	}
	if !strings.HasPrefix(token, "pypi-") || len(token) < 40 {
		t.Fatalf("generated token %q", token)
	}
	if resp := s.upload(t, "pypi-wrong"); resp.StatusCode != 403 {
		t.Fatalf("wrong token: %s", resp.Status)
	}
	if resp := s.upload(t, token); resp.StatusCode != 200 {
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
	if strings.Contains(s.stderr.String(), token) {
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
	s := startServe(t, map[string]string{"PYPITEST_TOKEN": token}, "--port", "0", "--credentials", "token")
	if strings.Contains(strings.Join(s.lines, "\n"), token) {
		t.Fatal("a token from the environment must not be printed")
	}
	if got := s.env["PYPI_API_TOKEN"]; got != `"$PYPITEST_TOKEN"` {
		t.Fatalf("PYPI_API_TOKEN export %q, want a reference to PYPITEST_TOKEN", got)
	}
	if resp := s.upload(t, token); resp.StatusCode != 200 {
		t.Fatalf("upload: %s", resp.Status)
	}
}

// TestServeCredentialModes checks that each mode prints one coherent
// environment: pasting all of it can never leave an API token to win over
// trusted publishing, or an identity next to a token.
func TestServeCredentialModes(t *testing.T) {
	tp := startServe(t, map[string]string{}, "--port", "0")
	if tp.env["GITHUB_ACTIONS"] != "true" || tp.env["ACTIONS_ID_TOKEN_REQUEST_URL"] == "" ||
		tp.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] == "" || tp.env["PYPI_REPOSITORY_URL"] != tp.repositoryURL {
		t.Fatalf("trusted publishing exports %v:\n%s", tp.env, strings.Join(tp.lines, "\n"))
	}
	if _, ok := tp.env["PYPI_API_TOKEN"]; ok || !slices.Contains(tp.unset, "PYPI_API_TOKEN") {
		t.Fatalf("trusted publishing must unset PYPI_API_TOKEN, not set it: %v, unset %v", tp.env, tp.unset)
	}
	if strings.Contains(strings.Join(tp.lines, "\n"), "pypi-") {
		t.Fatalf("trusted publishing printed an API token:\n%s", strings.Join(tp.lines, "\n"))
	}
	for _, k := range serveSigstoreVariables {
		if tp.env[k] == "" {
			t.Errorf("trusted publishing does not export %s (attestations would go to the public Sigstore): %v", k, tp.env)
		}
	}
	if tp.claims != "repository pypitest/demo, workflow release.yml, ref refs/tags/v0.1.0, environment (none), event push" {
		t.Fatalf("identity line %q", tp.claims)
	}

	tok := startServe(t, map[string]string{}, "--port", "0", "--credentials", "token")
	if !strings.HasPrefix(tok.env["PYPI_API_TOKEN"], "pypi-") || tok.env["PYPI_REPOSITORY_URL"] != tok.repositoryURL || len(tok.env) != 2 {
		t.Fatalf("token exports %v", tok.env)
	}
	for _, k := range append([]string{"GITHUB_ACTIONS", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"}, serveSigstoreVariables...) {
		if !slices.Contains(tok.unset, k) {
			t.Errorf("token mode does not unset %s: %v", k, tok.unset)
		}
	}
	if strings.Contains(strings.Join(tok.lines, "\n"), "ACTIONS_ID_TOKEN_REQUEST_URL=") {
		t.Fatal("token mode printed the identity variables")
	}
}

// TestServeTrustedPublishing pastes serve's lines over a shell that had an
// API token and uploads with the real CLI: the identity is used, not the
// token.
func TestServeTrustedPublishing(t *testing.T) {
	s := startServe(t, map[string]string{}, "--port", "0",
		"--trusted-publisher", "repository=octo-org/demo,workflow=release.yml,project=tinyutil,pending=true")
	shell := map[string]string{"PYPI_API_TOKEN": "pypi-stale-token-from-the-shell"}
	wheel := filepath.Join("..", "..", "testdata", "good", "tinyutil-0.1.0-py3-none-any.whl")
	code, stdout, stderr := s.uploadCLI(t, shell, "--json", wheel)
	if code != 0 {
		t.Fatalf("upload: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "trusted publishing") {
		t.Fatalf("the upload did not use trusted publishing:\n%s", stderr)
	}
	// Attested offline, by the fake Sigstore serve exported.
	var rep struct {
		Files []struct {
			Filename    string
			Attestation *struct{ Status, Reason string }
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Files) != 1 {
		t.Fatalf("report %v:\n%s", err, stdout)
	}
	if a := rep.Files[0].Attestation; a == nil || a.Status != "attested" {
		t.Errorf("%s: attestation %+v\n%s", rep.Files[0].Filename, a, stderr)
	}
	if got := filesOn(t, s.repositoryURL, "tinyutil"); !slices.Equal(got, []string{"tinyutil-0.1.0-py3-none-any.whl"}) {
		t.Fatalf("files on the index: %v", got)
	}
}

// TestServeGitLabOnly rehearses a GitLab CI job: with only GitLab
// publishers, serve prints a GitLab job's id_tokens (no GitHub variables),
// and the real CLI publishes and attests with them.
func TestServeGitLabOnly(t *testing.T) {
	s := startServe(t, map[string]string{}, "--port", "0",
		"--gitlab-publisher", "project_path=grp/demo,workflow=.gitlab-ci.yml,project=tinyutil,pending=true")
	if s.env["GITLAB_CI"] != "true" || s.env["PYPI_ID_TOKEN"] == "" || s.env["SIGSTORE_ID_TOKEN"] == "" {
		t.Fatalf("GitLab exports %v:\n%s", s.env, strings.Join(s.lines, "\n"))
	}
	for _, k := range []string{"GITHUB_ACTIONS", "ACTIONS_ID_TOKEN_REQUEST_URL", "PYPI_API_TOKEN"} {
		if _, ok := s.env[k]; ok || !slices.Contains(s.unset, k) {
			t.Errorf("%s must be unset, not exported: %v, unset %v", k, s.env, s.unset)
		}
	}
	shell := map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:1/stale", "GITHUB_ACTIONS": "true"}
	wheel := filepath.Join("..", "..", "testdata", "good", "tinyutil-0.1.0-py3-none-any.whl")
	code, stdout, stderr := s.uploadCLI(t, shell, "--json", wheel)
	if code != 0 {
		t.Fatalf("upload: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := strings.Count(strings.Join(strings.Fields(stdout), ""), `"status":"attested"`); n != 1 {
		t.Errorf("not attested:\n%s\n%s", stdout, stderr)
	}
}

// TestServeTwoIndexesOneIssuer is a TestPyPI + PyPI rehearsal: one serve,
// two indexes trusting one identity issuer, and one `goreleaser-pypi
// upload --config` with two targets, publishing to both by trusted
// publishing.
func TestServeTwoIndexesOneIssuer(t *testing.T) {
	storage := t.TempDir()
	s := startServe(t, map[string]string{}, "--port", "0", "--storage", storage,
		"--index", "testpypi", "--index", "pypi",
		"--trusted-publisher", "repository=octo-org/demo,workflow=release.yml,environment=pypi,project=tinyutil,pending=true")
	if len(s.indexes) != 2 || s.indexes["testpypi"] == "" || s.indexes["pypi"] == "" || s.indexes["testpypi"] == s.indexes["pypi"] {
		t.Fatalf("indexes %v:\n%s", s.indexes, strings.Join(s.lines, "\n"))
	}
	if _, ok := s.env["PYPI_REPOSITORY_URL"]; ok || !slices.Contains(s.unset, "PYPI_REPOSITORY_URL") {
		t.Fatalf("with two indexes PYPI_REPOSITORY_URL must be unset (it replaces every target's URL): %v", s.env)
	}
	// The settings block, saved exactly as printed.
	settings := filepath.Join(t.TempDir(), "rehearsal.yaml")
	if err := os.WriteFile(settings, []byte(strings.Join(s.settings, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := []string{
		filepath.Join("..", "..", "testdata", "good", "tinyutil-0.1.0-py3-none-any.whl"),
		filepath.Join("..", "..", "testdata", "good", "tinyutil-0.1.0.tar.gz"),
	}
	code, stdout, stderr := s.uploadCLI(t, nil, append([]string{"--config", settings, "--json"}, files...)...)
	if code != 0 {
		t.Fatalf("upload to both: exit %d\n%s\n%s\nsettings:\n%s", code, stdout, stderr, strings.Join(s.settings, "\n"))
	}
	// Signed once with the first index's fake Sigstore, which both trust.
	if n := strings.Count(strings.Join(strings.Fields(stdout), ""), `"status":"attested"`); n != 4 {
		t.Errorf("%d files attested, want 2 per index:\n%s", n, stdout)
	}
	want := []string{"tinyutil-0.1.0-py3-none-any.whl", "tinyutil-0.1.0.tar.gz"}
	for name, u := range s.indexes {
		got := filesOn(t, u, "tinyutil")
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s holds %v, want %v", name, got, want)
		}
	}
	for _, name := range []string{"testpypi", "pypi"} {
		if m, _ := filepath.Glob(filepath.Join(storage, name, "packages", "*", "*", "*", "tinyutil-0.1.0.tar.gz")); len(m) != 1 {
			t.Errorf("%s's storage holds %v", name, m)
		}
	}
	s.stop()
	<-s.code
	s.code <- 0 // for the cleanup
	log := s.stderr.String()
	for _, name := range []string{"testpypi", "pypi"} {
		if !strings.Contains(log, "index="+name+" files=2 upload_attempts=2 mints=1") {
			t.Errorf("%s did not mint once and store both files:\n%s", name, log)
		}
	}
}

// TestServeSeparateIndexesDoNotShareIssuers shows why one serve runs both:
// two separate ones each trust their own issuer only.
func TestServeSeparateIndexesDoNotShareIssuers(t *testing.T) {
	pub := "repository=octo-org/demo,workflow=release.yml,project=tinyutil,pending=true"
	pypi := startServe(t, map[string]string{}, "--port", "0", "--trusted-publisher", pub)
	testpypi := startServe(t, map[string]string{}, "--port", "0", "--testpypi", "--trusted-publisher", pub)
	wheel := filepath.Join("..", "..", "testdata", "good", "tinyutil-0.1.0-py3-none-any.whl")
	code, _, stderr := pypi.uploadCLI(t, nil, "--repository-url", testpypi.repositoryURL, wheel)
	if code == 0 || !strings.Contains(stderr, "unknown trusted publishing issuer") {
		t.Fatalf("another serve's identity: exit %d\n%s", code, stderr)
	}
}

// TestServeClaimRehearsesMismatch: --claim makes the job another one than
// the trusted publisher, and the upload fails with PyPI's refusal and the
// job's claims next to it.
func TestServeClaimRehearsesMismatch(t *testing.T) {
	s := startServe(t, map[string]string{}, "--port", "0",
		"--trusted-publisher", "repository=octo-org/demo,workflow=release.yml,environment=pypi,project=tinyutil,pending=true",
		"--claim", "environment=staging")
	if !strings.Contains(s.claims, "environment staging") {
		t.Fatalf("identity line %q", s.claims)
	}
	wheel := filepath.Join("..", "..", "testdata", "good", "tinyutil-0.1.0-py3-none-any.whl")
	code, stdout, stderr := s.uploadCLI(t, nil, wheel)
	if code != 1 {
		t.Fatalf("upload by a job in another environment: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"invalid-publisher", "valid token, but no corresponding publisher", "staging"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the refusal does not show %q:\n%s", want, stderr)
		}
	}
	if got := filesOn(t, s.repositoryURL, "tinyutil"); len(got) != 0 {
		t.Fatalf("uploaded anyway: %v", got)
	}
}

func TestServeRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--port", "70000"},
		{"serve", "--port", "0", "--max-file-size", "lots"},
		{"serve", "--port", "0", "--trusted-publisher", "repository=octo-org/demo"},
		{"serve", "--port", "0", "--gitlab-publisher", "nonsense"},
		{"serve", "extra-arg"},
		{"serve", "--port", "0", "--index", "warehouse"},
		{"serve", "--port", "0", "--index", "pypi", "--index", "PyPI"},
		{"serve", "--port", "0", "--testpypi", "--index", "pypi"},
		{"serve", "--port", "65535", "--index", "testpypi", "--index", "pypi"},
		{"serve", "--port", "0", "--credentials", "both"},
		{"serve", "--port", "0", "--claim", "colour=blue"},
		{"serve", "--port", "0", "--claim", "environment"},
		{"serve", "--port", "0", "--claim", "ref=main"},
		{"serve", "--port", "0", "--credentials", "token", "--claim", "environment=staging"},
		{"serve", "--port", "0", "--gitlab-publisher", "project_path=g/p,workflow=.gitlab-ci.yml", "--claim", "environment=x"},
	} {
		code, _, stderr := runCLI(t, map[string]string{}, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
}

// TestServeMaxFileSize: serve reads sizes as every other command does
// (it once had its own parser, where "100k" and "1.5GiB" were errors).
func TestServeMaxFileSize(t *testing.T) {
	for in, want := range map[string]int64{"100MiB": 100 << 20, "1GiB": 1 << 30, "512 KiB": 512 << 10, "100MB": 100e6, "1048576": 1 << 20, "10B": 10, "100k": 100e3, "1.5GiB": 3 << 29} {
		if got, err := serveMaxFileSize(in); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1MiB", "MiB", "100x", "9999999999GiB"} {
		if _, err := serveMaxFileSize(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
