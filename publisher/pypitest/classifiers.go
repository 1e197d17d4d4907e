package pypitest

import (
	_ "embed"
	"strings"
	"sync"
)

// classifiersText is the trove classifier list PyPI accepts (the
// trove-classifiers package: Debian's python3-trove-classifiers plus the
// classifiers added since), one per line.
//
//go:embed classifiers.txt
var classifiersText string

// deprecatedClassifiers maps a deprecated classifier to its replacements
// (trove_classifiers.deprecated_classifiers); uploads using one are refused.
var deprecatedClassifiers = map[string][]string{
	"Natural Language :: Ukranian":                             {"Natural Language :: Ukrainian"},
	"Topic :: Communications :: Chat :: AOL Instant Messenger": {},
}

var classifierSet = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(classifiersText, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			m[line] = true
		}
	}
	return m
})

// knownClassifier reports whether c is in trove_classifiers.all_classifiers
// (which includes the deprecated ones, refused by a separate rule).
func knownClassifier(c string) bool {
	if _, ok := deprecatedClassifiers[c]; ok {
		return true
	}
	return classifierSet()[c]
}
