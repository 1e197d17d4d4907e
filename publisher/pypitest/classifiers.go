package pypitest

import (
	_ "embed"
	"strings"
	"sync"
)

// classifiersText is the trove-classifiers list the index accepts, written
// by scripts/update-classifiers (which also writes publisher/dist's copy;
// the index shares no code with the client it tests). Its header names the
// release. Lines "deprecated: OLD => NEW; NEW2" are
// trove_classifiers.deprecated_classifiers, refused by their own rule.
//
//go:embed classifiers.txt
var classifiersText string

type troveList struct {
	all        map[string]bool     // trove_classifiers.all_classifiers
	deprecated map[string][]string // trove_classifiers.deprecated_classifiers
}

var trove = sync.OnceValue(func() troveList {
	l := troveList{all: map[string]bool{}, deprecated: map[string][]string{}}
	for _, line := range strings.Split(classifiersText, "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "deprecated: "):
			old, repl, _ := strings.Cut(strings.TrimPrefix(line, "deprecated: "), " =>")
			by := []string{}
			for _, r := range strings.Split(repl, ";") {
				if r = strings.TrimSpace(r); r != "" {
					by = append(by, r)
				}
			}
			l.deprecated[old] = by
			l.all[old] = true
		default:
			l.all[line] = true
		}
	}
	return l
})

// knownClassifier reports whether c is in trove_classifiers.all_classifiers
// (which includes the deprecated ones, refused by a separate rule).
func knownClassifier(c string) bool { return trove().all[c] }

// deprecatedClassifier returns the replacements of a deprecated classifier.
func deprecatedClassifier(c string) (by []string, deprecated bool) {
	by, deprecated = trove().deprecated[c]
	return by, deprecated
}
