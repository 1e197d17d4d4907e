package binwheel

import (
	"errors"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// platformRows is every row of the mapping: the tag, or "" when PyPI has no
// tag for the target.
var platformRows = []struct {
	t    Target
	want string
}{
	// Linux: one compound tag for glibc and musl systems.
	{Target{GOOS: "linux", GOARCH: "amd64"}, "manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_1_x86_64"},
	{Target{GOOS: "linux", GOARCH: "amd64", GOAMD64: "v1"}, "manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_1_x86_64"},
	{Target{GOOS: "linux", GOARCH: "amd64", GOAMD64: "v2"}, ""},
	{Target{GOOS: "linux", GOARCH: "amd64", GOAMD64: "v3"}, ""},
	{Target{GOOS: "linux", GOARCH: "arm64", GOARM64: "v8.0"}, "manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64"},
	{Target{GOOS: "linux", GOARCH: "arm64", GOARM64: "v8.0,lse"}, ""},
	{Target{GOOS: "linux", GOARCH: "arm64", GOARM64: "v9.0"}, ""},
	{Target{GOOS: "linux", GOARCH: "386"}, "manylinux_2_17_i686.manylinux2014_i686.musllinux_1_1_i686"},
	{Target{GOOS: "linux", GOARCH: "arm", GOARM: "7"}, "manylinux_2_17_armv7l.manylinux2014_armv7l.musllinux_1_1_armv7l"},
	{Target{GOOS: "linux", GOARCH: "arm"}, "manylinux_2_17_armv7l.manylinux2014_armv7l.musllinux_1_1_armv7l"},
	{Target{GOOS: "linux", GOARCH: "arm", GOARM: "6"}, "linux_armv6l"},
	{Target{GOOS: "linux", GOARCH: "arm", GOARM: "5"}, ""},
	{Target{GOOS: "linux", GOARCH: "ppc64le", GOPPC64: "power8"}, "manylinux_2_17_ppc64le.manylinux2014_ppc64le.musllinux_1_1_ppc64le"},
	{Target{GOOS: "linux", GOARCH: "ppc64le", GOPPC64: "power9"}, ""},
	{Target{GOOS: "linux", GOARCH: "s390x"}, "manylinux_2_17_s390x.manylinux2014_s390x.musllinux_1_1_s390x"},
	{Target{GOOS: "linux", GOARCH: "riscv64", GORISCV64: "rva20u64"}, "manylinux_2_17_riscv64.musllinux_1_1_riscv64"},
	{Target{GOOS: "linux", GOARCH: "riscv64", GORISCV64: "rva22u64"}, ""},
	{Target{GOOS: "linux", GOARCH: "ppc64"}, ""},
	{Target{GOOS: "linux", GOARCH: "mips"}, ""},
	{Target{GOOS: "linux", GOARCH: "mipsle"}, ""},
	{Target{GOOS: "linux", GOARCH: "mips64"}, ""},
	{Target{GOOS: "linux", GOARCH: "loong64"}, ""},
	// macOS: the floor of the Go release that built the binary.
	{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.26.8"}, "macosx_12_0_x86_64"},
	{Target{GOOS: "darwin", GOARCH: "arm64", GoVersion: "go1.26.8"}, "macosx_12_0_arm64"},
	{Target{GOOS: "darwin", GOARCH: "all", GoVersion: "go1.26.8"}, "macosx_12_0_universal2"},
	{Target{GOOS: "darwin", GOARCH: "all", GoVersion: "go1.26.8", GOAMD64: "v1", GOARM64: "v8.0"}, "macosx_12_0_universal2"},
	{Target{GOOS: "darwin", GOARCH: "all", GoVersion: "go1.26.8", GOAMD64: "v3", GOARM64: "v8.0"}, ""},
	{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.26.8", GOAMD64: "v3"}, ""},
	{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.25.0"}, "macosx_12_0_x86_64"},
	{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.25rc2"}, "macosx_12_0_x86_64"},
	{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.27.2"}, "macosx_13_0_x86_64"},
	{Target{GOOS: "darwin", GOARCH: "arm64", GoVersion: "go1.27.2"}, "macosx_13_0_arm64"},
	{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.24.4"}, "macosx_11_0_x86_64"},
	{Target{GOOS: "darwin", GOARCH: "arm64", GoVersion: "go1.23.0"}, "macosx_11_0_arm64"},
	{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.22.12"}, "macosx_10_15_x86_64"},
	{Target{GOOS: "darwin", GOARCH: "arm64", GoVersion: "go1.22.12"}, "macosx_11_0_arm64"}, // Apple silicon starts at 11
	{Target{GOOS: "darwin", GOARCH: "all", GoVersion: "go1.21.0"}, "macosx_10_15_universal2"},
	{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.20.14"}, "macosx_10_13_x86_64"},
	{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.17"}, "macosx_10_13_x86_64"},
	{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.16.15"}, "macosx_10_12_x86_64"},
	{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.13"}, "macosx_10_11_x86_64"},
	{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "devel go1.26-abcdef Mon Jan 1"}, "macosx_12_0_x86_64"},
	// The Mach-O minimum version raises the floor, never lowers it.
	{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.24.0", MinMacOS: "12.0"}, "macosx_12_0_x86_64"},
	{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.26.0", MinMacOS: "11.0"}, "macosx_12_0_x86_64"},
	{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.20.0", MinMacOS: "10.14.6"}, "macosx_10_14_x86_64"},
	// A Go release newer than the table: the newest known floor.
	{Target{GOOS: "darwin", GOARCH: "arm64", GoVersion: "go1.30.1"}, "macosx_13_0_arm64"},
	{Target{GOOS: "darwin", GOARCH: "386", GoVersion: "go1.14"}, ""},
	// Windows.
	{Target{GOOS: "windows", GOARCH: "amd64"}, "win_amd64"},
	{Target{GOOS: "windows", GOARCH: "amd64", GOAMD64: "v3"}, ""},
	{Target{GOOS: "windows", GOARCH: "arm64"}, "win_arm64"},
	{Target{GOOS: "windows", GOARCH: "386"}, "win32"},
	{Target{GOOS: "windows", GOARCH: "arm"}, ""},
	// No PyPI platform at all.
	{Target{GOOS: "freebsd", GOARCH: "amd64"}, ""},
	{Target{GOOS: "netbsd", GOARCH: "amd64"}, ""},
	{Target{GOOS: "openbsd", GOARCH: "arm64"}, ""},
	{Target{GOOS: "android", GOARCH: "arm64"}, ""},
	{Target{GOOS: "js", GOARCH: "wasm"}, ""},
	{Target{GOOS: "illumos", GOARCH: "amd64"}, ""},
}

func TestPlatformEveryRow(t *testing.T) {
	for _, row := range platformRows {
		got, err := Platform(row.t)
		if row.want == "" {
			var nt *NoPlatformTagError
			if !errors.As(err, &nt) || got != "" {
				t.Errorf("%+v: got %q, %v; want a NoPlatformTagError", row.t, got, err)
				continue
			}
			if !strings.Contains(err.Error(), row.t.GOOS+"/"+row.t.GOARCH) || nt.Reason == "" {
				t.Errorf("%+v: the error does not name the target and a reason: %v", row.t, err)
			}
			continue
		}
		if err != nil || got != row.want {
			t.Errorf("%+v: got %q, %v; want %q", row.t, got, err, row.want)
			continue
		}
		// Every part is one PyPI accepts (Warehouse's allow-list, as
		// dist mirrors it; pypitest enforces the same list on upload in
		// TestUploadSixPlatformsToPypitest).
		for _, p := range strings.Split(got, ".") {
			if !dist.ValidPlatformTag(p) {
				t.Errorf("%s: part %s is not accepted by PyPI", got, p)
			}
		}
	}
}

func TestPlatformErrors(t *testing.T) {
	for _, tc := range []struct {
		t    Target
		want string
	}{
		{Target{GOOS: "darwin", GOARCH: "amd64"}, "cannot tell the Go release"},
		{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.12.17"}, "not known"},
		{Target{GOOS: "darwin", GOARCH: "amd64", GoVersion: "go1.26.0", MinMacOS: "x"}, "invalid macOS version"},
	} {
		_, err := Platform(tc.t)
		var nt *NoPlatformTagError
		if err == nil || errors.As(err, &nt) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error containing %q (not a skip)", tc.t, err, tc.want)
		}
	}
}

func TestSkippedTargetNamedInError(t *testing.T) {
	_, err := Platform(Target{GOOS: "linux", GOARCH: "amd64", GOAMD64: "v3"})
	for _, want := range []string{"linux/amd64/v3", "GOAMD64=v3", "GOAMD64=v1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: want %q", err, want)
		}
	}
	_, err = Platform(Target{GOOS: "linux", GOARCH: "arm", GOARM: "5"})
	if err == nil || !strings.Contains(err.Error(), "linux/arm/v5") || !strings.Contains(err.Error(), "ARMv5") {
		t.Errorf("GOARM=5: %v", err)
	}
}
