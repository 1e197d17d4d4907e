package index_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/index"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// Real build backends (Debian's python3-build, python3-setuptools, flit)
// and the reference uploader (twine), as scripts/test installs them.
const (
	debianPython = "/usr/bin/python3"
	twineBin     = "/usr/bin/twine"
	testToken    = "pypi-index-test-token"
)

func needBackends(t *testing.T) {
	t.Helper()
	if out, err := exec.Command(debianPython, "-c", "import build, setuptools, flit_core").CombinedOutput(); err != nil {
		t.Skipf("Debian's python3-build, python3-setuptools and flit are needed to build test distributions: %v %s", err, out)
	}
}

// project is a source tree: file contents by path, and which are executable.
type project struct {
	files map[string]string
	exec  map[string]bool
}

func (p project) with(path, content string) project {
	q := project{files: map[string]string{}, exec: map[string]bool{}}
	for k, v := range p.files {
		q.files[k] = v
	}
	for k, v := range p.exec {
		q.exec[k] = v
	}
	q.files[path] = content
	return q
}

func (p project) executable(path string) project {
	q := p.with(path, p.files[path])
	q.exec[path] = true
	return q
}

// setuptoolsProject has a module, a package-data script (whose mode the
// wheel keeps) and a console script.
var setuptoolsProject = project{files: map[string]string{
	"pyproject.toml": `[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "rebuiltdemo"
version = "0.1.0"
description = "A demo that is built again"
requires-python = ">=3.8"

[project.scripts]
rebuiltdemo = "rebuiltdemo:main"

[tool.setuptools.package-data]
rebuiltdemo = ["*.sh"]
`,
	"src/rebuiltdemo/__init__.py": "def main():\n    print(\"hello\")\n",
	"src/rebuiltdemo/tool.sh":     "#!/bin/sh\necho hello\n",
}}

var flitProject = project{files: map[string]string{
	"pyproject.toml": `[build-system]
requires = ["flit_core>=3.2,<4"]
build-backend = "flit_core.buildapi"

[project]
name = "flitrebuilt"
version = "0.2.0"
description = "A flit demo that is built again"
requires-python = ">=3.8"
`,
	"flitrebuilt.py": "\"\"\"A flit demo.\"\"\"\n\n__version__ = \"0.2.0\"\n",
}}

// build writes p into a fresh directory (fresh mtimes) and builds its
// wheel and sdist with SOURCE_DATE_EPOCH=epoch, returning them inspected.
func build(t *testing.T, p project, epoch int64) (wheel, sdist *dist.Distribution) {
	t.Helper()
	wheel, sdist, err := buildIn(t.TempDir(), p, epoch)
	if err != nil {
		t.Fatal(err)
	}
	return wheel, sdist
}

func buildIn(root string, p project, epoch int64) (wheel, sdist *dist.Distribution, err error) {
	src, out := filepath.Join(root, "src"), filepath.Join(root, "dist")
	for name, content := range p.files {
		path := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, nil, err
		}
		mode := os.FileMode(0o644)
		if p.exec[name] {
			mode = 0o755
		}
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			return nil, nil, err
		}
		if err := os.Chmod(path, mode); err != nil { // past the umask
			return nil, nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, debianPython, "-m", "build", "--no-isolation", "--outdir", out, src)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+strconv.FormatInt(epoch, 10))
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, nil, fmt.Errorf("python3 -m build: %w\n%s", err, b)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		d, problems, err := dist.Inspect(filepath.Join(out, e.Name()), dist.Options{})
		if err != nil || len(problems) > 0 {
			return nil, nil, fmt.Errorf("inspecting %s: %v %v", e.Name(), err, problems)
		}
		switch d.Type {
		case dist.Wheel:
			wheel = d
		case dist.Sdist:
			sdist = d
		}
	}
	if wheel == nil || sdist == nil {
		return nil, nil, fmt.Errorf("the build wrote %v, not a wheel and an sdist", entries)
	}
	return wheel, sdist, nil
}

func needTwine(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(twineBin); err != nil {
		t.Skipf("twine not installed at %s (Debian package twine): %v", twineBin, err)
	}
}

// upload publishes files to srv with twine, the reference client.
func upload(t *testing.T, srv *pypitest.Server, files ...*dist.Distribution) {
	t.Helper()
	needTwine(t)
	if err := uploadFiles(srv, t.TempDir(), files...); err != nil {
		t.Fatal(err)
	}
}

// uploadFiles runs twine with home as its HOME; the token goes in the
// environment, never on the command line.
func uploadFiles(srv *pypitest.Server, home string, files ...*dist.Distribution) error {
	args := []string{"upload", "--repository-url", srv.RepositoryURL, "-u", "__token__", "--disable-progress-bar"}
	for _, f := range files {
		args = append(args, f.Path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, twineBin, args...)
	cmd.Env = append(os.Environ(), "TWINE_PASSWORD="+testToken, "TWINE_NON_INTERACTIVE=1", "HOME="+home)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("twine upload: %w\n%s", err, out)
	}
	return nil
}

// listedJSON is the file as PyPI's JSON API lists it.
func listedJSON(t *testing.T, srv *pypitest.Server, d *dist.Distribution) index.RemoteFile {
	t.Helper()
	page := srv.URL + "/pypi/" + dist.NormalizeName(d.Name()) + "/" + d.Version() + "/json"
	var v struct {
		URLs []struct {
			Filename string `json:"filename"`
			URL      string `json:"url"`
			Size     int64  `json:"size"`
			Digests  struct {
				SHA256 string `json:"sha256"`
			} `json:"digests"`
		} `json:"urls"`
	}
	getJSON(t, page, "application/json", &v)
	for _, f := range v.URLs {
		if f.Filename == d.Filename {
			return index.RemoteFile{URL: f.URL, Page: page, SHA256: f.Digests.SHA256, Size: f.Size}
		}
	}
	t.Fatalf("%s does not list %s", page, d.Filename)
	return index.RemoteFile{}
}

// listedSimple is the file as the PEP 691 simple page lists it.
func listedSimple(t *testing.T, srv *pypitest.Server, d *dist.Distribution) index.RemoteFile {
	t.Helper()
	page := srv.SimpleURL + dist.NormalizeName(d.Name()) + "/"
	var v struct {
		Files []struct {
			Filename string            `json:"filename"`
			URL      string            `json:"url"`
			Size     int64             `json:"size"`
			Hashes   map[string]string `json:"hashes"`
		} `json:"files"`
	}
	getJSON(t, page, "application/vnd.pypi.simple.v1+json", &v)
	for _, f := range v.Files {
		if f.Filename == d.Filename {
			return index.RemoteFile{URL: f.URL, Page: page, SHA256: f.Hashes["sha256"], Size: f.Size}
		}
	}
	t.Fatalf("%s does not list %s", page, d.Filename)
	return index.RemoteFile{}
}

func getJSON(t *testing.T, u, accept string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// fileDownloads counts the index's file downloads so far.
func fileDownloads(srv *pypitest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.Path, "/files/") {
			n++
		}
	}
	return n
}
