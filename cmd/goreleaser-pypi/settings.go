package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/bytesize"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// settingFlag is a flag that overrides one key of the settings file for
// every target. Its value goes through config.File.Apply, the code that
// reads the file, so a flag and a key can never disagree on what a value
// means or which values are valid. Adding a setting to the command line is
// one line here.
type settingFlag struct {
	key   string // settings key, dotted when nested
	name  string // the flag
	short string // its one-letter form, if any
	usage string
	// def renders the flag's default for --help from config.DefaultTarget
	// (the one home of defaults), in the setting's units; "" shows none.
	def func(config.Target) string
	// bool flags take no value; int flags are checked by pflag.
	kind string // "string", "bool", "int", "duration"
	// offset is what the setting's value adds to an int flag's: --retries
	// counts retries, retry.attempts counts tries (config.Override.Offset).
	offset int
	// env names an environment variable standing for the flag when the
	// flag is not given ("" means none).
	env string
}

var settingFlags = []settingFlag{
	{key: "repository_url", name: "repository-url", kind: "string", env: "PYPI_REPOSITORY_URL", usage: "upload endpoint (env PYPI_REPOSITORY_URL; default " + config.DefaultRepositoryURL + "); https, plain http only to loopback"},
	{key: "check_url", name: "check-url", kind: "string", usage: "simple index used to find files already uploaded, e.g. https://pypi.org/simple/"},
	{key: "skip_existing", name: "skip-existing", kind: "bool", usage: "skip files already on the index with the same sha256 (a different file under the same name still fails)"},
	{key: "concurrency", name: "concurrency", kind: "int", usage: "files uploaded at once", def: func(t config.Target) string { return strconv.Itoa(t.Concurrency) }},
	{key: "trusted_publishing", name: "trusted-publishing", kind: "string", usage: "trusted publishing: auto, always or never", def: func(t config.Target) string { return t.TrustedPublishing }},
	{key: "audience", name: "audience", kind: "string", usage: "trusted publishing audience (default: asked from the index)"},
	{key: "token_env", name: "token-env", kind: "string", usage: "NAME of the environment variable holding an API token", def: func(t config.Target) string { return t.TokenEnv }},
	{key: "username", name: "username", short: "u", kind: "string", usage: "user name sent with the password (indexes that take one; PyPI takes API tokens only); the password is only ever read from the environment"},
	{key: "username_env", name: "username-env", kind: "string", usage: "NAME of the environment variable holding the user name", def: func(t config.Target) string { return t.UsernameEnv }},
	{key: "password_env", name: "password-env", kind: "string", usage: "NAME of the environment variable holding the password (or an API token)", def: func(t config.Target) string { return t.PasswordEnv }},
	{key: "repository", name: "repository", kind: "string", usage: "repository of ~/.pypirc (as twine --repository): its URL, user name and password"},
	{key: "fail_fast", name: "fail-fast", kind: "bool", usage: "start no upload after the first failure"},
	{key: "retry.attempts", name: "retries", kind: "int", usage: "retries per file after a transient failure (connection error, timeout, 5xx, 429)",
		def: func(t config.Target) string { return strconv.Itoa(t.Retry.Attempts) }, offset: 1},
	{key: "max_file_size", name: "max-file-size", kind: "string", usage: maxFileSizeUsage},
	{key: "attestations.mode", name: "attestations", kind: "string", usage: "PEP 740 attestations: auto (with trusted publishing from GitHub, GitLab or Google), always (or fail before any upload), never", def: func(t config.Target) string { return t.Attestations.Mode }},
	{key: "attestations.fulcio_url", name: "fulcio-url", kind: "string", env: envFulcioURL, usage: "Sigstore certificate authority for attestations (env " + envFulcioURL + ")", def: func(t config.Target) string { return t.Attestations.FulcioURL }},
	{key: "attestations.rekor_url", name: "rekor-url", kind: "string", env: envRekorURL, usage: "Sigstore transparency log (Rekor v1 API) for attestations (env " + envRekorURL + ")", def: func(t config.Target) string { return t.Attestations.RekorURL }},
	{key: "attestations.trusted_root", name: "trusted-root", kind: "string", env: envTrustedRoot, usage: "Sigstore trusted_root.json that verifies attestations (env " + envTrustedRoot + "; default: the public-good root, built in)"},
	{key: "timeout", name: "timeout", kind: "duration", usage: "how long to wait for the index's answer once a file is sent, before retrying", def: func(t config.Target) string { return t.Timeout.String() }},
}

// The variables pointing every target at another Sigstore, as
// PYPI_REPOSITORY_URL points it at another index: what a rehearsal with a
// local fake Sigstore (serve) exports.
const (
	envFulcioURL   = "GORELEASER_PYPI_FULCIO_URL"
	envRekorURL    = "GORELEASER_PYPI_REKOR_URL"
	envTrustedRoot = "GORELEASER_PYPI_TRUSTED_ROOT"
)

// maxFileSizeUsage is the help of --max-file-size, on every command that
// verifies files. There is no default limit: PyPI's is per project.
var maxFileSizeUsage = "refuse a file larger than this, e.g. 1GiB if that is the limit your project was granted " +
	"(default: none, as with 0: the index decides; PyPI's default per-file limit is " +
	bytesize.Format(dist.DefaultMaxFileSize) + ", raised per project on request)"

// parseMaxFileSize reads --max-file-size for the commands that take no
// settings file (check, wheel), with the parser upload's max_file_size
// setting uses; like it, 0 passes through to dist, where it means no limit.
func parseMaxFileSize(s string) (int64, error) {
	n, err := bytesize.Parse(s)
	if err != nil {
		return 0, usageError("--max-file-size: %v", err)
	}
	return n, nil
}

// allowClassifierUsage is the help of --allow-classifier, on every command.
const allowClassifierUsage = "accept a trove classifier newer than this build's list without a warning (repeatable; settings: allow_classifiers)"

// bindSettingFlags registers the setting flags on fl. Only the flags the
// user passes count (pflag's Changed); the defaults shown come from the
// settings' defaults.
func bindSettingFlags(fl *pflag.FlagSet) {
	defaults := config.DefaultTarget()
	for _, f := range settingFlags {
		def := ""
		if f.def != nil {
			def = f.def(defaults)
		}
		switch f.kind {
		case "bool":
			fl.BoolP(f.name, f.short, false, f.usage)
		case "int":
			n, _ := strconv.Atoi(def)
			fl.IntP(f.name, f.short, n-f.offset, f.usage)
		case "duration":
			d, _ := time.ParseDuration(def)
			fl.DurationP(f.name, f.short, d, f.usage)
		default:
			fl.StringP(f.name, f.short, def, f.usage)
		}
	}
}

// settingOverrides are the setting flags the user passed, plus the
// variables standing for flags not given (PYPI_REPOSITORY_URL for
// --repository-url...), as overrides for every target.
func settingOverrides(a *app, fl *pflag.FlagSet) []config.Override {
	var out []config.Override
	for _, f := range settingFlags {
		if flag := fl.Lookup(f.name); flag != nil && flag.Changed {
			out = append(out, config.Override{Key: f.key, Values: []string{flag.Value.String()}, Source: "--" + f.name, Offset: f.offset})
		} else if f.env != "" {
			if env := strings.TrimSpace(a.getenv(f.env)); env != "" {
				out = append(out, config.Override{Key: f.key, Values: []string{env}, Source: f.env})
			}
		}
	}
	return out
}
