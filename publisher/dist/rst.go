package dist

import (
	"fmt"
	"strings"
)

// RSTProblem is one system message at level WARNING or above that
// docutils reports for a reStructuredText document: any one of them makes
// readme_renderer refuse to render it (it sets halt_level to 2).
type RSTProblem struct {
	Line    int    `json:"line,omitempty"` // 1-based line in the document; 0 when docutils gives none
	Level   string `json:"level"`          // WARNING, ERROR or SEVERE
	Message string `json:"message"`        // docutils' message, first line
}

func (p RSTProblem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return p.Message
}

// rstNoContent is readme_renderer's message for a document that renders to
// nothing (docutils reported no problem, but the HTML body is empty).
const rstNoContent = "No content rendered from RST source."

// CheckRST reports whether PyPI's renderer (readme_renderer 45 on docutils
// 0.23, with readme_renderer's settings) renders text, and if not why:
// every docutils message at level WARNING or above, in the order docutils
// emits them (the first one is where rendering stops), or
// rstNoContent for a document with nothing to show.
//
// It returns ErrRSTTooComplex, and no verdict, for a document it gives up
// on (a work budget bounds pathological inputs; real READMEs use a small
// fraction of it).
// After rstMaxProblems problems it stops: the verdict is known.
func CheckRST(text string) (renders bool, problems []RSTProblem, err error) {
	doc := newRSTDoc()
	empty := false
	func() {
		defer func() {
			if r := recover(); r != nil {
				switch r {
				case errRSTTooComplex:
					err = ErrRSTTooComplex
				case errRSTEnough:
				default:
					panic(r)
				}
			}
		}()
		empty = parseRST(doc, text)
	}()
	if err != nil {
		return true, nil, err
	}
	for _, m := range doc.messages {
		if m.Level >= 2 {
			problems = append(problems, RSTProblem{Line: m.Line, Level: rstLevelNames[min(m.Level, 4)], Message: firstLine(m.Message)})
		}
	}
	if len(problems) == 0 && empty {
		problems = append(problems, RSTProblem{Level: "ERROR", Message: rstNoContent})
	}
	return len(problems) == 0, problems, nil
}

// ErrRSTTooComplex: CheckRST gave up on the document.
var ErrRSTTooComplex = errRSTTooComplex

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// parseRST runs the parser and the transforms, recording every message
// (INFO included) in doc; it returns whether the rendered body would be
// empty.
func parseRST(doc *rstDoc, text string) bool {
	lines := splitRSTLines(text)
	for i, l := range lines {
		if runeLen(l.text) > 10000 {
			doc.root.append(doc.reportAt(3, fmt.Sprintf("Line %d exceeds the line-length-limit.", i+1), 0))
			doc.applyTransforms()
			return doc.renderedEmpty()
		}
	}
	memo := &rstMemo{doc: doc, inliner: &inliner{}}
	sm := newStateMachine(rstStateClasses, memo, nil)
	doc.rootSM = sm
	sm.run(lines, 0, doc.root, true, "Body")
	delete(doc.roles, "")
	doc.applyTransforms()
	return doc.renderedEmpty()
}
