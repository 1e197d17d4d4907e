// Package secrets checks captured output (logs, errors, stdout, step
// summaries, files) for leaked secrets: API tokens, identity tokens (JWTs),
// CI request tokens, minted tokens. Tests hand it everything a run printed
// and every secret the run had.
//
// A secret leaks when an output contains it whole, a 24-character stretch of
// it (a truncated token is still a leak), or its HTTP Basic credentials form
// base64("__token__:" + secret). Lines that are GitHub Actions'
// `::add-mask::` command are exempt: printing the secret there is how the
// runner learns to hide it.
package secrets

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// window is the length of a secret's stretch that counts as a leak.
const window = 24

// Leak is one secret found in one output.
type Leak struct {
	Output string // the output's name, e.g. "stderr"
	Line   int    // 1-based line number
	Secret int    // index of the secret in the list given
	Form   string // "whole", "partial" or "basic-auth"
}

// String names the leak without showing the secret.
func (l Leak) String() string {
	return fmt.Sprintf("%s line %d: secret #%d (%s)", l.Output, l.Line, l.Secret, l.Form)
}

// Find returns every leak of secrets in outputs. Empty secrets are ignored.
func Find(outputs map[string]string, secrets ...string) []Leak {
	names := make([]string, 0, len(outputs))
	for name := range outputs {
		names = append(names, name)
	}
	sort.Strings(names)
	var leaks []Leak
	for _, name := range names {
		for i, line := range strings.Split(outputs[name], "\n") {
			if isMaskCommand(line) {
				continue
			}
			for j, s := range secrets {
				if form := leakForm(line, s); form != "" {
					leaks = append(leaks, Leak{Output: name, Line: i + 1, Secret: j, Form: form})
				}
			}
		}
	}
	return leaks
}

// Scan fails t for every leak of secrets in outputs (a map from the
// output's name, e.g. "stderr", to what it captured). It never prints a
// secret, only where it was found.
func Scan(t testing.TB, outputs map[string]string, secrets ...string) {
	t.Helper()
	if !hasSecret(secrets) {
		t.Fatalf("secrets.Scan: no secrets given: the scan would pass vacuously")
	}
	for _, l := range Find(outputs, secrets...) {
		t.Errorf("secret leaked: %s", l)
	}
}

func hasSecret(secrets []string) bool {
	for _, s := range secrets {
		if s != "" {
			return true
		}
	}
	return false
}

// isMaskCommand reports whether line is `::add-mask::<value>`, possibly
// after whitespace (the runner trims it) and a carriage return.
func isMaskCommand(line string) bool {
	return strings.HasPrefix(strings.TrimLeft(line, " \t"), "::add-mask::")
}

// leakForm says how secret appears in line, or "".
func leakForm(line, secret string) string {
	if secret == "" {
		return ""
	}
	if strings.Contains(line, secret) {
		return "whole"
	}
	basic := base64.StdEncoding.EncodeToString([]byte("__token__:" + secret))
	if strings.Contains(line, strings.TrimRight(basic, "=")) {
		return "basic-auth"
	}
	if len(secret) > window {
		for i := 0; i+window <= len(secret); i++ {
			if strings.Contains(line, secret[i:i+window]) {
				return "partial"
			}
		}
	}
	return ""
}
