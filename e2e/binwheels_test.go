package e2e

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestBinaryWheels: the example's Go CLI, built by GoReleaser for
// linux/darwin/windows × amd64/arm64, is published by the same goreleaser
// release as six platform wheels beside the Python package, by trusted
// publishing; pip installs the right one into a fresh venv and the command
// runs. The wheels pass twine check and Python's zipfile test, and a
// re-run of the tag builds byte-identical wheels (nothing is uploaded again).
func TestBinaryWheels(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("installs the linux/amd64 wheel with pip on this machine")
	}
	srv := newIndex(t)
	p := newProject(t, func(p *project) {
		p.replace(".goreleaser.yaml", "goos: [linux]", "goos: [linux, darwin, windows]")
		p.replace(".goreleaser.yaml", "goarch: [amd64]", "goarch: [amd64, arm64]")
	})
	env := ciEnv(tl, srv, t.TempDir()+"/summary.md")
	out, err := release(t, tl, p, env)
	if err != nil {
		t.Fatalf("goreleaser release: %v\n%s", err, out)
	}
	wheels, _ := filepath.Glob(p.path("dist/goreleaser-pypi/wheels/*.whl"))
	var tags []string
	for _, w := range wheels {
		tags = append(tags, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(w), "polyglot-0.1.0-py3-none-"), ".whl"))
	}
	slices.Sort(tags)
	want := []string{
		"macosx_12_0_arm64", "macosx_12_0_x86_64", // Go 1.25–1.26 need macOS 12
		"manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64",
		"manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_1_x86_64",
		"win_amd64", "win_arm64",
	}
	if !slices.Equal(tags, want) {
		t.Fatalf("platform wheels: %v\nwant %v", tags, want)
	}
	onIndex := indexFiles(t, srv, "polyglot")
	if len(onIndex) != 6 {
		t.Fatalf("the index holds %d wheels of polyglot: %v", len(onIndex), onIndex)
	}
	if got := indexFiles(t, srv, "polyglotdemo"); len(got) != 2 {
		t.Fatalf("the Python package: %v", got)
	}

	// twine check and zipfile's own test on every wheel.
	if _, err := exec.LookPath("twine"); err == nil {
		out, err := run(t, p.dir, hermeticEnv(), "twine", append([]string{"check", "--strict"}, wheels...)...)
		switch {
		case err != nil && strings.Contains(out, "using a supported Metadata-Version") && !strings.Contains(out, "2.4"):
			// Debian's twine 4.0.2 (pkginfo 1.8) reads Metadata up to 2.2;
			// the example's SPDX license makes 2.4 wheels. Metadata 2.1
			// binary wheels pass twine check --strict in publisher/binwheel.
			t.Logf("this twine cannot read Metadata 2.4: %s", firstLine(out))
		case err != nil:
			t.Errorf("twine check: %v\n%s", err, out)
		}
	} else {
		t.Error("twine is not installed (scripts/test installs Debian's twine)")
	}
	for _, w := range wheels {
		if out, err := run(t, p.dir, hermeticEnv(), "python3", "-m", "zipfile", "-t", w); err != nil {
			t.Errorf("zipfile -t %s: %v\n%s", filepath.Base(w), err, out)
		}
	}

	// pip install into a fresh venv picks the linux/amd64 wheel; the command runs.
	venv := filepath.Join(t.TempDir(), "venv")
	if out, err := run(t, p.dir, hermeticEnv(), "python3", "-m", "venv", venv); err != nil {
		t.Fatalf("venv: %v\n%s", err, out)
	}
	pipEnv := append(hermeticEnv(), "PIP_CONFIG_FILE=/dev/null", "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_CACHE_DIR=1")
	if out, err := run(t, p.dir, pipEnv, filepath.Join(venv, "bin", "pip"), "install", "--index-url", srv.SimpleURL, "polyglot==0.1.0"); err != nil {
		t.Fatalf("pip install polyglot: %v\n%s", err, out)
	} else if !strings.Contains(out, "manylinux_2_17_x86_64") && !strings.Contains(out, "Successfully installed polyglot-0.1.0") {
		t.Errorf("pip output:\n%s", out)
	}
	if out, err := run(t, p.dir, hermeticEnv(), filepath.Join(venv, "bin", "polyglot"), "-version"); err != nil || strings.TrimSpace(out) != "0.1.0" {
		t.Fatalf("polyglot -version from the venv: %v %q", err, out)
	}

	// Re-run the tag: the wheels come out byte for byte the same.
	before := map[string]string{}
	for _, w := range wheels {
		before[filepath.Base(w)] = sha256File(t, w)
	}
	uploads, _ := srv.UploadAttempts()
	if out, err := release(t, tl, p, env); err != nil {
		t.Fatalf("re-run: %v\n%s", err, out)
	}
	for name, sum := range before {
		if got := sha256File(t, p.path("dist/goreleaser-pypi/wheels/"+name)); got != sum {
			t.Errorf("%s differs on a rebuild", name)
		}
	}
	if now, _ := srv.UploadAttempts(); now != uploads {
		t.Errorf("the re-run uploaded %d files", now-uploads)
	}
}
