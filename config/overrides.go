package config

import (
	"fmt"
	"strings"
	"time"
)

// Overrides are values given on the command line. They win over the file
// and apply to every target. A nil field leaves the file's value alone, so a
// CLI sets only what the user actually passed (cobra: Flags().Changed).
//
// Each field's flag is named after its key with dashes: repository_url is
// --repository-url, retry.attempts is --retry-attempts; errors name the flag.
type Overrides struct {
	RepositoryURL     *string
	Audience          *string
	IDs               []string // nil: unchanged
	SkipExisting      *bool
	TrustedPublishing *string
	TokenEnv          *string
	Concurrency       *int
	RetryAttempts     *int
	RetryDelay        *time.Duration
	RetryMaxDelay     *time.Duration
	CheckURL          *string
	FailFast          *bool
	MaxFileSize       *int64
	Timeout           *time.Duration

	// Flags names the flag (or variable) a field came from where it is not
	// "--" + the key with dashes, e.g. {"retry.attempts": "--retries"}; errors
	// name it.
	Flags map[string]string
}

// ApplyOverrides sets the given values on every target, then validates them
// again; an error names the flag rather than the file. A repository URL
// given on the command line also renames targets that were named after the
// old URL, so logs do not say "pypi" while uploading elsewhere.
func (f *File) ApplyOverrides(o Overrides) error {
	var errs Errors
	for i := range f.Targets {
		t := &f.Targets[i]
		if t.at == nil {
			t.at = map[string]position{}
		}
		set := func(field string) {
			flag := o.Flags[field]
			if flag == "" {
				flag = "--" + strings.NewReplacer("_", "-", ".", "-").Replace(field)
			}
			t.at[field] = position{flag: flag}
		}
		if o.RepositoryURL != nil {
			if t.at["name"].line == 0 && t.Name == defaultName(t.RepositoryURL) {
				t.Name = defaultName(*o.RepositoryURL)
			}
			t.RepositoryURL = *o.RepositoryURL
			set("repository_url")
		}
		if o.Audience != nil {
			t.Audience = *o.Audience
			set("audience")
		}
		if o.IDs != nil {
			t.IDs = append([]string(nil), o.IDs...)
			set("ids")
		}
		if o.SkipExisting != nil {
			t.SkipExisting = *o.SkipExisting
		}
		if o.TrustedPublishing != nil {
			t.TrustedPublishing = *o.TrustedPublishing
			set("trusted_publishing")
		}
		if o.TokenEnv != nil {
			t.TokenEnv = *o.TokenEnv
			set("token_env")
		}
		if o.Concurrency != nil {
			t.Concurrency = *o.Concurrency
			set("concurrency")
		}
		if o.RetryAttempts != nil {
			t.Retry.Attempts = *o.RetryAttempts
			set("retry.attempts")
		}
		if o.RetryDelay != nil {
			t.Retry.Delay = *o.RetryDelay
			set("retry.delay")
		}
		if o.RetryMaxDelay != nil {
			t.Retry.MaxDelay = *o.RetryMaxDelay
			set("retry.max_delay")
		}
		if o.CheckURL != nil {
			t.CheckURL = *o.CheckURL
			set("check_url")
		}
		if o.FailFast != nil {
			t.FailFast = *o.FailFast
		}
		if o.MaxFileSize != nil {
			t.MaxFileSize = ByteSize(*o.MaxFileSize)
			set("max_file_size")
		}
		if o.Timeout != nil {
			t.Timeout = *o.Timeout
			set("timeout")
		}
		errs = append(errs, t.validate(fmt.Sprintf("target %q", t.Name))...)
	}
	return errs.orNil()
}

// CheckEnv reports, before anything is uploaded to any target, a target that
// can never get a credential: trusted_publishing: never with its token
// variable empty. (Whether trusted publishing can work is only known by
// asking the CI provider, which the credential step does.) Disabled targets
// are not checked.
func (f *File) CheckEnv(getenv func(string) string) error {
	var errs Errors
	for _, t := range f.Enabled() {
		if err := t.CheckEnv(getenv); err != nil {
			errs = append(errs, err.(*Error))
		}
	}
	return errs.orNil()
}

// CheckEnv is File.CheckEnv for one target.
func (t Target) CheckEnv(getenv func(string) string) error {
	if t.TrustedPublishing != TrustedPublishingNever || getenv(t.TokenEnv) != "" {
		return nil
	}
	at := t.at["trusted_publishing"]
	e := &Error{File: t.file, Line: at.line, Column: at.col, Flag: at.flag, Target: fmt.Sprintf("target %q", t.Name),
		Msg: fmt.Sprintf("trusted_publishing is never, so an API token is required, but environment variable %s is not set: "+
			"export it (a GoReleaser custom publisher must forward it: env: - %s={{ index .Env %q }}), "+
			"or allow trusted publishing with trusted_publishing: auto", t.TokenEnv, t.TokenEnv, t.TokenEnv)}
	if at.line == 0 && at.flag == "" && t.file != "" {
		e.Line = t.line
	}
	return e
}
