package pypirc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// corpus holds .pypirc files as users write them, and ways to get them wrong.
// Passwords here are made up.
var corpus = map[string]string{
	"typical": `[distutils]
index-servers =
    pypi
    testpypi
    private

[pypi]
username = __token__
password = pypi-made-up-for-tests

[testpypi]
username = __token__
password = pypi-made-up-testpypi

[private]
repository = https://nexus.example.com/repository/pypi-internal/
username = deploy-bot
password = s3cret
`,
	"no distutils": `[pypi]
username = __token__
password = pypi-only-pypi

[testpypi]
repository = https://test.pypi.org/legacy/
username = alice
password = pw2

[private]
repository = https://ignored.example.com/
`,
	"server-login defaults": `[server-login]
username = alice
password = shared-pw

[distutils]
index-servers = pypi internal

[internal]
repository = https://devpi.example.com/alice/prod/
`,
	"not listed": `[distutils]
index-servers = pypi

[private]
repository = https://nexus.example.com/
username = u
password = p
`,
	"listed without section": `[distutils]
index-servers = pypi ghost
`,
	"listed without repository": `[distutils]
index-servers = pypi nourl

[nourl]
username = u
password = p
`,
	"DEFAULT section": `[DEFAULT]
username = bob

[distutils]
index-servers = corp pypi

[corp]
repository = https://artifactory.example.com/api/pypi/pypi-local
password = from-corp
`,
	"syntax variants": `# a comment
; another
[distutils]
Index-Servers: corp
	 pypi

[corp]
  Repository : https://gitlab.example.com/api/v4/projects/42/packages/pypi
USERNAME=gitlab-ci-token
password = p#ss;w=rd: with spaces  
`,
	"multi-line password": `[distutils]
index-servers = corp

[corp]
repository = https://corp.example.com/
username = u
password = first
  second
`,
	"duplicate key": `[distutils]
index-servers = corp

[corp]
repository = https://corp.example.com/
password = a
Password = b
`,
	"duplicate section": `[corp]
repository = https://a.example.com/
[corp]
username = u
`,
	"no delimiter": `[distutils]
index-servers = pypi
[pypi]
username
`,
	"before section": `username = u
[pypi]
`,
	"empty": ``,
	"uppercase section": `[distutils]
index-servers = Corp

[corp]
repository = https://lower.example.com/

[Corp]
repository = https://upper.example.com/
username = U
`,
}

var names = []string{"pypi", "testpypi", "private", "internal", "ghost", "nourl", "corp", "Corp", "absent"}

type outcome struct {
	Error    bool   `json:"error"`
	URL      string `json:"repository"`
	Username string `json:"username"`
	Password string `json:"password"`
	Has      bool   `json:"has_password"`
}

func lookupAll(t *testing.T, dir string) map[string]map[string]outcome {
	t.Helper()
	out := map[string]map[string]outcome{}
	for file := range corpus {
		out[file] = map[string]outcome{}
		for _, name := range names {
			r, err := Lookup(filepath.Join(dir, file), name, true)
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), filepath.Join(dir, file)) {
					t.Errorf("%s [%s]: error not naming the file: %v", file, name, err)
				}
				out[file][name] = outcome{Error: true}
				continue
			}
			out[file][name] = outcome{URL: r.URL, Username: r.Username, Password: r.Password(), Has: r.password != nil}
		}
	}
	return out
}

func writeCorpus(t *testing.T) string {
	dir := t.TempDir()
	for name, content := range corpus {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestMatchesTwine reads every corpus file for every repository name with
// twine's own get_config and compares: the same repositories resolve, to
// the same URL, user name and password, and the same ones are refused.
func TestMatchesTwine(t *testing.T) {
	dir := writeCorpus(t)
	script := `
import json, sys
from twine import utils
out = {}
for file in json.loads(sys.argv[2]):
    out[file] = {}
    try:
        config = utils.get_config(sys.argv[1] + "/" + file)
    except Exception:
        config = None
    for name in json.loads(sys.argv[3]):
        r = None if config is None else config.get(name)
        if r is None or r.get("repository") is None:
            out[file][name] = {"error": True}
        else:
            out[file][name] = {"repository": r["repository"], "username": r.get("username") or "",
                               "password": r.get("password") or "", "has_password": r.get("password") is not None}
json.dump(out, sys.stdout)
`
	files := make([]string, 0, len(corpus))
	for f := range corpus {
		files = append(files, f)
	}
	fj, _ := json.Marshal(files)
	nj, _ := json.Marshal(names)
	raw, err := exec.Command("/usr/bin/python3", "-c", script, dir, string(fj), string(nj)).Output()
	if err != nil {
		t.Skipf("twine not importable by /usr/bin/python3 (apt-get install twine): %v", err)
	}
	var want map[string]map[string]outcome
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	got := lookupAll(t, dir)
	resolved := 0
	for file, byName := range want {
		for name, w := range byName {
			if g := got[file][name]; g != w {
				t.Errorf("%s [%s]: got %+v, twine %+v", file, name, redacted(g), redacted(w))
			}
			if !w.Error {
				resolved++
			}
		}
	}
	if resolved < 15 {
		t.Errorf("only %d repositories resolved: the corpus no longer exercises much", resolved)
	}
}

// redacted shows whether passwords match without printing them.
func redacted(o outcome) outcome {
	if o.Password != "" {
		o.Password = fmt.Sprintf("<%d chars>", len(o.Password))
	}
	return o
}

func TestLookupMessages(t *testing.T) {
	dir := writeCorpus(t)
	cases := []struct{ file, name, want string }{
		{"not listed", "private", "has a [private] section, but [distutils] index-servers does not list it"},
		{"typical", "absent", `no repository "absent": [distutils] index-servers lists "pypi", "testpypi", "private"`},
		{"listed without section", "ghost", `lists "ghost" but no section [ghost]: add ` + "`repository = <upload URL>`"},
		{"listed without repository", "nourl", "[nourl] has no repository key"},
		{"duplicate key", "corp", `:7: "password" is set twice in [corp]`},
		{"duplicate section", "corp", ":3: section [corp] appears twice (first at line 1)"},
		{"no delimiter", "pypi", ":4: not a `key = value` line"},
		{"before section", "pypi", ":1: a setting before the first [section] header"},
	}
	for _, c := range cases {
		_, err := Lookup(filepath.Join(dir, c.file), c.name, true)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), filepath.Join(dir, c.file)) {
			t.Errorf("%s [%s]: %v, want %q", c.file, c.name, err, c.want)
			continue
		}
		for _, secret := range []string{"s3cret", "pypi-made-up", "from-corp", "shared-pw"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error shows a password: %v", c.file, err)
			}
		}
	}
}

func TestMissingDefaultFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	// As twine: without ~/.pypirc, pypi and testpypi still resolve.
	for name, url := range map[string]string{"pypi": PyPIURL, "testpypi": TestPyPIURL} {
		r, err := Lookup(path, name, false)
		if err != nil || r.URL != url || r.Username != "" || r.HasPassword() {
			t.Errorf("%s: %+v, %v", name, r, err)
		}
	}
	_, err := Lookup(path, "private", false)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path+": no such file, so there is no repository \"private\"") {
		t.Errorf("private: %v", err)
	}
	if _, err := Lookup(path, "pypi", true); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("mustExist: %v", err)
	}
}

func TestRepositoryNeverPrintsItsPassword(t *testing.T) {
	dir := writeCorpus(t)
	if err := os.Chmod(filepath.Join(dir, "typical"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Lookup(filepath.Join(dir, "typical"), "private", true)
	if err != nil || r.Password() != "s3cret" {
		t.Fatalf("%v", err)
	}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		outs = append(outs, fmt.Sprintf(verb, r), fmt.Sprintf(verb, *r), fmt.Sprintf(verb, struct{ r Repository }{*r}))
	}
	j, _ := json.Marshal(r)
	outs = append(outs, string(j))
	for _, o := range outs {
		if strings.Contains(o, "s3cret") {
			t.Errorf("password shown: %s", o)
		}
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "chmod 600") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

func TestDefaultPath(t *testing.T) {
	p, err := DefaultPath(func(k string) string { return map[string]string{"HOME": "/home/ci"}[k] })
	if err != nil || p != "/home/ci/.pypirc" {
		t.Errorf("%q %v", p, err)
	}
}
