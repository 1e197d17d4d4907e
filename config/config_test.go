package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func parse(t *testing.T, yaml string, getenv func(string) string) (*File, error) {
	t.Helper()
	return Parse([]byte(yaml), ".goreleaser-pypi.yaml", getenv)
}

func mustParse(t *testing.T, yaml string, getenv func(string) string) *File {
	t.Helper()
	f, err := parse(t, yaml, getenv)
	if err != nil {
		t.Fatalf("unexpected error:\n%v", err)
	}
	return f
}

func TestDefaults(t *testing.T) {
	f := mustParse(t, "targets:\n  - {}\n", nil)
	got := f.Targets[0]
	want := DefaultTarget()
	want.Name = "pypi"
	got.file, got.line, got.at = "", 0, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", got, want)
	}
	if want.RepositoryURL != "https://upload.pypi.org/legacy/" || want.TokenEnv != "PYPI_API_TOKEN" ||
		want.Concurrency != 4 || want.TrustedPublishing != "auto" || want.Retry.Attempts < 2 || want.Timeout != 10*time.Minute {
		t.Fatalf("unexpected defaults %+v", want)
	}
	d := Default()
	if len(d.Targets) != 1 || d.Targets[0].Name != "pypi" || d.Targets[0].Source() != "defaults" {
		t.Fatalf("Default() = %+v", d)
	}
	if err := d.Targets[0].validate("x"); len(err) != 0 {
		t.Fatalf("Default() does not validate: %v", err)
	}
}

func TestFullFile(t *testing.T) {
	f := mustParse(t, `
version: 1
targets:
  - name: testpypi
    repository_url: https://test.pypi.org/legacy/
    audience: testpypi
    ids: [python-wheel, python-sdist]
    skip_existing: true
    trusted_publishing: always
    token_env: TEST_PYPI_TOKEN
    concurrency: 8
    retry:
      attempts: 3
      delay: 500ms
      max_delay: 1m
    check_url: https://test.pypi.org/simple/
    fail_fast: true
    max_file_size: 200MiB
    timeout: 2m30s
  - repository_url: https://upload.pypi.org/legacy/
    disable: true
`, nil)
	if len(f.Targets) != 2 {
		t.Fatalf("got %d targets", len(f.Targets))
	}
	a := f.Targets[0]
	if a.Name != "testpypi" || a.Audience != "testpypi" || !reflect.DeepEqual(a.IDs, []string{"python-wheel", "python-sdist"}) ||
		!a.SkipExisting || a.TrustedPublishing != "always" || a.TokenEnv != "TEST_PYPI_TOKEN" || a.Concurrency != 8 ||
		a.Retry != (Retry{Attempts: 3, Delay: 500 * time.Millisecond, MaxDelay: time.Minute}) ||
		a.CheckURL != "https://test.pypi.org/simple/" || !a.FailFast || a.MaxFileSize != 200<<20 || a.Timeout != 150*time.Second || a.Disable {
		t.Fatalf("first target decoded wrong: %+v", a)
	}
	if a.Source() != ".goreleaser-pypi.yaml:4" {
		t.Fatalf("Source() = %q", a.Source())
	}
	b := f.Targets[1]
	if b.Name != "pypi" || !b.Disable || b.Concurrency != DefaultConcurrency {
		t.Fatalf("second target: %+v", b)
	}
	if en := f.Enabled(); len(en) != 1 || en[0].Name != "testpypi" {
		t.Fatalf("Enabled() = %+v", en)
	}
}

func TestPartialRetryKeepsDefaults(t *testing.T) {
	f := mustParse(t, "targets:\n  - retry:\n      attempts: 2\n", nil)
	if r := f.Targets[0].Retry; r.Attempts != 2 || r.Delay != DefaultRetryDelay || r.MaxDelay != DefaultRetryMaxDelay {
		t.Fatalf("retry = %+v", r)
	}
}

// attestations: MODE is the shorthand issue 15 specifies beside the
// mapping form; it sets the mode and keeps the other defaults.
func TestAttestationsShorthand(t *testing.T) {
	f := mustParse(t, "targets:\n  - name: a\n    attestations: always\n  - name: b\n    attestations: NEVER\n  - name: c\n    attestations: {mode: never, rekor_url: https://rekor.example/}\n", nil)
	for i, want := range []Attestations{
		{Mode: AttestationsAlways, FulcioURL: DefaultFulcioURL, RekorURL: DefaultRekorURL},
		{Mode: AttestationsNever, FulcioURL: DefaultFulcioURL, RekorURL: DefaultRekorURL},
		{Mode: AttestationsNever, FulcioURL: DefaultFulcioURL, RekorURL: "https://rekor.example/"},
	} {
		if got := f.Targets[i].Attestations; got != want {
			t.Errorf("target %d: attestations = %+v, want %+v", i, got, want)
		}
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	f := mustParse(t, `
x-common: &common
  ids: [wheel]
  concurrency: 2
targets:
  - <<: *common
    name: testpypi
    repository_url: https://test.pypi.org/legacy/
  - <<: *common
    concurrency: 3
`, nil)
	a, b := f.Targets[0], f.Targets[1]
	if a.Name != "testpypi" || a.Concurrency != 2 || !reflect.DeepEqual(a.IDs, []string{"wheel"}) {
		t.Fatalf("first: %+v", a)
	}
	if b.Name != "pypi" || b.Concurrency != 3 || !reflect.DeepEqual(b.IDs, []string{"wheel"}) {
		t.Fatalf("second (own key must win over the merged one): %+v", b)
	}
}

func TestEnvExpansion(t *testing.T) {
	getenv := env("INDEX", "https://pypi.example.com/legacy/", "N", "16", "SKIP", "true", "TAG", "v1")
	f := mustParse(t, `
targets:
  - name: "staging-${TAG}"
    repository_url: ${INDEX}
    concurrency: ${N}
    skip_existing: ${SKIP}
    audience: ${AUD:-pypi}
    token_env: ${TOKEN_VAR:-STAGING_TOKEN}
    disable: ${DISABLE_STAGING:-false}
    check_url: "https://pypi.example.com/simple/?x=$${literal}"
`, getenv)
	tg := f.Targets[0]
	if tg.Name != "staging-v1" || tg.RepositoryURL != "https://pypi.example.com/legacy/" || tg.Concurrency != 16 ||
		!tg.SkipExisting || tg.Audience != "pypi" || tg.TokenEnv != "STAGING_TOKEN" || tg.Disable ||
		tg.CheckURL != "https://pypi.example.com/simple/?x=${literal}" {
		t.Fatalf("expanded wrong: %+v", tg)
	}
}

func TestExpand(t *testing.T) {
	getenv := env("A", "x", "EMPTY", "")
	for _, c := range []struct{ in, want, err string }{
		{in: "plain $A and $", want: "plain $A and $"},
		{in: "${A}${A}", want: "xx"},
		{in: "$${A}", want: "${A}"},
		{in: "$$${A}", want: "$${A}"}, // leftmost first: "$", then the escape
		{in: "${EMPTY:-d}", want: "d"},
		{in: "${UNSET:-}", want: ""},
		{in: "${UNSET}", err: "environment variable UNSET is not set (export it, or write ${UNSET:-default} to make it optional)"},
		{in: "${EMPTY}", err: "environment variable EMPTY is not set"},
		{in: "${A", err: `unterminated "${A"`},
		{in: "${1BAD}", err: `"1BAD" is not a valid environment variable name`},
		{in: "${A-B}", err: `"A-B" is not a valid environment variable name`},
	} {
		got, err := expand(c.in, getenv)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("expand(%q): error %v, want one containing %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("expand(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// TestErrors pins the exact messages users see: each names the file, line,
// target and field, and says what to do.
func TestErrors(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		getenv     func(string) string
		want       []string // each must appear, in this order, one per line
	}{
		{
			name: "typo suggests the closest key",
			yaml: "targets:\n  - name: pypi\n    repositry_url: https://upload.pypi.org/legacy/\n",
			want: []string{`.goreleaser-pypi.yaml:3:5: target "pypi": unknown key "repositry_url": did you mean "repository_url"?`},
		},
		{
			name: "dashes suggest snake_case",
			yaml: "targets:\n  - skip-existing: true\n",
			want: []string{`.goreleaser-pypi.yaml:2:5: targets[0]: unknown key "skip-existing": did you mean "skip_existing"? (keys are snake_case)`},
		},
		{
			name: "typo in a nested mapping",
			yaml: "targets:\n  - name: a\n    retry:\n      atempts: 3\n",
			want: []string{`.goreleaser-pypi.yaml:4:7: target "a": unknown key "atempts" in retry: did you mean "attempts"?`},
		},
		{
			name: "another tool's name",
			yaml: "targets:\n  - repository: https://upload.pypi.org/legacy/\n",
			want: []string{`targets[0]: repository: names a repository of ~/.pypirc (as twine --repository does), not a URL: put an upload URL in repository_url`},
		},
		{
			name: "a secret in the file",
			yaml: "targets:\n  - password: hunter2\n",
			want: []string{`unknown key "password": credentials do not belong in this file; export the API token in an environment variable and name that variable with token_env (default PYPI_API_TOKEN), a password with password_env (default PYPI_PASSWORD), or use trusted publishing`},
		},
		{
			name: "target setting at the top level",
			yaml: "repository_url: https://test.pypi.org/legacy/\n",
			want: []string{`.goreleaser-pypi.yaml:1:1: unknown key "repository_url" at the top level: settings belong to a target; put them under targets:`},
		},
		{
			name: "unrelated key lists the known ones",
			yaml: "targets:\n  - zzzzzzzz: 1\n",
			want: []string{`unknown key "zzzzzzzz" (known keys: name, repository_url, audience, ids, skip_existing, trusted_publishing, token_env, username, username_env, password_env, repository, concurrency, retry, check_url, fail_fast, max_file_size, timeout, attestations, disable)`},
		},
		{
			name: "all problems at once",
			yaml: "targets:\n  - name: pypi\n    concurency: 2\n    tokn_env: X\n",
			want: []string{`:3:5: target "pypi": unknown key "concurency": did you mean "concurrency"?`, `:4:5: target "pypi": unknown key "tokn_env": did you mean "token_env"?`},
		},
		{
			name: "attestations shorthand with an unknown mode",
			yaml: "targets:\n  - name: a\n    attestations: sometimes\n",
			want: []string{`.goreleaser-pypi.yaml:3:19: target "a": attestations.mode: "sometimes" is not one of auto, always, never`},
		},
		{
			name: "attestations as a list",
			yaml: "targets:\n  - name: a\n    attestations: [always]\n",
			want: []string{`.goreleaser-pypi.yaml:3:19: target "a": attestations: expected a single value (short for {mode: value}) or a mapping (key: value), found a list`},
		},
		{
			name: "typo in the attestations mapping",
			yaml: "targets:\n  - name: a\n    attestations:\n      mdoe: always\n",
			want: []string{`.goreleaser-pypi.yaml:4:7: target "a": unknown key "mdoe" in attestations: did you mean "mode"?`},
		},
		{
			name: "a key set twice",
			yaml: "targets:\n  - name: a\n    concurrency: 2\n    concurrency: 3\n",
			want: []string{`.goreleaser-pypi.yaml:4:5: target "a": concurrency: set twice (first at line 3); keep one`},
		},
		{
			name: "plain http to a public host",
			yaml: "targets:\n  - name: corp\n    repository_url: http://pypi.corp.example/legacy/\n",
			want: []string{`.goreleaser-pypi.yaml:3:21: target "corp": repository_url: "http://pypi.corp.example/legacy/" uses plain http: use https (http is allowed only to loopback addresses such as 127.0.0.1 or localhost, because credentials would travel in clear text)`},
		},
		{
			name: "unparsable URL",
			yaml: "targets:\n  - name: a\n    repository_url: \"https://exa mple.com/legacy/\"\n",
			want: []string{`target "a": repository_url: "https://exa mple.com/legacy/" is not a valid URL: invalid character " " in host name`},
		},
		{
			name: "relative URL",
			yaml: "targets:\n  - name: a\n    repository_url: upload.pypi.org/legacy/\n",
			want: []string{`repository_url: "upload.pypi.org/legacy/" is not an absolute URL; write it in full, such as https://upload.pypi.org/legacy/`},
		},
		{
			name: "credentials in the URL",
			yaml: "targets:\n  - name: a\n    repository_url: https://__token__:pypi-abc@upload.pypi.org/legacy/\n",
			want: []string{`repository_url: must not contain credentials`},
		},
		{
			name: "PyPI's website instead of its upload URL",
			yaml: "targets:\n  - repository_url: https://pypi.org/\n",
			want: []string{`targets[0]: repository_url: "https://pypi.org/" is PyPI's website; PyPI's upload URL is https://upload.pypi.org/legacy/`},
		},
		{
			name: "TestPyPI without /legacy/",
			yaml: "targets:\n  - repository_url: https://test.pypi.org/\n",
			want: []string{`repository_url: "https://test.pypi.org/": TestPyPI's upload URL is https://test.pypi.org/legacy/`},
		},
		{
			name: "missing trailing slash",
			yaml: "targets:\n  - repository_url: https://pypi.example.com/legacy\n",
			want: []string{`repository_url: "https://pypi.example.com/legacy" lacks the trailing slash: write https://pypi.example.com/legacy/`},
		},
		{
			name: "simple index as upload URL",
			yaml: "targets:\n  - repository_url: https://pypi.example.com/simple/\n",
			want: []string{`looks like a simple index (used for downloads), not an upload endpoint`},
		},
		{
			name: "devpi simple index as upload URL",
			yaml: "targets:\n  - repository_url: https://devpi.example.com/root/pypi/+simple/\n",
			want: []string{`looks like a simple index (used for downloads), not an upload endpoint`},
		},
		{
			name: "check_url pointing at the upload endpoint",
			yaml: "targets:\n  - name: a\n    check_url: https://upload.pypi.org/legacy/\n",
			want: []string{`target "a": check_url: "https://upload.pypi.org/legacy/" is an upload URL; check_url is the simple index files are read from, such as https://pypi.org/simple/`},
		},
		{
			name: "trusted_publishing enum",
			yaml: "targets:\n  - name: a\n    trusted_publishing: sometimes\n",
			want: []string{`.goreleaser-pypi.yaml:3:25: target "a": trusted_publishing: "sometimes" is not one of auto, always, never`},
		},
		{
			name: "trusted_publishing as a boolean",
			yaml: "targets:\n  - name: a\n    trusted_publishing: true\n",
			want: []string{`trusted_publishing: "true": write auto, always or never`},
		},
		{
			name: "concurrency bounds",
			yaml: "targets:\n  - name: a\n    concurrency: 0\n  - name: b\n    concurrency: 65\n",
			want: []string{`:3:18: target "a": concurrency: must be between 1 and 64, got 0`, `:5:18: target "b": concurrency: must be between 1 and 64, got 65`},
		},
		{
			name: "concurrency not a number",
			yaml: "targets:\n  - name: a\n    concurrency: four\n",
			want: []string{`:3:18: target "a": concurrency: expected a whole number, found "four"`},
		},
		{
			name: "bool not a bool",
			yaml: "targets:\n  - name: a\n    skip_existing: maybe\n",
			want: []string{`target "a": skip_existing: expected true or false, found "maybe"`},
		},
		{
			name: "retry bounds",
			yaml: "targets:\n  - name: a\n    retry:\n      attempts: 0\n      delay: 1h\n      max_delay: 2s\n",
			want: []string{
				`:4:17: target "a": retry.attempts: must be between 1 (no retries) and 20, got 0`,
				`:5:14: target "a": retry.delay: must be between 0s and 10m0s, got 1h0m0s`,
				`:6:18: target "a": retry.max_delay: (2s) is shorter than retry.delay (1h0m0s); raise it or lower the delay`,
			},
		},
		{
			name: "duration without unit",
			yaml: "targets:\n  - name: a\n    retry:\n      delay: 2\n",
			want: []string{`target "a": retry.delay: "2" has no unit: write a duration such as 2s or 500ms`},
		},
		{
			name: "duration garbage",
			yaml: "targets:\n  - name: a\n    retry:\n      max_delay: soon\n",
			want: []string{`retry.max_delay: "soon" is not a duration: write one such as 2s, 1m30s or 500ms`},
		},
		{
			name: "timeout too short",
			yaml: "targets:\n  - name: a\n    timeout: 0s\n",
			want: []string{`timeout: must be between 1s and 1h0m0s, got 0s`},
		},
		{
			name: "timeout garbage",
			yaml: "targets:\n  - name: a\n    timeout: forever\n",
			want: []string{`timeout: "forever" is not a duration`},
		},
		{
			name: "bad size",
			yaml: "targets:\n  - name: a\n    max_file_size: big\n",
			want: []string{`max_file_size: "big" is not a size`},
		},
		{
			name: "duplicate target names",
			yaml: "targets:\n  - name: pypi\n  - name: pypi\n",
			want: []string{`.goreleaser-pypi.yaml:3:11: target "pypi": name: "pypi" is already the name of the target at line 2; target names must be unique`},
		},
		{
			name: "duplicate derived names",
			yaml: "targets:\n  - ids: [a]\n  - ids: [b]\n",
			want: []string{`.goreleaser-pypi.yaml:3: targets[1]: name: "pypi" is already the name of the target at line 2 (derived from repository_url; set name: to tell them apart); target names must be unique`},
		},
		{
			name: "bad token_env",
			yaml: "targets:\n  - name: a\n    token_env: PYPI-TOKEN\n",
			want: []string{`target "a": token_env: is not an environment variable name (letters, digits and _, not starting with a digit): token_env is the NAME of the variable that holds the API token (default PYPI_API_TOKEN), not the value itself`},
		},
		{
			name: "token value instead of token_env name, never echoed",
			yaml: "targets:\n  - name: a\n    token_env: pypi-AgEIcHlwaS5vcmcSECRET\n",
			want: []string{`target "a": token_env: holds what looks like an API token itself; token_env is the NAME of the environment variable`},
		},
		{
			name: "unset variable",
			yaml: "targets:\n  - name: staging\n    repository_url: ${STAGING_URL}\n",
			want: []string{`.goreleaser-pypi.yaml:3:21: target "staging": repository_url: environment variable STAGING_URL is not set (export it, or write ${STAGING_URL:-default} to make it optional)`},
		},
		{
			name: "ids not a list",
			yaml: "targets:\n  - name: a\n    ids: python\n",
			want: []string{`target "a": ids: expected a list, such as ids: [python], found "python"`},
		},
		{
			name: "duplicate id",
			yaml: "targets:\n  - name: a\n    ids: [w, w]\n",
			want: []string{`ids: build id "w" is listed twice`},
		},
		{
			name: "targets not a list",
			yaml: "targets:\n  name: pypi\n",
			want: []string{`.goreleaser-pypi.yaml:2:3: targets: expected a list of targets (each starting with "- name: ..."), found a mapping`},
		},
		{
			name: "empty file",
			yaml: "# nothing\n",
			want: []string{`.goreleaser-pypi.yaml: the file is empty: list at least one target under targets:`},
		},
		{
			name: "no targets",
			yaml: "targets: []\n",
			want: []string{`no targets: list at least one under targets:`},
		},
		{
			name: "future version",
			yaml: "version: 2\ntargets: [{}]\n",
			want: []string{`.goreleaser-pypi.yaml:1:1: version: unsupported version 2`},
		},
		{
			name: "not YAML",
			yaml: "targets:\n  - name: a\n   bad indent: [\n",
			want: []string{`.goreleaser-pypi.yaml: not valid YAML: line`},
		},
		{
			name: "bad target name",
			yaml: "targets:\n  - name: \"my index\"\n",
			want: []string{`name: "my index" is not a usable name`},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := parse(t, c.yaml, c.getenv)
			if err == nil {
				t.Fatalf("no error; got %+v", f)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) < len(c.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(lines), len(c.want), err)
			}
			for i, w := range c.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("problem %d:\n got %s\nwant it to contain %s", i, lines[i], w)
				}
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the error echoes a secret: %v", err)
			}
		})
	}
}

func TestErrorsAreStructured(t *testing.T) {
	_, err := parse(t, "targets:\n  - name: a\n    concurrency: 99\n", nil)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%T is not a *config.Error", err)
	}
	if e.File != ".goreleaser-pypi.yaml" || e.Line != 3 || e.Target != `target "a"` || e.Field != "concurrency" {
		t.Fatalf("%+v", e)
	}
}

// An upload path that only contains "simple" is not a simple index.
func TestUploadPathContainingSimple(t *testing.T) {
	f := mustParse(t, "targets:\n  - repository_url: https://pkgs.example.com/simple-uploads/\n", nil)
	if f.Targets[0].RepositoryURL != "https://pkgs.example.com/simple-uploads/" {
		t.Fatalf("%+v", f.Targets[0])
	}
}

func TestLoopbackHTTPAllowed(t *testing.T) {
	for u, name := range map[string]string{"http://127.0.0.1:8080/legacy/": "127.0.0.1", "http://localhost:1234/legacy/": "localhost", "http://[::1]:9/legacy/": "ipv6-1", "http://127.1.2.3/legacy/": "127.1.2.3"} {
		f := mustParse(t, "targets:\n  - repository_url: "+u+"\n    check_url: "+strings.Replace(u, "legacy", "simple", 1)+"\n", nil)
		if f.Targets[0].Name != name {
			t.Errorf("%s: derived name %q, want %q", u, f.Targets[0].Name, name)
		}
	}
	f := mustParse(t, "targets:\n  - repository_url: http://127.0.0.1:8080/legacy/\n  - repository_url: https://test.pypi.org/legacy/\n", nil)
	if f.Targets[0].Name != "127.0.0.1" || f.Targets[1].Name != "testpypi" {
		t.Fatalf("derived names %q %q", f.Targets[0].Name, f.Targets[1].Name)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DefaultFile)
	if _, err := Load(path, nil); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte("targets:\n  - name: x\n    tokenenv: A\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, nil)
	if err == nil || !strings.HasPrefix(err.Error(), path+":3:5: ") || !strings.Contains(err.Error(), `did you mean "token_env"?`) {
		t.Fatalf("got %v", err)
	}
}

func TestSelect(t *testing.T) {
	f := mustParse(t, "targets:\n  - name: testpypi\n    repository_url: https://test.pypi.org/legacy/\n  - name: pypi\n    disable: true\n", nil)
	if err := f.Select("nope"); err == nil || !strings.Contains(err.Error(), `no target named "nope" (targets: "testpypi", "pypi")`) {
		t.Fatalf("got %v", err)
	}
	if err := f.Select("pypi"); err != nil {
		t.Fatal(err)
	}
	if len(f.Targets) != 1 || f.Targets[0].Name != "pypi" || f.Targets[0].Disable {
		t.Fatalf("Select kept %+v", f.Targets)
	}
}

func TestApply(t *testing.T) {
	f := mustParse(t, "targets:\n  - concurrency: 2\n    ids: [a]\n", nil)
	url := "http://127.0.0.1:9999/legacy/"
	if err := f.Apply(
		Override{Key: "repository_url", Values: []string{url}},
		Override{Key: "concurrency", Values: []string{"7"}},
		Override{Key: "trusted_publishing", Values: []string{"never"}},
		Override{Key: "skip_existing", Values: []string{"true"}},
		Override{Key: "timeout", Values: []string{"30s"}},
		Override{Key: "max_file_size", Values: []string{"100k"}},
	); err != nil {
		t.Fatal(err)
	}
	tg := f.Targets[0]
	if tg.RepositoryURL != url || tg.Concurrency != 7 || tg.TrustedPublishing != "never" || !tg.SkipExisting || tg.Timeout != 30*time.Second ||
		tg.MaxFileSize != 100000 || tg.Name != "127.0.0.1" || !reflect.DeepEqual(tg.IDs, []string{"a"}) {
		t.Fatalf("overrides applied wrong: %+v", tg)
	}

	err := f.Apply(Override{Key: "concurrency", Values: []string{"100"}})
	if err == nil || err.Error() != `flag --concurrency: target "127.0.0.1": concurrency: must be between 1 and 64, got 100` {
		t.Fatalf("got %v", err)
	}
	f = mustParse(t, "targets:\n  - name: x\n", nil)
	err = f.Apply(Override{Key: "retry.attempts", Values: []string{"0"}, Source: "--retry-attempts"})
	if err == nil || !strings.HasPrefix(err.Error(), `flag --retry-attempts: target "x": retry.attempts: must be between 1 (no retries) and 20, got 0`) {
		t.Fatalf("got %v", err)
	}
	// A flag counting from another origin is answered in its own units:
	// --retries 20 is 21 attempts, and says "got 20", not "got 21".
	for n, want := range map[string]string{
		"20": `flag --retries: target "x": must be between 0 (no retries) and 19, got 20`,
		"-1": `flag --retries: target "x": must be between 0 (no retries) and 19, got -1`,
	} {
		f = mustParse(t, "targets:\n  - name: x\n", nil)
		if err := f.Apply(Override{Key: "retry.attempts", Values: []string{n}, Source: "--retries", Offset: 1}); err == nil || err.Error() != want {
			t.Errorf("--retries %s: got %v\nwant %s", n, err, want)
		}
	}
	f = mustParse(t, "targets:\n  - name: x\n", nil)
	if err := f.Apply(Override{Key: "retry.attempts", Values: []string{"0"}, Source: "--retries", Offset: 1}); err != nil || f.Targets[0].Retry.Attempts != 1 {
		t.Fatalf("--retries 0: %v, attempts %d", err, f.Targets[0].Retry.Attempts)
	}
	// A size is read by the one size parser: "100x" is not 100 bytes.
	f = mustParse(t, "targets:\n  - name: x\n", nil)
	err = f.Apply(Override{Key: "max_file_size", Values: []string{"100x"}})
	if err == nil || !strings.Contains(err.Error(), `flag --max-file-size`) || !strings.Contains(err.Error(), `"100x" is not a size`) {
		t.Fatalf("got %v", err)
	}
	if err := Default().Apply(Override{Key: "repository_url", Values: []string{"http://example.com/legacy/"}}); err == nil || !strings.HasPrefix(err.Error(), `flag --repository-url: target "example.com": repository_url: "http://example.com/legacy/" uses plain http`) {
		t.Fatalf("got %v", err)
	}
	// Values from flags are taken as written: no ${VAR} expansion.
	g := mustParse(t, "targets:\n  - name: mine\n", nil)
	if err := g.Apply(Override{Key: "audience", Values: []string{"${X}"}}); err != nil || g.Targets[0].Audience != "${X}" {
		t.Fatalf("audience ${X}: %v %q", err, g.Targets[0].Audience)
	}
	// A named target keeps its name when the URL changes.
	g = mustParse(t, "targets:\n  - name: mine\n", nil)
	if err := g.Apply(Override{Key: "repository_url", Values: []string{url}}); err != nil || g.Targets[0].Name != "mine" {
		t.Fatalf("renamed a named target: %v %+v", err, g.Targets[0])
	}
	// One error per flag, however many targets.
	h := mustParse(t, "targets:\n  - name: a\n  - name: b\n", nil)
	if err := h.Apply(Override{Key: "concurrency", Values: []string{"0"}}); err == nil || len(err.(Errors)) != 1 {
		t.Fatalf("two targets: %v", err)
	}
}

func TestCheckEnv(t *testing.T) {
	f := mustParse(t, `
targets:
  - name: corp
    repository_url: https://pypi.corp.example/legacy/
    trusted_publishing: never
    token_env: CORP_TOKEN
  - name: pypi
    trusted_publishing: never
    disable: true
  - name: testpypi
    repository_url: https://test.pypi.org/legacy/
`, nil)
	err := f.CheckEnv(env())
	want := `.goreleaser-pypi.yaml:5:25: target "corp": trusted_publishing is never, so an API token is required, but environment variable CORP_TOKEN is not set: export it (a GoReleaser custom publisher must forward it: env: - CORP_TOKEN={{ index .Env "CORP_TOKEN" }}), or a password in PYPI_PASSWORD, or allow trusted publishing with trusted_publishing: auto`
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
	if err := f.CheckEnv(env("CORP_TOKEN", "pypi-x")); err != nil {
		t.Fatalf("with the token set: %v", err)
	}
}

func TestKeys(t *testing.T) {
	if k := Keys(); len(k) != 19 || k[0] != "name" {
		t.Fatalf("Keys() = %v", k)
	}
}

func TestLevenshtein(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"repositry_url", "repository_url", 1}} {
		if got := levenshtein(c.a, c.b); got != c.d {
			t.Errorf("levenshtein(%q,%q)=%d want %d", c.a, c.b, got, c.d)
		}
	}
}
