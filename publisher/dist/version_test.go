package dist

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
)

var normalizeCases = []struct{ in, want string }{
	{"2025.09.4", "2025.9.4"},
	{"1.0.0-rc1", "1.0.0rc1"},
	{"1.0-post0", "1.0.post0"},
	{"1.0-1", "1.0.post1"},
	{"1.0.post", "1.0.post0"},
	{"1.0a", "1.0a0"},
	{"1.0.ALPHA.2", "1.0a2"},
	{"1.0-beta_3", "1.0b3"},
	{"1.0c1", "1.0rc1"},
	{"1.0.preview1", "1.0rc1"},
	{"1.0_dev_3", "1.0.dev3"},
	{"1.0-r4", "1.0.post4"},
	{"1.0rev", "1.0.post0"},
	{"v1.0", "1.0"},
	{"  1.0\t", "1.0"},
	{"0!1.0", "1.0"},
	{"01!01.002", "1!1.2"},
	{"1.0+ubuntu-1", "1.0+ubuntu.1"},
	{"1.0+ABC_007", "1.0+abc.7"},
	{"1.0.99999999999999999999", "1.0.99999999999999999999"},
	{"1.0a1.post2.dev3", "1.0a1.post2.dev3"},
	{"1.0.0.0", "1.0.0.0"},
}

func TestNormalizeVersion(t *testing.T) {
	for _, c := range normalizeCases {
		got, err := NormalizeVersion(c.in)
		if err != nil || got != c.want {
			t.Errorf("NormalizeVersion(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "dog", "1.0-", "1..0", "1.0+", "1.0+a..b", "1.0 1", "1.0.*", "a1.0", "1!"} {
		if v, err := NormalizeVersion(bad); err == nil {
			t.Errorf("NormalizeVersion(%q) = %q, want an error", bad, v)
		}
	}
}

func TestVersionCompare(t *testing.T) {
	// Ascending, from PEP 440's examples.
	order := []string{"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456", "1.1.dev1", "99999999999999999999", "1!0.1"}
	for i := 0; i+1 < len(order); i++ {
		a, _ := ParseVersion(order[i])
		b, err := ParseVersion(order[i+1])
		if err != nil {
			t.Fatal(err)
		}
		if a.Compare(b) >= 0 || b.Compare(a) <= 0 {
			t.Errorf("want %s < %s", order[i], order[i+1])
		}
	}
	for _, eq := range [][2]string{{"1.0", "1.0.0"}, {"1.0", "1"}, {"2025.09.4", "2025.9.4"}, {"1.0-rc1", "1.0rc1"}, {"0!1.0", "1.0"}} {
		a, _ := ParseVersion(eq[0])
		b, _ := ParseVersion(eq[1])
		if !a.Equal(b) {
			t.Errorf("want %s == %s", eq[0], eq[1])
		}
	}
}

// TestNormalizeVersionMatchesPackaging compares with Python's packaging, the
// reference implementation PyPI uses, when Debian's is installed.
func TestNormalizeVersionMatchesPackaging(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	if err := exec.Command(py, "-c", "import packaging.version").Run(); err != nil {
		t.Skip("python3 has no packaging module")
	}
	inputs := []string{"1.0.dev", "1.0-DEV-2", "1.0.POST.2", "1.0_a_1", "1.0-preview-2", "2.0+local.0007.x", "1.0+0", "5!1", "1.0.0-0", "1.0-post-1", "1.0a.1", "1.2.3.4.5.6", "0.0.0", "2025.09.04rc01"}
	for _, c := range normalizeCases {
		inputs = append(inputs, c.in)
	}
	inputs = append(inputs, "dog", "1.0-", "1..0", "1.0+", "1.0.*")
	script := `import sys
from packaging.version import Version, InvalidVersion
for line in sys.stdin.read().split("\n")[:-1]:
    try:
        print(str(Version(line)))
    except InvalidVersion:
        print("INVALID")
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(strings.Join(inputs, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for _, in := range inputs {
		if !sc.Scan() {
			t.Fatal("python printed too few lines")
		}
		want := sc.Text()
		got, err := NormalizeVersion(in)
		if err != nil {
			got = "INVALID"
		}
		if got != want {
			t.Errorf("NormalizeVersion(%q) = %q; packaging says %q", in, got, want)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{"Demo.Py": "demo-py", "demo__py": "demo-py", "A-_.B": "a-b", "tinyutil": "tinyutil", "Flit_Hello": "flit-hello"} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
	if FilenameName("Demo.Py") != "demo_py" {
		t.Error("FilenameName")
	}
	for _, ok := range []string{"a", "A1", "demo-py", "demo.py_x"} {
		if !ValidName(ok) {
			t.Errorf("ValidName(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "-a", "a-", "a b", "ä", "a!"} {
		if ValidName(bad) {
			t.Errorf("ValidName(%q) = true", bad)
		}
	}
}
