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
		// 0 is no limit on every command, as leaving the flag out: check
		// once refused it (exit 2) while upload accepted it.
		args = append(append([]string{}, cmd...), "--max-file-size", "0", wheel)
		if code, _, stderr := runCLI(t, env, args...); code != 0 {
			t.Errorf("%v: 0 must mean no limit: exit %d\n%s", args, code, stderr)
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

// TestMaxFileSizeHelp: the help says what happens, on every command that
// has the flag: no limit unless one is given (PyPI's is per project).
// check and wheel once claimed a default of 100MiB that nothing applied.
func TestMaxFileSizeHelp(t *testing.T) {
	for _, cmd := range []string{"check", "wheel", "upload", "publish"} {
		code, stdout, stderr := runCLI(t, nil, cmd, "--help")
		var line string
		for l := range strings.SplitSeq(stdout, "\n") {
			if strings.Contains(l, "--max-file-size") {
				line = l
			}
		}
		if code != 0 || line == "" {
			t.Fatalf("%s --help: exit %d, no --max-file-size line\n%s%s", cmd, code, stdout, stderr)
		}
		if !strings.Contains(line, "default: none, as with 0") || !strings.Contains(line, "PyPI's default per-file limit is 100 MiB") || strings.Contains(line, "(default 100MiB") {
			t.Errorf("%s --help:\n%s", cmd, line)
		}
	}
}
