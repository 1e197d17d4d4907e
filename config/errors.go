package config

import (
	"fmt"
	"strings"
)

// Error is one problem in a settings file, located as precisely as possible.
type Error struct {
	File   string // the settings file ("" for values from flags or defaults)
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based; 0 when unknown
	Flag   string // the command-line flag the value came from, if any
	Target string // `target "pypi"` or `targets[1]`; "" for top-level problems
	Field  string // e.g. "retry.max_delay"; "" when the problem is the target itself
	Msg    string // what is wrong and what to do
}

// Error renders "file:line:col: target "x": field: message".
func (e *Error) Error() string {
	var parts []string
	switch {
	case e.Flag != "":
		parts = append(parts, "flag "+e.Flag)
	case e.File != "" && e.Line > 0 && e.Column > 0:
		parts = append(parts, fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column))
	case e.File != "" && e.Line > 0:
		parts = append(parts, fmt.Sprintf("%s:%d", e.File, e.Line))
	case e.File != "":
		parts = append(parts, e.File)
	}
	if e.Target != "" {
		parts = append(parts, e.Target)
	}
	if e.Field != "" {
		parts = append(parts, e.Field)
	}
	parts = append(parts, e.Msg)
	return strings.Join(parts, ": ")
}

// Brief renders the problem without its target and field, for a front end
// whose only target is the defaults (upload without a settings file):
// "--timeout must be between 1s and 1h0m0s, got 0s".
func (e *Error) Brief() string {
	if e.Flag == "" {
		return e.Error()
	}
	if strings.HasPrefix(e.Msg, "must ") {
		return e.Flag + " " + e.Msg
	}
	return e.Flag + ": " + e.Msg
}

// Brief is every problem's Brief, one per line.
func (es Errors) Brief() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Brief()
	}
	return strings.Join(lines, "\n")
}

// Errors is every problem found, so a user fixes them all in one go.
type Errors []*Error

// Error renders one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the individual problems to errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// orNil returns nil for no problems, so callers can `return errs.orNil()`.
func (es Errors) orNil() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
