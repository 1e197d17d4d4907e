package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestParentOf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if got := parentOf(os.Getpid()); got != os.Getppid() {
		t.Fatalf("parentOf(self) = %d, want %d", got, os.Getppid())
	}
	if parentIsGoReleaser(os.Getppid()) {
		t.Fatal("go test is not goreleaser")
	}
}

// TestParentIsGoReleaserThroughShell runs a process named "goreleaser" that
// starts "sh -c" which starts a probe; the probe's ancestors include goreleaser.
func TestParentIsGoReleaserThroughShell(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	// A copy of sh named goreleaser plays GoReleaser; it runs sh -c, which
	// runs the probe (this test binary in helper mode).
	dir := t.TempDir()
	fake := filepath.Join(dir, "goreleaser")
	b, err := os.ReadFile(sh)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fake, b, 0o755); err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	cmd := exec.Command(fake, "-c", sh+" -c '"+self+" -test.run=TestParentProbe'; true")
	cmd.Env = append(os.Environ(), "PARENT_PROBE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "under-goreleaser=true") {
		t.Fatalf("probe did not see goreleaser among its ancestors:\n%s", out)
	}
}

func TestParentProbe(t *testing.T) {
	if os.Getenv("PARENT_PROBE") != "1" {
		t.Skip("helper process for TestParentIsGoReleaserThroughShell")
	}
	if parentIsGoReleaser(os.Getppid()) {
		os.Stdout.WriteString("under-goreleaser=true\n")
	} else {
		os.Stdout.WriteString("under-goreleaser=false\n")
	}
}
