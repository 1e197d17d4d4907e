package dist

import (
	"fmt"
	"regexp"
	"strings"
)

// Explicit markup (".. " constructs): footnotes, citations, hyperlink
// targets, substitution definitions, directives and comments
// (docutils.parsers.rst.states.Body.explicit_construct and friends).

var (
	footnoteRE     = regexp.MustCompile(`^\.\. +\[([0-9]+|#|#` + simplenamePat + `|\*)\](?: +|$)`)
	citationRE     = regexp.MustCompile(`^\.\. +\[(` + simplenamePat + `)\](?: +|$)`)
	hyperlinkRE    = regexp.MustCompile(`^\.\. +_`)
	substitutionRE = regexp.MustCompile(`^\.\. +\|`)
	directiveRE    = regexp.MustCompile(`^\.\. +(` + simplenamePat + `) ?::(?: +|$)`)
)

// explicitConstruct is Body.explicit_construct.
func (s *rstState) explicitConstruct(m *lineMatch) ([]*rstNode, bool) {
	line := m.line
	var errs []*rstNode
	try := func(re *regexp.Regexp, f func(*lineMatch) ([]*rstNode, bool, error)) ([]*rstNode, bool, bool) {
		loc := re.FindStringSubmatchIndex(line)
		if loc == nil {
			return nil, false, false
		}
		em := &lineMatch{line: line, end: runeLen(line[:loc[1]]), groups: map[string]string{}}
		if len(loc) > 2 && loc[2] >= 0 {
			em.groups["1"] = line[loc[2]:loc[3]]
		}
		nodes, blankFinish, err := f(em)
		if err != nil {
			errs = append(errs, s.doc().warning(err.Error(), s.sm.absLineNumber()))
			return nil, false, false
		}
		return nodes, blankFinish, true
	}
	constructs := []struct {
		re *regexp.Regexp
		f  func(*lineMatch) ([]*rstNode, bool, error)
	}{
		{footnoteRE, s.footnote},
		{citationRE, s.citation},
		{hyperlinkRE, s.hyperlinkTarget},
		{substitutionRE, s.substitutionDef},
		{directiveRE, func(em *lineMatch) ([]*rstNode, bool, error) {
			nodes, blankFinish := s.directive(em, nil)
			return nodes, blankFinish, nil
		}},
	}
	for _, c := range constructs {
		if loc := c.re.FindStringIndex(line); loc != nil {
			if (c.re == hyperlinkRE || c.re == substitutionRE) && (loc[1] == len(line) || line[loc[1]] == ' ') {
				continue // (?![ ]|$)
			}
			nodes, blankFinish, ok := try(c.re, c.f)
			if ok {
				return nodes, blankFinish
			}
			break
		}
	}
	nodes, blankFinish := s.comment(m)
	return append(nodes, errs...), blankFinish
}

// explicitList parses the explicit markup constructs that follow.
func (s *rstState) explicitList(blankFinish bool) {
	block, off := s.rest()
	newOffset, blankFinish := s.nestedListParse(block, off, s.parent(), "Explicit", blankFinish, "", nil)
	s.sm.gotoLine(newOffset)
	if !blankFinish {
		s.parent().append(s.unindentWarning("Explicit markup"))
	}
}

func (s *rstState) comment(m *lineMatch) ([]*rstNode, bool) {
	if s.sm.isNextLineBlank() {
		if pyStrip(runeFrom(m.line, m.end)) == "" {
			return []*rstNode{newNode("comment")}, true
		}
	}
	block, _, _, blankFinish := s.sm.getFirstKnownIndented(m.end, false, true, true)
	block = trimBlankEnd(block)
	c := newNode("comment")
	c.text = strings.Join(lineTexts(block), "\n")
	return []*rstNode{c}, blankFinish
}

func (s *rstState) footnote(m *lineMatch) ([]*rstNode, bool, error) {
	srcline := s.sm.sourceLine(0)
	block, _, offset, blankFinish := s.sm.getFirstKnownIndented(m.end, false, true, true)
	label := m.groups["1"]
	name := fullyNormalizeName(label)
	fn := newNode("footnote")
	fn.line = srcline
	switch {
	case strings.HasPrefix(name, "#"):
		name = name[1:]
		fn.set("auto", "1")
		if name != "" {
			fn.names = append(fn.names, name)
		}
		s.doc().setID(fn)
		s.doc().autofootnotes = append(s.doc().autofootnotes, fn)
	case name == "*":
		name = ""
		fn.set("auto", "*")
		s.doc().setID(fn)
		s.doc().symbolFootnotes = append(s.doc().symbolFootnotes, fn)
	default:
		lbl := newNode("label")
		lbl.append(textNode(label))
		fn.append(lbl)
		fn.names = append(fn.names, name)
		s.doc().setID(fn)
		s.doc().footnotes = append(s.doc().footnotes, fn)
	}
	if name != "" {
		s.doc().noteExplicitTarget(fn, fn)
	} else {
		s.doc().setID(fn)
	}
	if len(block) > 0 {
		s.nestedParse(block, offset, fn, false)
	} else {
		fn.append(s.doc().warning("Footnote content expected.", 0))
	}
	return []*rstNode{fn}, blankFinish, nil
}

func (s *rstState) citation(m *lineMatch) ([]*rstNode, bool, error) {
	srcline := s.sm.sourceLine(0)
	block, _, offset, blankFinish := s.sm.getFirstKnownIndented(m.end, false, true, true)
	label := m.groups["1"]
	c := newNode("citation")
	c.line = srcline
	lbl := newNode("label")
	lbl.append(textNode(label))
	c.append(lbl)
	c.names = append(c.names, fullyNormalizeName(label))
	s.doc().citations = append(s.doc().citations, c)
	s.doc().noteExplicitTarget(c, c)
	if len(block) > 0 {
		s.nestedParse(block, offset, c, false)
	} else {
		c.append(s.doc().warning("Citation content expected.", 0))
	}
	return []*rstNode{c}, blankFinish, nil
}

// targetName matches explicit.patterns.target at the start of escaped and
// returns the target name ("" for an anonymous "_"), the code point index
// after the pattern, and whether it matched.
func targetName(escaped string) (name string, end int, ok bool) {
	r := []rune(escaped)
	after := func(i int) (int, bool) {
		// (?<!(?<!\x00):) [ ]? : ([ ]+|$)
		if i < len(r) && r[i] == ' ' {
			i++
		}
		if i >= len(r) || r[i] != ':' {
			return 0, false
		}
		i++
		if i < len(r) && r[i] != ' ' {
			return 0, false
		}
		for i < len(r) && r[i] == ' ' {
			i++
		}
		return i, true
	}
	noColonBefore := func(i int) bool {
		return i == 0 || r[i-1] != ':' || i >= 2 && r[i-2] == 0
	}
	if len(r) > 0 && r[0] == '_' {
		if e, ok := after(1); ok && noColonBefore(1) {
			return "", e, true
		}
		return "", 0, false
	}
	quote := len(r) > 0 && r[0] == '`'
	start := 0
	if quote {
		start = 1
	}
	if start >= len(r) || r[start] == ' ' || r[start] == '`' {
		return "", 0, false
	}
	// (?P<name>.+?) lazily: the shortest name that fits.
	for e := start + 1; e <= len(r); e++ {
		if c := r[e-1]; pyIsSpace(c) || c == 0 { // non_whitespace_escape_before
			continue
		}
		i := e
		if quote {
			if i >= len(r) || r[i] != '`' {
				continue
			}
			i++
		}
		if !noColonBefore(i) || i > 0 && (pyIsSpace(r[i-1]) || r[i-1] == 0) {
			continue
		}
		if end, ok := after(i); ok {
			return string(r[start:e]), end, true
		}
	}
	return "", 0, false
}

func (s *rstState) hyperlinkTarget(m *lineMatch) ([]*rstNode, bool, error) {
	lineno := s.sm.absLineNumber()
	block, _, _, blankFinish := s.sm.getFirstKnownIndented(m.end, true, false, true)
	texts := lineTexts(block)
	for i := range texts {
		texts[i] = escape2null(texts[i])
	}
	if len(texts) == 0 {
		return nil, false, &markupError{"malformed hyperlink target."}
	}
	// The block starts after ".. _".
	escaped := texts[0]
	idx := 0
	var name string
	var end int
	for {
		var ok bool
		name, end, ok = targetName(escaped)
		if ok {
			break
		}
		idx++
		if idx >= len(texts) {
			return nil, false, &markupError{"malformed hyperlink target."}
		}
		escaped += texts[idx]
	}
	texts = texts[idx:]
	// block[0] = (block[0] + ' ')[targetmatch.end()-len(escaped)-1:].strip()
	first := []rune(texts[0] + " ")
	cut := end - runeLen(escaped) - 1
	if cut < 0 {
		cut += len(first)
	}
	if cut < 0 {
		cut = 0
	}
	if cut > len(first) {
		cut = len(first)
	}
	texts[0] = pyStrip(string(first[cut:]))
	t := s.makeTarget(texts, lineno, name, false)
	return []*rstNode{t}, blankFinish, nil
}

// makeTarget is Body.make_target.
func (s *rstState) makeTarget(block []string, lineno int, name string, anonymous bool) *rstNode {
	t := newNode("target")
	t.line = lineno
	if len(block) > 0 && strings.HasSuffix(pyStrip(block[len(block)-1]), "_") {
		var parts []string
		for _, l := range block {
			parts = append(parts, pyStrip(l))
		}
		if ref, ok := isReference(strings.Join(parts, " ")); ok {
			t.set("refname", fullyNormalizeName(ref))
			s.addTarget(name, "", t, anonymous)
			s.doc().noteIndirectTarget(t)
			return t
		}
	}
	var pieces []string
	for _, part := range splitEscapedWhitespace(strings.Join(block, " ")) {
		pieces = append(pieces, strings.Join(pyFields(unescape(part, false)), ""))
	}
	s.addTarget(name, strings.Join(pieces, " "), t, anonymous)
	return t
}

var referenceRE = regexp.MustCompile(`^(?:(` + simplenamePat + `)_|` + "`" + `([^ ].*?)` + "`" + `_)$`)

// isReference is Body.is_reference: a "name_" or "`phrase`_" target.
func isReference(ref string) (string, bool) {
	m := referenceRE.FindStringSubmatch(whitespaceNormalizeName(ref))
	if m == nil {
		return "", false
	}
	if m[2] != "" {
		// non_whitespace_escape_before the closing backquote
		if c := m[2][len(m[2])-1]; c == ' ' || c == 0 {
			return "", false
		}
		return unescape(m[2], false), true
	}
	return unescape(m[1], false), true
}

func (s *rstState) addTarget(name, refuri string, t *rstNode, anonymous bool) {
	if name != "" {
		t.names = append(t.names, fullyNormalizeName(unescape(name, false)))
		if refuri != "" {
			t.set("refuri", refuri)
		}
		s.doc().noteExplicitTarget(t, s.parent())
		return
	}
	if refuri != "" {
		t.set("refuri", refuri)
	}
	t.set("anonymous", "1")
	s.doc().setID(t)
}

func (s *rstState) anonymousTarget(m *lineMatch) ([]*rstNode, bool) {
	lineno := s.sm.absLineNumber()
	block, _, _, blankFinish := s.sm.getFirstKnownIndented(m.end, true, true, true)
	texts := lineTexts(block)
	for i := range texts {
		texts[i] = escape2null(texts[i])
	}
	return []*rstNode{s.makeTarget(texts, lineno, "", true)}, blankFinish
}

// substitutionName matches explicit.patterns.substitution: the name up to
// "|" followed by spaces or the end; it returns the name and the code
// point index after the match.
func substitutionName(escaped string) (string, int, bool) {
	r := []rune(escaped)
	if len(r) == 0 || r[0] == ' ' {
		return "", 0, false
	}
	for e := 1; e < len(r); e++ {
		if r[e] != '|' {
			continue
		}
		if c := r[e-1]; pyIsSpace(c) || c == 0 {
			continue
		}
		i := e + 1
		if i < len(r) && r[i] != ' ' {
			continue
		}
		for i < len(r) && r[i] == ' ' {
			i++
		}
		return string(r[:e]), i, true
	}
	return "", 0, false
}

func (s *rstState) substitutionDef(m *lineMatch) ([]*rstNode, bool, error) {
	srcline := s.sm.sourceLine(0)
	// The match ends after "|": the block starts with the name.
	block, _, offset, blankFinish := s.sm.getFirstKnownIndented(m.end, false, false, true)
	if len(block) == 0 {
		return nil, false, &markupError{"malformed substitution definition."}
	}
	escaped := escape2null(pyRStrip(block[0].text))
	idx := 0
	var name string
	var end int
	for {
		var ok bool
		name, end, ok = substitutionName(escaped)
		if ok {
			break
		}
		idx++
		if idx >= len(block) {
			return nil, false, &markupError{"malformed substitution definition."}
		}
		escaped = escaped + " " + escape2null(pyStrip(block[idx].text))
	}
	block = cloneLines(block[idx:])
	first := []rune(pyStrip(block[0].text) + " ")
	start := end - runeLen(escaped) - 1
	if start < 0 {
		start += len(first)
	}
	start = max(0, min(start, len(first)))
	block[0].text = string(first[start : len(first)-1])
	if block[0].text == "" {
		block = block[1:]
		offset++
	}
	block = trimBlankEnd(block)
	def := newNode("substitution_definition")
	def.line = srcline
	if len(block) == 0 {
		msg := s.doc().reportAt(2, fmt.Sprintf("Substitution definition \"%s\" missing contents.", name), srcline)
		return []*rstNode{msg}, blankFinish, nil
	}
	block[0].text = pyStrip(block[0].text)
	def.names = append(def.names, whitespaceNormalizeName(name))
	_, blankFinish = s.nestedListParse(block, offset, def, "SubstitutionDef", blankFinish, "", nil)
	// Body elements the definition produced move to the parent.
	var kept []*rstNode
	for _, c := range def.children {
		if rstInline[c.kind] {
			kept = append(kept, c)
		} else {
			s.parent().append(c)
		}
	}
	def.children = kept
	var problem *rstNode
	for _, c := range def.children {
		c.walk(func(n *rstNode) {
			if problem != nil || n.kind == "#text" {
				return
			}
			switch {
			case n.kind == "problematic":
				problem = s.doc().reportAt(3, "Problematic content in substitution definition", srcline)
			case n.kind == "reference" && n.has("anonymous"):
				problem = s.doc().reportAt(3, "Anonymous references are not supported in a substitution definition.", srcline)
			case n.kind == "footnote_reference" && n.has("auto"):
				problem = s.doc().reportAt(3, "References to auto-numbered and auto-symbol footnotes are not supported in a substitution definition.", srcline)
			case len(n.names) > 0 || len(n.ids) > 0:
				problem = s.doc().reportAt(3, "Targets (names and identifiers) are not supported in a substitution definition.", srcline)
			}
		})
	}
	if problem != nil {
		return []*rstNode{problem}, blankFinish, nil
	}
	if len(def.children) == 0 {
		msg := s.doc().reportAt(2, fmt.Sprintf("Substitution definition \"%s\" empty or invalid.", name), srcline)
		return []*rstNode{msg}, blankFinish, nil
	}
	s.doc().noteSubstitutionDef(def, name, s.parent())
	return []*rstNode{def}, blankFinish, nil
}
