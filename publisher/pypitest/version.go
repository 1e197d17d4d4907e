package pypitest

import (
	"regexp"
	"strings"
)

// PEP 440 versions, parsed and printed the way packaging.version does, so
// that messages quoting a version ("Version in filename should be '1.0' not
// '1.0.0.post0'") and the PEP 625 expected filename match Warehouse's.

// pep440Pattern is packaging's VERSION_PATTERN.
const pep440Pattern = `v?` +
	`(?:(?:(?P<epoch>[0-9]+)!)?` +
	`(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?P<pre>[-_\.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?P<pre_n>[0-9]+)?)?` +
	`(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_\.]?(?P<post_l>post|rev|r)[-_\.]?(?P<post_n2>[0-9]+)?))?` +
	`(?P<dev>[-_\.]?(?P<dev_l>dev)[-_\.]?(?P<dev_n>[0-9]+)?)?)` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?`

var (
	pep440Re        = regexp.MustCompile(`(?i)^\s*` + pep440Pattern + `\s*$`)
	localSeparators = regexp.MustCompile(`[-_.]`)
)

// version is a parsed PEP 440 version. Numbers are kept as decimal strings
// without leading zeros, so arbitrarily large components compare correctly.
type version struct {
	epoch   string
	release []string
	preL    string // "a", "b", "rc" or ""
	preN    string
	hasPost bool
	post    string
	hasDev  bool
	dev     string
	local   []string // lower-cased segments; numeric ones without leading zeros
}

// parseVersion parses s as packaging.version.Version does.
func parseVersion(s string) (*version, bool) {
	m := pep440Re.FindStringSubmatch(s)
	if m == nil {
		return nil, false
	}
	g := func(name string) string { return m[pep440Re.SubexpIndex(name)] }
	v := &version{epoch: trimZeros(g("epoch"))}
	for _, part := range strings.Split(g("release"), ".") {
		v.release = append(v.release, trimZeros(part))
	}
	if g("pre_l") != "" {
		switch strings.ToLower(g("pre_l")) {
		case "alpha", "a":
			v.preL = "a"
		case "beta", "b":
			v.preL = "b"
		default: // c, pre, preview, rc
			v.preL = "rc"
		}
		v.preN = trimZeros(g("pre_n"))
	}
	if g("post") != "" {
		v.hasPost = true
		v.post = trimZeros(g("post_n1") + g("post_n2"))
	}
	if g("dev") != "" {
		v.hasDev = true
		v.dev = trimZeros(g("dev_n"))
	}
	if l := g("local"); l != "" {
		for _, part := range localSeparators.Split(strings.ToLower(l), -1) {
			if isDigits(part) {
				part = trimZeros(part)
			}
			v.local = append(v.local, part)
		}
	}
	return v, true
}

// validVersion reports whether s is a valid PEP 440 version.
func validVersion(s string) bool {
	_, ok := parseVersion(s)
	return ok
}

// String is str(Version): the normalized form.
func (v *version) String() string {
	return v.public() + v.localSuffix()
}

func (v *version) localSuffix() string {
	if len(v.local) == 0 {
		return ""
	}
	return "+" + strings.Join(v.local, ".")
}

func (v *version) public() string {
	return v.format(v.release)
}

func (v *version) format(release []string) string {
	var b strings.Builder
	if v.epoch != "0" {
		b.WriteString(v.epoch + "!")
	}
	b.WriteString(strings.Join(release, "."))
	if v.preL != "" {
		b.WriteString(v.preL + v.preN)
	}
	if v.hasPost {
		b.WriteString(".post" + v.post)
	}
	if v.hasDev {
		b.WriteString(".dev" + v.dev)
	}
	return b.String()
}

// trimmedRelease drops trailing zero components ("1.0.0" → "1").
func (v *version) trimmedRelease() []string {
	r := v.release
	for len(r) > 1 && r[len(r)-1] == "0" {
		r = r[:len(r)-1]
	}
	return r
}

// canonical is packaging.utils.canonicalize_version: the normalized form
// without trailing zero release components. Two versions are equal exactly
// when their canonical forms are.
func (v *version) canonical() string {
	return v.format(v.trimmedRelease()) + v.localSuffix()
}

// isPrerelease is Version.is_prerelease.
func (v *version) isPrerelease() bool { return v.preL != "" || v.hasDev }

// compareVersions orders versions as packaging does (PEP 440 ordering).
func compareVersions(a, b *version) int {
	if c := cmpNum(a.epoch, b.epoch); c != 0 {
		return c
	}
	ra, rb := a.trimmedRelease(), b.trimmedRelease()
	for i := 0; i < len(ra) || i < len(rb); i++ {
		x, y := "0", "0"
		if i < len(ra) {
			x = ra[i]
		}
		if i < len(rb) {
			y = rb[i]
		}
		if c := cmpNum(x, y); c != 0 {
			return c
		}
	}
	if c := cmpPre(a, b); c != 0 {
		return c
	}
	// Post: none sorts before any post release.
	if a.hasPost != b.hasPost {
		if a.hasPost {
			return 1
		}
		return -1
	}
	if c := cmpNum(a.post, b.post); a.hasPost && c != 0 {
		return c
	}
	// Dev: none sorts after any dev release.
	if a.hasDev != b.hasDev {
		if a.hasDev {
			return -1
		}
		return 1
	}
	if c := cmpNum(a.dev, b.dev); a.hasDev && c != 0 {
		return c
	}
	return cmpLocal(a.local, b.local)
}

// cmpPre compares the pre-release part. A version with only a dev segment
// (1.0.dev1) sorts before any pre-release of it; no pre-release sorts after.
func cmpPre(a, b *version) int {
	key := func(v *version) (int, string, string) {
		switch {
		case v.preL == "" && !v.hasPost && v.hasDev:
			return -1, "", ""
		case v.preL == "":
			return 1, "", ""
		}
		return 0, v.preL, v.preN
	}
	ka, la, na := key(a)
	kb, lb, nb := key(b)
	if ka != kb {
		return ka - kb
	}
	if ka != 0 {
		return 0
	}
	if la != lb {
		return strings.Compare(la, lb) // "a" < "b" < "rc"
	}
	return cmpNum(na, nb)
}

func cmpLocal(a, b []string) int {
	if len(a) == 0 || len(b) == 0 {
		return len(a) - len(b)
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		ad, bd := isDigits(a[i]), isDigits(b[i])
		switch {
		case ad && bd:
			if c := cmpNum(a[i], b[i]); c != 0 {
				return c
			}
		case ad: // numbers sort after strings
			return 1
		case bd:
			return -1
		default:
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
	}
	return len(a) - len(b)
}

// cmpNum compares decimal strings without leading zeros.
func cmpNum(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func trimZeros(s string) string {
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return "0"
	}
	return s
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
