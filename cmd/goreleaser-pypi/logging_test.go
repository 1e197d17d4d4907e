package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestANSIStripper(t *testing.T) {
	var b bytes.Buffer
	s := &ansiStripper{w: &b}
	in := "\x1b[1;94m  •\x1b[m uploaded \x1b[1;94mfile\x1b[m=a.whl\n"
	// Split inside a sequence, as a writer may.
	for _, part := range []string{in[:3], in[3:20], in[20:]} {
		if n, err := s.Write([]byte(part)); err != nil || n != len(part) {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got, want := b.String(), "  • uploaded file=a.whl\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestLoggerPlainUnderCI(t *testing.T) {
	t.Setenv("CI", "true") // caarlos0/log would force colours
	var b bytes.Buffer
	newLogger(&b, func(string) string { return "" }).WithField("file", "a.whl").Info("uploaded")
	if strings.Contains(b.String(), "\x1b") {
		t.Fatalf("escape codes in plain output: %q", b.String())
	}
	b.Reset()
	newLogger(&b, func(k string) string { return map[string]string{"GITHUB_ACTIONS": "true"}[k] }).Info("x")
	if !strings.Contains(b.String(), "\x1b") {
		t.Fatalf("GitHub Actions output should keep colours: %q", b.String())
	}
}
