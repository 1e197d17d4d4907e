package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// TestMaxFileSizeUnits: every command reads sizes with the one parser.
// "100k" once meant 100 bytes in upload (and 100,000 in check), and
// "100x" was taken as 100 bytes.
func TestMaxFileSizeUnits(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(uploadTestToken))
	env := map[string]string{"PYPI_API_TOKEN": uploadTestToken}
	wheel := filepath.Join("..", "..", "testdata", "good", "tinyutil-0.1.0-py3-none-any.whl") // 1.3 KiB
	for _, cmd := range [][]string{
		{"upload", "--dry-run", "--repository-url", srv.RepositoryURL},
		{"check"},
	} {
		args := append(append([]string{}, cmd...), "--max-file-size", "100k", wheel)
		if code, _, stderr := runCLI(t, env, args...); code != 0 {
			t.Errorf("%v: 100k must be 100,000 bytes: exit %d\n%s", args, code, stderr)
		}
		args = append(append([]string{}, cmd...), "--max-file-size", "1k", wheel)
		if code, stdout, stderr := runCLI(t, env, args...); code != 1 || !strings.Contains(stdout+stderr, "the upload limit is 1000 B") && !strings.Contains(stdout+stderr, "file-size") {
			t.Errorf("%v: 1k must refuse a 1.3 KiB wheel: exit %d\n%s%s", args, code, stdout, stderr)
		}
		args = append(append([]string{}, cmd...), "--max-file-size", "100x", wheel)
		if code, _, stderr := runCLI(t, env, args...); code != 2 || !strings.Contains(stderr, "max-file-size") {
			t.Errorf("%v: 100x must be a usage error: exit %d\n%s", args, code, stderr)
		}
	}
	if n := len(srv.Requests()); n > 0 && srv.Stats().UploadAttempts != 0 {
		t.Errorf("a dry run uploaded")
	}
}

// TestBinaryDoesNotLinkTesting: serve and demo use the local index, which
// must not drag package testing into the product.
func TestBinaryDoesNotLinkTesting(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "testing" || strings.HasPrefix(dep, "github.com/goreleaser/goreleaser") {
			t.Errorf("the goreleaser-pypi binary links %s", dep)
		}
	}
}
