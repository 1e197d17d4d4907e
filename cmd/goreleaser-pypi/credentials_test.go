package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/faketoken"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/secrets"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

const (
	registryUser     = "deploy-bot"
	registryPassword = "correct-horse-battery-staple-0451"
)

// privateIndex is a registry that takes a user name and password, the way
// Artifactory, Nexus or devpi do: an authenticating front (a reverse proxy
// checking HTTP Basic credentials, reads open to all) in front of the local
// index, to which it uploads with its own API token.
// pypitest itself refuses user names, as PyPI does; once it can model a
// private index's users, this front may give way to it.
type privateIndex struct {
	URL, RepositoryURL string
	srv                *pypitest.Server
	refused            atomic.Int32 // uploads with wrong credentials
	accepted           atomic.Int32
}

func newPrivateIndex(t *testing.T) *privateIndex {
	t.Helper()
	p := &privateIndex{srv: pypitest.NewServer(t, pypitest.WithToken(uploadTestToken))}
	backend, _ := url.Parse(p.srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(backend)
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(registryUser+":"+registryPassword))
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if r.Header.Get("Authorization") != want {
				p.refused.Add(1)
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `{"message":"Invalid or non-existent authentication information.","code":"403 Invalid or non-existent authentication information."}`)
				return
			}
			p.accepted.Add(1)
			r.SetBasicAuth("__token__", uploadTestToken)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	p.URL, p.RepositoryURL = front.URL, front.URL+"/legacy/"
	return p
}

func oneWheel(t *testing.T, name string) string {
	t.Helper()
	w, err := wheelgen.Write(t.TempDir(), wheelgen.Spec{Name: name, Version: "1.0.0", Size: 2000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// scanOutputs checks a run's outputs for the password, whole, in part, or
// in the Basic-auth form it was sent in.
func scanOutputs(t *testing.T, stdout, stderr string, extra ...string) {
	t.Helper()
	basic := strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(registryUser+":"+registryPassword)), "=")
	secrets.Scan(t, map[string]string{"stdout": stdout, "stderr": stderr}, append([]string{registryPassword, basic, uploadTestToken}, extra...)...)
}

// A user name and password upload to an index that takes them: the user
// name from --username or PYPI_USERNAME, the password from PYPI_PASSWORD
// only; neither the password nor the Basic header ever shows.
func TestUploadWithUserNameAndPassword(t *testing.T) {
	idx := newPrivateIndex(t)

	code, stdout, stderr := runCLI(t, map[string]string{"PYPI_PASSWORD": registryPassword},
		"upload", "--repository-url", idx.RepositoryURL, "--username", registryUser, "--json", "--verbose", oneWheel(t, "private-one"))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stderr, stdout)
	}
	rep := parseReport(t, stdout)
	if !rep.OK || rep.Summary.Uploaded != 1 || rep.Credentials != "user deploy-bot (from --username), password from PYPI_PASSWORD" {
		t.Fatalf("report %+v", rep)
	}
	if !strings.Contains(stderr, "using user name and password") {
		t.Errorf("stderr:\n%s", stderr)
	}
	scanOutputs(t, stdout, stderr)

	// The same with both in the environment, under names of the user's choice.
	code, stdout, stderr = runCLI(t, map[string]string{"NEXUS_USER": registryUser, "NEXUS_PASSWORD": registryPassword},
		"upload", "--repository-url", idx.RepositoryURL, "--username-env", "NEXUS_USER", "--password-env", "NEXUS_PASSWORD", "--json", oneWheel(t, "private-two"))
	if code != 0 || parseReport(t, stdout).Credentials != "user deploy-bot (from NEXUS_USER), password from NEXUS_PASSWORD" {
		t.Fatalf("exit %d\n%s\n%s", code, stderr, stdout)
	}
	scanOutputs(t, stdout, stderr)
	if idx.accepted.Load() != 2 || len(idx.srv.Files()) != 2 {
		t.Fatalf("accepted %d, index holds %d files", idx.accepted.Load(), len(idx.srv.Files()))
	}

	// A wrong password: the index's refusal, what to check, no password.
	code, stdout, stderr = runCLI(t, map[string]string{"PYPI_PASSWORD": "wrong-password-xyz"},
		"upload", "--repository-url", idx.RepositoryURL, "-u", registryUser, oneWheel(t, "private-three"))
	if code != 1 || idx.refused.Load() != 1 || !strings.Contains(stderr, "403 Invalid or non-existent authentication information") ||
		!strings.Contains(stderr, "check the user name and password") {
		t.Fatalf("exit %d, refused %d\n%s", code, idx.refused.Load(), stderr)
	}
	scanOutputs(t, stdout, stderr, "wrong-password-xyz")
}

// The password is never taken from the command line, and a user name
// without a password, or a password without a user name, stops before
// anything is sent.
func TestUploadPasswordRules(t *testing.T) {
	idx := newPrivateIndex(t)
	wheel := oneWheel(t, "rules")
	for _, c := range []struct {
		env  map[string]string
		args []string
		code int
		want string
	}{
		{nil, []string{"-p", registryPassword}, 2, "never taken from the command line"},
		{nil, []string{"--password=" + registryPassword, "-u", registryUser}, 2, "never taken from the command line"},
		{nil, []string{"--username", registryUser}, 1, "--username deploy-bot is given but no password: PYPI_PASSWORD is not set"},
		{map[string]string{"PYPI_PASSWORD": registryPassword}, nil, 1, "a password is set in PYPI_PASSWORD but no user name to go with it"},
		{map[string]string{"PYPI_PASSWORD": registryPassword, "PYPI_API_TOKEN": uploadTestToken}, []string{"-u", registryUser}, 1, "two credentials for 127.0.0.1"},
		{nil, []string{"--password-env", registryPassword}, 2, "--password-env: is not an environment variable name"},
	} {
		args := append(append([]string{"upload", "--repository-url", idx.RepositoryURL}, c.args...), wheel)
		code, stdout, stderr := runCLI(t, c.env, args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, want %d and %q:\n%s", c.args, code, c.code, c.want, stderr)
		}
		scanOutputs(t, stdout, stderr)
	}
	if n := idx.accepted.Load() + idx.refused.Load(); n != 0 {
		t.Errorf("%d uploads reached the index", n)
	}
}

// Each variable another tool reads, set alone, is named in the error with
// the exact flag and setting; following the advice uploads.
func TestUploadNamesMisplacedCredentials(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(uploadTestToken))
	for _, c := range []struct {
		env  map[string]string
		want string
		fix  []string
	}{
		{map[string]string{"TWINE_USERNAME": "__token__", "TWINE_PASSWORD": uploadTestToken},
			"TWINE_PASSWORD (twine's password, here an API token) is set: goreleaser-pypi reads PYPI_API_TOKEN; use --token-env TWINE_PASSWORD or token_env: TWINE_PASSWORD",
			[]string{"--token-env", "TWINE_PASSWORD"}},
		{map[string]string{"UV_PUBLISH_TOKEN": uploadTestToken},
			"UV_PUBLISH_TOKEN (uv's API token) is set: goreleaser-pypi reads PYPI_API_TOKEN; use --token-env UV_PUBLISH_TOKEN or token_env: UV_PUBLISH_TOKEN",
			[]string{"--token-env", "UV_PUBLISH_TOKEN"}},
		{map[string]string{"PYPI_TOKEN": uploadTestToken},
			"PYPI_TOKEN (a common name for a PyPI API token) is set: goreleaser-pypi reads PYPI_API_TOKEN; use --token-env PYPI_TOKEN or token_env: PYPI_TOKEN",
			[]string{"--token-env", "PYPI_TOKEN"}},
	} {
		wheel := oneWheel(t, "misplaced")
		code, stdout, stderr := runCLI(t, c.env, "upload", "--repository-url", srv.RepositoryURL, wheel)
		if code != 1 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "no credentials to upload to") {
			t.Errorf("%v: exit %d\n%s", c.fix, code, stderr)
		}
		scanOutputs(t, stdout, stderr)
		code, stdout, stderr = runCLI(t, c.env, append(append([]string{"upload", "--repository-url", srv.RepositoryURL, "--skip-existing"}, c.fix...), wheel)...)
		if code != 0 {
			t.Errorf("%v: exit %d\n%s", c.fix, code, stderr)
		}
		scanOutputs(t, stdout, stderr)
	}
	if len(srv.Files()) != 1 {
		t.Errorf("index holds %d files", len(srv.Files()))
	}
}

// --repository reads the URL, user name and password of a ~/.pypirc
// repository as twine does; the password only ever from the file.
func TestUploadWithPypirc(t *testing.T) {
	idx := newPrivateIndex(t)
	home := t.TempDir()
	pypirc := fmt.Sprintf(`[distutils]
index-servers =
    private
    local

[private]
repository = %s
username = %s
password = %s

[local]
repository = %s
username = __token__
password = %s
`, idx.RepositoryURL, registryUser, registryPassword, idx.srv.RepositoryURL, uploadTestToken)
	if err := os.WriteFile(filepath.Join(home, ".pypirc"), []byte(pypirc), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOME": home}
	rcPath := filepath.Join(home, ".pypirc")

	code, stdout, stderr := runCLI(t, env, "upload", "--repository", "private", "--json", oneWheel(t, "rc-private"))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stderr, stdout)
	}
	rep := parseReport(t, stdout)
	from := rcPath + " [private]"
	if !rep.OK || rep.RepositoryURL != idx.RepositoryURL || rep.Credentials != "user deploy-bot (from "+from+"), password from "+from {
		t.Fatalf("report %+v", rep)
	}
	if !strings.Contains(stderr, "using a repository of the .pypirc file") || !strings.Contains(stderr, "target=private") {
		t.Errorf("stderr:\n%s", stderr)
	}
	scanOutputs(t, stdout, stderr)

	code, stdout, stderr = runCLI(t, env, "upload", "--repository", "local", "--json", oneWheel(t, "rc-local"))
	if code != 0 || parseReport(t, stdout).Credentials != "API token from "+rcPath+" [local]" {
		t.Fatalf("exit %d\n%s\n%s", code, stderr, stdout)
	}
	scanOutputs(t, stdout, stderr)
	if len(idx.srv.Files()) != 2 {
		t.Fatalf("index holds %d files", len(idx.srv.Files()))
	}

	// Mistakes: a repository the file does not list, and two URLs.
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--repository", "nope"}, 1, rcPath + `: no repository "nope": [distutils] index-servers lists "private", "local"`},
		{[]string{"--repository", "private", "--repository-url", idx.RepositoryURL}, 2, "--repository: is set together with --repository-url"},
	} {
		code, stdout, stderr := runCLI(t, env, append(append([]string{"upload"}, c.args...), oneWheel(t, "rc-bad"))...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d\n%s", c.args, code, stderr)
		}
		scanOutputs(t, stdout, stderr)
	}
	// No ~/.pypirc at all: pypi and testpypi still name their URLs.
	code, _, stderr = runCLI(t, map[string]string{"HOME": t.TempDir()}, "upload", "--repository", "private", oneWheel(t, "rc-none"))
	if code != 1 || !strings.Contains(stderr, `.pypirc: no such file, so there is no repository "private"`) {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

// A token PyPI would refuse stops the release before anything is sent to
// any target, and the message never shows the token.
func TestUploadTokenShape(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(uploadTestToken))
	testToken, pypiToken := faketoken.New("test.pypi.org"), faketoken.New("pypi.org", faketoken.ProjectCaveat)
	wheel := oneWheel(t, "shape")
	for _, c := range []struct {
		url, token, want string
	}{
		{"https://upload.pypi.org/legacy/", testToken, "the API token in PYPI_API_TOKEN cannot work on PyPI: it is a TestPyPI token (issued by test.pypi.org), and a TestPyPI token does not work on PyPI"},
		{"https://test.pypi.org/legacy/", pypiToken, "it is a PyPI token (issued by pypi.org), and a PyPI token does not work on TestPyPI"},
		{"https://upload.pypi.org/legacy/", strings.TrimPrefix(pypiToken, "pypi-"), "the value does not start with pypi-, and every PyPI API token does"},
		{"https://upload.pypi.org/legacy/", pypiToken[:50], "cut short"},
	} {
		code, stdout, stderr := runCLI(t, map[string]string{"PYPI_API_TOKEN": c.token}, "upload", "--repository-url", c.url, wheel)
		if code != 1 || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "verified") {
			t.Errorf("%s: exit %d\n%s", c.url, code, stderr)
		}
		secrets.Scan(t, map[string]string{"stdout": stdout, "stderr": stderr}, c.token)
	}

	// Two targets, the second with a TestPyPI token for PyPI: the first
	// target gets nothing either.
	cfg := settings(t, fmt.Sprintf(`targets:
  - name: local
    repository_url: %s
    token_env: LOCAL_TOKEN
  - name: pypi
`, srv.RepositoryURL))
	code, stdout, stderr := runCLI(t, map[string]string{"LOCAL_TOKEN": uploadTestToken, "PYPI_API_TOKEN": testToken}, "upload", "--config", cfg, wheel)
	if code != 1 || !strings.Contains(stderr, `target "pypi"`) || !strings.Contains(stderr, "a TestPyPI token does not work on PyPI") || len(srv.Files()) != 0 {
		t.Errorf("exit %d, index holds %d files\n%s", code, len(srv.Files()), stderr)
	}
	secrets.Scan(t, map[string]string{"stdout": stdout, "stderr": stderr}, testToken, uploadTestToken)
}
