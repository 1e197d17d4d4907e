package pypitest

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Project names and distribution filenames, following packaging.utils and
// Warehouse's wheel platform rules.

var (
	// projectNameRe is Warehouse's PROJECT_NAME_RE (also packaging's name check).
	projectNameRe  = regexp.MustCompile(`(?i)^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`)
	nameSeparators = regexp.MustCompile(`[-_.]+`)
	buildTagRe     = regexp.MustCompile(`^(\d+)(.*)$`)
)

// normalizeName is PEP 503 normalization (packaging.utils.canonicalize_name).
func normalizeName(name string) string {
	return strings.ToLower(nameSeparators.ReplaceAllString(name, "-"))
}

// validProjectName is canonicalize_name(name, validate=True) succeeding.
func validProjectName(name string) bool { return projectNameRe.MatchString(name) }

// ultranormalizeName is Warehouse's ultranormalize_name: names that only
// differ by separators or by o/0, l/i/1 confusables are "too similar".
func ultranormalizeName(name string) string {
	n := strings.ToLower(name)
	n = strings.NewReplacer("-", "", "_", "", ".", "", "o", "0", "l", "1", "i", "1").Replace(n)
	return n
}

// wheelTag is one expanded compatibility tag of a wheel filename.
type wheelTag struct{ interpreter, abi, platform string }

// wheelName is a parsed wheel filename (packaging.utils.parse_wheel_filename).
type wheelName struct {
	name    string // normalized
	version *version
	tags    []wheelTag
}

// parseWheelFilename mirrors packaging.utils.parse_wheel_filename, error
// texts included (Warehouse returns them verbatim).
func parseWheelFilename(filename string) (*wheelName, error) {
	if !strings.HasSuffix(filename, ".whl") {
		return nil, fmt.Errorf("Invalid wheel filename (extension must be '.whl'): %s", pyRepr(filename))
	}
	stem := strings.TrimSuffix(filename, ".whl")
	dashes := strings.Count(stem, "-")
	if dashes != 4 && dashes != 5 {
		return nil, fmt.Errorf("Invalid wheel filename (wrong number of parts): %s", pyRepr(stem))
	}
	parts := strings.SplitN(stem, "-", dashes-1)
	namePart := parts[0]
	if strings.Contains(namePart, "__") || !isWordChars(namePart) {
		return nil, fmt.Errorf("Invalid project name: %s", pyRepr(stem))
	}
	v, ok := parseVersion(parts[1])
	if !ok {
		return nil, fmt.Errorf("Invalid wheel filename (invalid version): %s", pyRepr(stem))
	}
	if dashes == 5 && !buildTagRe.MatchString(parts[2]) {
		return nil, fmt.Errorf("Invalid build number: %s in %s", parts[2], pyRepr(stem))
	}
	tagParts := strings.Split(parts[len(parts)-1], "-")
	w := &wheelName{name: normalizeName(namePart), version: v}
	for _, interp := range strings.Split(tagParts[0], ".") {
		for _, abi := range strings.Split(tagParts[1], ".") {
			for _, plat := range strings.Split(tagParts[2], ".") {
				w.tags = append(w.tags, wheelTag{strings.ToLower(interp), strings.ToLower(abi), strings.ToLower(plat)})
			}
		}
	}
	return w, nil
}

// isWordChars is Python's re.match(r"^[\w\d._]*$", s, re.UNICODE).
func isWordChars(s string) bool {
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// parseSdistFilename mirrors packaging.utils.parse_sdist_filename; ok is
// false where it raises InvalidSdistFilename.
func parseSdistFilename(filename string) (name string, v *version, ok bool) {
	var stem string
	switch {
	case strings.HasSuffix(filename, ".tar.gz"):
		stem = strings.TrimSuffix(filename, ".tar.gz")
	case strings.HasSuffix(filename, ".zip"):
		stem = strings.TrimSuffix(filename, ".zip")
	default:
		return "", nil, false
	}
	i := strings.LastIndex(stem, "-")
	if i < 0 {
		return "", nil, false
	}
	v, ok = parseVersion(stem[i+1:])
	if !ok {
		return "", nil, false
	}
	return normalizeName(stem[:i]), v, true
}

// Wheel platform tags PyPI accepts (warehouse/forklift/legacy.py).
var (
	allowedPlatforms = map[string]bool{
		"any": true, "win32": true, "win_arm64": true, "win_amd64": true, "win_ia64": true,
		"manylinux1_x86_64": true, "manylinux1_i686": true,
		"manylinux2010_x86_64": true, "manylinux2010_i686": true,
		"manylinux2014_x86_64": true, "manylinux2014_i686": true, "manylinux2014_aarch64": true,
		"manylinux2014_armv7l": true, "manylinux2014_ppc64": true, "manylinux2014_ppc64le": true,
		"manylinux2014_s390x": true, "linux_armv6l": true, "linux_armv7l": true,
	}
	macosxPlatformRe = regexp.MustCompile(`^macosx_(\d+)_(\d+)_(.*)$`)
	macosxArches     = setOf("ppc", "ppc64", "i386", "x86_64", "arm64", "intel", "fat", "fat3", "fat64", "universal", "universal2")
	macosxMajors     = setOf("11", "12", "13", "14", "15", "26")
	linuxPlatformRe  = regexp.MustCompile(`^(many|musl)linux_(\d+)_(\d+)_(.*)$`)
	musllinuxArches  = setOf("x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64")
	manylinuxArches  = setOf("x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64", "ppc64")
	iosPlatformRe    = regexp.MustCompile(`^ios_(\d+)_(\d+)_(.*)_(iphoneos|iphonesimulator)$`)
	iosArches        = setOf("arm64", "x86_64")
	androidRe        = regexp.MustCompile(`^android_(\d+)_(.*)$`)
	androidArches    = setOf("armeabi_v7a", "arm64_v8a", "x86", "x86_64")
	pyemscriptenRe   = regexp.MustCompile(`^pyemscripten_(\d+)_(\d+)_wasm32$`)
)

// validPlatformTag is Warehouse's _valid_platform_tag.
func validPlatformTag(tag string) bool {
	if allowedPlatforms[tag] {
		return true
	}
	if m := macosxPlatformRe.FindStringSubmatch(tag); m != nil {
		if m[1] == "10" && macosxArches[m[3]] {
			return true
		}
		if macosxMajors[m[1]] && m[2] == "0" && macosxArches[m[3]] {
			return true
		}
	}
	if m := linuxPlatformRe.FindStringSubmatch(tag); m != nil {
		if m[1] == "musl" {
			return musllinuxArches[m[4]]
		}
		return manylinuxArches[m[4]]
	}
	if m := iosPlatformRe.FindStringSubmatch(tag); m != nil && iosArches[m[3]] {
		return true
	}
	if m := androidRe.FindStringSubmatch(tag); m != nil && androidArches[m[2]] {
		return true
	}
	return pyemscriptenRe.MatchString(tag)
}

func setOf(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, i := range items {
		m[i] = true
	}
	return m
}
