// Package config reads goreleaser-pypi's settings file, .goreleaser-pypi.yaml.
//
// GoReleaser's own configuration is strict (an unknown top-level key such as
// "pypi:" is rejected), so these settings live in a file of their own, written
// in the same style: snake_case YAML, one list entry per destination.
//
//	version: 1
//	targets:
//	  - name: testpypi
//	    repository_url: https://test.pypi.org/legacy/
//	    ids: [python-wheel, python-sdist]
//	  - name: pypi
//	    ids: [python-wheel, python-sdist]
//	    skip_existing: true
//
// Loading is strict: an unknown key is an error that names the file, the line
// and the closest known key; every value is validated; ${VAR} references are
// expanded from the environment. Defaults live in one place: the constants
// below, applied by DefaultTarget; the runtime packages (publisher/upload,
// publisher/oidc) read the same constants for their zero values.
//
// Like GoReleaser's pkg/config, this package is data: it imports none of the
// runtime packages, which take a Target as it is (package publisher turns it
// into upload and credential options, in one place).
package config

import (
	"fmt"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
)

// DefaultFile is the settings file looked for in the working directory.
const DefaultFile = ".goreleaser-pypi.yaml"

// Defaults: the one home of every setting's default value.
const (
	DefaultRepositoryURL = endpoint.PyPIUploadURL
	DefaultTokenEnv      = "PYPI_API_TOKEN"
	// DefaultUsernameEnv and DefaultPasswordEnv name the variables holding
	// a user name and password, for indexes that take them (Artifactory,
	// Nexus, GitLab, CodeArtifact, devpi...). PyPI takes API tokens only.
	DefaultUsernameEnv       = "PYPI_USERNAME"
	DefaultPasswordEnv       = "PYPI_PASSWORD"
	DefaultTrustedPublishing = TrustedPublishingAuto
	DefaultConcurrency       = 4
	DefaultRetryAttempts     = 5
	DefaultRetryDelay        = time.Second
	DefaultRetryMaxDelay     = 30 * time.Second
	// DefaultTimeout bounds the wait for the index's answer to one upload
	// once the file is sent: the index hashes, checks and stores it first.
	DefaultTimeout = 10 * time.Minute
	// DefaultCheckVersion: the Python files' version must match the tag.
	DefaultCheckVersion = true
	// Attestations: Sigstore's public-good instance; its Rekor is a v1
	// log, the only kind PEP 740 attestations can name.
	DefaultAttestations = AttestationsAuto
	DefaultFulcioURL    = "https://fulcio.sigstore.dev"
	DefaultRekorURL     = "https://rekor.sigstore.dev"
)

// Bounds checked by validation.
const (
	MaxConcurrency   = 64
	MaxRetryAttempts = 20
	MaxRetryDelay    = 10 * time.Minute
	// MinTimeout and MaxTimeout bound a target's timeout.
	MinTimeout = time.Second
	MaxTimeout = time.Hour
)

// Attestation modes, as written in the file.
const (
	AttestationsAuto   = "auto"
	AttestationsAlways = "always"
	AttestationsNever  = "never"
)

// Trusted publishing modes, as written in the file.
const (
	// TrustedPublishingAuto uses trusted publishing when the API token
	// variable is empty and the job has a CI identity.
	TrustedPublishingAuto = "auto"
	// TrustedPublishingAlways uses trusted publishing only, and fails
	// clearly when the job has no CI identity.
	TrustedPublishingAlways = "always"
	// TrustedPublishingNever uses the API token only.
	TrustedPublishingNever = "never"
)

// File is a loaded, expanded and validated settings file.
type File struct {
	// Version of the file format; 1 (the only one so far) when omitted.
	Version int `yaml:"version"`
	// Targets are the indexes to publish to, in order.
	Targets []Target `yaml:"targets"`
	// CheckVersion requires, in every GoReleaser mode, that each Python
	// file's version equals the release tag's (PEP 440 normalized:
	// v1.2.3-rc.1 is 1.2.3rc1). Default true.
	CheckVersion bool `yaml:"check_version"`
	// SkipIDs are GoReleaser Python builds this release does not publish
	// on purpose. Any other Python build that a target's ids (or the
	// custom publisher's ids:) leave out is an error, so that a typo or a
	// new build never publishes half a release silently.
	SkipIDs []string `yaml:"skip_ids"`
	// AllowClassifiers are trove classifiers newer than the list built
	// into goreleaser-pypi: accepted without a warning.
	AllowClassifiers []string `yaml:"allow_classifiers"`
	// BinaryWheels turn GoReleaser's Go builds into platform wheels,
	// published with the release's other Python files, so that
	// `pip install` / `uvx` installs the CLI.
	BinaryWheels []BinaryWheel `yaml:"binary_wheels"`

	// Path is where the file was read from ("" for Default()).
	Path string `yaml:"-"`
}

// Target is one index to publish to.
type Target struct {
	// Name identifies the target in logs, errors and --target. Defaults to
	// "pypi" or "testpypi" for those indexes, else the repository host.
	Name string `yaml:"name"`
	// RepositoryURL is the upload endpoint (PyPI: https://upload.pypi.org/legacy/).
	RepositoryURL string `yaml:"repository_url"`
	// Audience is the trusted-publishing audience; "" discovers it from the
	// index ({scheme}://{host}/_/oidc/audience).
	Audience string `yaml:"audience"`
	// IDs are the GoReleaser build ids whose artifacts go to this target;
	// empty takes every wheel and sdist.
	IDs []string `yaml:"ids"`
	// SkipExisting skips files the index already has with the same hash.
	SkipExisting bool `yaml:"skip_existing"`
	// TrustedPublishing is auto, always or never.
	TrustedPublishing string `yaml:"trusted_publishing"`
	// TokenEnv names the environment variable holding an API token.
	TokenEnv string `yaml:"token_env"`
	// Username is the user name sent with a password (not a secret); ""
	// takes it from UsernameEnv, then from the .pypirc repository.
	Username string `yaml:"username"`
	// UsernameEnv names the environment variable holding the user name.
	UsernameEnv string `yaml:"username_env"`
	// PasswordEnv names the environment variable holding a password (or an
	// API token, which is then sent with the user name __token__).
	PasswordEnv string `yaml:"password_env"`
	// Repository names a repository of ~/.pypirc (a section listed in its
	// [distutils] index-servers, or pypi/testpypi): the upload URL, user
	// name and password come from there, as with twine --repository.
	Repository string `yaml:"repository"`
	// Concurrency is how many files upload at once (1..64).
	Concurrency int `yaml:"concurrency"`
	// Retry is how failed requests are retried.
	Retry Retry `yaml:"retry"`
	// CheckURL is a simple index URL (e.g. https://pypi.org/simple/) used to
	// find files that are already uploaded, by hash, before uploading.
	CheckURL string `yaml:"check_url"`
	// FailFast stops at the first failed upload instead of trying every file.
	FailFast bool `yaml:"fail_fast"`
	// MaxFileSize is an explicit per-file ceiling in bytes, checked before
	// uploading; 0 (the default) checks none: PyPI's limit is per project,
	// known only to the index (a file over its default 100 MiB goes first,
	// alone, so a refusal comes before anything else is published).
	// Accepts a plain number of bytes or a size such as "200MiB".
	MaxFileSize ByteSize `yaml:"max_file_size"`
	// Timeout bounds the wait for the index's answer to one upload once the
	// file is sent (the index checks and stores it meanwhile); the attempt
	// then counts as failed and is retried. Default 10m.
	Timeout time.Duration `yaml:"timeout"`
	// Attestations are the PEP 740 publish attestations sent with each
	// file (attestations: auto, short for attestations: {mode: auto}).
	Attestations Attestations `yaml:"attestations"`
	// Disable skips the target (e.g. disable: ${SKIP_TESTPYPI:-false}).
	Disable bool `yaml:"disable"`

	file string              // the settings file, for run-time errors
	line int                 // where the target starts in it
	at   map[string]position // where each field was set, for validation errors
}

// BinaryWheel is one PyPI project made of Go binaries: one wheel per
// platform, for every binary of the GoReleaser builds it selects.
type BinaryWheel struct {
	// IDs are the GoReleaser Go builds whose binaries go in the wheels.
	IDs []string `yaml:"ids"`
	// Name is the PyPI project (default: the build's binary name).
	Name string `yaml:"name"`
	// Summary is the one-line description.
	Summary string `yaml:"summary"`
	// Readme is a file (relative to the project) whose content is the long
	// description; its content type comes from the extension.
	Readme string `yaml:"readme"`
	// License is an SPDX expression (Metadata 2.4, License-Expression) or,
	// if it is not one, free text (Metadata 2.1, License).
	License string `yaml:"license"`
	// LicenseFiles are copied into the wheels' .dist-info/licenses/.
	LicenseFiles []string `yaml:"license_files"`
	// URLs are the project URLs, label → URL.
	URLs map[string]string `yaml:"urls"`
	// Keywords, Classifiers and RequiresPython go into the metadata.
	Keywords       []string `yaml:"keywords"`
	Classifiers    []string `yaml:"classifiers"`
	RequiresPython string   `yaml:"requires_python"`
	// PythonModule, when set, also makes `python -m {module}` run the
	// binary. Off by default.
	PythonModule string `yaml:"python_module"`
}

// Attestations are a target's PEP 740 settings.
type Attestations struct {
	// Mode is auto (attest when uploading with a trusted-publishing token
	// from GitHub, GitLab or Google; never fail a release over it), always
	// (attest or fail before any upload) or never (no Sigstore traffic).
	// It is the shorthand field: "attestations: always" means
	// "attestations: {mode: always}", as issue 15 specifies both forms.
	Mode string `yaml:"mode" shorthand:"true"`
	// FulcioURL and RekorURL are the Sigstore instance (Rekor v1 API).
	FulcioURL string `yaml:"fulcio_url"`
	RekorURL  string `yaml:"rekor_url"`
	// TrustedRoot is a Sigstore trusted_root.json verifying them ("" is the
	// public-good root built into goreleaser-pypi).
	TrustedRoot string `yaml:"trusted_root"`
}

// Retry is a target's retry policy.
type Retry struct {
	// Attempts is the total number of tries per request (1 = no retry).
	Attempts int `yaml:"attempts"`
	// Delay is the first backoff delay; it doubles up to MaxDelay.
	Delay time.Duration `yaml:"delay"`
	// MaxDelay caps the backoff delay.
	MaxDelay time.Duration `yaml:"max_delay"`
}

// ByteSize is a size in bytes, written as a number or with a unit ("200MiB").
type ByteSize int64

// DefaultTarget returns a target with every default applied. Loading starts
// each target from it and overlays what the file says, so the defaults are
// written here and only here.
func DefaultTarget() Target {
	return Target{
		RepositoryURL:     DefaultRepositoryURL,
		TrustedPublishing: DefaultTrustedPublishing,
		TokenEnv:          DefaultTokenEnv,
		UsernameEnv:       DefaultUsernameEnv,
		PasswordEnv:       DefaultPasswordEnv,
		Concurrency:       DefaultConcurrency,
		Retry: Retry{
			Attempts: DefaultRetryAttempts,
			Delay:    DefaultRetryDelay,
			MaxDelay: DefaultRetryMaxDelay,
		},
		Timeout: DefaultTimeout,
		Attestations: Attestations{
			Mode:      DefaultAttestations,
			FulcioURL: DefaultFulcioURL,
			RekorURL:  DefaultRekorURL,
		},
	}
}

// Default is the configuration used when there is no settings file: one
// target, PyPI, with every default.
func Default() *File {
	t := DefaultTarget()
	t.Name = defaultName(t.RepositoryURL)
	return &File{Version: 1, Targets: []Target{t}, CheckVersion: DefaultCheckVersion}
}

// Enabled returns the targets that are not disabled.
func (f *File) Enabled() []Target {
	var out []Target
	for _, t := range f.Targets {
		if !t.Disable {
			out = append(out, t)
		}
	}
	return out
}

// Target returns the target called name.
func (f *File) Target(name string) (Target, bool) {
	for _, t := range f.Targets {
		if t.Name == name {
			return t, true
		}
	}
	return Target{}, false
}

// Select keeps only the named targets (in the file's order), enabling them
// even if the file disables them: naming a target on the command line is an
// explicit request. No names keeps the file as it is. An unknown name is an
// error listing the known ones.
func (f *File) Select(names ...string) error {
	if len(names) == 0 {
		return nil
	}
	want := map[string]bool{}
	for _, n := range names {
		if _, ok := f.Target(n); !ok {
			return fmt.Errorf("%s: no target named %q (targets: %s)", f.describe(), n, quoteList(f.names()))
		}
		want[n] = true
	}
	var kept []Target
	for _, t := range f.Targets {
		if want[t.Name] {
			t.Disable = false
			kept = append(kept, t)
		}
	}
	f.Targets = kept
	return nil
}

// Source says where the target was defined: "file:line", or "defaults".
func (t Target) Source() string {
	if t.file == "" {
		return "defaults"
	}
	return fmt.Sprintf("%s:%d", t.file, t.line)
}

func (f *File) names() []string {
	out := make([]string, 0, len(f.Targets))
	for _, t := range f.Targets {
		out = append(out, t.Name)
	}
	return out
}

// describe names the file in errors.
func (f *File) describe() string {
	if f.Path == "" {
		return "default configuration"
	}
	return f.Path
}
