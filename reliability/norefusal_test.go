package reliability

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// corpus is a file of testdata/corpus (real builds by real backends).
func corpus(name string) string {
	p, _ := filepath.Abs(filepath.Join("..", "testdata", "corpus", name))
	return p
}

// TestNoFalseRefusals: what PyPI accepts is published, through the CLI;
// where the index decides, a warning.
func TestNoFalseRefusals(t *testing.T) {
	cliBinary(t)
	srv := pypitest.NewServer(t, pypitest.WithToken(apiToken))
	up := func(files ...string) cliResult {
		return runCLI(t, cliOpts{args: append([]string{"upload", "--repository-url", srv.RepositoryURL}, files...), env: []string{"PYPI_API_TOKEN=" + apiToken}})
	}
	// setuptools 66 writes License-File under Metadata-Version 2.1; the
	// index refuses the license_file field there, so it must not be sent.
	res := up(corpus("licfile21-0.1.0-py3-none-any.whl"), corpus("licfile21-0.1.0.tar.gz"))
	if res.code != 0 || !strings.Contains(res.stderr, "License-File") {
		t.Errorf("setuptools 66 with a LICENSE: %s", res)
	}
	// A classifier newer than April 2023.
	if res := up(corpus("flitdjango-0.1.0-py2.py3-none-any.whl")); res.code != 0 {
		t.Errorf("Framework :: Django :: 5.2: %s", res)
	}
	// One no list knows: a warning naming the list's date; the index decides.
	res = runCLI(t, cliOpts{args: []string{"upload", "--dry-run", "--repository-url", srv.RepositoryURL, corpus("flitunknown-0.1.0-py2.py3-none-any.whl")}, env: []string{"PYPI_API_TOKEN=" + apiToken}})
	if res.code != 0 || !strings.Contains(res.stderr, "is not in trove-classifiers") {
		t.Errorf("unknown classifier: %s", res)
	}
	// ... refused by check --strict, silenced by --allow-classifier.
	if res := runCLI(t, cliOpts{args: []string{"check", "--strict", corpus("flitunknown-0.1.0-py2.py3-none-any.whl")}}); res.code != 1 {
		t.Errorf("check --strict: %s", res)
	}
	res = runCLI(t, cliOpts{args: []string{"check", "--allow-classifier", "Framework :: Foo :: 99", corpus("flitunknown-0.1.0-py2.py3-none-any.whl")}})
	if res.code != 0 || strings.Contains(res.stdout, "warning") {
		t.Errorf("--allow-classifier: %s", res)
	}
	// A reStructuredText description readme_renderer cannot render: refused
	// by check, with its line.
	res = runCLI(t, cliOpts{args: []string{"check", corpus("badrst-0.9.0-py3-none-any.whl")}})
	if res.code != 1 || !strings.Contains(res.stdout, "[description-render]") || !strings.Contains(res.stdout, "line ") {
		t.Errorf("bad RST: %s", res)
	}
}

// TestLargeFiles: no client-side guess at the index's per-project limit.
// A 286 MiB wheel uploads with no flag to an index that allows 1 GiB, in
// little memory; against an index that keeps PyPI's 100 MiB, a release of
// a small wheel and a 150 MiB one sends the big one first, alone, and
// leaves nothing on the index.
func TestLargeFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 436 MiB")
	}
	cliBinary(t)
	dir := t.TempDir()
	big, err := wheelgen.Write(dir, wheelgen.Spec{Name: "bigwheel", Version: "1.0.0", Size: 286 << 20, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	roomy := pypitest.NewServer(t, pypitest.WithToken(apiToken), pypitest.WithMaxFileSize(1<<30), pypitest.WithStorageDir(t.TempDir()))
	res := runCLI(t, cliOpts{args: []string{"upload", "--repository-url", roomy.RepositoryURL, big}, env: []string{"PYPI_API_TOKEN=" + apiToken}, timeout: 3 * 60e9})
	if res.code != 0 || len(roomy.Files()) != 1 {
		t.Fatalf("286 MiB wheel to an index allowing 1 GiB: %s", res)
	}
	if res.maxRSSKiB > 48<<10 {
		t.Errorf("peak RSS %d KiB for a 286 MiB upload, budget 48 MiB", res.maxRSSKiB)
	}
	figure(t, "large", "286 MiB wheel, no flag, index allowing 1 GiB: uploaded in %v, peak RSS %d KiB", res.took.Round(1e6), res.maxRSSKiB)

	small, err := wheelgen.Write(dir, wheelgen.Spec{Name: "mixed", Version: "1.0.0", Size: 4 << 10, Seed: 1, Tag: "py3-none-any"})
	if err != nil {
		t.Fatal(err)
	}
	huge, err := wheelgen.Write(dir, wheelgen.Spec{Name: "mixed", Version: "1.0.0", Size: 150 << 20, Seed: 2, Tag: "cp312-cp312-manylinux_2_17_x86_64"})
	if err != nil {
		t.Fatal(err)
	}
	strict := pypitest.NewServer(t, pypitest.WithToken(apiToken), pypitest.WithStorageDir(t.TempDir()))
	res = runCLI(t, cliOpts{args: []string{"upload", "--repository-url", strict.RepositoryURL, small, huge}, env: []string{"PYPI_API_TOKEN=" + apiToken}, timeout: 3 * 60e9})
	if res.code != 1 || len(strict.Files()) != 0 {
		t.Fatalf("a 150 MiB wheel to an index allowing 100 MiB: %d files stored\n%s", len(strict.Files()), res)
	}
	for _, want := range []string{"File too large", "was sent first, being over PyPI's default limit", "nothing else was uploaded"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("the failure does not say %q:\n%s", want, res.stderr)
		}
	}
}
