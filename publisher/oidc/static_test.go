package oidc_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/faketoken"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/secrets"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypirc"
)

const (
	privateIndex = "https://nexus.example.com/repository/pypi-internal/"
	pypiUpload   = "https://upload.pypi.org/legacy/"
	testUpload   = "https://test.pypi.org/legacy/"
	password     = "s3cret-registry-password"
)

type staticCase struct {
	name string
	url  string
	env  map[string]string
	mod  func(*oidc.Options)
	// Exactly one of these: the credential, or the problem.
	user, secret, desc string
	problem            oidc.Problem
	// Text in the error (problem) or in the log (credential).
	says []string
}

func runStatic(t *testing.T, c staticCase) {
	t.Helper()
	cap := newCapture()
	o := oidc.Options{RepositoryURL: c.url, Getenv: envFunc(c.env), Log: cap.logger, Stdout: cap.stdout, ReadFile: noFiles}
	if c.mod != nil {
		c.mod(&o)
	}
	src, err := oidc.NewSource(o)
	checkErr := oidc.Check(o)
	var secretsSeen []string
	for k, v := range c.env {
		if len(v) >= 8 && !strings.HasSuffix(k, "USERNAME") {
			secretsSeen = append(secretsSeen, v)
		}
	}
	if o.Pypirc != nil && o.Pypirc.HasPassword() {
		secretsSeen = append(secretsSeen, o.Pypirc.Password())
	}
	if c.problem != "" {
		e := asError(t, err)
		if e.Problem != c.problem {
			t.Fatalf("problem %s, want %s: %v", e.Problem, c.problem, err)
		}
		mustContain(t, "error", err.Error(), c.says...)
		if checkErr == nil || checkErr.Error() != err.Error() {
			t.Errorf("Check: %v\nNewSource: %v", checkErr, err)
		}
		if len(secretsSeen) > 0 {
			secrets.Scan(t, map[string]string{"error": err.Error(), "log": cap.log.String()}, secretsSeen...)
		}
		return
	}
	if err != nil || checkErr != nil {
		t.Fatalf("NewSource: %v\nCheck: %v", err, checkErr)
	}
	tok, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username() != c.user || tok.Secret() != c.secret {
		t.Errorf("credential: user %q, secret matches %v", tok.Username(), tok.Secret() == c.secret)
	}
	if d, ok := src.(interface{ Describe() string }); !ok || d.Describe() != c.desc {
		t.Errorf("Describe() = %q, want %q", d.Describe(), c.desc)
	}
	mustContain(t, "log", cap.log.String(), c.says...)
	if len(secretsSeen) > 0 {
		secrets.Scan(t, map[string]string{"log": cap.log.String(), "desc": c.desc, "stdout": cap.stdout.String()}, secretsSeen...)
	}
}

func TestExplicitCredentials(t *testing.T) {
	pypiToken, testToken := faketoken.New("pypi.org", faketoken.ProjectCaveat), faketoken.New("test.pypi.org")
	cases := []staticCase{
		{name: "API token", url: pypiUpload, env: map[string]string{"PYPI_API_TOKEN": pypiToken},
			user: "__token__", secret: pypiToken, desc: "API token from PYPI_API_TOKEN", says: []string{"using API token", "from=PYPI_API_TOKEN"}},
		{name: "user name and password", url: privateIndex, env: map[string]string{"PYPI_USERNAME": "deploy-bot", "PYPI_PASSWORD": password},
			user: "deploy-bot", secret: password, desc: "user deploy-bot (from PYPI_USERNAME), password from PYPI_PASSWORD",
			says: []string{"using user name and password", "user=deploy-bot"}},
		{name: "--username wins over the variable", url: privateIndex, env: map[string]string{"PYPI_USERNAME": "other", "CORP_PASSWORD": password},
			mod:  func(o *oidc.Options) { o.Username, o.PasswordEnv = "deploy-bot", "CORP_PASSWORD" },
			user: "deploy-bot", secret: password, desc: "user deploy-bot (from --username), password from CORP_PASSWORD"},
		{name: "a password that is an API token", url: pypiUpload, env: map[string]string{"PYPI_PASSWORD": pypiToken},
			user: "__token__", secret: pypiToken, desc: "API token from PYPI_PASSWORD"},
		{name: "__token__ with a registry token", url: privateIndex, env: map[string]string{"PYPI_USERNAME": "__token__", "PYPI_PASSWORD": "glpat-registry-token"},
			user: "__token__", secret: "glpat-registry-token", desc: "API token from PYPI_PASSWORD"},
		{name: "PyPI ignores a user name with an API token", url: pypiUpload, env: map[string]string{"PYPI_USERNAME": "alice", "PYPI_PASSWORD": pypiToken},
			user: "__token__", secret: pypiToken, desc: "API token from PYPI_PASSWORD",
			says: []string{"the credential is an API token, always sent with the user name __token__: the user name alice (from PYPI_USERNAME) is not sent"}},
		{name: "a PyPI token sent elsewhere is a warning", url: privateIndex, env: map[string]string{"PYPI_API_TOKEN": pypiToken},
			user: "__token__", secret: pypiToken, desc: "API token from PYPI_API_TOKEN",
			says: []string{"the API token in PYPI_API_TOKEN was issued by pypi.org, and is about to be sent to nexus.example.com, which is not PyPI"}},
		{name: "token and password", url: privateIndex, env: map[string]string{"PYPI_API_TOKEN": pypiToken, "PYPI_PASSWORD": password},
			problem: oidc.ProblemAmbiguousCredentials,
			says:    []string{"two credentials for nexus.example.com: an API token in PYPI_API_TOKEN and a password from PYPI_PASSWORD", "unset PYPI_API_TOKEN to send the password"}},
		{name: "--username with an API token", url: privateIndex, env: map[string]string{"PYPI_API_TOKEN": pypiToken},
			mod:     func(o *oidc.Options) { o.Username = "alice" },
			problem: oidc.ProblemAmbiguousCredentials, says: []string{"--username alice is given, but the credential is an API token in PYPI_API_TOKEN"}},
		{name: "password without user name", url: privateIndex, env: map[string]string{"PYPI_PASSWORD": password},
			problem: oidc.ProblemNoUsername, says: []string{"a password is set in PYPI_PASSWORD but no user name to go with it", "--username NAME", "PYPI_USERNAME"}},
		{name: "--username without password", url: privateIndex, env: map[string]string{},
			mod:     func(o *oidc.Options) { o.Username = "alice" },
			problem: oidc.ProblemNoPassword, says: []string{"--username alice is given but no password: PYPI_PASSWORD is not set", "never takes a password from the command line"}},
		{name: "password on PyPI", url: pypiUpload, env: map[string]string{"PYPI_USERNAME": "alice", "PYPI_PASSWORD": password},
			problem: oidc.ProblemPasswordOnPyPI, says: []string{"PyPI does not accept user names and passwords", "https://pypi.org/manage/account/token/"}},
		{name: "TestPyPI token on PyPI", url: pypiUpload, env: map[string]string{"PYPI_API_TOKEN": testToken},
			problem: oidc.ProblemTokenShape, says: []string{"the API token in PYPI_API_TOKEN cannot work on PyPI: it is a TestPyPI token (issued by test.pypi.org), and a TestPyPI token does not work on PyPI",
				"https://pypi.org/manage/account/token/", "Nothing was sent"}},
		{name: "PyPI token on TestPyPI", url: testUpload, env: map[string]string{"PYPI_API_TOKEN": pypiToken},
			problem: oidc.ProblemTokenShape, says: []string{"it is a PyPI token (issued by pypi.org), and a PyPI token does not work on TestPyPI"}},
		{name: "token without prefix", url: pypiUpload, env: map[string]string{"PYPI_API_TOKEN": pypiToken[len("pypi-"):]},
			problem: oidc.ProblemTokenShape, says: []string{"the value does not start with pypi-"}},
		{name: "truncated token", url: pypiUpload, env: map[string]string{"PYPI_API_TOKEN": pypiToken[:40]},
			problem: oidc.ProblemTokenShape, says: []string{"cut short"}},
		{name: "trusted publishing only ignores them", url: pypiUpload, env: map[string]string{"PYPI_API_TOKEN": testToken},
			mod:     func(o *oidc.Options) { o.Mode = oidc.Always },
			problem: oidc.ProblemNoIdentity},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "trusted publishing only ignores them" {
				// Check has nothing to say: the token is never used.
				o := oidc.Options{RepositoryURL: c.url, Getenv: envFunc(c.env), Mode: oidc.Always, ReadFile: noFiles}
				if err := oidc.Check(o); err != nil {
					t.Fatalf("Check: %v", err)
				}
				cap := newCapture()
				o.Log = cap.logger
				if _, err := oidc.NewSource(o); asError(t, err).Problem != oidc.ProblemNoIdentity {
					t.Fatalf("%v", err)
				}
				return
			}
			runStatic(t, c)
		})
	}
}

func TestPypircCredentials(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".pypirc")
	content := "[distutils]\nindex-servers = private\n\n[private]\nrepository = " + privateIndex + "\nusername = deploy-bot\npassword = " + password + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	repo, err := pypirc.Lookup(path, "private", true)
	if err != nil {
		t.Fatal(err)
	}
	from := path + " [private]"
	runStatic(t, staticCase{url: privateIndex, env: map[string]string{}, mod: func(o *oidc.Options) { o.Pypirc = repo },
		user: "deploy-bot", secret: password, desc: "user deploy-bot (from " + from + "), password from " + from})
	// The environment wins over the file, as with twine.
	runStatic(t, staticCase{url: privateIndex, env: map[string]string{"PYPI_PASSWORD": "from-the-environment"}, mod: func(o *oidc.Options) { o.Pypirc = repo },
		user: "deploy-bot", secret: "from-the-environment", desc: "user deploy-bot (from " + from + "), password from PYPI_PASSWORD"})
	// A section without a password (twine would ask keyring) is named.
	noPassword := filepath.Join(dir, "nopassword")
	if err := os.WriteFile(noPassword, []byte("[distutils]\nindex-servers = private\n[private]\nrepository = "+privateIndex+"\nusername = bob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bare, err := pypirc.Lookup(noPassword, "private", true)
	if err != nil {
		t.Fatal(err)
	}
	_, err = oidc.NewSource(oidc.Options{RepositoryURL: privateIndex, Getenv: envFunc(nil), ReadFile: noFiles, Pypirc: bare})
	mustContain(t, "error", err.Error(), "; but "+noPassword+" [private] gives no password (goreleaser-pypi does not read keyring)")
	// An API token beside the file's password is two credentials.
	runStatic(t, staticCase{url: privateIndex, env: map[string]string{"PYPI_API_TOKEN": "pypi-another-credential"}, mod: func(o *oidc.Options) { o.Pypirc = repo },
		problem: oidc.ProblemAmbiguousCredentials, says: []string{"an API token in PYPI_API_TOKEN and a password from " + from}})
}

// Variables other tools read are named, with the setting that reads them,
// when no credential is found; their values never show.
func TestMisplacedCredentials(t *testing.T) {
	pypiToken := faketoken.New("pypi.org")
	cases := []struct {
		name, url string
		env       map[string]string
		mode      oidc.Mode
		want      []string
	}{
		{"uv token", pypiUpload, map[string]string{"UV_PUBLISH_TOKEN": pypiToken}, oidc.Auto,
			[]string{"; but UV_PUBLISH_TOKEN (uv's API token) is set: goreleaser-pypi reads PYPI_API_TOKEN; use --token-env UV_PUBLISH_TOKEN or token_env: UV_PUBLISH_TOKEN"}},
		{"PYPI_TOKEN", pypiUpload, map[string]string{"PYPI_TOKEN": pypiToken}, oidc.Auto,
			[]string{"PYPI_TOKEN (a common name for a PyPI API token) is set: goreleaser-pypi reads PYPI_API_TOKEN; use --token-env PYPI_TOKEN or token_env: PYPI_TOKEN"}},
		{"twine token", pypiUpload, map[string]string{"TWINE_USERNAME": "__token__", "TWINE_PASSWORD": pypiToken}, oidc.Auto,
			[]string{"TWINE_PASSWORD (twine's password, here an API token) is set: goreleaser-pypi reads PYPI_API_TOKEN; use --token-env TWINE_PASSWORD or token_env: TWINE_PASSWORD"}},
		{"twine password on a private index", privateIndex, map[string]string{"TWINE_USERNAME": "bob", "TWINE_PASSWORD": password}, oidc.Auto,
			[]string{"TWINE_PASSWORD (twine's password) is set: goreleaser-pypi reads PYPI_PASSWORD; use --password-env TWINE_PASSWORD --username-env TWINE_USERNAME, or password_env: TWINE_PASSWORD and username_env: TWINE_USERNAME"}},
		{"uv password without user", privateIndex, map[string]string{"UV_PUBLISH_PASSWORD": password}, oidc.Never,
			[]string{"UV_PUBLISH_PASSWORD (uv's password) is set: goreleaser-pypi reads PYPI_PASSWORD; use --password-env UV_PUBLISH_PASSWORD --username NAME"}},
		{"twine password on PyPI", pypiUpload, map[string]string{"TWINE_USERNAME": "bob", "TWINE_PASSWORD": password}, oidc.Auto,
			[]string{"TWINE_PASSWORD (twine's password) is set, but it holds no API token (pypi-...), and PyPI takes no passwords"}},
		{"several", pypiUpload, map[string]string{"UV_PUBLISH_TOKEN": pypiToken, "POETRY_PYPI_TOKEN_PYPI": pypiToken}, oidc.Auto,
			[]string{"; but 2 variables other tools read are set (see below)", "* UV_PUBLISH_TOKEN (uv's API token) is set", "* POETRY_PYPI_TOKEN_PYPI (Poetry's PyPI token) is set", "\n\nOtherwise, fix it in one of these ways:\n"}},
		{"the default, with another token_env", pypiUpload, map[string]string{"PYPI_API_TOKEN": pypiToken}, oidc.Auto,
			[]string{"PYPI_API_TOKEN (goreleaser-pypi's default API token variable) is set: goreleaser-pypi reads CORP_TOKEN; use --token-env PYPI_API_TOKEN"}},
		{"user name alone", privateIndex, map[string]string{"PYPI_USERNAME": "bob"}, oidc.Auto,
			[]string{"PYPI_USERNAME (a user name) is set, but PYPI_PASSWORD (its password) is not"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := oidc.Options{RepositoryURL: c.url, Getenv: envFunc(c.env), Mode: c.mode, ReadFile: noFiles}
			if strings.HasPrefix(c.name, "the default") {
				o.TokenEnv = "CORP_TOKEN"
			}
			_, err := oidc.NewSource(o)
			e := asError(t, err)
			if e.Problem != oidc.ProblemNoCredentials && e.Problem != oidc.ProblemNoAPIToken {
				t.Fatalf("problem %s: %v", e.Problem, err)
			}
			mustContain(t, "error", err.Error(), c.want...)
			secrets.Scan(t, map[string]string{"error": err.Error()}, pypiToken, password)
		})
	}
	// Nothing set, nothing named.
	_, err := oidc.NewSource(oidc.Options{RepositoryURL: pypiUpload, Getenv: envFunc(nil), ReadFile: noFiles})
	if strings.Contains(err.Error(), "other tools") || strings.Contains(err.Error(), "; but") {
		t.Errorf("hints without variables: %v", err)
	}
}
