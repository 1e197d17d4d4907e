package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestBuildVersion(t *testing.T) {
	installed := &debug.BuildInfo{Main: debug.Module{Path: "github.com/goreleaser-pypi/goreleaser-pypi", Version: "v1.2.3"}}
	devel := &debug.BuildInfo{Main: debug.Module{Path: "github.com/goreleaser-pypi/goreleaser-pypi", Version: "(devel)"}}
	for _, tt := range []struct {
		name, ldflags string
		info          *debug.BuildInfo
		want          string
	}{
		{"release build (-X main.version)", "1.2.3", installed, "1.2.3"},
		{"go install @v1.2.3", "dev", installed, "v1.2.3"},
		{"go build in a checkout", "dev", devel, "dev"},
		{"no build info", "dev", nil, "dev"},
		{"empty ldflags value", "", installed, "v1.2.3"},
	} {
		if got := buildVersion(tt.ldflags, tt.info); got != tt.want {
			t.Errorf("%s: buildVersion(%q, %v) = %q, want %q", tt.name, tt.ldflags, tt.info, got, tt.want)
		}
	}
}

// TestVersionFlag: the binary under test was built by go test, whose build
// info has no module version, so --version says what main.version says.
func TestVersionFlag(t *testing.T) {
	code, stdout, stderr := runCLI(t, nil, "--version")
	if code != 0 || !strings.HasPrefix(stdout, "goreleaser-pypi version ") {
		t.Fatalf("--version: exit %d %q %q", code, stdout, stderr)
	}
}
