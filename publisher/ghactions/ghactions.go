// Package ghactions speaks GitHub Actions' workflow commands: masking
// secrets, error and warning annotations, and the job step summary.
//
// Note that GoReleaser runs custom publishers with a scrubbed environment:
// GITHUB_ACTIONS and GITHUB_STEP_SUMMARY only arrive when forwarded with env:.
package ghactions

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Env is the subset of the environment this package reads. It is a function
// so tests and callers with a scrubbed or synthetic environment can supply one.
type Env func(key string) string

// Enabled reports whether we run inside a GitHub Actions job.
func (env Env) Enabled() bool { return env("GITHUB_ACTIONS") == "true" }

// Enabled reports whether the process runs inside a GitHub Actions job.
func Enabled() bool { return Env(os.Getenv).Enabled() }

// escapeData escapes a workflow command's message.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command property value.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// AddMask tells the runner to mask secret in every later log line. It must be
// printed before anything else could echo the secret.
func AddMask(w io.Writer, secret string) {
	if secret == "" {
		return
	}
	fmt.Fprintf(w, "::add-mask::%s\n", escapeData(secret))
}

// Annotation is an ::error:: or ::warning:: workflow command.
type Annotation struct {
	Level   string // "error", "warning" or "notice"
	File    string // optional
	Title   string // optional
	Message string
}

// String renders the workflow command line (without newline).
func (a Annotation) String() string {
	var props []string
	if a.File != "" {
		props = append(props, "file="+escapeProperty(a.File))
	}
	if a.Title != "" {
		props = append(props, "title="+escapeProperty(a.Title))
	}
	level := a.Level
	if level == "" {
		level = "error"
	}
	cmd := "::" + level
	if len(props) > 0 {
		cmd += " " + strings.Join(props, ",")
	}
	return cmd + "::" + escapeData(a.Message)
}

// Write prints the annotation as a workflow command line.
func (a Annotation) Write(w io.Writer) {
	fmt.Fprintln(w, a.String())
}

// AppendStepSummary appends Markdown to the file named by GITHUB_STEP_SUMMARY.
// It does nothing (and returns nil) when the variable is unset.
func (env Env) AppendStepSummary(markdown string) error {
	path := env("GITHUB_STEP_SUMMARY")
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("writing GitHub step summary %s: %w", path, err)
	}
	if !strings.HasSuffix(markdown, "\n") {
		markdown += "\n"
	}
	if _, err := f.WriteString(markdown); err != nil {
		f.Close()
		return fmt.Errorf("writing GitHub step summary %s: %w", path, err)
	}
	return f.Close()
}
