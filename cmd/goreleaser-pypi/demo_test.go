package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDemo runs the README's first command in-process: every step must
// succeed against the built-in index, including the final pip install.
func TestDemo(t *testing.T) {
	args := []string{"demo"}
	if _, err := exec.LookPath("python3"); err != nil {
		args = append(args, "--no-pip")
	}
	code, stdout, stderr := runCLI(t, map[string]string{}, args...)
	if code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"step 1", "uploaded=2", "step 2", "skipped=2", "step 3",
		"nothing was published", "refused before any upload", "demo complete",
		"next: rehearse a real GoReleaser release", "docs/rehearsal.md",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("demo output lacks %q:\n%s", want, stderr)
		}
	}
	if len(args) == 1 && !strings.Contains(stderr, "demo_hello imported from") {
		t.Errorf("demo did not import the installed package:\n%s", stderr)
	}
}
