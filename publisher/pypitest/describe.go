package pypitest

import (
	"mime"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Description rendering. Warehouse renders the description of every upload
// (warehouse/utils/readme.py: readme_renderer, reStructuredText when no
// Description-Content-Type is given) and refuses the upload when it does not
// render. Markdown and plain text always render; reStructuredText fails on
// any docutils warning.
//
// The index does not embed docutils. It recognizes, independently of the
// client's checker, the failures real projects hit most, each conservatively
// (in doubt, the description renders):
//
//   - a section title underline or overline shorter than the title (4 or more
//     characters long), and an overline that differs from its underline;
//   - directives docutils does not know (Sphinx's toctree, autoclass...), and
//     "raw" and "include", which readme_renderer disables;
//   - interpreted text roles docutils does not know (:ref:, :func:...),
//     unless the document defines them with the role directive;
//   - inline literals (``) that are never closed;
//   - substitution references (|name|) without a definition;
//   - references (name_, `phrase`_) to a target the document does not
//     define (explicit targets, inline targets, section titles, footnote and
//     citation labels);
//   - two explicit targets of one name pointing to different URIs;
//   - a document that renders to nothing.
//
// Only lines outside literal blocks, code and math directives and doctest
// blocks are looked at; everything else renders here even when docutils
// would refuse it.

// descriptionRefusal returns Warehouse's message when the description does
// not render, or "".
func (s *Server) descriptionRefusal(f *form) string {
	desc := f.first("description")
	if desc == "" {
		return ""
	}
	declared := f.first("description_content_type")
	ct := "text/x-rst"
	if declared != "" {
		ct = "text/plain" // email.message.get_content_type's fallback
		if mt, _, err := mime.ParseMediaType(declared); err == nil && strings.Count(mt, "/") == 1 {
			ct = mt
		} else if m, _, _ := strings.Cut(declared, ";"); strings.Count(strings.TrimSpace(m), "/") == 1 {
			ct = strings.ToLower(strings.TrimSpace(m))
		}
	}
	if ct != "text/x-rst" || rstRefusal(desc) == "" {
		return ""
	}
	help := s.helpURL("description-content-type")
	if declared != "" {
		return "The description failed to render for '" + ct + "'. See " + help + " for more information."
	}
	return "The description failed to render in the default format of reStructuredText. See " + help + " for more information."
}

var (
	rstDirectiveLine = regexp.MustCompile(`^\.\. +([A-Za-z0-9]+(?:[-._+:][A-Za-z0-9]+)*) ?::(?: |$)`)
	rstTargetLine    = regexp.MustCompile("^\\.\\. +_(?:`([^`]+)`|([^:`][^:]*)): *(.*)$")
	rstSubstDef      = regexp.MustCompile(`^\.\. +\|([^|]+)\| +`)
	rstRoleDef       = regexp.MustCompile(`^\.\. +role:: *([A-Za-z0-9]+(?:[-._+:][A-Za-z0-9]+)*)`)
	rstLabelDef      = regexp.MustCompile(`^\.\. +\[([^\]]+)\]`)
	rstRoleUse       = regexp.MustCompile("(?:^|[\\s(\"'])`?:([A-Za-z0-9][A-Za-z0-9._+-]*):`[^`]")
	rstSubstUse      = regexp.MustCompile("(?:^|[\\s(\"'])\\|([^|\\s][^|]*[^|\\s]|[^|\\s])\\|(?:__?)?(?:$|[\\s.,;:!?)\"'])")
	rstPhraseRef     = regexp.MustCompile("(?:^|[\\s(\"'])`([^`<]+[^`\\s<])`_(?:$|[\\s.,;:!?)\"'])")
	rstNameRef       = regexp.MustCompile("(?:^|[\\s(\"'])([A-Za-z0-9]+(?:[-.+:][A-Za-z0-9]+)*)_(?:$|[\\s.,;:!?)\"'])")
	rstInlineTarget  = regexp.MustCompile("_`([^`]+)`")
	rstInlineLiteral = regexp.MustCompile("``[^`]*(?:`[^`]+)*``")
)

// rstStandardDirectives are docutils' directive names (en).
var rstStandardDirectives = setOf("attention", "caution", "danger", "error", "hint", "important", "note", "tip",
	"warning", "admonition", "sidebar", "topic", "line-block", "parsed-literal", "code", "code-block",
	"sourcecode", "math", "rubric", "epigraph", "highlights", "pull-quote", "compound", "container", "table",
	"csv-table", "list-table", "meta", "image", "figure", "replace", "unicode", "date", "class", "rst-class",
	"role", "default-role", "title", "contents", "sectnum", "section-numbering", "header", "footer",
	"target-notes", "restructuredtext-test-directive")

// rstStandardRoles are docutils' role names and aliases (en).
var rstStandardRoles = setOf("abbreviation", "ab", "acronym", "ac", "code", "emphasis", "literal", "math",
	"pep-reference", "pep", "rfc-reference", "rfc", "strong", "subscript", "sub", "superscript", "sup",
	"title-reference", "title", "t")

// rstVerbatim are the directives whose content is not reStructuredText.
var rstVerbatim = setOf("code", "code-block", "sourcecode", "math", "raw", "csv-table")

func isNonAlnum7bit(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

func isPunctLine(s string) bool {
	t := strings.TrimRight(s, " ")
	if len(t) == 0 || t[0] > 0x7e || unicode.IsLetter(rune(t[0])) || unicode.IsDigit(rune(t[0])) || t[0] <= ' ' {
		return false
	}
	return strings.Count(t, t[:1]) == len(t)
}

func titleWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			if !unicode.Is(unicode.Mn, r) {
				n++
			}
		}
	}
	return n
}

func normalizeRefName(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// rstRenders reports whether the description renders (see above).
func rstRenders(text string) bool { return rstRefusal(text) == "" }

// rstRefusal says why the description does not render, or "".
func rstRefusal(text string) string {
	text = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\t", "        ").Replace(text)
	raw := strings.Split(text, "\n")
	lines := make([]string, len(raw))
	for i, l := range raw {
		lines[i] = strings.TrimRight(l, " \v\f")
	}
	// Which lines hold reStructuredText (live), and which start an
	// explicit markup construct (explicit): a ".." line begins one only at
	// the start of a block or right after another explicit construct;
	// inside a paragraph it is text. Literal blocks, verbatim directives
	// and doctest blocks are skipped.
	live := make([]bool, len(lines))
	explicit := make([]bool, len(lines))
	inside := make([]bool, len(lines)) // continuation lines of an explicit construct
	skipIndent := -1
	literalQuote := byte(0) // after "::": a quoted literal block may follow
	awaitLiteral := false
	doctest := false
	explicitIndent := -1
	for i, l := range lines {
		if doctest {
			if l != "" {
				continue
			}
			doctest = false
		}
		if skipIndent >= 0 {
			if l == "" {
				continue
			}
			if indentOf(l) > skipIndent {
				awaitLiteral = false // an indented literal block, not a quoted one
				continue
			}
			// Not indented after "::": a quoted literal block, when the
			// line starts with punctuation.
			if awaitLiteral && indentOf(l) == skipIndent && isNonAlnum7bit(l[skipIndent]) {
				literalQuote = l[skipIndent]
			}
			skipIndent, awaitLiteral = -1, false
		}
		if literalQuote != 0 {
			if l != "" && indentOf(l) < len(l) && l[indentOf(l)] == literalQuote {
				continue
			}
			literalQuote = 0
		}
		if l == "" {
			continue
		}
		live[i] = true
		trimmed := strings.TrimLeft(l, " ")
		blank := func(k int) bool { return k < 0 || k >= len(lines) || lines[k] == "" }
		// After a section title's underline a new block starts.
		afterTitle := i >= 2 && isPunctLine(lines[i-1]) && !isPunctLine(lines[i-2]) && (blank(i-3) || isPunctLine(lines[i-3]) && blank(i-4)) &&
			(utf8.RuneCountInString(strings.TrimRight(lines[i-1], " ")) >= 4 || utf8.RuneCountInString(strings.TrimRight(lines[i-1], " ")) >= titleWidth(strings.TrimSpace(lines[i-2])))
		blockStart := blank(i-1) || !live[i-1] && indentOf(l) <= indentOf(lines[i-1]) || afterTitle
		isExplicit := trimmed == ".." || strings.HasPrefix(trimmed, ".. ")
		switch {
		case isExplicit && (blockStart || indentOf(l) == explicitIndent):
			explicit[i] = true
			explicitIndent = indentOf(l)
		case explicitIndent >= 0 && indentOf(l) > explicitIndent:
			inside[i] = true
		default:
			explicitIndent = -1
		}
		if m := rstDirectiveLine.FindStringSubmatch(trimmed); explicit[i] && m != nil && rstVerbatim[strings.ToLower(m[1])] {
			skipIndent = indentOf(l)
		} else if strings.HasSuffix(l, "::") && !explicit[i] && blank(i+1) {
			skipIndent, awaitLiteral = indentOf(l), true
		} else if strings.HasPrefix(trimmed, ">>>") && blockStart {
			doctest = true
		}
	}

	// What the document defines, collected from every line: a definition
	// the index misreads only makes it refuse less.
	targets := map[string]bool{}
	roles := map[string]bool{}
	substitutions := map[string]bool{}
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		if m := rstTargetLine.FindStringSubmatch(trimmed); m != nil {
			targets[normalizeRefName(m[1]+m[2])] = true
		}
		if m := rstSubstDef.FindStringSubmatch(trimmed); m != nil {
			substitutions[normalizeRefName(m[1])] = true
		}
		if m := rstRoleDef.FindStringSubmatch(trimmed); m != nil {
			roles[strings.ToLower(m[1])] = true
		}
		if m := rstLabelDef.FindStringSubmatch(trimmed); m != nil {
			targets[normalizeRefName(strings.TrimPrefix(m[1], "#"))] = true
		}
		for _, m := range rstInlineTarget.FindAllStringSubmatch(l, -1) {
			targets[normalizeRefName(m[1])] = true
		}
		if i+1 < len(lines) && strings.TrimSpace(l) != "" && isPunctLine(lines[i+1]) {
			targets[normalizeRefName(l)] = true // a section title
		}
	}
	explicitURIs := map[string]string{}
	content := false
	for i, l := range lines {
		if !live[i] {
			if l != "" {
				content = true
			}
			continue
		}
		trimmed := strings.TrimLeft(l, " ")
		switch {
		case !explicit[i] || indentOf(l) > 0:
			content = true
		}
		switch {
		case !explicit[i]:
		case rstTargetLine.MatchString(trimmed):
			m := rstTargetLine.FindStringSubmatch(trimmed)
			name := normalizeRefName(m[1] + m[2])
			uri := strings.TrimSpace(m[3])
			if old, dup := explicitURIs[name]; dup && old != uri && old != "" && uri != "" && !strings.HasSuffix(uri, "_") && !strings.HasSuffix(old, "_") {
				return "Duplicate explicit target name"
			}
			explicitURIs[name] = uri
		case rstSubstDef.MatchString(trimmed):
			content = content || strings.Contains(trimmed, "image::") || strings.Contains(trimmed, "replace::")
		case rstRoleDef.MatchString(trimmed):
		case rstLabelDef.MatchString(trimmed):
			content = true
		default:
			// a comment or a directive: no content by itself
			if m := rstDirectiveLine.FindStringSubmatch(trimmed); m != nil {
				name := strings.ToLower(m[1])
				if indentOf(l) == 0 && (!rstStandardDirectives[name]) {
					return "Unknown directive type, or \"raw\"/\"include\" disabled"
				}
				content = true
			}
		}
		// A section title: a one-line block of text over an underline, or
		// between an overline and an underline.
		blank := func(k int) bool { return k < 0 || k >= len(lines) || lines[k] == "" }
		if i+1 < len(lines) && live[i+1] && !explicit[i] && indentOf(l) == 0 && !isPunctLine(l) && isPunctLine(lines[i+1]) {
			title := strings.TrimSpace(l)
			under := strings.TrimRight(lines[i+1], " ")
			switch {
			case blank(i - 1):
				if n := utf8.RuneCountInString(under); n >= 4 && titleWidth(title) > n {
					return "Title underline too short."
				}
			case isPunctLine(lines[i-1]) && blank(i-2) && indentOf(lines[i-1]) == 0:
				over := strings.TrimRight(lines[i-1], " ")
				if utf8.RuneCountInString(over) >= 4 && (over != under || titleWidth(title) > utf8.RuneCountInString(over)) {
					return "Title overline & underline mismatch, or overline too short."
				}
			}
		}
	}
	if !content {
		return "No content rendered from RST source."
	}
	for i, l := range lines {
		if !live[i] || explicit[i] || inside[i] {
			continue
		}
		text := rstInlineLiteral.ReplaceAllString(l, "lit")
		if unclosedLiteral(text) && !literalClosedLater(lines, live, i) {
			return "Inline literal start-string without end-string."
		}
		for _, m := range rstRoleUse.FindAllStringSubmatch(text, -1) {
			if name := strings.ToLower(m[1]); !rstStandardRoles[name] && !roles[name] {
				return "Unknown interpreted text role"
			}
		}
		for _, m := range rstSubstUse.FindAllStringSubmatch(text, -1) {
			if !substitutions[normalizeRefName(m[1])] {
				return "Undefined substitution referenced"
			}
		}
		for _, re := range []*regexp.Regexp{rstPhraseRef, rstNameRef} {
			for _, m := range re.FindAllStringSubmatch(text, -1) {
				if !targets[normalizeRefName(m[1])] {
					return "Unknown target name"
				}
			}
		}
	}
	return ""
}

// unclosedLiteral: a line still holding an inline literal start-string
// (after the closed ones were removed) that starts after whitespace.
func unclosedLiteral(line string) bool {
	i := strings.Index(line, "``")
	if i < 0 {
		return false
	}
	before := i == 0 || strings.ContainsRune(" \t(\"'", rune(line[i-1]))
	after := i+2 < len(line) && line[i+2] != ' ' && line[i+2] != '`'
	return before && after
}

// literalClosedLater: an inline literal may go on over the following lines
// of its paragraph.
func literalClosedLater(lines []string, live []bool, i int) bool {
	rest := lines[i][strings.Index(lines[i], "``")+2:]
	if strings.Contains(rest, "``") {
		return true
	}
	for j := i + 1; j < len(lines) && lines[j] != "" && live[j]; j++ {
		if strings.Contains(lines[j], "``") {
			return true
		}
	}
	return false
}
