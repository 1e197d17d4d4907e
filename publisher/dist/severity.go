package dist

// Severity says whether a Problem refuses the release.
//
// Only what the index really refuses is an error. Where the index decides
// and a client cannot know the answer (a classifier added to
// trove-classifiers after this build, a field the index drops), the finding
// is a warning: it is shown and the release goes on. Options.Strict turns
// every warning into an error, for `check --strict`.
type Severity string

// The severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// SplitProblems separates errors (which refuse the release) from warnings,
// keeping their order. A Problem without a Severity is an error.
func SplitProblems(ps []Problem) (errs, warnings []Problem) {
	for _, p := range ps {
		if p.IsWarning() {
			warnings = append(warnings, p)
		} else {
			errs = append(errs, p)
		}
	}
	return errs, warnings
}

// Warnings collects the warnings of every distribution, in order, for a
// caller that logs them before it uploads.
func Warnings(dists []*Distribution) []Problem {
	var out []Problem
	for _, d := range dists {
		if d != nil {
			out = append(out, d.Warnings...)
		}
	}
	return out
}

// strictMessage is appended to a warning promoted to an error.
const strictMessage = " (a warning, refused because of --strict)"

// promoteWarnings moves every warning of dists into problems, as errors:
// Options.Strict.
func promoteWarnings(dists []*Distribution, problems []Problem) []Problem {
	for _, d := range dists {
		for _, w := range d.Warnings {
			w.Severity = SeverityError
			w.Message += strictMessage
			problems = append(problems, w)
		}
		d.Warnings = nil
	}
	return problems
}
