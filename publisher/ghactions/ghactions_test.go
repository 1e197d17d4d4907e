package ghactions

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestAnnotationEscapes(t *testing.T) {
	a := Annotation{Level: "error", File: "dist/a,b:c.whl", Title: "upload failed", Message: "100% broken\nsecond line"}
	want := "::error file=dist/a%2Cb%3Ac.whl,title=upload failed::100%25 broken%0Asecond line"
	if got := a.String(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestAddMask(t *testing.T) {
	var b bytes.Buffer
	AddMask(&b, "pypi-secret")
	AddMask(&b, "")
	if got := b.String(); got != "::add-mask::pypi-secret\n" {
		t.Fatalf("got %q", got)
	}
}

func TestStepSummary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.md")
	env := Env(func(k string) string {
		return map[string]string{"GITHUB_STEP_SUMMARY": path, "GITHUB_ACTIONS": "true"}[k]
	})
	if !env.Enabled() {
		t.Fatal("expected enabled")
	}
	if err := env.AppendStepSummary("| a |"); err != nil {
		t.Fatal(err)
	}
	if err := env.AppendStepSummary("| b |\n"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "| a |\n| b |\n" {
		t.Fatalf("got %q", got)
	}
	if err := Env(func(string) string { return "" }).AppendStepSummary("x"); err != nil {
		t.Fatal(err)
	}
}
