package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

const modulePath = "github.com/goreleaser-pypi/goreleaser-pypi"

// TestGoInstallReportsModuleVersion installs goreleaser-pypi the way the
// docs and the example workflow do, `go install .../cmd/goreleaser-pypi@vX`,
// from a module proxy holding this checkout as version v1.2.3 (a directory,
// GOPROXY=file://...; the dependencies come from the local module cache):
// the binary reports v1.2.3, not "dev", though no -ldflags set it. A build
// with -X main.version still reports that version.
func TestGoInstallReportsModuleVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds goreleaser-pypi twice; skipped with -short")
	}
	const version = "v1.2.3"
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	modCache := goEnv(t, "GOMODCACHE")

	// The proxy: list, .info, .mod and the module zip, as proxy.golang.org
	// serves them.
	proxy := t.TempDir()
	dir := filepath.Join(proxy, filepath.FromSlash(modulePath), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	zf, err := os.Create(filepath.Join(dir, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := modzip.CreateFromDir(zf, module.Version{Path: modulePath, Version: version}, root); err != nil {
		t.Fatalf("zipping the module: %v", err)
	}
	if err := zf.Close(); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	info, _ := json.Marshal(map[string]string{"Version": version, "Time": "2026-01-02T03:04:05Z"})
	for name, data := range map[string][]byte{"list": []byte(version + "\n"), version + ".info": info, version + ".mod": gomod} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	bin := t.TempDir()
	install := exec.Command("go", "install", modulePath+"/cmd/goreleaser-pypi@"+version)
	install.Dir = t.TempDir() // outside any module, like a user's shell
	install.Env = append(os.Environ(),
		"GOPROXY=file://"+filepath.ToSlash(proxy)+",file://"+filepath.ToSlash(filepath.Join(modCache, "cache", "download")),
		"GOSUMDB=off", // this v1.2.3 is not in the checksum database; the dependencies are checked against go.sum
		"GOMODCACHE="+t.TempDir(),
		// -modcacherw: the test's temporary module cache can be removed;
		// -trimpath: the build cache is reused across runs despite it.
		"GOFLAGS=-modcacherw -trimpath",
		"GOBIN="+bin, "GOWORK=off", "GOTOOLCHAIN=local")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install @%s: %v\n%s", version, err, out)
	}
	if got := versionOf(t, filepath.Join(bin, "goreleaser-pypi")); got != version {
		t.Fatalf("go install @%s: --version says %q", version, got)
	}

	// The release build's way (the project's .goreleaser.yaml).
	ldflagsBin := filepath.Join(t.TempDir(), "goreleaser-pypi")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=2.0.0", "-o", ldflagsBin, "./cmd/goreleaser-pypi")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if got := versionOf(t, ldflagsBin); got != "2.0.0" {
		t.Fatalf("-X main.version=2.0.0: --version says %q", got)
	}
}

// versionOf runs bin --version and returns the version it prints.
func versionOf(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", bin, err, out)
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "goreleaser-pypi version ")
	if !ok {
		t.Fatalf("%s --version printed %q", bin, out)
	}
	return v
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}
