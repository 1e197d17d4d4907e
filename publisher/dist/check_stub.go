package dist

// STUB: replaced by the real inspection and verification (check.go...).

import "errors"

// Options tune inspection and verification.
type Options struct {
	// MaxFileSize is the per-file size ceiling; 0 means PyPI's default, 100 MiB.
	MaxFileSize int64
}

// Problem is one rule a file breaks.
type Problem struct {
	File    string `json:"file"`    // the path as given
	Rule    string `json:"rule"`    // short stable identifier, e.g. "filename-version"
	Message string `json:"message"` // what is wrong and what to do
}

// Error renders "path: message".
func (p Problem) Error() string { return p.File + ": " + p.Message }

// Check inspects and verifies every path, and the set as a whole. It returns
// the distributions in the order given and every problem found; a caller must
// upload nothing when problems is not empty.
func Check(paths []string, opts Options) (dists []*Distribution, problems []Problem) {
	for _, p := range paths {
		problems = append(problems, Problem{File: p, Rule: "unimplemented", Message: errors.New("dist.Check is not implemented yet").Error()})
	}
	return nil, problems
}
