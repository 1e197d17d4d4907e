package dist

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The states of the reStructuredText parser (docutils.parsers.rst.states):
// Body and its specialized variants for lists and explicit markup, Text,
// Definition, Line, SubstitutionDef, QuotedLiteralBlock. Each transition
// mirrors the docutils method of the same name, including the system
// messages it reports and their line numbers.

// lineMatch is the match of a transition pattern on a line.
type lineMatch struct {
	line   string
	end    int // code points
	groups map[string]string
}

type rstState struct {
	class string
	sm    *stateMachine

	blankFinish bool

	// EnumeratedList
	lastOrdinal int
	format      string
	auto        bool

	// QuotedLiteralBlock
	quoteActive    bool
	quote          rune
	qMessages      []*rstNode
	initialLineno  int
	initialRemoved bool
}

func newRSTState(class string, sm *stateMachine) *rstState { return &rstState{class: class, sm: sm} }

func (s *rstState) doc() *rstDoc         { return s.sm.memo.doc }
func (s *rstState) parent() *rstNode     { return s.sm.node }
func (s *rstState) setParent(n *rstNode) { s.sm.node = n }

var bodyTransitions = []string{"blank", "indent", "bullet", "enumerator", "field_marker", "option_marker", "doctest",
	"line_block", "grid_table_top", "simple_table_top", "explicit_markup", "anonymous", "line", "text"}

func (s *rstState) transitionOrder() []string {
	switch s.class {
	case "Text", "Definition", "Line":
		return []string{"blank", "indent", "underline", "text"}
	case "SubstitutionDef":
		return []string{"blank", "indent", "embedded_directive", "text"}
	case "QuotedLiteralBlock":
		var t []string
		if s.quoteActive {
			t = append(t, "quoted")
		}
		t = append(t, "blank", "indent")
		if !s.initialRemoved {
			t = append(t, "initial_quoted")
		}
		return append(t, "text")
	}
	return bodyTransitions
}

// Patterns of the Body transitions that Go's regexp can express as
// docutils writes them.
var (
	enumPat        = `(?:[0-9]+|[a-z]|[A-Z]|[ivxlcdm]+|[IVXLCDM]+|#)`
	enumeratorRE   = regexp.MustCompile(`^(?:(?P<parens>\(` + enumPat + `\))|(?P<rparen>` + enumPat + `\))|(?P<period>` + enumPat + `\.))(?: +|$)`)
	optargPat      = `(?:[a-zA-Z][a-zA-Z0-9_-]*|<[^<>]+>)`
	optionPat      = `(?:(?:-|\+)[a-zA-Z0-9](?: ?` + optargPat + `)?|(?:--|/)[a-zA-Z0-9][a-zA-Z0-9_-]*(?:[ =]` + optargPat + `)?)`
	optionRE       = regexp.MustCompile(`^` + optionPat + `(?:, ` + optionPat + `)*(?:  +| ?$)`)
	gridTopRE      = regexp.MustCompile(`^\+-[-+]+-\+ *$`)
	simpleTopRE    = regexp.MustCompile(`^=+(?: +=+)+ *$`)
	simpleBorderRE = regexp.MustCompile(`^=+[ =]*$`)
	simplenamePat  = `(?:[\pL\pN]+(?:[-._+:][\pL\pN]+)*)`
)

// prefixMatch matches a marker at the start of the line followed by
// spaces or the end of the line ("X( +|$)").
func prefixMatch(line, marker string) *lineMatch {
	if !strings.HasPrefix(line, marker) {
		return nil
	}
	rest := line[len(marker):]
	if rest != "" && rest[0] != ' ' {
		return nil
	}
	spaces := len(rest) - len(strings.TrimLeft(rest, " "))
	return &lineMatch{line: line, end: runeLen(marker) + spaces}
}

// isLineMarker is the 'line' pattern: one punctuation character repeated
// (the line is already right-stripped).
func isLineMarker(line string) bool {
	if line == "" || !isNonAlnum7bit(line[0]) {
		return false
	}
	t := strings.TrimRight(line, " ")
	for i := 1; i < len(t); i++ {
		if t[i] != line[0] {
			return false
		}
	}
	return true
}

func isNonAlnum7bit(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

// fieldMarkerEnd matches the field_marker pattern
// :(?![: ])([^:\\]|\\.|:(?!([ `]|$)))*(?<! ):( +|$) and returns the code
// point index after it, or -1.
func fieldMarkerEnd(line string) int {
	r := []rune(line)
	if len(r) < 2 || r[0] != ':' || r[1] == ':' || r[1] == ' ' {
		return -1
	}
	i := 1
	for i < len(r) {
		c := r[i]
		if c == '\\' {
			if i+1 >= len(r) {
				return -1
			}
			i += 2
			continue
		}
		if c == ':' {
			if i+1 == len(r) || r[i+1] == ' ' || r[i+1] == '`' {
				break
			}
		}
		i++
	}
	if i >= len(r) || r[i] != ':' || r[i-1] == ' ' || i == 1 {
		return -1
	}
	if i+1 < len(r) && r[i+1] != ' ' {
		return -1
	}
	j := i + 1
	for j < len(r) && r[j] == ' ' {
		j++
	}
	return j
}

func (s *rstState) matchTransition(name, line string) *lineMatch {
	switch name {
	case "blank":
		if strings.TrimLeft(line, " ") == "" {
			return &lineMatch{line: line}
		}
	case "indent":
		if strings.HasPrefix(line, " ") {
			return &lineMatch{line: line, end: len(line) - len(strings.TrimLeft(line, " "))}
		}
	case "bullet":
		r, size := utf8.DecodeRuneInString(line)
		switch r {
		case '-', '+', '*', '\u2022', '\u2023', '\u2043':
			return prefixMatch(line, line[:size])
		}
	case "enumerator":
		m := enumeratorRE.FindStringSubmatchIndex(line)
		if m == nil {
			return nil
		}
		lm := &lineMatch{line: line, end: runeLen(line[:m[1]]), groups: map[string]string{}}
		for i, n := range enumeratorRE.SubexpNames() {
			if n != "" && m[2*i] >= 0 {
				lm.groups[n] = line[m[2*i]:m[2*i+1]]
			}
		}
		return lm
	case "field_marker":
		if e := fieldMarkerEnd(line); e >= 0 {
			return &lineMatch{line: line, end: e}
		}
	case "option_marker":
		if m := optionRE.FindStringIndex(line); m != nil {
			return &lineMatch{line: line, end: runeLen(line[:m[1]])}
		}
	case "doctest":
		return prefixMatch(line, ">>>")
	case "line_block":
		return prefixMatch(line, "|")
	case "grid_table_top":
		if gridTopRE.MatchString(line) {
			return &lineMatch{line: line, end: runeLen(line)}
		}
	case "simple_table_top":
		if simpleTopRE.MatchString(line) {
			return &lineMatch{line: line, end: runeLen(line)}
		}
	case "explicit_markup":
		return prefixMatch(line, "..")
	case "anonymous":
		return prefixMatch(line, "__")
	case "line", "underline":
		if isLineMarker(line) {
			return &lineMatch{line: line, end: runeLen(line)}
		}
	case "text":
		return &lineMatch{line: line}
	case "embedded_directive":
		if m := embeddedDirectiveRE.FindStringSubmatchIndex(line); m != nil {
			return &lineMatch{line: line, end: runeLen(line[:m[1]]), groups: map[string]string{"1": line[m[2]:m[3]]}}
		}
	case "initial_quoted":
		if line != "" && isNonAlnum7bit(line[0]) {
			return &lineMatch{line: line, end: 1}
		}
	case "quoted":
		if r, _ := utf8.DecodeRuneInString(line); line != "" && r == s.quote {
			return &lineMatch{line: line, end: 1}
		}
	}
	return nil
}

var embeddedDirectiveRE = regexp.MustCompile(`^(` + simplenamePat + `)::(?: +|$)`)

// specialized lists the transitions a specialized state handles itself;
// every other one ends it (invalid_input).
var specialized = map[string]map[string]bool{
	"BulletList":       {"blank": true, "bullet": true},
	"DefinitionList":   {"blank": true, "text": true},
	"EnumeratedList":   {"blank": true, "enumerator": true},
	"FieldList":        {"blank": true, "field_marker": true},
	"ExtensionOptions": {"blank": true, "field_marker": true},
	"OptionList":       {"blank": true, "option_marker": true},
	"LineBlock":        {"line_block": true},
	"Explicit":         {"explicit_markup": true, "anonymous": true},
	"MetaBody":         {"blank": true, "field_marker": true},
}

// call runs a transition method.
func (s *rstState) call(name string, m *lineMatch, ctx []string) ([]string, string, error) {
	next := s.class
	switch s.class {
	case "Text", "Definition", "Line":
		return s.textCall(name, m, ctx)
	case "QuotedLiteralBlock":
		return s.quotedCall(name, m, ctx)
	case "SubstitutionDef":
		switch name {
		case "embedded_directive":
			nodes, blankFinish := s.directive(m, s.parent().names)
			s.parent().append(nodes...)
			if !s.sm.atEOF() {
				s.blankFinish = blankFinish
			}
			return nil, "", errEOF
		case "text":
			if !s.sm.atEOF() {
				s.blankFinish = s.sm.isNextLineBlank()
			}
			return nil, "", errEOF
		}
	}
	if allowed, ok := specialized[s.class]; ok && !allowed[name] {
		// invalid_input: not a member of this compound element.
		s.sm.previousLine(1)
		return nil, "", errEOF
	}
	switch name {
	case "blank":
		return ctx, next, nil
	case "indent":
		block, _, offset, blankFinish := s.sm.getIndented(false, true)
		s.parent().append(s.blockQuote(block, offset)...)
		if !blankFinish {
			s.parent().append(s.unindentWarning("Block quote"))
		}
		return ctx, next, nil
	case "bullet":
		return s.bullet(m)
	case "enumerator":
		return s.enumerator(m)
	case "field_marker":
		return s.fieldMarker(m)
	case "option_marker":
		return s.optionMarker(m)
	case "doctest":
		block, _ := s.sm.getTextBlock(false)
		dt := newNode("doctest_block")
		dt.text = strings.Join(lineTexts(block), "\n")
		s.parent().append(dt)
		return nil, next, nil
	case "line_block":
		return s.lineBlock(m)
	case "grid_table_top", "simple_table_top":
		nodes, blankFinish := s.table(name == "grid_table_top")
		s.parent().append(nodes...)
		if !blankFinish {
			s.parent().append(s.doc().warning("Blank line required after table.", s.sm.absLineNumber()+1))
		}
		return nil, next, nil
	case "explicit_markup":
		nodes, blankFinish := s.explicitConstruct(m)
		s.parent().append(nodes...)
		if s.class == "Explicit" {
			s.blankFinish = blankFinish
		} else {
			s.explicitList(blankFinish)
		}
		return nil, next, nil
	case "anonymous":
		nodes, blankFinish := s.anonymousTarget(m)
		s.parent().append(nodes...)
		if s.class == "Explicit" {
			s.blankFinish = blankFinish
		} else {
			s.explicitList(blankFinish)
		}
		return nil, next, nil
	case "line":
		switch {
		case s.sm.matchTitles:
			return []string{m.line}, "Line", nil
		case pyStrip(m.line) == "::":
			return nil, "", &transitionCorrection{"text"}
		case runeLen(pyStrip(m.line)) < 4:
			s.parent().append(s.doc().info("Unexpected possible title overline or transition.\nTreating it as ordinary text because it's so short.", s.sm.absLineNumber()))
			return nil, "", &transitionCorrection{"text"}
		}
		s.parent().append(s.doc().error("Unexpected section title or transition.", s.sm.absLineNumber()))
		return nil, next, nil
	case "text":
		if s.class == "DefinitionList" {
			return []string{m.line}, "Definition", nil
		}
		return []string{m.line}, "Text", nil
	}
	return ctx, next, nil
}

// eof is State.eof; it returns a *stateCorrection when the state asks to
// reparse (Line.eof with a short overline).
func (s *rstState) eof(ctx []string) error {
	switch s.class {
	case "Text":
		if len(ctx) > 0 {
			_, _, _ = s.textBlank(ctx)
		}
	case "Definition":
		s.sm.previousLine(2)
	case "Line":
		if runeLen(pyStrip(ctx[0])) < 4 {
			_, _, err := s.stateCorrection(ctx, 1)
			return err
		}
		t := newNode("transition")
		t.line = s.sm.sourceLine(0) - 1
		s.parent().append(t)
	case "QuotedLiteralBlock":
		if len(ctx) > 0 {
			lb := newNode("literal_block")
			lb.line = s.sm.sourceLine(s.initialLineno)
			s.parent().append(lb)
		} else {
			s.parent().append(s.doc().warning("Literal block expected; none found.", s.sm.absLineNumber()))
			s.sm.previousLine(1)
		}
		s.parent().append(s.qMessages...)
	}
	return nil
}

func (s *rstState) unindentWarning(what string) *rstNode {
	return s.doc().warning(what+" ends without a blank line; unexpected unindent.", s.sm.absLineNumber()+1)
}

// --- nested parsing

// nestedParse is RSTState.nested_parse with the standard states.
func (s *rstState) nestedParse(block []rstLine, inputOffset int, node *rstNode, matchTitles bool) int {
	return s.nestedParseWith(block, inputOffset, node, matchTitles, rstStateClasses, "Body")
}

func (s *rstState) nestedParseWith(block []rstLine, inputOffset int, node *rstNode, matchTitles bool, classes []string, initial string) int {
	if node == nil {
		node = s.sm.node
	}
	sm := newStateMachine(classes, s.sm.memo, s.sm)
	if node == s.sm.node && node.kind != "document" && node.kind != "section" {
		matchTitles = false
	}
	if matchTitles {
		lStart := min(s.parent().sectionHierarchy(), len(s.sm.memo.titleStyles))
		sm.sectionLevelOffset = lStart - node.sectionHierarchy()
	}
	sm.run(block, inputOffset, node, matchTitles, initial)
	if matchTitles && node == s.sm.node {
		for p := s.sm; p != nil; p = p.parent {
			p.node = sm.node
		}
	}
	return sm.absLineOffset()
}

// nestedListParse is RSTState.nested_list_parse.
func (s *rstState) nestedListParse(block []rstLine, inputOffset int, node *rstNode, initial string, blankFinish bool, blankFinishState string, extra func(*rstState)) (int, bool) {
	classes := rstStateClasses
	if initial == "MetaBody" {
		classes = []string{"MetaBody"}
	}
	sm := newStateMachine(classes, s.sm.memo, s.sm)
	if blankFinishState == "" {
		blankFinishState = initial
	}
	sm.states[blankFinishState].blankFinish = blankFinish
	if extra != nil {
		extra(sm.states[initial])
	}
	sm.run(block, inputOffset, node, false, initial)
	return sm.absLineOffset(), sm.states[blankFinishState].blankFinish
}

// rest returns the input lines after the current one, with the absolute
// offset of the first.
func (s *rstState) rest() ([]rstLine, int) {
	off := s.sm.lineOffset + 1
	if off > len(s.sm.lines) {
		off = len(s.sm.lines)
	}
	// Shared, not copied: no state machine changes its input lines.
	return s.sm.lines[off:len(s.sm.lines):len(s.sm.lines)], s.sm.absLineOffset() + 1
}

// --- sections

func (s *rstState) section(title, style string, lineno int, messages []*rstNode) {
	if s.checkSubsection(style, lineno) {
		s.newSubsection(title, lineno, messages)
	}
}

func (s *rstState) sectionList() []*rstNode {
	var out []*rstNode
	for c := s.parent(); c != nil; c = c.parent {
		if c.kind == "section" {
			out = append([]*rstNode{c}, out...)
		}
	}
	return out
}

func (s *rstState) checkSubsection(style string, lineno int) bool {
	memo := s.sm.memo
	parents := s.sectionList()
	oldlevel := len(parents) + s.sm.sectionLevelOffset
	newlevel := len(memo.titleStyles) + 1
	for i, st := range memo.titleStyles {
		if st == style {
			newlevel = i + 1
			break
		}
	}
	if newlevel > oldlevel+1 {
		s.parent().append(s.doc().error(fmt.Sprintf("Inconsistent title style: skip from level %d to %d.", oldlevel, newlevel), lineno))
		return false
	}
	if newlevel <= oldlevel {
		i := len(parents) + (newlevel - oldlevel - 1)
		if i < 0 || i >= len(parents) {
			s.parent().append(s.doc().error(fmt.Sprintf("A level %d section cannot be used here.", newlevel), lineno))
			return false
		}
		s.setParent(parents[i].parent)
	}
	if newlevel > len(memo.titleStyles) {
		memo.titleStyles = append(memo.titleStyles, style)
	}
	return true
}

func (s *rstState) newSubsection(title string, lineno int, messages []*rstNode) {
	sec := newNode("section")
	s.parent().append(sec)
	textnodes, titleMessages := s.inlineText(title, lineno)
	t := newNode("title")
	t.append(textnodes...)
	sec.names = append(sec.names, fullyNormalizeName(t.astext()))
	sec.append(t)
	sec.append(messages...)
	sec.append(titleMessages...)
	s.doc().noteImplicitTarget(sec, sec)
	s.setParent(sec)
}

// --- paragraphs and inline text

var literalNextRE = regexp.MustCompile(`(?:^|[^\\])(?:\\\\)*::$`)

func (s *rstState) paragraph(lines []string, lineno int) ([]*rstNode, bool) {
	data := pyRStrip(strings.Join(lines, "\n"))
	text := data
	literalNext := false
	if literalNextRE.MatchString(data) {
		switch r := []rune(data); {
		case len(r) == 2:
			return nil, true
		case r[len(r)-3] == ' ' || r[len(r)-3] == '\n':
			text = pyRStrip(string(r[:len(r)-3]))
		default:
			text = string(r[:len(r)-1])
		}
		literalNext = true
	}
	textnodes, messages := s.inlineText(text, lineno)
	p := newNode("paragraph")
	p.append(textnodes...)
	p.line = s.sm.sourceLine(lineno)
	return append([]*rstNode{p}, messages...), literalNext
}

func (s *rstState) inlineText(text string, lineno int) ([]*rstNode, []*rstNode) {
	return s.sm.memo.inliner.parse(text, lineno, s)
}

// --- block quotes

// attributionMatch is '(---?(?!-)|\u2014) *(?=[^ \n])': the code point
// index after the dash and spaces, or -1.
func attributionMatch(line string) int {
	var dash string
	switch {
	case strings.HasPrefix(line, "---") && !strings.HasPrefix(line, "----"):
		dash = "---"
	case strings.HasPrefix(line, "--") && !strings.HasPrefix(line, "---"):
		dash = "--"
	case strings.HasPrefix(line, "\u2014"):
		dash = "\u2014"
	default:
		return -1
	}
	rest := line[len(dash):]
	trimmed := strings.TrimLeft(rest, " ")
	if trimmed == "" || trimmed[0] == '\n' {
		return -1
	}
	return runeLen(dash) + len(rest) - len(trimmed)
}

func (s *rstState) blockQuote(indented []rstLine, lineOffset int) []*rstNode {
	var elements []*rstNode
	for len(indented) > 0 {
		bq := newNode("block_quote")
		bq.line = s.sm.sourceLine(lineOffset + 1)
		quoteLines, attrLines, attrOffset, rest, newOffset, split := s.splitAttribution(indented, lineOffset)
		s.nestedParse(quoteLines, lineOffset, bq, false)
		elements = append(elements, bq)
		if !split {
			break
		}
		if len(attrLines) > 0 {
			text := pyRStrip(strings.Join(lineTexts(attrLines), "\n"))
			textnodes, messages := s.inlineText(text, lineOffset+attrOffset+1)
			a := newNode("attribution")
			a.append(textnodes...)
			bq.append(a)
			elements = append(elements, messages...)
		}
		indented, lineOffset = rest, newOffset
		for len(indented) > 0 && indented[0].text == "" {
			indented = indented[1:]
			lineOffset++
		}
	}
	return elements
}

// splitAttribution is Body.split_attribution; split is false when the
// block has no attribution.
func (s *rstState) splitAttribution(indented []rstLine, lineOffset int) (quote, attr []rstLine, attrOffset int, rest []rstLine, newOffset int, split bool) {
	blank := -2
	nonblankSeen := false
	for i := range indented {
		line := pyRStrip(indented[i].text)
		if line == "" {
			blank = i
			continue
		}
		if nonblankSeen && blank == i-1 {
			if end := attributionMatch(line); end >= 0 {
				attrEnd, indent, ok := checkAttribution(indented, i)
				if ok {
					a := cloneLines(indented[i:attrEnd])
					a[0].text = runeFrom(a[0].text, end)
					for k := 1; k < len(a); k++ {
						a[k].text = runeFrom(a[k].text, indent)
					}
					return indented[:i], a, i, indented[attrEnd:], lineOffset + attrEnd, true
				}
			}
		}
		nonblankSeen = true
	}
	return indented, nil, 0, nil, 0, false
}

func checkAttribution(indented []rstLine, start int) (end, indent int, ok bool) {
	indent = -1
	i := start + 1
	for ; i < len(indented); i++ {
		line := pyRStrip(indented[i].text)
		if line == "" {
			break
		}
		li := leadingSpace(line)
		if indent < 0 {
			indent = li
		} else if li != indent {
			return 0, 0, false
		}
	}
	if indent < 0 {
		indent = 0
	}
	return i, indent, true
}

// --- lists

func (s *rstState) bullet(m *lineMatch) ([]string, string, error) {
	if s.class == "BulletList" {
		return s.bulletItem(m)
	}
	ul := newNode("bullet_list")
	ul.line = s.sm.sourceLine(0)
	ul.set("bullet", string([]rune(m.line)[0]))
	s.parent().append(ul)
	item, blankFinish := s.listItem(m.end)
	ul.append(item)
	block, off := s.rest()
	newOffset, blankFinish := s.nestedListParse(block, off, ul, "BulletList", blankFinish, "", nil)
	s.sm.gotoLine(newOffset)
	if !blankFinish {
		s.parent().append(s.unindentWarning("Bullet list"))
	}
	return nil, s.class, nil
}

func (s *rstState) bulletItem(m *lineMatch) ([]string, string, error) {
	if string([]rune(m.line)[0]) != s.parent().get("bullet") {
		s.sm.previousLine(1)
		return nil, "", errEOF
	}
	item, blankFinish := s.listItem(m.end)
	s.parent().append(item)
	s.blankFinish = blankFinish
	return nil, s.class, nil
}

func (s *rstState) listItem(indent int) (*rstNode, bool) {
	line := s.sm.sourceLine(0)
	var block []rstLine
	var offset int
	var blankFinish bool
	if runeFrom(s.sm.line, indent) != "" {
		block, offset, blankFinish = s.sm.getKnownIndented(indent, false, true)
	} else {
		block, _, offset, blankFinish = s.sm.getFirstKnownIndented(indent, false, true, true)
	}
	item := newNode("list_item")
	item.line = line
	if len(block) > 0 {
		s.nestedParse(block, offset, item, false)
	}
	return item, blankFinish
}

var enumSequences = []string{"arabic", "loweralpha", "upperalpha", "lowerroman", "upperroman"}

var enumSequenceRE = map[string]*regexp.Regexp{
	"arabic":     regexp.MustCompile(`^[0-9]+$`),
	"loweralpha": regexp.MustCompile(`^[a-z]$`),
	"upperalpha": regexp.MustCompile(`^[A-Z]$`),
	"lowerroman": regexp.MustCompile(`^[ivxlcdm]+$`),
	"upperroman": regexp.MustCompile(`^[IVXLCDM]+$`),
}

var enumFormats = map[string][2]string{"parens": {"(", ")"}, "rparen": {"", ")"}, "period": {"", "."}}

// parseEnumerator is Body.parse_enumerator; ordinal is -1 when invalid.
func parseEnumerator(m *lineMatch, expected string) (format, sequence, text string, ordinal int) {
	for _, f := range []string{"parens", "rparen", "period"} {
		if g, ok := m.groups[f]; ok {
			format = f
			text = g
			break
		}
	}
	if format == "parens" {
		text = text[1 : len(text)-1]
	} else {
		text = text[:len(text)-1]
	}
	switch {
	case text == "#":
		sequence = "#"
	case expected != "":
		if re, ok := enumSequenceRE[expected]; ok && re.MatchString(text) {
			sequence = expected
		}
	case text == "i":
		sequence = "lowerroman"
	case text == "I":
		sequence = "upperroman"
	}
	if sequence == "" {
		for _, seq := range enumSequences {
			if enumSequenceRE[seq].MatchString(text) {
				sequence = seq
				break
			}
		}
	}
	switch sequence {
	case "#":
		ordinal = 1
	case "arabic":
		n, err := strconv.Atoi(text)
		if err != nil {
			n = -1
		}
		ordinal = n
	case "loweralpha":
		ordinal = int(text[0]-'a') + 1
	case "upperalpha":
		ordinal = int(text[0]-'A') + 1
	default:
		ordinal = romanValue(text)
	}
	return format, sequence, text, ordinal
}

var romanRE = regexp.MustCompile(`^M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})$`)

// romanValue is RomanNumeral.from_string: -1 for an invalid numeral.
func romanValue(s string) int {
	up := strings.ToUpper(s)
	if s == "" || (s != up && s != strings.ToLower(s)) || !romanRE.MatchString(up) {
		return -1
	}
	values := map[byte]int{'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}
	total := 0
	for i := 0; i < len(up); i++ {
		v := values[up[i]]
		if i+1 < len(up) && values[up[i+1]] > v {
			total -= v
		} else {
			total += v
		}
	}
	if total < 1 || total > 4999 {
		return -1
	}
	return total
}

func romanString(n int) string {
	table := []struct {
		v int
		s string
	}{{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"}, {50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}}
	var b strings.Builder
	for _, t := range table {
		for n >= t.v {
			n -= t.v
			b.WriteString(t.s)
		}
	}
	return b.String()
}

// makeEnumerator returns the next item's enumerator and the auto one, or
// ok=false for an out-of-range ordinal.
func makeEnumerator(ordinal int, sequence, format string) (next, auto string, ok bool) {
	var e string
	switch {
	case sequence == "#":
		e = "#"
	case sequence == "arabic":
		e = strconv.Itoa(ordinal)
	case strings.HasSuffix(sequence, "alpha"):
		if ordinal > 26 {
			return "", "", false
		}
		e = string(rune('a' + ordinal - 1))
	case strings.HasSuffix(sequence, "roman"):
		if ordinal < 1 || ordinal > 4999 {
			return "", "", false
		}
		e = romanString(ordinal)
	}
	if strings.HasPrefix(sequence, "lower") {
		e = strings.ToLower(e)
	} else if strings.HasPrefix(sequence, "upper") {
		e = strings.ToUpper(e)
	}
	f := enumFormats[format]
	return f[0] + e + f[1] + " ", f[0] + "#" + f[1] + " ", true
}

func (s *rstState) isEnumeratedListItem(ordinal int, sequence, format string) bool {
	if ordinal < 0 {
		return false
	}
	if err := s.sm.nextLine(1); err != nil {
		s.sm.previousLine(1)
		return true
	}
	next := s.sm.line
	s.sm.previousLine(1)
	if next == "" || next[0] == ' ' || pyStrip(string([]rune(next)[:1])) == "" {
		return true
	}
	if n, a, ok := makeEnumerator(ordinal+1, sequence, format); ok {
		if strings.HasPrefix(next, n) || strings.HasPrefix(next, a) {
			return true
		}
	}
	return false
}

func (s *rstState) enumerator(m *lineMatch) ([]string, string, error) {
	if s.class == "EnumeratedList" {
		return s.enumeratedItem(m)
	}
	format, sequence, text, ordinal := parseEnumerator(m, "")
	if !s.isEnumeratedListItem(ordinal, sequence, format) {
		return nil, "", &transitionCorrection{"text"}
	}
	ol := newNode("enumerated_list")
	ol.line = s.sm.sourceLine(0)
	s.parent().append(ol)
	enumtype := sequence
	if sequence == "#" {
		enumtype = "arabic"
	}
	ol.set("enumtype", enumtype)
	if ordinal != 1 {
		s.parent().append(s.doc().report(1, fmt.Sprintf("Enumerated list start value not ordinal-1: \"%s\" (ordinal %d)", text, ordinal), 0, ol))
	}
	item, blankFinish := s.listItem(m.end)
	ol.append(item)
	block, off := s.rest()
	newOffset, blankFinish := s.nestedListParse(block, off, ol, "EnumeratedList", blankFinish, "", func(st *rstState) {
		st.lastOrdinal, st.format, st.auto = ordinal, format, sequence == "#"
	})
	s.sm.gotoLine(newOffset)
	if !blankFinish {
		s.parent().append(s.unindentWarning("Enumerated list"))
	}
	return nil, s.class, nil
}

func (s *rstState) enumeratedItem(m *lineMatch) ([]string, string, error) {
	format, sequence, _, ordinal := parseEnumerator(m, s.parent().get("enumtype"))
	if format != s.format || (sequence != "#" && (sequence != s.parent().get("enumtype") || s.auto || ordinal != s.lastOrdinal+1)) ||
		!s.isEnumeratedListItem(ordinal, sequence, format) {
		s.sm.previousLine(1)
		return nil, "", errEOF
	}
	if sequence == "#" {
		s.auto = true
	}
	item, blankFinish := s.listItem(m.end)
	s.parent().append(item)
	s.blankFinish = blankFinish
	s.lastOrdinal = ordinal
	return nil, s.class, nil
}

// --- field lists

func (s *rstState) fieldMarker(m *lineMatch) ([]string, string, error) {
	switch s.class {
	case "FieldList", "ExtensionOptions":
		f, blankFinish := s.field(m)
		s.parent().append(f)
		s.blankFinish = blankFinish
		return nil, s.class, nil
	case "MetaBody":
		s.parent().append(s.parseMeta(m)...)
		return nil, s.class, nil
	}
	fl := newNode("field_list")
	s.parent().append(fl)
	f, blankFinish := s.field(m)
	fl.append(f)
	block, off := s.rest()
	newOffset, blankFinish := s.nestedListParse(block, off, fl, "FieldList", blankFinish, "", nil)
	s.sm.gotoLine(newOffset)
	if !blankFinish {
		s.parent().append(s.unindentWarning("Field list"))
	}
	return nil, s.class, nil
}

func fieldName(line string, end int) string {
	f := runeTo(line, end)[1:]
	return f[:strings.LastIndex(f, ":")]
}

func (s *rstState) field(m *lineMatch) (*rstNode, bool) {
	name := fieldName(m.line, m.end)
	srcline := s.sm.sourceLine(0)
	lineno := s.sm.absLineNumber()
	block, _, offset, blankFinish := s.sm.getFirstKnownIndented(m.end, false, true, true)
	f := newNode("field")
	f.line = srcline
	fname := newNode("field_name")
	nameNodes, nameMessages := s.inlineText(name, lineno)
	fname.append(nameNodes...)
	f.append(fname)
	body := newNode("field_body")
	body.text = strings.Join(lineTexts(block), "\n")
	body.append(nameMessages...)
	f.append(body)
	if len(block) > 0 {
		if s.class == "ExtensionOptions" {
			var lines []string
			for _, l := range append(lineTexts(block), "") {
				if pyStrip(l) != "" {
					lines = append(lines, l)
				} else if len(lines) > 0 {
					p := newNode("paragraph")
					p.append(textNode(strings.Join(lines, "\n")))
					body.append(p)
					lines = nil
				}
			}
		} else {
			s.nestedParse(block, offset, body, false)
		}
	}
	return f, blankFinish
}

// --- option lists

// parseOptionMarker is Body.parse_option_marker; it fails (the
// MarkupError) when an option has other than one or two tokens.
func parseOptionMarker(marker string) (string, bool) {
	parts := splitOptions(pyRStrip(marker))
	for _, o := range parts {
		tokens := strings.Fields(o)
		if len(tokens) == 0 {
			return fmt.Sprintf("wrong number of option tokens (=0), should be 1 or 2: \"%s\"", o), false
		}
		if first := strings.SplitN(tokens[0], "=", 2); len(first) > 1 {
			tokens = append(first, tokens[1:]...)
		} else if len(tokens[0]) > 2 && (strings.HasPrefix(tokens[0], "-") && !strings.HasPrefix(tokens[0], "--") || strings.HasPrefix(tokens[0], "+")) {
			tokens = append([]string{tokens[0][:2], tokens[0][2:]}, tokens[1:]...)
		}
		if len(tokens) > 1 && strings.HasPrefix(tokens[1], "<") && strings.HasSuffix(tokens[len(tokens)-1], ">") {
			tokens = []string{tokens[0], strings.Join(tokens[1:], " ")}
		}
		if len(tokens) > 2 {
			return fmt.Sprintf("wrong number of option tokens (=%d), should be 1 or 2: \"%s\"", len(tokens), o), false
		}
	}
	return "", true
}

// splitOptions splits at ", " except inside < >.
func splitOptions(s string) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(s); i++ {
		if s[i] == ',' && s[i+1] == ' ' {
			// (?![^<]*>): not when a '>' comes before any '<'.
			rest := s[i+2:]
			lt, gt := strings.IndexByte(rest, '<'), strings.IndexByte(rest, '>')
			if gt >= 0 && (lt < 0 || gt < lt) {
				continue
			}
			out = append(out, s[start:i])
			start = i + 2
			i++
		}
	}
	return append(out, s[start:])
}

func (s *rstState) optionMarker(m *lineMatch) ([]string, string, error) {
	if s.class == "OptionList" {
		item, blankFinish, err := s.optionListItem(m)
		if err != nil {
			var tc *transitionCorrection
			if errorsAs(err, &tc) {
				return nil, "", err
			}
			s.sm.previousLine(1)
			return nil, "", errEOF
		}
		s.parent().append(item)
		s.blankFinish = blankFinish
		return nil, s.class, nil
	}
	ol := newNode("option_list")
	ol.line = s.sm.sourceLine(0)
	item, blankFinish, err := s.optionListItem(m)
	if err != nil {
		var tc *transitionCorrection
		if errorsAs(err, &tc) {
			return nil, "", err
		}
		s.parent().append(s.doc().error("Invalid option list marker: "+err.Error(), 0))
		block, _, offset, blankFinish := s.sm.getFirstKnownIndented(m.end, false, true, true)
		s.parent().append(s.blockQuote(block, offset)...)
		if !blankFinish {
			s.parent().append(s.unindentWarning("Option list"))
		}
		return nil, s.class, nil
	}
	s.parent().append(ol)
	ol.append(item)
	block, off := s.rest()
	newOffset, blankFinish := s.nestedListParse(block, off, ol, "OptionList", blankFinish, "", nil)
	s.sm.gotoLine(newOffset)
	if !blankFinish {
		s.parent().append(s.unindentWarning("Option list"))
	}
	return nil, s.class, nil
}

type markupError struct{ msg string }

func (e *markupError) Error() string { return e.msg }

func (s *rstState) optionListItem(m *lineMatch) (*rstNode, bool, error) {
	offset := s.sm.absLineOffset()
	if msg, ok := parseOptionMarker(runeTo(m.line, m.end)); !ok {
		return nil, false, &markupError{msg}
	}
	block, _, lineOffset, blankFinish := s.sm.getFirstKnownIndented(m.end, false, true, true)
	if len(block) == 0 {
		s.sm.gotoLine(offset)
		return nil, false, &transitionCorrection{"text"}
	}
	item := newNode("option_list_item")
	desc := newNode("description")
	item.append(newNode("option_group"), desc)
	s.nestedParse(block, lineOffset, desc, false)
	return item, blankFinish, nil
}

// --- line blocks

func (s *rstState) lineBlock(m *lineMatch) ([]string, string, error) {
	if s.class == "LineBlock" {
		lineno := s.sm.absLineNumber()
		line, messages, blankFinish := s.lineBlockLine(m, lineno)
		s.parent().append(line)
		if s.parent().parent != nil {
			s.parent().parent.append(messages...)
		}
		s.blankFinish = blankFinish
		return nil, s.class, nil
	}
	block := newNode("line_block")
	s.parent().append(block)
	lineno := s.sm.absLineNumber()
	block.line = s.sm.sourceLine(lineno)
	line, messages, blankFinish := s.lineBlockLine(m, lineno)
	block.append(line)
	s.parent().append(messages...)
	if !blankFinish {
		rest, off := s.rest()
		newOffset, bf := s.nestedListParse(rest, off, block, "LineBlock", false, "", nil)
		blankFinish = bf
		s.sm.gotoLine(newOffset)
	}
	if !blankFinish {
		s.parent().append(s.doc().warning("Line block ends without a blank line.", lineno+1))
	}
	return nil, s.class, nil
}

func (s *rstState) lineBlockLine(m *lineMatch, lineno int) (*rstNode, []*rstNode, bool) {
	block, _, _, blankFinish := s.sm.getFirstKnownIndented(m.end, true, true, true)
	textnodes, messages := s.inlineText(strings.Join(lineTexts(block), "\n"), lineno)
	line := newNode("line")
	line.append(textnodes...)
	line.line = s.sm.sourceLine(lineno)
	return line, messages, blankFinish
}

// --- Text, Definition and Line states

func (s *rstState) textCall(name string, m *lineMatch, ctx []string) ([]string, string, error) {
	switch s.class {
	case "Definition":
		if name == "indent" {
			item, blankFinish := s.definitionListItem(ctx)
			s.parent().append(item)
			s.blankFinish = blankFinish
			return nil, "DefinitionList", nil
		}
		return nil, "", errEOF
	case "Line":
		switch name {
		case "blank":
			if runeLen(pyStrip(ctx[0])) < 4 {
				return s.stateCorrection(ctx, 1)
			}
			t := newNode("transition")
			t.line = s.sm.sourceLine(0) - 1
			s.parent().append(t)
			return nil, "Body", nil
		case "text", "indent":
			return s.overlinedTitle(m, ctx)
		case "underline":
			overline := ctx[0]
			lineno := s.sm.absLineNumber() - 1
			if runeLen(pyRStrip(overline)) < 4 {
				s.parent().append(s.doc().info("Possible incomplete section title.\nTreating the overline as ordinary text because it's so short.", lineno))
				return s.stateCorrection(ctx, 1)
			}
			s.parent().append(s.doc().error("Invalid section title or transition marker.", lineno))
			return nil, "Body", nil
		}
	}
	// Text
	switch name {
	case "blank":
		return s.textBlank(ctx)
	case "indent":
		dl := newNode("definition_list")
		dl.line = s.sm.sourceLine(s.sm.absLineNumber() - 1)
		item, blankFinish := s.definitionListItem(ctx)
		dl.append(item)
		s.parent().append(dl)
		rest, off := s.rest()
		newOffset, blankFinish := s.nestedListParse(rest, off, dl, "DefinitionList", blankFinish, "Definition", nil)
		s.sm.gotoLine(newOffset)
		if !blankFinish {
			s.parent().append(s.unindentWarning("Definition list"))
		}
		return nil, "Body", nil
	case "underline":
		return s.underline(m, ctx)
	}
	// text: a paragraph
	startline := s.sm.absLineNumber() - 1
	var msg *rstNode
	block, err := s.sm.getTextBlock(true)
	var ui *unexpectedIndentation
	if errorsAs(err, &ui) {
		msg = s.doc().reportAt(3, "Unexpected indentation.", ui.line)
	}
	lines := append(append([]string(nil), ctx...), lineTexts(block)...)
	para, literalNext := s.paragraph(lines, startline)
	s.parent().append(para...)
	if msg != nil {
		s.parent().append(msg)
	}
	if literalNext {
		_ = s.sm.nextLine(1)
		s.parent().append(s.literalBlock()...)
	}
	return nil, "Body", nil
}

func (s *rstState) textBlank(ctx []string) ([]string, string, error) {
	para, literalNext := s.paragraph(ctx, s.sm.absLineNumber()-1)
	s.parent().append(para...)
	if literalNext {
		s.parent().append(s.literalBlock()...)
	}
	return nil, "Body", nil
}

func (s *rstState) underline(m *lineMatch, ctx []string) ([]string, string, error) {
	lineno := s.sm.absLineNumber()
	title := pyRStrip(ctx[0])
	underline := pyRStrip(m.line)
	var messages []*rstNode
	if columnWidth(title) > runeLen(underline) {
		if runeLen(underline) < 4 {
			if s.sm.matchTitles {
				s.parent().append(s.doc().info("Possible title underline, too short for the title.\nTreating it as ordinary text because it's so short.", lineno))
			}
			return nil, "", &transitionCorrection{"text"}
		}
		messages = append(messages, s.doc().warning("Title underline too short.", lineno))
	}
	if !s.sm.matchTitles {
		srcline := s.sm.sourceLine(0)
		msg := s.doc().reportAt(3, "Unexpected section title.", srcline)
		s.parent().append(messages...)
		s.parent().append(msg)
		return nil, "Body", nil
	}
	style := underline[:1]
	s.section(title, style, lineno-1, messages)
	return nil, "Body", nil
}

func (s *rstState) overlinedTitle(m *lineMatch, ctx []string) ([]string, string, error) {
	lineno := s.sm.absLineNumber() - 1
	overline := ctx[0]
	title := m.line
	underline := ""
	if err := s.sm.nextLine(1); err != nil {
		if runeLen(pyRStrip(overline)) < 4 {
			s.parent().append(s.doc().info("Possible incomplete section title.\nTreating the overline as ordinary text because it's so short.", lineno))
			return s.stateCorrection(ctx, 2)
		}
		s.parent().append(s.doc().error("Incomplete section title.", lineno))
		return nil, "Body", nil
	}
	underline = s.sm.line
	overline = pyRStrip(overline)
	underline = pyRStrip(underline)
	short := runeLen(overline) < 4
	switch {
	case !isLineMarker(underline):
		if short {
			s.parent().append(s.doc().info("Possible incomplete section title.\nTreating the overline as ordinary text because it's so short.", lineno))
			return s.stateCorrection(ctx, 2)
		}
		s.parent().append(s.doc().error("Missing matching underline for section title overline.", lineno))
		return nil, "Body", nil
	case overline != underline:
		if short {
			s.parent().append(s.doc().info("Possible incomplete section title.\nTreating the overline as ordinary text because it's so short.", lineno))
			return s.stateCorrection(ctx, 2)
		}
		s.parent().append(s.doc().error("Title overline & underline mismatch.", lineno))
		return nil, "Body", nil
	}
	title = pyRStrip(title)
	var messages []*rstNode
	if columnWidth(title) > runeLen(overline) {
		if short {
			s.parent().append(s.doc().info("Possible incomplete section title.\nTreating the overline as ordinary text because it's so short.", lineno))
			return s.stateCorrection(ctx, 2)
		}
		messages = append(messages, s.doc().warning("Title overline too short.", lineno))
	}
	style := overline[:1] + underline[:1]
	s.section(pyLStrip(title), style, lineno+1, messages)
	return nil, "Body", nil
}

// stateCorrection is Line.state_correction: back up and reparse the
// overline as text in the Body state.
func (s *rstState) stateCorrection(ctx []string, lines int) ([]string, string, error) {
	s.sm.previousLine(lines)
	return nil, "", &stateCorrection{"Body", "text"}
}

func (s *rstState) literalBlock() []*rstNode {
	block, _, offset, blankFinish := s.sm.getIndented(false, true)
	block = trimBlankEnd(block)
	if len(block) == 0 {
		return s.quotedLiteralBlock()
	}
	lb := newNode("literal_block")
	lb.line = s.sm.sourceLine(offset + 1)
	out := []*rstNode{lb}
	if !blankFinish {
		out = append(out, s.unindentWarning("Literal block"))
	}
	return out
}

func (s *rstState) quotedLiteralBlock() []*rstNode {
	absOffset := s.sm.absLineOffset()
	offset := s.sm.lineOffset
	holder := newNode("element")
	if offset < 0 {
		offset = 0
	}
	lines := s.sm.lines[min(offset, len(s.sm.lines)):]
	newOffset := s.nestedParseWith(lines, absOffset, holder, false, []string{"QuotedLiteralBlock"}, "QuotedLiteralBlock")
	s.sm.gotoLine(newOffset)
	return holder.children
}

func (s *rstState) quotedCall(name string, m *lineMatch, ctx []string) ([]string, string, error) {
	switch name {
	case "blank":
		if len(ctx) > 0 {
			return nil, "", errEOF
		}
		return ctx, s.class, nil
	case "indent":
		s.qMessages = append(s.qMessages, s.doc().error("Unexpected indentation.", s.sm.absLineNumber()))
		s.sm.previousLine(1)
		return nil, "", errEOF
	case "initial_quoted":
		s.initialRemoved = true
		s.quote, _ = utf8.DecodeRuneInString(m.line)
		s.quoteActive = true
		s.initialLineno = s.sm.absLineNumber()
		return []string{m.line}, s.class, nil
	case "quoted":
		return append(ctx, m.line), s.class, nil
	}
	if len(ctx) > 0 {
		s.qMessages = append(s.qMessages, s.doc().error("Inconsistent literal block quoting.", s.sm.absLineNumber()))
		s.sm.previousLine(1)
	}
	return nil, "", errEOF
}

func (s *rstState) definitionListItem(termline []string) (*rstNode, bool) {
	ddLineno := s.sm.absLineNumber()
	dtLineno := ddLineno - 1
	block, _, offset, blankFinish := s.sm.getIndented(false, true)
	item := newNode("definition_list_item")
	item.line = s.sm.sourceLine(dtLineno)
	termNodes, messages := s.inlineText(termline[0], dtLineno)
	term := newNode("term")
	term.line = s.sm.sourceLine(dtLineno)
	term.append(termNodes...)
	item.append(term)
	dd := newNode("definition")
	dd.line = s.sm.sourceLine(ddLineno)
	dd.append(messages...)
	item.append(dd)
	if strings.HasSuffix(termline[0], "::") {
		dd.append(s.doc().info("Blank line missing before literal block (after the \"::\")? Interpreted as a definition list item.", ddLineno))
	}
	s.nestedParse(block, offset, dd, false)
	return item, blankFinish
}

func errorsAs[T error](err error, target *T) bool {
	if err == nil {
		return false
	}
	t, ok := err.(T)
	if ok {
		*target = t
	}
	return ok
}
