package dist

import (
	"fmt"
	"regexp"
	"strings"
)

// PEP 440 versions.
//
// We implement parsing and normalization here instead of using
// github.com/aquasecurity/go-pep440-version (already in go.mod) because that
// library, checked against packaging.version, gets two things wrong that
// matter for filenames: it keeps the separators of a local segment
// ("1.0+ubuntu-1" stays "1.0+ubuntu-1"; PEP 440 normalizes it to
// "1.0+ubuntu.1"), and it stores release numbers in uint64, so a valid version
// such as "1.0.99999999999999999999" fails to parse. Numbers are kept here as
// decimal strings without leading zeros, which is also what normalization
// needs. TestNormalizeVersionMatchesPackaging cross-checks this code against
// Python's packaging library when one is installed.

// versionPattern is packaging.version.VERSION_PATTERN (PEP 440 appendix B),
// anchored, case-insensitive, allowing surrounding whitespace like
// packaging.version.Version does.
var versionRE = regexp.MustCompile(`(?i)^\s*` +
	`v?` +
	`(?:(?P<epoch>[0-9]+)!)?` +
	`(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?` +
	`(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?` +
	`(?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?` +
	`\s*$`)

var versionGroup = func() map[string]int {
	m := map[string]int{}
	for i, n := range versionRE.SubexpNames() {
		if n != "" {
			m[n] = i
		}
	}
	return m
}()

// Version is a parsed PEP 440 version. Numbers are decimal strings without
// leading zeros ("0" for zero), so arbitrarily large numbers work.
type Version struct {
	Epoch   string   // "0" when absent
	Release []string // at least one element
	PreL    string   // "a", "b", "rc" or "" when not a pre-release
	PreN    string
	Post    string // post-release number, "" when not a post-release
	Dev     string // dev-release number, "" when not a dev release
	Local   []string
}

// ParseVersion parses a PEP 440 version.
func ParseVersion(s string) (Version, error) {
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("%q is not a valid PEP 440 version", s)
	}
	g := func(name string) string { return m[versionGroup[name]] }
	v := Version{Epoch: "0"}
	if e := g("epoch"); e != "" {
		v.Epoch = trimZeros(e)
	}
	for _, r := range strings.Split(g("release"), ".") {
		v.Release = append(v.Release, trimZeros(r))
	}
	if l := g("pre_l"); l != "" {
		switch strings.ToLower(l) {
		case "a", "alpha":
			v.PreL = "a"
		case "b", "beta":
			v.PreL = "b"
		default: // c, rc, pre, preview
			v.PreL = "rc"
		}
		v.PreN = trimZeros(g("pre_n"))
	}
	switch {
	case g("post_n1") != "":
		v.Post = trimZeros(g("post_n1"))
	case g("post_l") != "":
		v.Post = trimZeros(g("post_n2"))
	}
	if g("dev_l") != "" {
		v.Dev = trimZeros(g("dev_n"))
	}
	if l := g("local"); l != "" {
		v.Local = strings.FieldsFunc(strings.ToLower(l), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
		for i, p := range v.Local {
			if isDigits(p) {
				v.Local[i] = trimZeros(p)
			}
		}
	}
	return v, nil
}

// IsPreRelease reports a pre-release or development release.
func (v Version) IsPreRelease() bool { return v.PreL != "" || v.Dev != "" }

// IsPostRelease reports a post-release.
func (v Version) IsPostRelease() bool { return v.Post != "" }

// String is the normalized form (packaging's str(Version)).
func (v Version) String() string {
	var b strings.Builder
	if v.Epoch != "0" {
		b.WriteString(v.Epoch + "!")
	}
	b.WriteString(strings.Join(v.Release, "."))
	if v.PreL != "" {
		b.WriteString(v.PreL + v.PreN)
	}
	if v.Post != "" {
		b.WriteString(".post" + v.Post)
	}
	if v.Dev != "" {
		b.WriteString(".dev" + v.Dev)
	}
	if len(v.Local) > 0 {
		b.WriteString("+" + strings.Join(v.Local, "."))
	}
	return b.String()
}

// Public is the normalized version without its local segment.
func (v Version) Public() string {
	w := v
	w.Local = nil
	return w.String()
}

// NormalizeVersion returns the PEP 440 normalized form of s, e.g.
// "2025.09.4" → "2025.9.4", "1.0.0-rc1" → "1.0.0rc1", "1.0-post0" →
// "1.0.post0".
func NormalizeVersion(s string) (string, error) {
	v, err := ParseVersion(s)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

// Compare orders versions as PEP 440 (and packaging) does: -1, 0 or +1.
// Trailing zeros of the release do not count ("1.0" == "1.0.0").
func (v Version) Compare(o Version) int {
	if c := cmpNum(v.Epoch, o.Epoch); c != 0 {
		return c
	}
	a, b := trimTrailingZeros(v.Release), trimTrailingZeros(o.Release)
	for i := 0; i < len(a) || i < len(b); i++ {
		x, y := "0", "0"
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if c := cmpNum(x, y); c != 0 {
			return c
		}
	}
	if c := cmpPre(v, o); c != 0 {
		return c
	}
	// No post-release sorts before any post-release.
	if c := cmpOptional(v.Post, o.Post, -1); c != 0 {
		return c
	}
	// No dev release sorts after any dev release.
	if c := cmpOptional(v.Dev, o.Dev, +1); c != 0 {
		return c
	}
	return cmpLocal(v.Local, o.Local)
}

// Equal reports v == o by PEP 440 comparison.
func (v Version) Equal(o Version) bool { return v.Compare(o) == 0 }

// preKey places a version's pre-release for ordering: a dev release of a
// final version ("1.0.dev1") sorts before every pre-release, a final version
// after every pre-release.
func preRank(v Version) (rank int, letter, num string) {
	switch {
	case v.PreL == "" && v.Post == "" && v.Dev != "":
		return -1, "", ""
	case v.PreL == "":
		return 1, "", ""
	}
	return 0, v.PreL, v.PreN
}

func cmpPre(v, o Version) int {
	ra, la, na := preRank(v)
	rb, lb, nb := preRank(o)
	if ra != rb {
		return sign(ra - rb)
	}
	if ra != 0 {
		return 0
	}
	if la != lb {
		return strings.Compare(la, lb) // "a" < "b" < "rc"
	}
	return cmpNum(na, nb)
}

// cmpOptional compares optional numbers; absent sorts as `absent` (-1: before
// every present value, +1: after).
func cmpOptional(a, b string, absent int) int {
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return absent
	case b == "":
		return -absent
	}
	return cmpNum(a, b)
}

// cmpLocal follows PEP 440: no local segment sorts first; alphanumeric parts
// sort before numeric ones and lexicographically; numeric parts numerically;
// a shorter segment sorts first when it is a prefix.
func cmpLocal(a, b []string) int {
	if len(a) == 0 || len(b) == 0 {
		return sign(len(a) - len(b))
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		xn, yn := isDigits(x), isDigits(y)
		var c int
		switch {
		case xn && yn:
			c = cmpNum(x, y)
		case xn:
			c = 1
		case yn:
			c = -1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	return sign(len(a) - len(b))
}

// cmpNum compares decimal strings without leading zeros.
func cmpNum(a, b string) int {
	a, b = trimZeros(a), trimZeros(b)
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func trimZeros(s string) string {
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return "0"
	}
	return s
}

func trimTrailingZeros(r []string) []string {
	n := len(r)
	for n > 0 && r[n-1] == "0" {
		n--
	}
	return r[:n]
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
