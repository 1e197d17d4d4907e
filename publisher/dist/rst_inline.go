package dist

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Inline markup (docutils.parsers.rst.states.Inliner): emphasis, strong,
// literals, interpreted text and roles, phrase and simple references,
// inline targets, substitution and footnote references. The recognition
// rules (which characters may precede a start-string, follow an
// end-string) are docutils' regular expressions, written out by hand
// because Go's regexp has no look-around.

type inliner struct {
	doc    *rstDoc
	state  *rstState
	parent *rstNode

	// full is the escaped text of the current parse: every "remaining"
	// string is a suffix of it, so end-strings are looked up in indexes
	// built once per parse (linear time, where searching every time would
	// be quadratic).
	full []rune
	ends map[string]*endIndex
}

// endIndex gives, for every position, the next one where an end-string
// matches (with its look-behind and suffix).
type endIndex struct {
	next []int32 // next[q]: the first valid position >= q, or -1
	size []int8  // length of the end-string matched there
	at   func(q int, lookbehind bool) int
}

func (in *inliner) endIndex(key string, at func(s []rune, q int, lookbehind bool) int) *endIndex {
	if e, ok := in.ends[key]; ok {
		return e
	}
	s := in.full
	e := &endIndex{next: make([]int32, len(s)+2), size: make([]int8, len(s)+1)}
	e.at = func(q int, lookbehind bool) int { return at(s, q, lookbehind) }
	e.next[len(s)+1], e.next[len(s)] = -1, -1
	if n := at(s, len(s), true); n > 0 {
		e.next[len(s)], e.size[len(s)] = int32(len(s)), int8(n)
	}
	for q := len(s) - 1; q >= 0; q-- {
		in.doc.spend(1)
		if n := at(s, q, true); n > 0 {
			e.next[q], e.size[q] = int32(q), int8(n)
		} else {
			e.next[q] = e.next[q+1]
		}
	}
	in.ends[key] = e
	return e
}

// search finds the first end in tail (a suffix of full): its start and
// end relative to tail, or -1. At the start of tail there is nothing to
// look behind, as in a regular expression search on the substring.
func (e *endIndex) search(full, tail []rune) (int, int) {
	from := len(full) - len(tail)
	if n := e.at(from, false); n > 0 {
		return 0, n
	}
	if from+1 > len(full) {
		return -1, -1
	}
	q := int(e.next[from+1])
	if q < 0 {
		return -1, -1
	}
	return q - from, q - from + int(e.size[q])
}

func inSet(r rune, set string) bool { return strings.ContainsRune(set, r) }

// startPrefixOK is start_string_prefix: the start of the text, or after
// whitespace, an opener or a delimiter.
func startPrefixOK(s []rune, p int) bool {
	if p == 0 {
		return true
	}
	c := s[p-1]
	return pyIsSpace(c) || inSet(c, rstOpenersSet) || inSet(c, rstDelimitersSet)
}

// endSuffixOK is end_string_suffix: the end of the text, or before
// whitespace, NUL, a closing delimiter, a delimiter or a closer.
func endSuffixOK(s []rune, p int) bool {
	if p >= len(s) {
		return true
	}
	c := s[p]
	return pyIsSpace(c) || c == 0 || inSet(c, rstClosingDelimitersSet) || inSet(c, rstDelimitersSet) || inSet(c, rstClosersSet)
}

func nonSpaceAfter(s []rune, p int) bool { return p >= len(s) || !pyIsSpace(s[p]) }

// simplenameEnds returns the possible ends of a simplename starting at p,
// longest first: (?:(?!_)\w)+(?:[-._+:](?:(?!_)\w)+)*.
func simplenameEnds(s []rune, p int, d *rstDoc) []int {
	word := func(i int) bool { d.spend(1); return i < len(s) && s[i] != '_' && pyIsWord(s[i]) }
	if !word(p) {
		return nil
	}
	var ends []int
	i := p
	for word(i) {
		i++
		ends = append(ends, i)
	}
	for i < len(s) && strings.ContainsRune("-._+:", s[i]) && word(i+1) {
		i++
		for word(i) {
			i++
			ends = append(ends, i)
		}
	}
	for a, b := 0, len(ends)-1; a < b; a, b = a+1, b-1 {
		ends[a], ends[b] = ends[b], ends[a]
	}
	return ends
}

// initialMatch is a match of Inliner.patterns.initial.
type initialMatch struct {
	start, end int // the whole match
	kind       string
	// start-strings: markStart..markEnd is the start-string
	markStart, markEnd int
	// whole constructs
	refname, refend           string
	label, citation           string
	wholeStart, wholeEnd      int
	role                      string // ":role:" prefix of interpreted text
	roleStart, bqStart, bqEnd int
}

// searchInitial finds the leftmost start of inline markup in s.
func (in *inliner) searchInitial(s []rune) *initialMatch {
	for p := 0; p < len(s); p++ {
		in.doc.spend(1)
		if !startPrefixOK(s, p) {
			continue
		}
		if m := in.matchInitialAt(s, p); m != nil {
			return m
		}
	}
	return nil
}

func (in *inliner) matchInitialAt(s []rune, p int) *initialMatch {
	at := func(i int, lit string) bool {
		r := []rune(lit)
		if i+len(r) > len(s) {
			return false
		}
		for k, c := range r {
			if s[i+k] != c {
				return false
			}
		}
		return true
	}
	// 'start' alternatives, each followed by a non-space.
	for _, st := range []string{"**", "*", "``", "_`", "|"} {
		if !at(p, st) {
			continue
		}
		e := p + len([]rune(st))
		if st == "*" && at(e, "*") || st == "|" && at(e, "|") {
			continue
		}
		if nonSpaceAfter(s, e) {
			return &initialMatch{start: p, end: e, kind: st, markStart: p, markEnd: e}
		}
	}
	// 'whole': simple reference name, or footnote/citation label.
	for _, e := range simplenameEnds(s, p, in.doc) {
		for _, refend := range []string{"__", "_"} {
			if at(e, refend) && endSuffixOK(s, e+len(refend)) {
				return &initialMatch{start: p, end: e + len(refend), kind: refend, refname: string(s[p:e]), refend: refend, wholeStart: p, wholeEnd: e + len(refend)}
			}
		}
	}
	if at(p, "[") {
		fn := func(labelEnd int, citation bool) *initialMatch {
			if at(labelEnd, "]_") && endSuffixOK(s, labelEnd+2) {
				m := &initialMatch{start: p, end: labelEnd + 2, kind: "]_", label: string(s[p+1 : labelEnd]), wholeStart: p, wholeEnd: labelEnd + 2}
				if citation {
					m.citation = m.label
				}
				return m
			}
			return nil
		}
		i := p + 1
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i > p+1 {
			if m := fn(i, false); m != nil {
				return m
			}
		}
		if at(p+1, "#") {
			for _, e := range simplenameEnds(s, p+2, in.doc) {
				if m := fn(e, false); m != nil {
					return m
				}
			}
			if m := fn(p+2, false); m != nil {
				return m
			}
		}
		if at(p+1, "*") {
			if m := fn(p+2, false); m != nil {
				return m
			}
		}
		for _, e := range simplenameEnds(s, p+1, in.doc) {
			if m := fn(e, true); m != nil {
				return m
			}
		}
	}
	// 'backquote': optional :role: prefix, then ` not followed by ` or space.
	bq := func(q int, role string) *initialMatch {
		if at(q, "`") && !at(q+1, "`") && nonSpaceAfter(s, q+1) {
			return &initialMatch{start: p, end: q + 1, kind: "`", role: role, roleStart: p, bqStart: q, bqEnd: q + 1}
		}
		return nil
	}
	if at(p, ":") {
		for _, e := range simplenameEnds(s, p+1, in.doc) {
			if at(e, ":") {
				if m := bq(e+1, string(s[p:e+1])); m != nil {
					return m
				}
			}
		}
	}
	return bq(p, "")
}

// quotedStart is Inliner.quoted_start.
func quotedStart(s []rune, start, end int) bool {
	if start == 0 {
		return false
	}
	if end >= len(s) {
		return true
	}
	return matchChars(s[start-1], s[end])
}

func matchChars(c1, c2 rune) bool {
	openers, closers := []rune(rstOpenerList), []rune(rstCloserList)
	for i, o := range openers {
		if o == c1 {
			return c2 == closers[i] || strings.ContainsRune(rstQuotePairs[c1], c2)
		}
	}
	return false
}

// markEnd matches one of marks at q, preceded by a character allowed by
// before (unless lookbehind is false) and followed by an end suffix; it
// returns the length matched, or 0.
func markEnd(s []rune, q int, lookbehind bool, marks []string, before func([]rune, int) bool) int {
	if lookbehind && !before(s, q) {
		return 0
	}
	for _, mark := range marks {
		r := []rune(mark)
		if q+len(r) > len(s) || string(s[q:q+len(r)]) != mark {
			continue
		}
		if endSuffixOK(s, q+len(r)) {
			return len(r)
		}
	}
	return 0
}

// findEnd is end_pattern.search(tail) for a plain end-string.
func (in *inliner) findEnd(tail []rune, marks []string, before func([]rune, int) bool, key string) (start, end int) {
	e := in.endIndex(key, func(s []rune, q int, lookbehind bool) int { return markEnd(s, q, lookbehind, marks, before) })
	return e.search(in.full, tail)
}

// notSpaceOrNulBefore is (?<![\s\x00]).
func notSpaceOrNulBefore(s []rune, q int) bool { return q == 0 || !(pyIsSpace(s[q-1]) || s[q-1] == 0) }

// notSpaceBefore is (?<!\s).
func notSpaceBefore(s []rune, q int) bool { return q == 0 || !pyIsSpace(s[q-1]) }

// parse is Inliner.parse: the inline nodes of text and the system messages.
func (in *inliner) parse(text string, lineno int, state *rstState) ([]*rstNode, []*rstNode) {
	in.state = state
	in.parent = state.parent()
	in.doc = state.doc()
	remaining := []rune(escape2null(text))
	in.full, in.ends = remaining, map[string]*endIndex{}
	var processed, messages []*rstNode
	var unprocessed []rune
	for len(remaining) > 0 {
		m := in.searchInitial(remaining)
		if m == nil {
			break
		}
		var before []rune
		var inlines, msgs []*rstNode
		switch m.kind {
		case "*":
			before, inlines, remaining, msgs, _ = in.inlineObj(remaining, m, lineno, []string{"*"}, notSpaceOrNulBefore, "emphasis", false, "*")
		case "**":
			before, inlines, remaining, msgs, _ = in.inlineObj(remaining, m, lineno, []string{"**"}, notSpaceOrNulBefore, "strong", false, "**")
		case "``":
			before, inlines, remaining, msgs, _ = in.inlineObj(remaining, m, lineno, []string{"``"}, notSpaceBefore, "literal", true, "``")
		case "_`":
			before, inlines, remaining, msgs = in.inlineTarget(remaining, m, lineno)
		case "|":
			before, inlines, remaining, msgs = in.substitutionReference(remaining, m, lineno)
		case "`":
			before, inlines, remaining, msgs = in.interpretedOrPhraseRef(remaining, m, lineno)
		case "]_":
			before, inlines, remaining, msgs = in.footnoteReference(remaining, m)
		case "_", "__":
			before, inlines, remaining, msgs = in.reference(remaining, m)
		}
		unprocessed = append(unprocessed, before...)
		messages = append(messages, msgs...)
		if len(inlines) > 0 {
			if len(unprocessed) > 0 {
				processed = append(processed, textNode(string(unprocessed)))
			}
			processed = append(processed, inlines...)
			unprocessed = nil
		}
	}
	rest := string(unprocessed) + string(remaining)
	if rest != "" {
		processed = append(processed, textNode(rest))
	}
	return processed, messages
}

func (in *inliner) problematic(raw string) *rstNode {
	p := newNode("problematic")
	p.text = raw
	p.append(textNode(raw))
	return p
}

// inlineObj is Inliner.inline_obj.
func (in *inliner) inlineObj(s []rune, m *initialMatch, lineno int, endMarks []string, before func([]rune, int) bool, kind string, restore bool, key string) ([]rune, []*rstNode, []rune, []*rstNode, string) {
	if quotedStart(s, m.start, m.end) {
		return s[:m.markEnd], nil, s[m.markEnd:], nil, ""
	}
	tail := s[m.markEnd:]
	es, ee := in.findEnd(tail, endMarks, before, key)
	if es > 0 {
		n := newNode(kind)
		n.text = unescape(string(s[m.markStart:m.markEnd+ee]), true)
		content := string(tail[:es])
		if restore {
			content = unescape(content, true)
		}
		n.append(textNode(content))
		return s[:m.markStart], []*rstNode{n}, s[m.markEnd+ee:], nil, string(tail[es:ee])
	}
	msg := in.doc.warning(fmt.Sprintf("Inline %s start-string without end-string.", kind), lineno)
	raw := unescape(string(s[m.markStart:m.markEnd]), true)
	return s[:m.markStart], []*rstNode{in.problematic(raw)}, s[m.markEnd:], []*rstNode{msg}, ""
}

func (in *inliner) inlineTarget(s []rune, m *initialMatch, lineno int) ([]rune, []*rstNode, []rune, []*rstNode) {
	before, inlines, rest, msgs, _ := in.inlineObj(s, m, lineno, []string{"`"}, notSpaceOrNulBefore, "target", false, "target")
	if len(inlines) == 1 && inlines[0].kind == "target" {
		t := inlines[0]
		t.names = append(t.names, fullyNormalizeName(t.astext()))
		in.doc.noteExplicitTarget(t, in.parent)
	}
	return before, inlines, rest, msgs
}

func (in *inliner) substitutionReference(s []rune, m *initialMatch, lineno int) ([]rune, []*rstNode, []rune, []*rstNode) {
	before, inlines, rest, msgs, endstring := in.inlineObj(s, m, lineno, []string{"|__", "|_", "|"}, notSpaceOrNulBefore, "substitution_reference", false, "|")
	if len(inlines) == 1 && inlines[0].kind == "substitution_reference" {
		sub := inlines[0]
		subText := sub.astext()
		sub.set("refname", whitespaceNormalizeName(subText))
		if strings.HasSuffix(endstring, "_") {
			ref := newNode("reference")
			ref.text = "|" + subText + endstring
			if strings.HasSuffix(endstring, "__") {
				ref.set("anonymous", "1")
			} else {
				ref.set("refname", fullyNormalizeName(subText))
				in.doc.noteRefname(ref)
			}
			ref.append(sub)
			inlines = []*rstNode{ref}
		}
	}
	return before, inlines, rest, msgs
}

// interpretedEndAt matches the end pattern of interpreted text and phrase
// references at q: ` not preceded by unescaped whitespace or NUL, then an
// optional :role: suffix, then an optional _ or __, then an end suffix.
// It returns the length matched (0: no match), the role and the refend.
func interpretedEndAt(s []rune, q int, lookbehind bool, d *rstDoc) (int, string, string) {
	if q >= len(s) || s[q] != '`' {
		return 0, "", ""
	}
	if lookbehind && q > 0 && (pyIsSpace(s[q-1]) || s[q-1] == 0) && !(q > 1 && s[q-2] == 0) {
		return 0, "", ""
	}
	p := q + 1
	type roleEnd struct {
		end  int
		role string
	}
	var roles []roleEnd
	if p < len(s) && s[p] == ':' {
		for _, e := range simplenameEnds(s, p+1, d) {
			if e < len(s) && s[e] == ':' {
				roles = append(roles, roleEnd{e + 1, string(s[p : e+1])})
			}
		}
	}
	roles = append(roles, roleEnd{p, ""})
	for _, r := range roles {
		for _, re := range []string{"__", "_", ""} {
			if r.end+len(re) <= len(s) && string(s[r.end:r.end+len(re)]) == re && endSuffixOK(s, r.end+len(re)) {
				return r.end + len(re) - q, r.role, re
			}
		}
	}
	return 0, "", ""
}

// searchInterpretedEnd is end_pattern.search(tail) for interpreted text.
func (in *inliner) searchInterpretedEnd(tail []rune) (start, end int, role, refend string) {
	e := in.endIndex("`interpreted", func(s []rune, q int, lookbehind bool) int {
		n, _, _ := interpretedEndAt(s, q, lookbehind, in.doc)
		return n
	})
	es, ee := e.search(in.full, tail)
	if es < 0 {
		return -1, -1, "", ""
	}
	from := len(in.full) - len(tail)
	_, role, refend = interpretedEndAt(in.full, from+es, es > 0, in.doc)
	return es, ee, role, refend
}

func (in *inliner) interpretedOrPhraseRef(s []rune, m *initialMatch, lineno int) ([]rune, []*rstNode, []rune, []*rstNode) {
	role := ""
	position := ""
	if m.role != "" {
		role = m.role[1 : len(m.role)-1]
		position = "prefix"
	} else if quotedStart(s, m.start, m.end) {
		return s[:m.bqEnd], nil, s[m.bqEnd:], nil
	}
	tail := s[m.bqEnd:]
	es, ee, suffixRole, _ := in.searchInterpretedEnd(tail)
	if es > 0 {
		textend := m.bqEnd + ee
		if suffixRole != "" {
			if role != "" {
				msg := in.doc.warning("Multiple roles in interpreted text (both prefix and suffix present; only one allowed).", lineno)
				raw := unescape(string(s[m.roleStart:textend]), true)
				return s[:m.roleStart], []*rstNode{in.problematic(raw)}, s[textend:], []*rstNode{msg}
			}
			role = suffixRole[1 : len(suffixRole)-1]
			position = "suffix"
		}
		escaped := string(tail[:es])
		rawsource := unescape(string(s[m.bqStart:textend]), true)
		if strings.HasSuffix(rawsource, "_") {
			if role != "" {
				msg := in.doc.warning(fmt.Sprintf("Mismatch: both interpreted text role %s and reference suffix.", position), lineno)
				raw := unescape(string(s[m.roleStart:textend]), true)
				return s[:m.roleStart], []*rstNode{in.problematic(raw)}, s[textend:], []*rstNode{msg}
			}
			nodes := in.phraseRef(rawsource, escaped)
			return s[:m.bqStart], nodes, s[textend:], nil
		}
		rawsource = unescape(string(s[m.roleStart:textend]), true)
		nodes, msgs := in.interpreted(rawsource, escaped, role, lineno)
		return s[:m.roleStart], nodes, s[textend:], msgs
	}
	msg := in.doc.warning("Inline interpreted text or phrase reference start-string without end-string.", lineno)
	raw := unescape(string(s[m.bqStart:m.bqEnd]), true)
	return s[:m.bqStart], []*rstNode{in.problematic(raw)}, s[m.bqEnd:], []*rstNode{msg}
}

// embeddedLink is the embedded_link pattern on the text of a phrase
// reference: "text <target>" at the end. It returns the index where the
// whitespace before "<" starts and the target, or -1.
func embeddedLink(s []rune) (start int, alias string) {
	if len(s) < 3 || s[len(s)-1] != '>' {
		return -1, ""
	}
	// (?<![\s\x00])> : the character before the closing bracket.
	if c := s[len(s)-2]; pyIsSpace(c) || c == 0 {
		return -1, ""
	}
	// Walk back over ([^<>]|\x00[<>])+ to the opening bracket.
	i := len(s) - 2
	for i >= 0 {
		c := s[i]
		if c == '<' || c == '>' {
			if i > 0 && s[i-1] == 0 {
				i -= 2
				continue
			}
			break
		}
		i--
	}
	if i < 0 || s[i] != '<' || i+1 > len(s)-2 {
		return -1, ""
	}
	if pyIsSpace(s[i+1]) { // <(?!\s)
		return -1, ""
	}
	j := i
	for j > 0 && (s[j-1] == ' ' || s[j-1] == '\n') {
		j--
	}
	if j == i && i != 0 {
		return -1, ""
	}
	return j, string(s[i+1 : len(s)-1])
}

var uriStartRE = regexp.MustCompile(`^(?:[a-zA-Z][a-zA-Z0-9.+-]*:|[-_!~*'{|}/#?^` + "`" + `&=+$%a-zA-Z0-9\x00]+(?:\.[-_!~*'{|}/#?^` + "`" + `&=+$%a-zA-Z0-9\x00]+)*@)`)

// phraseRef is Inliner.phrase_ref.
func (in *inliner) phraseRef(rawsource, escaped string) []*rstNode {
	es := []rune(escaped)
	var target *rstNode
	aliastype := ""
	alias := ""
	text := escaped
	if start, aliastext := embeddedLink(es); start >= 0 {
		text = string(es[:start])
		rawAlias := unescape(aliastext, true)
		underscoreEscaped := strings.HasSuffix(rawAlias, `\_`)
		if strings.HasSuffix(aliastext, "_") && !(underscoreEscaped || uriStartRE.MatchString(aliastext)) {
			aliastype = "name"
			alias = fullyNormalizeName(unescape(aliastext[:len(aliastext)-1], false))
			target = newNode("target")
			target.set("refname", alias)
		} else {
			aliastype = "uri"
			var parts []string
			for _, p := range splitEscapedWhitespace(aliastext) {
				parts = append(parts, strings.Join(pyFields(unescape(p, false)), ""))
			}
			alias = strings.Join(parts, " ")
			target = newNode("target")
			target.set("refuri", alias)
			target.referenced = true
		}
		if text == "" {
			text = alias
		}
	}
	unescaped := unescape(text, false)
	refname := fullyNormalizeName(unescaped)
	ref := newNode("reference")
	ref.text = rawsource
	ref.append(textNode(text))
	out := []*rstNode{ref}
	if strings.HasSuffix(rawsource, "__") {
		switch {
		case target != nil && aliastype == "name":
			ref.set("refname", alias)
			in.doc.noteRefname(ref)
		case target != nil:
			ref.set("refuri", alias)
		default:
			ref.set("anonymous", "1")
		}
		return out
	}
	if target != nil {
		target.names = append(target.names, refname)
		if aliastype == "name" {
			ref.set("refname", alias)
			in.doc.noteIndirectTarget(target)
			in.doc.noteRefname(ref)
		} else {
			ref.set("refuri", alias)
		}
		in.doc.noteImplicitTarget(target, in.parent)
		return append(out, target)
	}
	ref.set("refname", refname)
	in.doc.noteRefname(ref)
	return out
}

// splitEscapedWhitespace is docutils.utils.split_escaped_whitespace.
func splitEscapedWhitespace(text string) []string {
	var out []string
	for _, part := range strings.Split(text, "\x00 ") {
		out = append(out, strings.Split(part, "\x00\n")...)
	}
	return out
}

func (in *inliner) footnoteReference(s []rune, m *initialMatch) ([]rune, []*rstNode, []rune, []*rstNode) {
	label := m.label
	refname := fullyNormalizeName(label)
	var ref *rstNode
	if m.citation != "" {
		ref = newNode("citation_reference")
		ref.set("refname", refname)
		ref.append(textNode(label))
		in.doc.setID(ref)
		in.doc.citationRefs[refname] = append(in.doc.citationRefs[refname], ref)
		in.doc.noteRefname(ref)
	} else {
		ref = newNode("footnote_reference")
		switch {
		case strings.HasPrefix(refname, "#"):
			refname = refname[1:]
			ref.set("auto", "1")
			in.doc.setID(ref)
			in.doc.autofootnoteRefs = append(in.doc.autofootnoteRefs, ref)
		case refname == "*":
			refname = ""
			ref.set("auto", "*")
			in.doc.setID(ref)
			in.doc.symbolFootnoteRefs = append(in.doc.symbolFootnoteRefs, ref)
		default:
			ref.append(textNode(label))
		}
		if refname != "" {
			ref.set("refname", refname)
			in.doc.setID(ref)
			in.doc.footnoteRefs[refname] = append(in.doc.footnoteRefs[refname], ref)
			in.doc.noteRefname(ref)
		}
	}
	ref.text = "[" + label + "]_"
	return s[:m.wholeStart], []*rstNode{ref}, s[m.wholeEnd:], nil
}

func (in *inliner) reference(s []rune, m *initialMatch) ([]rune, []*rstNode, []rune, []*rstNode) {
	ref := newNode("reference")
	ref.text = m.refname + m.refend
	ref.append(textNode(m.refname))
	if m.refend == "__" {
		ref.set("anonymous", "1")
	} else {
		ref.set("refname", fullyNormalizeName(m.refname))
		in.doc.noteRefname(ref)
	}
	return s[:m.wholeStart], []*rstNode{ref}, s[m.wholeEnd:], nil
}

// --- interpreted text roles

// rstRole is a role function: a standard role (canonical name) or a custom
// one made by the role directive on top of a base role.
type rstRole struct {
	canonical string
	options   map[string]string
}

// rstRoleNames maps the English role names and aliases to the canonical
// ones (docutils.parsers.rst.languages.en.roles).
var rstRoleNames = map[string]string{
	"abbreviation": "abbreviation", "ab": "abbreviation", "acronym": "acronym", "ac": "acronym",
	"code": "code", "emphasis": "emphasis", "literal": "literal", "math": "math",
	"pep-reference": "pep-reference", "pep": "pep-reference", "rfc-reference": "rfc-reference", "rfc": "rfc-reference",
	"strong": "strong", "subscript": "subscript", "sub": "subscript", "superscript": "superscript", "sup": "superscript",
	"title-reference": "title-reference", "title": "title-reference", "t": "title-reference", "raw": "raw",
	"index": "index", "i": "index", "anonymous-reference": "anonymous-reference", "citation-reference": "citation-reference",
	"footnote-reference": "footnote-reference", "named-reference": "named-reference",
	"substitution-reference": "substitution-reference", "uri-reference": "uri-reference", "uri": "uri-reference",
	"url": "uri-reference", "target": "target",
}

// rstRoleRegistry are the canonical roles docutils implements; the
// "unimplemented" ones report an error when used.
var rstRoleRegistry = set("abbreviation", "acronym", "emphasis", "literal", "strong", "subscript", "superscript",
	"title-reference", "pep-reference", "rfc-reference", "raw", "code", "math", "index", "named-reference",
	"anonymous-reference", "uri-reference", "footnote-reference", "citation-reference", "substitution-reference",
	"target", "restructuredtext-unimplemented-role")

// lookupRole is roles.role: the role for a name ("" for the default role).
func (d *rstDoc) lookupRole(name string) (rstRole, bool) {
	norm := strings.ToLower(name)
	if r, ok := d.roles[norm]; ok {
		return r, true
	}
	canonical := "title-reference"
	if name != "" {
		c, ok := rstRoleNames[norm]
		if !ok {
			c = norm
		}
		canonical = c
	}
	if rstRoleRegistry[canonical] {
		r := rstRole{canonical: canonical}
		d.roles[norm] = r
		return r, true
	}
	return rstRole{}, false
}

func (in *inliner) interpreted(rawsource, text, role string, lineno int) ([]*rstNode, []*rstNode) {
	r, ok := in.doc.lookupRole(role)
	if !ok {
		msg := in.doc.error(fmt.Sprintf("Unknown interpreted text role \"%s\".", role), lineno)
		return []*rstNode{in.problematic(rawsource)}, []*rstNode{msg}
	}
	return in.applyRole(r, role, rawsource, text, lineno)
}

// applyRole runs a role function; only the failures matter here.
func (in *inliner) applyRole(r rstRole, name, rawsource, text string, lineno int) ([]*rstNode, []*rstNode) {
	fail := func(msg *rstNode) ([]*rstNode, []*rstNode) {
		return []*rstNode{in.problematic(rawsource)}, []*rstNode{msg}
	}
	switch r.canonical {
	case "pep-reference":
		if n, ok := pyInt(unescape(text, false)); !ok || n < 0 || n > 9999 {
			return fail(in.doc.error(fmt.Sprintf("PEP number must be a number from 0 to 9999; \"%s\" is invalid.", text), lineno))
		}
		ref := newNode("reference")
		ref.set("refuri", "pep")
		ref.append(textNode("PEP " + text))
		return []*rstNode{ref}, nil
	case "rfc-reference":
		num := unescape(text, false)
		if i := strings.Index(num, "#"); i >= 0 {
			num = num[:i]
		}
		if n, ok := pyInt(num); !ok || n < 1 {
			return fail(in.doc.error(fmt.Sprintf("RFC number must be a number greater than or equal to 1; \"%s\" is invalid.", text), lineno))
		}
		ref := newNode("reference")
		ref.set("refuri", "rfc")
		ref.append(textNode("RFC " + num))
		return []*rstNode{ref}, nil
	case "raw":
		// readme_renderer disables raw, so the role and the roles derived
		// from it always fail.
		return fail(in.doc.warning("raw (and derived) roles disabled", 0))
	case "index", "named-reference", "anonymous-reference", "uri-reference", "footnote-reference",
		"citation-reference", "substitution-reference", "target", "restructuredtext-unimplemented-role":
		return fail(in.doc.error(fmt.Sprintf("Interpreted text role \"%s\" not implemented.", name), lineno))
	}
	n := newNode(strings.ReplaceAll(r.canonical, "-", "_"))
	n.text = rawsource
	n.append(textNode(unescape(text, false)))
	return []*rstNode{n}, nil
}

// pyInt is int() of a str: optional whitespace and sign, digits (with
// single underscores between them).
func pyInt(s string) (int, bool) {
	s = pyStrip(s)
	if s == "" {
		return 0, false
	}
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	var digits strings.Builder
	for _, r := range s {
		switch {
		case r == '_':
		case unicode.Is(unicode.Nd, r):
			digits.WriteRune(rune('0' + unicodeDigit(r)))
		default:
			return 0, false
		}
	}
	n, err := strconv.Atoi(digits.String())
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// unicodeDigit is the value of a decimal digit character: Unicode lays
// decimal digits out in runs of ten, from zero.
func unicodeDigit(r rune) int {
	start := r
	for unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return int(r-start) % 10
}
