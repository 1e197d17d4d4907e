package dist

import (
	"regexp"
	"strings"
)

// projectNameRE is the core metadata (and Warehouse) rule for a project name:
// ASCII letters and digits, with ".", "_" and "-" inside.
var projectNameRE = regexp.MustCompile(`(?i)^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`)

var nameSeparatorsRE = regexp.MustCompile(`[-_.]+`)

// ValidName reports whether name is a valid project name (also the rule for
// extra names, PEP 685).
func ValidName(name string) bool { return projectNameRE.MatchString(name) }

// NormalizeName is PEP 503 normalization: lower-case, every run of "-", "_"
// and "." becomes a single "-". It is how the index identifies a project.
func NormalizeName(name string) string {
	return nameSeparatorsRE.ReplaceAllString(strings.ToLower(name), "-")
}

// FilenameName is the project name as distribution filenames spell it (PEP
// 427/PEP 625): the normalized name with "-" replaced by "_".
func FilenameName(name string) string {
	return strings.ReplaceAll(NormalizeName(name), "-", "_")
}
