package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

const publishTestToken = "pypi-AgEIcHlwaS5vcmcpublishtest0123456789abcdef"

// releaseDir lays out what `goreleaser release` leaves behind for
// tinyutil (real files from testdata/good): the wheel and sdist of uv builds
// "python-wheel" and "python-sdist", a Go binary, and dist/artifacts.json
// in GoReleaser's format, with paths relative to the project root. It
// returns the dist directory's absolute path.
func releaseDir(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	type entry struct {
		Name         string         `json:"name"`
		Path         string         `json:"path"`
		Goos         string         `json:"goos,omitempty"`
		Goarch       string         `json:"goarch,omitempty"`
		InternalType int            `json:"internal_type"`
		Type         string         `json:"type"`
		Extra        map[string]any `json:"extra,omitempty"`
	}
	list := []entry{
		{Name: "metadata.json", Path: "dist/metadata.json", InternalType: 35, Type: "Metadata"},
		{Name: "tinyutil", Path: "dist/tinyutil_linux_amd64_v1/tinyutil", Goos: "linux", Goarch: "amd64", InternalType: 4, Type: "Binary",
			Extra: map[string]any{"ID": "tinyutil", "Builder": "go", "Binary": "tinyutil"}},
	}
	for _, f := range []struct{ name, id, typ, ext string }{
		{"tinyutil-0.1.0-py3-none-any.whl", "python-wheel", "Wheel", ".whl"},
		{"tinyutil-0.1.0.tar.gz", "python-sdist", "Source Dist", ".tar.gz"},
	} {
		rel := "dist/" + f.id + "_none-any/" + f.name
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "good", f.name))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
		list = append(list, entry{Name: f.name, Path: rel, Goos: "all", Goarch: "all", InternalType: 33, Type: f.typ,
			Extra: map[string]any{"ID": f.id, "Builder": "uv", "Ext": f.ext}})
	}
	b, _ := json.Marshal(list)
	if err := os.WriteFile(filepath.Join(root, "dist", "artifacts.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "dist")
}

// settings writes a settings file and returns its path.
func settings(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".goreleaser-pypi.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type publishJSON struct {
	Targets []struct {
		Target string     `json:"target"`
		Report jsonReport `json:"report"`
	} `json:"targets"`
	NotAttempted []string `json:"not_attempted"`
}

func TestPublishCommand(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(publishTestToken))
	dist := releaseDir(t)
	cfg := settings(t, fmt.Sprintf("targets:\n  - name: local\n    repository_url: %s\n    ids: [python-wheel, python-sdist]\n", srv.RepositoryURL))
	env := map[string]string{"PYPI_API_TOKEN": publishTestToken}

	// A dry run reads the index and uploads nothing.
	code, stdout, stderr := runCLI(t, env, "publish", "--dist", dist, "--config", cfg, "--dry-run", "--json")
	if code != 0 {
		t.Fatalf("dry run exited %d\n%s", code, stderr)
	}
	var res publishJSON
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(res.Targets) != 1 || res.Targets[0].Report.Summary.WouldUpload != 2 || len(srv.Files()) != 0 {
		t.Fatalf("dry run: %+v, index has %d files", res, len(srv.Files()))
	}

	code, stdout, stderr = runCLI(t, env, "publish", "--dist", dist, "--config", cfg, "--json")
	if code != 0 {
		t.Fatalf("publish exited %d\n%s", code, stderr)
	}
	res = publishJSON{}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(res.Targets) != 1 || res.Targets[0].Target != "local" || !res.Targets[0].Report.OK || res.Targets[0].Report.Summary.Uploaded != 2 {
		t.Fatalf("publish: %+v", res)
	}
	if len(srv.Files()) != 2 {
		t.Fatalf("index has %d files", len(srv.Files()))
	}
	if strings.Contains(stdout+stderr, publishTestToken) {
		t.Fatal("the token is in the output")
	}
}

// TestPublishCommandErrors pins what the user sees for each mistake; none
// of them reaches the index.
func TestPublishCommandErrors(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(publishTestToken))
	dist := releaseDir(t)
	token := map[string]string{"PYPI_API_TOKEN": publishTestToken}
	for _, c := range []struct {
		name     string
		yaml     string // settings file; "" for none
		args     []string
		env      map[string]string
		wantCode int
		want     []string
	}{
		{
			name:     "typo in a key",
			yaml:     "targets:\n  - name: local\n    repositry_url: %s\n",
			wantCode: 2,
			want:     []string{`.goreleaser-pypi.yaml:3:5: target "local": unknown key "repositry_url": did you mean "repository_url"?`},
		},
		{
			name:     "plain http to a public host",
			yaml:     "targets:\n  - name: corp\n    repository_url: http://pypi.corp.example/legacy/\n",
			wantCode: 2,
			want:     []string{`.goreleaser-pypi.yaml:3:21: target "corp": repository_url: "http://pypi.corp.example/legacy/" uses plain http: use https`},
		},
		{
			name:     "unparsable URL",
			yaml:     "targets:\n  - name: corp\n    repository_url: \"https://pypi corp/legacy/\"\n",
			wantCode: 2,
			want:     []string{`target "corp": repository_url: "https://pypi corp/legacy/" is not a valid URL`},
		},
		{
			name:     "unset variable in the file",
			yaml:     "targets:\n  - name: staging\n    repository_url: ${STAGING_URL}\n",
			wantCode: 2,
			want:     []string{`.goreleaser-pypi.yaml:3:21: target "staging": repository_url: environment variable STAGING_URL is not set (export it, or write ${STAGING_URL:-default} to make it optional)`},
		},
		{
			name:     "token variable not set",
			yaml:     "targets:\n  - name: local\n    repository_url: %s\n    trusted_publishing: never\n    token_env: LOCAL_TOKEN\n",
			env:      token, // PYPI_API_TOKEN is set, but this target reads LOCAL_TOKEN
			wantCode: 1,
			want: []string{
				`nothing was published:`,
				`.goreleaser-pypi.yaml:4:25: target "local": trusted_publishing is never, so an API token is required, but environment variable LOCAL_TOKEN is not set`,
				`LOCAL_TOKEN={{ index .Env "LOCAL_TOKEN" }}`,
			},
		},
		{
			name:     "unknown build id",
			yaml:     "targets:\n  - name: local\n    repository_url: %s\n    ids: [python-wheel, pyhton-sdist]\n",
			env:      token,
			wantCode: 1,
			want: []string{
				`target "local" (` + "%CFG%" + `:2): build id "pyhton-sdist" matches no artifact in `,
				`Python build ids present: "python-sdist", "python-wheel" (other ids: "tinyutil")`,
			},
		},
		{
			name:     "the id of a Go build",
			yaml:     "targets:\n  - name: local\n    repository_url: %s\n    ids: [tinyutil]\n",
			env:      token,
			wantCode: 1,
			want:     []string{`build id "tinyutil" has no wheel or sdist in `, `(its artifacts are: Binary)`},
		},
		{
			name:     "unknown target",
			yaml:     "targets:\n  - name: local\n    repository_url: %s\n",
			args:     []string{"--target", "pypi"},
			wantCode: 2,
			want:     []string{`no target named "pypi" (targets: "local")`},
		},
		{
			name:     "missing settings file",
			args:     []string{"--config", "nope.yaml"},
			wantCode: 2,
			want:     []string{"settings file nope.yaml not found"},
		},
		{
			name:     "no artifacts.json",
			yaml:     "targets:\n  - name: local\n    repository_url: %s\n",
			args:     []string{"--dist", "%EMPTY%"},
			env:      token,
			wantCode: 1,
			want:     []string{"artifacts.json not found: GoReleaser writes it at the end of `goreleaser release`"},
		},
		{
			name:     "a bad flag value",
			yaml:     "targets:\n  - name: local\n    repository_url: %s\n",
			args:     []string{"--concurrency", "0"},
			wantCode: 2,
			want:     []string{`flag --concurrency: target "local": concurrency: must be between 1 and 64, got 0`},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"publish", "--dist", dist}
			cfg := ""
			if c.yaml != "" {
				y := c.yaml
				if strings.Contains(y, "%s") {
					y = fmt.Sprintf(y, srv.RepositoryURL)
				}
				cfg = settings(t, y)
				args = append(args, "--config", cfg)
			}
			for _, a := range c.args {
				if a == "%EMPTY%" {
					a = t.TempDir()
				}
				args = append(args, a)
			}
			code, stdout, stderr := runCLI(t, c.env, args...)
			if code != c.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.wantCode, stdout, stderr)
			}
			for _, w := range c.want {
				w = strings.ReplaceAll(w, "%CFG%", cfg)
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if n := len(srv.Requests()); n != 0 {
				t.Fatalf("%d requests reached the index", n)
			}
		})
	}
}

func TestPublishCommandNothingToDo(t *testing.T) {
	dist := releaseDir(t)
	cfg := settings(t, "targets:\n  - name: pypi\n    disable: true\n")
	code, _, stderr := runCLI(t, nil, "publish", "--dist", dist, "--config", cfg)
	if code != 0 || !strings.Contains(stderr, "nothing to publish") || !strings.Contains(stderr, "every target in "+cfg+" is disabled") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

// TestPublishCommandDryRunWithoutToken: a dry run reports the missing token
// and goes on to show what would be uploaded.
func TestPublishCommandDryRunWithoutToken(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(publishTestToken))
	dist := releaseDir(t)
	cfg := settings(t, fmt.Sprintf("targets:\n  - name: local\n    repository_url: %s\n    trusted_publishing: never\n", srv.RepositoryURL))
	code, stdout, stderr := runCLI(t, nil, "publish", "--dist", dist, "--config", cfg, "--dry-run", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "a real run would stop here") || !strings.Contains(stderr, "environment variable PYPI_API_TOKEN is not set") {
		t.Errorf("stderr:\n%s", stderr)
	}
	var res publishJSON
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || len(res.Targets) != 1 || res.Targets[0].Report.Summary.WouldUpload != 2 {
		t.Fatalf("%v: %s", err, stdout)
	}
	if len(srv.Files()) != 0 {
		t.Fatal("a dry run uploaded")
	}
}
