package upload

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// Status is what happened to one file.
type Status string

// The statuses of a file.
const (
	// StatusUploaded: the index stored the file (or, after a retry, showed
	// that an earlier attempt had stored it).
	StatusUploaded Status = "uploaded"
	// StatusSkipped: the index already had this exact file (same name, same
	// sha256), or said it exists and could not be read (skip-existing only).
	StatusSkipped Status = "skipped"
	// StatusFailed: the file is not on the index (or the index has a
	// different file under its name); Result.Err says why.
	StatusFailed Status = "failed"
	// StatusNotAttempted: the file was never sent, because the run stopped
	// first (fail-fast, no credentials, an interruption); Result.Err says
	// why, as a *NotAttemptedError.
	StatusNotAttempted Status = "not-attempted"
	// StatusWouldUpload: a dry run would upload the file.
	StatusWouldUpload Status = "would-upload"
)

// OK reports whether the status counts as success.
func (s Status) OK() bool { return s != StatusFailed && s != StatusNotAttempted }

// Result is the outcome for one file.
type Result struct {
	// Dist is the verified distribution the result is about.
	Dist   *dist.Distribution
	Status Status
	// Reason says why a file was skipped, or notes something about an
	// upload ("an earlier attempt had already stored it").
	Reason string
	// Err is why a file failed or was not attempted; its text names the
	// file. It keeps its type (errors.As/Is work on it).
	Err      error
	Attempts int // upload requests sent
	Duration time.Duration
}

// ErrorText is Err's text, or "".
func (r Result) ErrorText() string {
	if r.Err == nil {
		return ""
	}
	return r.Err.Error()
}

// NotAttemptedError is the error of a file that was never sent.
type NotAttemptedError struct {
	File   string // the path of the file
	Reason string // why the run stopped first
}

func (e *NotAttemptedError) Error() string { return e.File + ": not attempted: " + e.Reason }

// Results are the outcomes of one Upload call, in upload order.
type Results []Result

// Count is how many results have status s.
func (rs Results) Count(s Status) int {
	n := 0
	for _, r := range rs {
		if r.Status == s {
			n++
		}
	}
	return n
}

// failures aggregates the failed files: every real failure, then one line
// for the files that were not attempted.
func (rs Results) failures() error {
	var errs *multierror.Error
	skipped := 0
	var why string
	for _, r := range rs {
		switch r.Status {
		case StatusFailed:
			errs = multierror.Append(errs, r.Err)
		case StatusNotAttempted:
			skipped++
			var na *NotAttemptedError
			if errors.As(r.Err, &na) {
				why = na.Reason
			}
		}
	}
	if skipped > 0 {
		errs = multierror.Append(errs, fmt.Errorf("%d more file(s) not attempted: %s", skipped, why))
	}
	return errs.ErrorOrNil()
}
