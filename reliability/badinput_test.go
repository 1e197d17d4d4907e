package reliability

import (
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// secretInConfig is a live-looking token pasted where a NAME belongs: it
// must never be echoed.
const secretInConfig = "pypi-AgEIcHlwaS5vcmcPastedIntoTheSettingsFileByMistake0123"

// TestBadSettingsFiles: every broken settings file is refused before any
// request, with exit 2, a message naming the file (and line), and no
// secret echoed, through upload --config and publish --config alike.
func TestBadSettingsFiles(t *testing.T) {
	cliBinary(t)
	srv := pypitest.NewServer(t, pypitest.WithToken(apiToken))
	plain := plainHTTPListener(t)
	repo := srv.RepositoryURL
	head := "version: 1\ntargets:\n  - name: local\n    repository_url: " + repo + "\n"
	cases := []struct {
		name, body, want string
		publishOnly      bool
		// code is the exit status (default 2). An unknown build id is
		// found against artifacts.json at run time: the project's choice
		// is 1, as for the other "nothing was published" failures.
		code int
	}{
		{name: "typo in a key", body: "version: 1\ntargets:\n  - name: local\n    repositry_url: " + repo + "\n", want: "repository_url"},
		{name: "unknown top-level key", body: head + "pypi:\n  token: x\n", want: "pypi"},
		{name: "concurrency is a word", body: head + "    concurrency: lots\n", want: "concurrency"},
		{name: "skip_existing is not a boolean", body: head + "    skip_existing: maybe\n", want: "skip_existing"},
		{name: "retry is a number", body: head + "    retry: 5\n", want: "retry"},
		{name: "ids is a number", body: head + "    ids: 3\n", want: "ids"},
		{name: "targets is a string", body: "version: 1\ntargets: pypi\n", want: "targets"},
		{name: "not YAML", body: "version: 1\ntargets:\n  - name: [unclosed\n", want: "YAML"},
		{name: "empty file", body: "", want: "empty"},
		{name: "unsupported version", body: "version: 2\ntargets:\n  - name: local\n    repository_url: " + repo + "\n", want: "version"},
		{name: "URL that does not parse", body: "version: 1\ntargets:\n  - name: local\n    repository_url: \"http://[::1\"\n", want: "repository_url"},
		{name: "URL without a scheme", body: "version: 1\ntargets:\n  - name: local\n    repository_url: upload.pypi.org/legacy/\n", want: "absolute"},
		{name: "ftp URL", body: "version: 1\ntargets:\n  - name: local\n    repository_url: ftp://upload.pypi.org/legacy/\n", want: "scheme"},
		{name: "plain http to a non-loopback host", body: "version: 1\ntargets:\n  - name: local\n    repository_url: " + plain.url + "\n", want: "plain http"},
		{name: "credentials in the URL", body: "version: 1\ntargets:\n  - name: local\n    repository_url: https://__token__:" + secretInConfig + "@upload.pypi.org/legacy/\n", want: "credentials"},
		{name: "URL without the trailing slash", body: "version: 1\ntargets:\n  - name: local\n    repository_url: " + strings.TrimSuffix(repo, "/") + "\n", want: "trailing slash"},
		{name: "duration that is a word", body: head + "    retry: {delay: soon}\n", want: "delay"},
		{name: "negative duration", body: head + "    retry: {delay: -1s}\n", want: "delay"},
		{name: "max_delay of 1000 hours", body: head + "    retry: {max_delay: 1000h}\n", want: "max_delay"},
		{name: "max_delay shorter than delay", body: head + "    retry: {delay: 10s, max_delay: 1s}\n", want: "max_delay"},
		{name: "zero attempts", body: head + "    retry: {attempts: 0}\n", want: "attempts"},
		{name: "concurrency 1000", body: head + "    concurrency: 1000\n", want: "concurrency"},
		{name: "trusted_publishing sometimes", body: head + "    trusted_publishing: sometimes\n", want: "trusted_publishing"},
		{name: "token pasted into token_env", body: head + "    token_env: " + secretInConfig + "\n", want: "token_env"},
		{name: "max_file_size is a word", body: head + "    max_file_size: huge\n", want: "max_file_size"},
		{name: "duplicate target names", body: head + "  - name: local\n    repository_url: " + repo + "\n", want: "local"},
		{name: "duplicate key", body: head + "    concurrency: 2\n    concurrency: 3\n", want: "twice"},
		{name: "undefined variable", body: head + "    token_env: ${NOT_DEFINED_ANYWHERE}\n", want: "NOT_DEFINED_ANYWHERE"},
		{name: "unknown build id", body: head + "    ids: [no-such-build]\n", want: "no-such-build", publishOnly: true, code: 1},
	}
	fx := newFixture(t)
	fx.addRelease(t, "settingsdemo", "1.0.0", 1, true, 512, 5)
	distDir := fx.writeArtifacts(t)
	for _, tc := range cases {
		for _, fe := range []frontEnd{viaUpload, viaPublish} {
			if tc.publishOnly && fe == viaUpload {
				continue
			}
			t.Run(string(fe)+"/"+tc.name, func(t *testing.T) {
				cfg := writeFile(t, t.TempDir(), "settings.yaml", tc.body)
				var args []string
				if fe == viaUpload {
					args = append([]string{"upload", "--config", cfg}, fx.paths()...)
				} else {
					args = []string{"publish", "--config", cfg, "--dist", distDir}
				}
				before := len(srv.Requests())
				res := runCLI(t, cliOpts{args: args, env: []string{"PYPI_API_TOKEN=" + apiToken}})
				code := tc.code
				if code == 0 {
					code = 2
				}
				checkRefusal(t, res, tc.want, code)
				if !strings.Contains(res.stderr, cfg) {
					t.Errorf("the error does not name %s\n%s", cfg, res)
				}
				if n := len(srv.Requests()) - before; n != 0 {
					t.Errorf("%d requests reached the index", n)
				}
				if n := plain.conns.Load(); n != 0 {
					t.Errorf("%d connections reached the plain http host", n)
				}
				scanSecrets(t, res.outputs(), nil, apiToken, secretInConfig)
			})
		}
	}
	figure(t, "settings", "%d broken settings files refused (exit 2; 1 for an unknown build id) through upload and publish, 0 requests sent", len(cases))
}

// TestBadFlags: usage errors exit 2, say what is wrong, send nothing and
// never echo a secret given on the command line.
func TestBadFlags(t *testing.T) {
	cliBinary(t)
	srv := pypitest.NewServer(t, pypitest.WithToken(apiToken))
	plain := plainHTTPListener(t)
	fx := newFixture(t)
	fx.addRelease(t, "flagdemo", "1.0.0", 1, false, 512, 9)
	w := fx.paths()[0]
	distDir := fx.writeArtifacts(t)
	up := func(args ...string) []string {
		return append(append([]string{"upload", "--repository-url", srv.RepositoryURL}, args...), w)
	}
	cases := []struct {
		args []string
		want string
		code int
	}{
		{args: []string{"upload"}, want: "no files"},
		{args: up("--concurrency", "0"), want: "--concurrency"},
		{args: up("--concurrency", "1000"), want: "--concurrency"},
		{args: up("--concurrency", "many"), want: "concurrency"},
		{args: up("--retries", "-1"), want: "--retries"},
		{args: up("--retries", "99"), want: "--retries"},
		{args: up("--trusted-publishing", "sometimes"), want: "--trusted-publishing"},
		{args: up("--max-file-size", "lots"), want: "--max-file-size"},
		{args: up("--no-such-flag"), want: "unknown flag"},
		{args: up("--password", secretInConfig), want: "never taken from the command line"},
		{args: up("--token", secretInConfig), want: "never taken from the command line"},
		{args: up("-p", secretInConfig), want: "never taken from the command line"},
		{args: up("--token-env", secretInConfig), want: "NAME of the environment variable"},
		{args: up("--target", "pypi"), want: "--config"},
		{args: []string{"upload", "--repository-url", srv.RepositoryURL, "nothing/here/*.whl"}, want: "no wheel"},
		{args: []string{"upload", "--config", "/nonexistent/settings.yaml", w}, want: "/nonexistent/settings.yaml"},
		{args: []string{"check"}, want: "at least one file"},
		{args: []string{"check", "--max-file-size", "lots", w}, want: "--max-file-size"},
		{args: []string{"publish", "--dist", distDir, "extra-argument"}, want: "extra-argument"},
		{args: []string{"publish", "--dist", distDir, "--concurrency", "0"}, want: "concurrency"},
		{args: []string{"publish", "--dist", distDir, "--retries", "-5"}, want: "retr"},
		{args: []string{"publish", "--dist", distDir, "--repository-url", plain.url}, want: "plain http"},
		{args: []string{"publish", "--dist", distDir, "--target", "nope"}, want: "nope"},
		{args: []string{"no-such-command"}, want: "unknown command"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			before := len(srv.Requests())
			res := runCLI(t, cliOpts{args: tc.args, env: []string{"PYPI_API_TOKEN=" + apiToken}})
			checkRefusal(t, res, tc.want, 2)
			if n := len(srv.Requests()) - before; n != 0 {
				t.Errorf("%d requests reached the index", n)
			}
			if n := plain.conns.Load(); n != 0 {
				t.Errorf("%d connections reached the plain http host", n)
			}
			scanSecrets(t, res.outputs(), nil, apiToken, secretInConfig)
		})
	}
	figure(t, "flags", "%d bad command lines refused (exit 2), 0 requests sent, no secret echoed", len(cases))
}

// TestPlainHTTPRefusedBeforeAnyRequest: an http:// repository URL to a
// host that is not loopback is refused before any connection is made
// (the listener counts them), with the token set.
func TestPlainHTTPRefusedBeforeAnyRequest(t *testing.T) {
	cliBinary(t)
	plain := plainHTTPListener(t)
	fx := newFixture(t)
	fx.addRelease(t, "plaindemo", "1.0.0", 1, true, 512, 13)
	for _, args := range [][]string{
		append([]string{"upload", "--repository-url", plain.url}, fx.paths()...),
		append([]string{"upload", "--repository-url", "https://127.0.0.1:1/legacy/", "--check-url", strings.TrimSuffix(plain.url, "legacy/") + "simple/"}, fx.paths()...),
		{"publish", "--dist", fx.writeArtifacts(t), "--repository-url", plain.url},
	} {
		res := runCLI(t, cliOpts{args: args, env: []string{"PYPI_API_TOKEN=" + apiToken}})
		if res.code == 0 || !strings.Contains(res.stderr, "http") {
			t.Errorf("%v: %s", args, res)
		}
		scanSecrets(t, res.outputs(), nil, apiToken)
	}
	if n := plain.conns.Load(); n != 0 {
		t.Errorf("%d connections reached the plain http host", n)
	}
}

// checkRefusal: exit code, no panic, the message says want.
func checkRefusal(t *testing.T, res cliResult, want string, code int) {
	t.Helper()
	if strings.Contains(res.stderr, "panic:") || strings.Contains(res.stderr, "goroutine ") {
		t.Fatalf("panic\n%s", res)
	}
	if res.code != code {
		t.Errorf("exit %d, want %d\n%s", res.code, code, res)
	}
	if !strings.Contains(res.stderr, want) {
		t.Errorf("stderr does not say %q\n%s", want, res)
	}
}

// plainListener is a TCP listener on a non-loopback address of this
// machine, counting the connections it gets: plain http to it must be
// refused before any.
type plainListener struct {
	url   string
	conns atomic.Int64
}

func plainHTTPListener(t *testing.T) *plainListener {
	t.Helper()
	ip := nonLoopbackIP(t)
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("listening on %s: %v", ip, err)
	}
	pl := &plainListener{url: fmt.Sprintf("http://%s/legacy/", ln.Addr())}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			pl.conns.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return pl
}

func nonLoopbackIP(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
				return ipn.IP.String()
			}
		}
	}
	t.Fatalf("this machine has no non-loopback IPv4 address to stand for a remote host (%v)", err)
	return ""
}
