package publisher

import (
	"errors"
	"fmt"
	"strings"
)

// ErrReported marks an error whose details Publish has already printed
// through Options.Log (verification problems, per-file upload failures):
// a front end checks it with errors.Is and only needs to exit non-zero,
// perhaps with a one-line summary. It is GoReleaser's "log or return" rule
// made explicit.
var ErrReported = errors.New("already reported")

// reported wraps an error that was printed in full.
type reported struct{ err error }

func (r *reported) Error() string        { return r.err.Error() }
func (r *reported) Unwrap() error        { return r.err }
func (r *reported) Is(target error) bool { return target == ErrReported }

// Reported marks err as already printed in detail (nil stays nil).
func Reported(err error) error {
	if err == nil || errors.Is(err, ErrReported) {
		return err
	}
	return &reported{err}
}

// NothingToPublish says a run had nothing to do, and why: every target is
// disabled, or the release has no Python distributions. Front ends report it
// as a skip, not a failure.
type NothingToPublish struct{ Reason string }

func (e *NothingToPublish) Error() string { return e.Reason }

// PlanError lists what stops a release before anything is read or sent: a
// build id that matches nothing, a target that can never get a credential.
type PlanError struct{ Errs []error }

func (e *PlanError) Error() string {
	lines := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		lines[i] = err.Error()
	}
	return "nothing was published:\n" + strings.Join(lines, "\n")
}

// Unwrap exposes each error to errors.As and errors.Is.
func (e *PlanError) Unwrap() []error { return e.Errs }

// TargetError is the failure of one target of a release; the targets after
// it were not attempted, so that a failed TestPyPI never goes on to PyPI.
type TargetError struct {
	Target       string
	NotAttempted []string
	Err          error
}

func (e *TargetError) Error() string {
	msg := fmt.Sprintf("target %q: %v", e.Target, e.Err)
	if len(e.NotAttempted) > 0 {
		msg += fmt.Sprintf(" (not attempted, so that a failed %s never goes on to them: %s)", e.Target, strings.Join(e.NotAttempted, ", "))
	}
	return msg
}

func (e *TargetError) Unwrap() error { return e.Err }
