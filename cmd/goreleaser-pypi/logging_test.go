package main

import (
	"bytes"
	"strings"
	"testing"
)

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
