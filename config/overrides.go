package config

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Override is one setting given outside the file, on the command line or
// in an environment variable. It applies to every target and wins over the
// file. Values are written as in the file ("8", "200MiB", "30s", "true") and
// decoded, then validated, by the very code that reads the file, so a flag
// and a key can never disagree on what a value means.
type Override struct {
	// Key is the setting's key, dotted for nested ones: "concurrency",
	// "retry.attempts".
	Key string
	// Values holds one value; a list setting (ids) takes each element.
	Values []string
	// Source names where the value came from in errors: "--retries",
	// "PYPI_REPOSITORY_URL". Empty means "--" + the key with dashes.
	Source string
	// Offset is added to a whole-number value: a flag may count from
	// another origin than its key, as --retries N is retry.attempts N+1.
	// Errors about the value then speak in the flag's units.
	Offset int
}

// source is what errors name.
func (o Override) source() string {
	if o.Source != "" {
		return o.Source
	}
	return "--" + strings.NewReplacer("_", "-", ".", "-").Replace(o.Key)
}

// Apply sets the overrides on every target, then validates the targets
// again; an error names the flag rather than the file, once per flag. A
// repository URL given this way also renames targets that were named after
// the old URL, so logs do not say "pypi" while uploading elsewhere.
func (f *File) Apply(overrides ...Override) error {
	var errs Errors
	reported := map[string]bool{} // flag + message: one error per flag, not one per target
	add := func(e *Error) {
		key := e.Flag + "\x00" + e.Field + "\x00" + e.Msg
		if e.Flag != "" && reported[key] {
			return
		}
		reported[key] = true
		errs = append(errs, e)
	}
	for i := range f.Targets {
		t := &f.Targets[i]
		if t.at == nil {
			t.at = map[string]position{}
		}
		label := fmt.Sprintf("target %q", t.Name)
		for _, o := range overrides {
			rename := (o.Key == "repository_url" || o.Key == "repository") && len(o.Values) == 1 && t.at["name"].line == 0 && t.Name == t.derivedName()
			d := &decoder{verbatim: true, target: label, targetT: t}
			v, ok := fieldByKey(reflect.ValueOf(t).Elem(), o.Key)
			if !ok {
				panic(fmt.Sprintf("config: override of unknown key %q", o.Key)) // a programming error in the front end
			}
			d.decodeValue(overrideNode(o, v), v, o.Key)
			if o.Offset != 0 && v.CanInt() && len(d.errs) == 0 {
				v.SetInt(v.Int() + int64(o.Offset))
			}
			t.at[o.Key] = position{flag: o.source(), offset: o.Offset}
			if rename {
				t.Name = t.derivedName()
				label = fmt.Sprintf("target %q", t.Name)
			}
			for _, e := range d.errs {
				e.File, e.Line, e.Column, e.Flag = "", 0, 0, o.source()
				add(e)
			}
		}
		for _, e := range t.validate(label) {
			add(e)
		}
	}
	return errs.orNil()
}

// overrideNode renders an override's values as the YAML node a file would
// hold for them: a plain scalar, or a sequence for a list setting.
func overrideNode(o Override, v reflect.Value) *yaml.Node {
	if v.Kind() == reflect.Slice {
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, s := range o.Values {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: s})
		}
		return n
	}
	value := ""
	if len(o.Values) > 0 {
		value = o.Values[0]
	}
	// An untagged plain scalar resolves like the same text in the file.
	return &yaml.Node{Kind: yaml.ScalarNode, Value: value}
}

// fieldByKey finds the field a dotted key names in a struct.
func fieldByKey(v reflect.Value, key string) (reflect.Value, bool) {
	head, rest, nested := strings.Cut(key, ".")
	_, index := yamlFields(v.Type())
	i, ok := index[head]
	if !ok {
		return reflect.Value{}, false
	}
	if nested {
		return fieldByKey(v.Field(i), rest)
	}
	return v.Field(i), true
}

// CheckEnv reports, before anything is uploaded to any target, a target that
// can never get a credential: trusted_publishing: never with neither its
// token variable nor its password variable set, and no .pypirc repository
// (whose password the credential step reads). (Whether trusted publishing
// can work is only known by asking the CI provider, which the credential
// step does.) Disabled targets are not checked.
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
	if t.TrustedPublishing != TrustedPublishingNever || getenv(t.TokenEnv) != "" || getenv(t.PasswordEnv) != "" || t.Repository != "" {
		return nil
	}
	at := t.at["trusted_publishing"]
	e := &Error{File: t.file, Line: at.line, Column: at.col, Flag: at.flag, Target: fmt.Sprintf("target %q", t.Name),
		Msg: fmt.Sprintf("trusted_publishing is never, so an API token is required, but environment variable %s is not set: "+
			"export it (a GoReleaser custom publisher must forward it: env: - %s={{ index .Env %q }}), "+
			"or a password in %s, or allow trusted publishing with trusted_publishing: auto", t.TokenEnv, t.TokenEnv, t.TokenEnv, t.PasswordEnv)}
	if at.line == 0 && at.flag == "" && t.file != "" {
		e.Line = t.line
	}
	return e
}
