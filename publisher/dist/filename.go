package dist

import (
	"fmt"
	"regexp"
	"strings"
)

// WheelName is a parsed wheel filename (PEP 427 / binary distribution format):
// {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl
type WheelName struct {
	Name     string // as written, e.g. "demo_py"
	Version  string // as written, e.g. "0.1.0"
	Build    string // optional build tag, "" when absent
	Python   string // compressed python tag set, e.g. "py2.py3"
	ABI      string
	Platform string
}

// Tags expands the compressed tag sets ("py2.py3-none-any") into every
// python-abi-platform triple, lower-cased as installers compare them.
func (w WheelName) Tags() []string {
	var out []string
	for _, p := range strings.Split(w.Python, ".") {
		for _, a := range strings.Split(w.ABI, ".") {
			for _, pl := range strings.Split(w.Platform, ".") {
				out = append(out, strings.ToLower(p+"-"+a+"-"+pl))
			}
		}
	}
	return out
}

// DistInfo is the .dist-info directory this wheel must contain, spelled from
// the filename as Warehouse looks it up.
func (w WheelName) DistInfo() string { return w.Name + "-" + w.Version + ".dist-info" }

// String rebuilds the filename.
func (w WheelName) String() string {
	parts := []string{w.Name, w.Version}
	if w.Build != "" {
		parts = append(parts, w.Build)
	}
	parts = append(parts, w.Python, w.ABI, w.Platform)
	return strings.Join(parts, "-") + ".whl"
}

var (
	// packaging.utils.parse_wheel_filename: the name part is word characters
	// and dots (PEP 427 escaping turns everything else into "_"), no "__".
	wheelNamePartRE = regexp.MustCompile(`^[\p{L}\p{N}_.]*$`)
	buildTagRE      = regexp.MustCompile(`^[0-9]`)
	tagPartRE       = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
)

// ParseWheelFilename parses and checks a wheel filename's grammar the way
// packaging (and so PyPI) does. It does not check that the platform tags are
// ones PyPI accepts: see ValidPlatformTag.
func ParseWheelFilename(filename string) (WheelName, error) {
	stem, ok := strings.CutSuffix(filename, ".whl")
	if !ok {
		return WheelName{}, fmt.Errorf("invalid wheel filename %q: the extension must be .whl", filename)
	}
	parts := strings.Split(stem, "-")
	if len(parts) != 5 && len(parts) != 6 {
		return WheelName{}, fmt.Errorf("invalid wheel filename %q: expected {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl, which has 4 or 5 dashes, not %d", filename, len(parts)-1)
	}
	w := WheelName{Name: parts[0], Version: parts[1]}
	if w.Name == "" || strings.Contains(w.Name, "__") || !wheelNamePartRE.MatchString(w.Name) {
		return WheelName{}, fmt.Errorf("invalid wheel filename %q: invalid project name %q (escape it as the normalized name with \"_\")", filename, w.Name)
	}
	if _, err := ParseVersion(w.Version); err != nil {
		return WheelName{}, fmt.Errorf("invalid wheel filename %q: %q is not a valid PEP 440 version", filename, w.Version)
	}
	if len(parts) == 6 {
		w.Build = parts[2]
		if !buildTagRE.MatchString(w.Build) {
			return WheelName{}, fmt.Errorf("invalid wheel filename %q: build tag %q must start with a digit", filename, w.Build)
		}
	}
	n := len(parts)
	w.Python, w.ABI, w.Platform = parts[n-3], parts[n-2], parts[n-1]
	for _, t := range []struct{ kind, val string }{{"python", w.Python}, {"abi", w.ABI}, {"platform", w.Platform}} {
		for _, p := range strings.Split(t.val, ".") {
			if !tagPartRE.MatchString(p) {
				return WheelName{}, fmt.Errorf("invalid wheel filename %q: invalid %s tag %q", filename, t.kind, t.val)
			}
		}
	}
	return w, nil
}

// SdistName is a parsed sdist filename: {name}-{version}.tar.gz.
type SdistName struct {
	Name    string // as written
	Version string // as written
	Ext     string // ".tar.gz" or ".zip"
}

// ParseSdistFilename parses an sdist filename the way packaging does: the
// version is after the last dash (PEP 440 versions have none). It accepts the
// legacy .zip extension so callers can say precisely why PyPI refuses it.
func ParseSdistFilename(filename string) (SdistName, error) {
	var s SdistName
	stem, ok := strings.CutSuffix(filename, ".tar.gz")
	s.Ext = ".tar.gz"
	if !ok {
		if stem, ok = strings.CutSuffix(filename, ".zip"); !ok {
			return SdistName{}, fmt.Errorf("invalid sdist filename %q: the extension must be .tar.gz", filename)
		}
		s.Ext = ".zip"
	}
	i := strings.LastIndexByte(stem, '-')
	if i < 0 {
		return SdistName{}, fmt.Errorf("invalid sdist filename %q: expected {name}-{version}.tar.gz", filename)
	}
	s.Name, s.Version = stem[:i], stem[i+1:]
	if s.Name == "" {
		return SdistName{}, fmt.Errorf("invalid sdist filename %q: no project name before the version", filename)
	}
	if _, err := ParseVersion(s.Version); err != nil {
		return SdistName{}, fmt.Errorf("invalid sdist filename %q: %q is not a valid PEP 440 version", filename, s.Version)
	}
	return s, nil
}

// SdistFilename is the PEP 625 filename PyPI requires for an sdist of the
// project name and version (both normalized here).
func SdistFilename(name, version string) string {
	if v, err := NormalizeVersion(version); err == nil {
		version = v
	}
	return FilenameName(name) + "-" + version + ".tar.gz"
}

// Platform tags PyPI accepts (warehouse/utils/wheel.py). New entries there
// need an ABI specification, so the list changes rarely.
var staticPlatforms = map[string]bool{
	"any": true, "win32": true, "win_arm64": true, "win_amd64": true, "win_ia64": true,
	"manylinux1_x86_64": true, "manylinux1_i686": true,
	"manylinux2010_x86_64": true, "manylinux2010_i686": true,
	"manylinux2014_x86_64": true, "manylinux2014_i686": true, "manylinux2014_aarch64": true,
	"manylinux2014_armv7l": true, "manylinux2014_ppc64": true, "manylinux2014_ppc64le": true,
	"manylinux2014_s390x": true,
	"linux_armv6l":        true, "linux_armv7l": true,
}

var (
	macosxRE       = regexp.MustCompile(`^macosx_(\d+)_(\d+)_(.*)$`)
	macosxArches   = set("ppc", "ppc64", "i386", "x86_64", "arm64", "intel", "fat", "fat3", "fat64", "universal", "universal2")
	macosxMajors   = set("11", "12", "13", "14", "15", "26")
	iosRE          = regexp.MustCompile(`^ios_(\d+)_(\d+)_(.*)_(iphoneos|iphonesimulator)$`)
	iosArches      = set("arm64", "x86_64")
	androidRE      = regexp.MustCompile(`^android_(\d+)_(.*)$`)
	androidArches  = set("armeabi_v7a", "arm64_v8a", "x86", "x86_64")
	linuxRE        = regexp.MustCompile(`^(many|musl)linux_(\d+)_(\d+)_(.*)$`)
	musllinuxArch  = set("x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64")
	manylinuxArch  = set("x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64", "ppc64")
	pyemscriptenRE = regexp.MustCompile(`^pyemscripten_(\d+)_(\d+)_wasm32$`)
)

// ValidPlatformTag reports whether PyPI accepts a wheel with this platform
// tag (one element of the compressed set): any, win*, manylinux*,
// musllinux*, macosx*, ios, android, pyemscripten and linux_armv6l/7l.
// Plain linux_x86_64 is refused: build manylinux or musllinux wheels.
func ValidPlatformTag(tag string) bool {
	tag = strings.ToLower(tag) // packaging lower-cases tags
	if staticPlatforms[tag] {
		return true
	}
	if m := macosxRE.FindStringSubmatch(tag); m != nil {
		if m[1] == "10" && macosxArches[m[3]] {
			return true
		}
		if macosxMajors[m[1]] && m[2] == "0" && macosxArches[m[3]] {
			return true
		}
	}
	if m := linuxRE.FindStringSubmatch(tag); m != nil {
		if m[1] == "musl" {
			return musllinuxArch[m[4]]
		}
		return manylinuxArch[m[4]]
	}
	if m := iosRE.FindStringSubmatch(tag); m != nil && iosArches[m[3]] {
		return true
	}
	if m := androidRE.FindStringSubmatch(tag); m != nil && androidArches[m[2]] {
		return true
	}
	return pyemscriptenRE.MatchString(tag)
}

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}
