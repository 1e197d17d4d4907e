package dist

import (
	"path/filepath"
	"sort"
	"testing"
)

// The wheels bundled with the Python installations on the machine
// (CPython's ensurepip and test suite, Debian's python-*-whl packages) were
// published on PyPI: check must accept every one of them, or name the rule
// PyPI enforces today that they break (realWheelRules). Warnings are fine.
// They are not committed (a few MiB each); the test skips on a machine
// without any.
var realWheelGlobs = []string{
	"/usr/lib/python3*/ensurepip/_bundled/*.whl",
	"/usr/lib/python3*/test/*.whl",
	"/usr/lib/python3*/test/*/*.whl",
	"/usr/lib/python3*/test/*/*/*.whl",
	"/usr/share/python-wheels/*.whl",
	"/root/.pyenv/versions/*/lib/python*/ensurepip/_bundled/*.whl",
	"/root/.pyenv/versions/*/lib/python*/test/*.whl",
	"/root/.pyenv/versions/*/lib/python*/test/*/*.whl",
	"/root/.pyenv/versions/*/lib/python*/test/*/*/*.whl",
	"/root/.pyenv/versions/*/lib/python*/test/*/*/*/*.whl",
}

// realWheelRules names, by file name, the rules of today's PyPI that a
// real wheel breaks (none known).
var realWheelRules = map[string][]string{}

func TestRealWheelsOnThisMachine(t *testing.T) {
	seen := map[string]bool{}
	var paths []string
	for _, g := range realWheelGlobs {
		m, _ := filepath.Glob(g)
		for _, p := range m {
			if !seen[p] {
				seen[p] = true
				paths = append(paths, p)
			}
		}
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		t.Skip("no bundled wheels on this machine")
	}
	warned := 0
	for _, p := range paths {
		dists, problems := Check([]string{p}, Options{})
		want := realWheelRules[filepath.Base(p)]
		got := ruleSet(problems)
		if len(got) != len(want) {
			t.Errorf("%s: refused %v; expected %v\n%v", p, got, want, problems)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: refused %v; expected %v", p, got, want)
			}
		}
		if len(dists[0].Warnings) > 0 {
			warned++
		}
	}
	t.Logf("%d real wheels checked, %d with warnings only", len(paths), warned)
}
