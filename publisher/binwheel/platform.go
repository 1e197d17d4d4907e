package binwheel

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// Target is what decides the platform tag of a wheel holding a Go binary
// built with CGO_ENABLED=0 (or statically linked): where the binary runs,
// the instruction-set level it was built for, and, for macOS, what the Go
// release that built it requires.
type Target struct {
	GOOS   string
	GOARCH string // "all" for a macOS universal binary (GoReleaser's name)

	// Instruction-set levels, as the build settings record them (empty:
	// the baseline). Only the baseline has a PyPI tag: no tag can say
	// "x86-64-v3" or "ARMv8.1", so a wheel tagged x86_64 must run on every
	// x86_64 machine.
	GOARM     string // linux/arm: "7" → armv7l, "6" → armv6l, "5": no tag
	GOAMD64   string // "v1" only
	GOARM64   string // "v8.0" only
	GOPPC64   string // "power8" only
	GORISCV64 string // "rva20u64" only

	// GoVersion is the release that built the binary ("go1.26.8"); it
	// decides the oldest macOS the binary runs on. Required for darwin.
	GoVersion string
	// MinMacOS is the minimum macOS version the Mach-O file itself
	// declares (LC_BUILD_VERSION minos, e.g. "12.0"); macOS refuses to
	// start a binary on an older release. Optional.
	MinMacOS string
}

func (t Target) String() string {
	s := t.GOOS + "/" + t.GOARCH
	switch {
	case t.GOARCH == "arm" && t.GOARM != "":
		s += "/v" + strings.TrimPrefix(t.GOARM, "v")
	case t.GOARCH == "amd64" && t.GOAMD64 != "":
		s += "/" + t.GOAMD64
	}
	return s
}

// NoPlatformTagError says that PyPI has no platform tag for a target: the
// binary cannot be published as a wheel. A caller publishing several
// targets reports it as a warning and goes on with the others.
type NoPlatformTagError struct {
	Binary string // the file, when known
	Target Target
	Reason string
}

func (e *NoPlatformTagError) Error() string {
	msg := fmt.Sprintf("no PyPI platform tag for %s: %s", e.Target, e.Reason)
	if e.Binary != "" {
		msg = e.Binary + ": " + msg
	}
	return msg
}

// linuxArches maps GOARCH to the architecture name of manylinux/musllinux
// tags (uname -m). Every one of them but riscv64 also has the legacy
// manylinux2014 alias, which pip older than 20.3 needs.
var linuxArches = map[string]struct {
	machine string
	alias   bool
}{
	"amd64":   {"x86_64", true},
	"arm64":   {"aarch64", true},
	"386":     {"i686", true},
	"arm":     {"armv7l", true}, // GOARM=7; GOARM=6 is linux_armv6l
	"ppc64le": {"ppc64le", true},
	"s390x":   {"s390x", true},
	"riscv64": {"riscv64", false},
}

// Linux floors. A static Go binary needs only the Linux kernel (3.2 or
// later since Go 1.24), not a C library, so one wheel serves both glibc
// and musl systems. manylinux_2_17 (glibc 2.17, CentOS 7, kernel 3.10) is
// the kernel-era floor matching Go's requirement, and musllinux_1_1 is the
// oldest musllinux tag: the lower the floor, the more installers accept
// the wheel.
const (
	manylinuxFloor = "2_17"
	musllinuxFloor = "1_1"
)

// baselineLevels are the only instruction-set levels a PyPI tag describes;
// the build setting named by the key must hold its value (or be absent,
// which older Go releases did).
var baselineLevels = map[string]struct{ setting, baseline string }{
	"amd64":   {"GOAMD64", "v1"},
	"arm64":   {"GOARM64", "v8.0"},
	"ppc64le": {"GOPPC64", "power8"},
	"riscv64": {"GORISCV64", "rva20u64"},
}

func (t Target) level(setting string) string {
	switch setting {
	case "GOAMD64":
		return t.GOAMD64
	case "GOARM64":
		return t.GOARM64
	case "GOPPC64":
		return t.GOPPC64
	case "GORISCV64":
		return t.GORISCV64
	}
	return ""
}

// Platform returns the platform tag of a wheel holding a static Go binary
// built for t: one compound tag (e.g.
// "manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_1_x86_64"),
// every part of which PyPI accepts. A target PyPI has no tag for returns
// a *NoPlatformTagError.
func Platform(t Target) (string, error) {
	none := func(format string, args ...any) (string, error) {
		return "", &NoPlatformTagError{Target: t, Reason: fmt.Sprintf(format, args...)}
	}
	arches := []string{t.GOARCH}
	if t.GOARCH == "all" { // a universal binary: both halves
		arches = []string{"amd64", "arm64"}
	}
	for _, arch := range arches {
		lv, ok := baselineLevels[arch]
		if v := t.level(lv.setting); ok && v != "" && v != lv.baseline {
			return none("it was built with %s=%s, and a platform tag only promises the baseline (%s=%s): pip would install it on machines that cannot run it. Build it with %s=%s to publish it",
				lv.setting, v, lv.setting, lv.baseline, lv.setting, lv.baseline)
		}
	}
	var tag string
	switch t.GOOS {
	case "linux":
		a, ok := linuxArches[t.GOARCH]
		if !ok {
			return none("PyPI accepts Linux wheels for x86_64, i686, aarch64, armv7l, armv6l, ppc64le, s390x and riscv64 only")
		}
		if t.GOARCH == "arm" {
			switch strings.TrimPrefix(t.GOARM, "v") {
			case "7", "":
				// Go's default for GOARCH=arm is 7.
			case "6":
				tag = "linux_armv6l"
			case "5":
				return none("PyPI has no tag for ARMv5 (GOARM=5); its oldest ARM tag is linux_armv6l (GOARM=6)")
			default:
				return none("unknown GOARM=%s", t.GOARM)
			}
		}
		if tag == "" {
			parts := []string{"manylinux_" + manylinuxFloor + "_" + a.machine}
			if a.alias {
				parts = append(parts, "manylinux2014_"+a.machine)
			}
			parts = append(parts, "musllinux_"+musllinuxFloor+"_"+a.machine)
			tag = strings.Join(parts, ".")
		}
	case "darwin":
		var arch string
		switch t.GOARCH {
		case "amd64":
			arch = "x86_64"
		case "arm64":
			arch = "arm64"
		case "all":
			arch = "universal2"
		default:
			return none("PyPI's macOS tags cover x86_64, arm64 and universal2 only")
		}
		floor, err := macOSFloor(t.GoVersion, arch)
		if err != nil {
			return "", err
		}
		if t.MinMacOS != "" {
			min, err := parseMacOSVersion(t.MinMacOS)
			if err != nil {
				return "", err
			}
			floor = maxVersion(floor, min)
		}
		tag = "macosx_" + floor.tag() + "_" + arch
	case "windows":
		switch t.GOARCH {
		case "amd64":
			tag = "win_amd64"
		case "arm64":
			tag = "win_arm64"
		case "386":
			tag = "win32"
		default:
			return none("PyPI's Windows tags cover amd64 (win_amd64), arm64 (win_arm64) and 386 (win32) only")
		}
	default:
		return none("PyPI accepts platform wheels for Linux, macOS and Windows only")
	}
	for _, p := range strings.Split(tag, ".") {
		if !dist.ValidPlatformTag(p) {
			// A floor no longer (or not yet) accepted, e.g. macOS 27_1.
			return none("its tag %s is not one PyPI accepts", p)
		}
	}
	return tag, nil
}

// macVersion is a macOS release, major.minor.
type macVersion struct{ major, minor int }

// tag spells it as wheel tags do: 10_15, 12_0. From macOS 11 on, PyPI
// accepts minor 0 only, and installers treat every 11.x as 11.0.
func (v macVersion) tag() string {
	if v.major >= 11 {
		return strconv.Itoa(v.major) + "_0"
	}
	return strconv.Itoa(v.major) + "_" + strconv.Itoa(v.minor)
}

func (v macVersion) less(o macVersion) bool {
	return v.major < o.major || v.major == o.major && v.minor < o.minor
}

func maxVersion(a, b macVersion) macVersion {
	if a.less(b) {
		return b
	}
	return a
}

func parseMacOSVersion(s string) (macVersion, error) {
	maj, min, _ := strings.Cut(s, ".")
	min, _, _ = strings.Cut(min, ".")
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	if min == "" {
		b, err2 = 0, nil
	}
	if err1 != nil || err2 != nil || a < 10 {
		return macVersion{}, fmt.Errorf("invalid macOS version %q", s)
	}
	return macVersion{a, b}, nil
}

// macOSFloors: the oldest macOS each Go release runs on, from the "Ports:
// Darwin" sections of the Go release notes ("Go 1.N requires macOS X or
// later").
var macOSFloors = []struct {
	fromMinor int
	floor     macVersion
}{
	{13, macVersion{10, 11}}, // Go 1.13–1.14: El Capitan
	{15, macVersion{10, 12}}, // Go 1.15–1.16: Sierra
	{17, macVersion{10, 13}}, // Go 1.17–1.20: High Sierra
	{21, macVersion{10, 15}}, // Go 1.21–1.22: Catalina
	{23, macVersion{11, 0}},  // Go 1.23–1.24: Big Sur
	{25, macVersion{12, 0}},  // Go 1.25–1.26: Monterey
	{27, macVersion{13, 0}},  // Go 1.27: Ventura
}

// newestKnownGo is the last Go minor release whose macOS floor is known.
const newestKnownGo = 27

var goMinorRE = regexp.MustCompile(`go1\.(\d+)`)

// goMinor extracts N from "go1.N.P", "go1.Nrc1" or "devel go1.N-…".
func goMinor(v string) (int, bool) {
	m := goMinorRE.FindStringSubmatch(v)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// macOSFloor is the oldest macOS a binary of that Go release runs on, for
// arch (x86_64, arm64, universal2). Apple silicon starts at macOS 11, and
// installers only match arm64 wheels tagged 11 or later; a universal2 tag
// names the floor of its x86_64 half.
//
// A Go release newer than this table gets the newest known floor: the
// Mach-O minimum version (Target.MinMacOS), which the Go linker raises
// with the floor, still applies on top of it.
func macOSFloor(goVersion, arch string) (macVersion, error) {
	minor, ok := goMinor(goVersion)
	if !ok {
		return macVersion{}, fmt.Errorf("cannot tell the Go release that built this macOS binary (Go version %q): its macOS floor decides the platform tag; give the platform tag explicitly", goVersion)
	}
	if minor < macOSFloors[0].fromMinor {
		return macVersion{}, fmt.Errorf("the macOS floor of %s binaries is not known (Go 1.13 or later is): rebuild it with a newer Go or give the platform tag explicitly", goVersion)
	}
	var floor macVersion
	for _, f := range macOSFloors {
		if minor >= f.fromMinor {
			floor = f.floor
		}
	}
	if arch == "arm64" {
		floor = maxVersion(floor, macVersion{11, 0})
	}
	return floor, nil
}
