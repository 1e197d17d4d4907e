package config

import (
	"strings"
	"testing"
)

func TestCredentialSettings(t *testing.T) {
	f := mustParse(t, `
targets:
  - name: nexus
    repository_url: https://nexus.example.com/repository/pypi-internal/
    username: deploy-bot
    password_env: NEXUS_PASSWORD
  - repository: private
  - name: pypi
`, nil)
	nexus, private, pypi := f.Targets[0], f.Targets[1], f.Targets[2]
	if nexus.Username != "deploy-bot" || nexus.PasswordEnv != "NEXUS_PASSWORD" || nexus.UsernameEnv != DefaultUsernameEnv {
		t.Errorf("nexus %+v", nexus)
	}
	if private.Name != "private" || private.Repository != "private" {
		t.Errorf("a target named after its .pypirc repository: %+v", private)
	}
	if pypi.PasswordEnv != "PYPI_PASSWORD" || pypi.UsernameEnv != "PYPI_USERNAME" || pypi.Username != "" || pypi.Repository != "" {
		t.Errorf("defaults %+v", pypi)
	}
}

// Values that hold a secret where a variable's name belongs are refused,
// and never echoed.
func TestCredentialSettingErrors(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"password in password_env", "targets:\n  - password_env: SECRET-hunter2\n",
			`password_env: is not an environment variable name (letters, digits and _, not starting with a digit): password_env is the NAME of the variable that holds the password (default PYPI_PASSWORD), not the value itself; if you wrote the value itself there, remove it and change it`},
		{"token in password_env", "targets:\n  - password_env: pypi-SECRET\n",
			`password_env: holds what looks like an API token itself; password_env is the NAME of the environment variable that holds the password (default PYPI_PASSWORD)`},
		{"token in username_env", "targets:\n  - username_env: pypi-SECRET\n", `username_env: holds what looks like an API token itself`},
		{"token as user name", "targets:\n  - username: pypi-SECRET\n",
			`username: holds what looks like an API token; an API token goes in the environment variable token_env names (default PYPI_API_TOKEN), with no user name`},
		{"colon in user name", "targets:\n  - username: \"a:SECRET\"\n", `username: contains ":", which HTTP Basic authentication cannot send in a user name`},
		{"same variable twice", "targets:\n  - token_env: CI_TOKEN\n    password_env: CI_TOKEN\n",
			`password_env: names the same variable as token_env (CI_TOKEN): give the password its own variable`},
		{"repository and repository_url", "targets:\n  - repository: private\n    repository_url: https://nexus.example.com/legacy/\n",
			`repository: is set together with repository_url: repository takes the upload URL (and the user name and password) from ~/.pypirc [private]; set one of them`},
		{"repository with spaces", "targets:\n  - repository: \"my index\"\n", `repository: "my index" is not a repository name of ~/.pypirc`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, c.yaml, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got  %v\nwant %s", err, c.want)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the error echoes a secret: %v", err)
			}
		})
	}
}

func TestRepositoryOverride(t *testing.T) {
	f := Default()
	if err := f.Apply(Override{Key: "repository", Values: []string{"private"}, Source: "--repository"}, Override{Key: "username", Values: []string{"alice"}}); err != nil {
		t.Fatal(err)
	}
	if tg := f.Targets[0]; tg.Name != "private" || tg.Repository != "private" || tg.Username != "alice" {
		t.Errorf("%+v", tg)
	}
	f = Default()
	err := f.Apply(Override{Key: "repository_url", Values: []string{"https://nexus.example.com/legacy/"}, Source: "PYPI_REPOSITORY_URL"},
		Override{Key: "repository", Values: []string{"private"}, Source: "--repository"})
	if err == nil || !strings.Contains(err.Error(), "flag --repository: target \"private\": repository: is set together with PYPI_REPOSITORY_URL") {
		t.Errorf("%v", err)
	}
	f = Default()
	err = f.Apply(Override{Key: "username", Values: []string{"pypi-SECRET"}})
	if err == nil || !strings.Contains(err.Error(), "--username") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("%v", err)
	}
}

func TestCheckEnvAcceptsAPassword(t *testing.T) {
	f := mustParse(t, "targets:\n  - name: corp\n    repository_url: https://pypi.corp.example/legacy/\n    trusted_publishing: never\n    password_env: CORP_PASSWORD\n  - repository: private\n    trusted_publishing: never\n", nil)
	if err := f.CheckEnv(env("CORP_PASSWORD", "x")); err != nil {
		t.Errorf("a password is a credential: %v", err)
	}
	if err := f.CheckEnv(env()); err == nil || !strings.Contains(err.Error(), `target "corp"`) || strings.Contains(err.Error(), `"private"`) {
		t.Errorf("without it: %v (a .pypirc repository is checked when its file is read)", err)
	}
}
