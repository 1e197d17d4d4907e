package dist

import (
	_ "embed"
	"regexp"
	"strings"
	"sync"
)

// Trove classifiers. PyPI refuses a release whose Classifier fields are not
// all in the trove-classifiers package, or are deprecated there.
//
// We embed that list (classifiers.txt, generated from the trove-classifiers
// release named on its first line) and add the one family that grows with
// every Python release ("Programming Language :: Python :: 3.N") and the
// free-threading classifiers, which were added after that release. A
// classifier added to trove-classifiers after this build can be allowed with
// Options.AllowClassifiers (check --allow-classifier) instead of waiting for
// a new goreleaser-pypi.

//go:embed classifiers.txt
var classifiersTxt string

var (
	classifiersOnce    sync.Once
	knownClassifiers   map[string]bool
	deprecatedClassifs map[string][]string
	classifiersVersion string
)

var pythonMinorClassifierRE = regexp.MustCompile(`^Programming Language :: Python :: 3\.[0-9]{1,2}$`)

var addedClassifiers = []string{
	"Programming Language :: Python :: Free Threading",
	"Programming Language :: Python :: Free Threading :: 1 - Unstable",
	"Programming Language :: Python :: Free Threading :: 2 - Beta",
	"Programming Language :: Python :: Free Threading :: 3 - Stable",
	"Programming Language :: Python :: Free Threading :: 4 - Resilient",
}

func loadClassifiers() {
	classifiersOnce.Do(func() {
		knownClassifiers = map[string]bool{}
		deprecatedClassifs = map[string][]string{}
		for i, line := range strings.Split(classifiersTxt, "\n") {
			switch {
			case i == 0:
				if f := strings.Fields(line); len(f) >= 3 {
					classifiersVersion = strings.TrimSuffix(f[2], ":")
				}
			case line == "" || strings.HasPrefix(line, "#"):
			case strings.HasPrefix(line, "deprecated: "):
				old, repl, _ := strings.Cut(strings.TrimPrefix(line, "deprecated: "), " => ")
				var rs []string
				for _, r := range strings.Split(repl, "; ") {
					if r != "" {
						rs = append(rs, r)
					}
				}
				deprecatedClassifs[old] = rs
			default:
				knownClassifiers[line] = true
			}
		}
		for _, c := range addedClassifiers {
			knownClassifiers[c] = true
		}
	})
}

// ClassifierListVersion is the trove-classifiers release embedded here.
func ClassifierListVersion() string {
	loadClassifiers()
	return classifiersVersion
}

// classifierStatus: "" when valid, else the reason PyPI refuses it.
func classifierStatus(c string, allow map[string]bool) string {
	loadClassifiers()
	if allow[c] {
		return ""
	}
	if repl, ok := deprecatedClassifs[c]; ok {
		if len(repl) == 0 {
			return "is deprecated; remove it"
		}
		return "is deprecated; use " + quoteList(repl) + " instead"
	}
	if knownClassifiers[c] || pythonMinorClassifierRE.MatchString(c) {
		return ""
	}
	if strings.HasPrefix(c, "Private ::") {
		return "is a private classifier; PyPI refuses these on purpose, to prevent accidental uploads"
	}
	return "is not a valid classifier (checked against trove-classifiers " + classifiersVersion + "; see https://pypi.org/classifiers/ — if it was added since, allow it with --allow-classifier)"
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "'" + x + "'"
	}
	return strings.Join(q, " or ")
}
