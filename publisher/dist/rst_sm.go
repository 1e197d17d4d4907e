package dist

import (
	"errors"
	"strings"
)

// The line-oriented state machine the reStructuredText parser runs on
// (docutils.statemachine: StateMachine, StateMachineWS, StringList), with
// the same line bookkeeping, so that the checker reports docutils' line
// numbers.

// rstLine is one input line and the document line it came from (0 for
// lines that are not in the document, as docutils' padding).
type rstLine struct {
	text string
	src  int
}

// lineTexts returns the texts of lines.
func lineTexts(lines []rstLine) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.text
	}
	return out
}

// cloneLines copies a slice of lines, as slicing a StringList does.
func cloneLines(lines []rstLine) []rstLine { return append([]rstLine(nil), lines...) }

// Control flow of the state machine, Python exceptions in docutils.
var errEOF = errors.New("end of input")

type transitionCorrection struct{ transition string }

func (e *transitionCorrection) Error() string { return "transition correction to " + e.transition }

type stateCorrection struct{ state, transition string }

func (e *stateCorrection) Error() string { return "state correction to " + e.state }

// unexpectedIndentation is statemachine.UnexpectedIndentationError.
type unexpectedIndentation struct {
	block []rstLine
	line  int
}

func (e *unexpectedIndentation) Error() string { return "unexpected indentation" }

// stateMachine is RSTStateMachine / NestedStateMachine.
type stateMachine struct {
	lines       []rstLine
	inputOffset int
	lineOffset  int
	line        string

	states  map[string]*rstState
	current string
	classes []string // state classes this machine knows

	matchTitles        bool
	sectionLevelOffset int
	node               *rstNode
	memo               *rstMemo
	parent             *stateMachine
}

// rstMemo is the parse-global data shared by nested state machines.
type rstMemo struct {
	doc         *rstDoc
	titleStyles []string
	inliner     *inliner
}

// Standard state classes (states.state_classes).
var rstStateClasses = []string{"Body", "BulletList", "DefinitionList", "EnumeratedList", "FieldList",
	"OptionList", "LineBlock", "ExtensionOptions", "Explicit", "Text", "Definition", "Line", "SubstitutionDef"}

func newStateMachine(classes []string, memo *rstMemo, parent *stateMachine) *stateMachine {
	sm := &stateMachine{classes: classes, memo: memo, parent: parent, lineOffset: -1, states: map[string]*rstState{}}
	for _, c := range classes {
		sm.states[c] = newRSTState(c, sm)
	}
	return sm
}

// run parses lines into node, starting in state initial.
func (sm *stateMachine) run(lines []rstLine, inputOffset int, node *rstNode, matchTitles bool, initial string) {
	sm.lines = lines
	sm.inputOffset = inputOffset
	sm.lineOffset = -1
	sm.node = node
	sm.matchTitles = matchTitles
	sm.current = initial
	state := sm.states[sm.current]
	var ctx []string
	var transitions []string
	for {
		var newCtx []string
		var next string
		err := sm.nextLine(1)
		if err == nil {
			newCtx, next, err = sm.checkLine(ctx, state, transitions)
		}
		if errors.Is(err, errEOF) {
			// State.eof may itself correct the state (Line.eof with a
			// short overline), as the exception it raises would.
			if err = state.eof(ctx); err == nil {
				return
			}
		}
		var tc *transitionCorrection
		var sc *stateCorrection
		switch {
		case errors.As(err, &tc):
			sm.previousLine(1)
			transitions = []string{tc.transition}
			continue
		case errors.As(err, &sc):
			sm.previousLine(1)
			next = sc.state
			transitions = nil
			if sc.transition != "" {
				transitions = []string{sc.transition}
			}
		case err != nil:
			panic(err) // only the errors above are raised
		default:
			ctx = newCtx
			transitions = nil
		}
		if next != "" {
			sm.current = next
		}
		s, ok := sm.states[sm.current]
		if !ok {
			panic("unknown state " + sm.current)
		}
		state = s
	}
}

// checkLine tries the state's transitions on the current line.
func (sm *stateMachine) checkLine(ctx []string, state *rstState, transitions []string) ([]string, string, error) {
	if transitions == nil {
		transitions = state.transitionOrder()
	}
	for _, name := range transitions {
		if m := state.matchTransition(name, sm.line); m != nil {
			return state.call(name, m, ctx)
		}
	}
	return ctx, "", nil
}

// notify is the document.note_source observer: the document's current
// line follows every move (StringList.info, with Python's negative
// indexing, and no line past the end).
func (sm *stateMachine) notify() {
	off := sm.lineOffset
	if off < 0 {
		off += len(sm.lines)
	}
	line := 0
	if off >= 0 && off < len(sm.lines) {
		line = sm.lines[off].src
	}
	sm.memo.doc.currentLine = line
	sm.memo.doc.currentSource = off >= 0 && off <= len(sm.lines) && len(sm.lines) > 0
}

func (sm *stateMachine) nextLine(n int) error {
	sm.memo.doc.spend(1)
	defer sm.notify()
	sm.lineOffset += n
	if sm.lineOffset < 0 || sm.lineOffset >= len(sm.lines) {
		sm.line = ""
		if sm.lineOffset >= len(sm.lines) {
			return errEOF
		}
		return errEOF
	}
	sm.line = sm.lines[sm.lineOffset].text
	return nil
}

func (sm *stateMachine) previousLine(n int) {
	defer sm.notify()
	sm.lineOffset -= n
	if sm.lineOffset < 0 || sm.lineOffset >= len(sm.lines) {
		sm.line = ""
		return
	}
	sm.line = sm.lines[sm.lineOffset].text
}

// gotoLine jumps to an absolute line offset (ignoring jumps past the end,
// as RSTState.goto_line does).
func (sm *stateMachine) gotoLine(absOffset int) {
	defer sm.notify()
	sm.lineOffset = absOffset - sm.inputOffset
	if sm.lineOffset >= 0 && sm.lineOffset < len(sm.lines) {
		sm.line = sm.lines[sm.lineOffset].text
	} else {
		sm.line = ""
	}
}

func (sm *stateMachine) isNextLineBlank() bool {
	i := sm.lineOffset + 1
	if i < 0 || i >= len(sm.lines) {
		return true
	}
	return pyStrip(sm.lines[i].text) == ""
}

func (sm *stateMachine) atEOF() bool { return sm.lineOffset >= len(sm.lines)-1 }

func (sm *stateMachine) absLineOffset() int { return sm.lineOffset + sm.inputOffset }

func (sm *stateMachine) absLineNumber() int { return sm.lineOffset + sm.inputOffset + 1 }

// sourceLine is get_source_and_line: the document line of absolute line
// number lineno (0: the current line), or 0 when it is not in the input.
func (sm *stateMachine) sourceLine(lineno int) int {
	offset := sm.lineOffset
	if lineno != 0 {
		offset = lineno - sm.inputOffset - 1
	}
	if offset == len(sm.lines) && offset > 0 && sm.lines[offset-1].src != 0 {
		// Just past the end: ViewList.info gives no offset, and
		// get_source_and_line falls back to the last line, plus one.
		return sm.lines[offset-1].src + 1
	}
	if offset < 0 || offset >= len(sm.lines) {
		return 0
	}
	return sm.lines[offset].src
}

// getTextBlock is StateMachine.get_text_block: the lines up to the next
// blank one; with flushLeft an indented line ends it with an
// *unexpectedIndentation error (the machine is then on the block's last
// line).
func (sm *stateMachine) getTextBlock(flushLeft bool) ([]rstLine, error) {
	start := sm.lineOffset
	end := start
	for end < len(sm.lines) {
		line := sm.lines[end].text
		if pyStrip(line) == "" {
			break
		}
		if flushLeft && line[0] == ' ' {
			block := cloneLines(sm.lines[start:end])
			_ = sm.nextLine(len(block) - 1)
			return block, &unexpectedIndentation{block: block, line: sm.lines[end].src}
		}
		end++
	}
	block := cloneLines(sm.lines[start:end])
	_ = sm.nextLine(len(block) - 1)
	return block, nil
}

// getIndentedLines is StringList.get_indented. Indents are in code points.
// blockIndent and firstIndent are -1 when unknown.
func getIndentedLines(doc *rstDoc, lines []rstLine, start int, untilBlank, stripIndent bool, blockIndent, firstIndent int) (block []rstLine, indent int, blankFinish bool) {
	indent = blockIndent
	end := start
	if blockIndent >= 0 && firstIndent < 0 {
		firstIndent = blockIndent
	}
	if firstIndent >= 0 {
		end++
	}
	last := len(lines)
	finished := false
	for end < last {
		if doc != nil {
			doc.spend(1)
		}
		line := lines[end].text
		if line != "" && (line[0] != ' ' || blockIndent >= 0 && pyStrip(runeTo(line, blockIndent)) != "") {
			blankFinish = end > start && pyStrip(lines[end-1].text) == ""
			finished = true
			break
		}
		stripped := pyLStrip(line)
		if stripped == "" {
			if untilBlank {
				blankFinish = true
				finished = true
				break
			}
		} else if blockIndent < 0 {
			lineIndent := runeLen(line) - runeLen(stripped)
			if indent < 0 || lineIndent < indent {
				indent = lineIndent
			}
		}
		end++
	}
	if !finished {
		blankFinish = true
	}
	if end > last {
		end = last
	}
	if start > end {
		start = end
	}
	block = cloneLines(lines[start:end])
	if firstIndent >= 0 && len(block) > 0 {
		block[0].text = runeFrom(block[0].text, firstIndent)
	}
	if indent > 0 && stripIndent {
		from := 0
		if firstIndent >= 0 {
			from = 1
		}
		for i := from; i < len(block); i++ {
			block[i].text = runeFrom(block[i].text, indent)
		}
	}
	if indent < 0 {
		indent = 0
	}
	return block, indent, blankFinish
}

// getIndented is StateMachineWS.get_indented (indent unknown).
func (sm *stateMachine) getIndented(untilBlank, stripIndent bool) (block []rstLine, indent, offset int, blankFinish bool) {
	offset = sm.absLineOffset()
	block, indent, blankFinish = getIndentedLines(sm.memo.doc, sm.lines, sm.lineOffset, untilBlank, stripIndent, -1, -1)
	if len(block) > 0 {
		_ = sm.nextLine(len(block) - 1)
	}
	for len(block) > 0 && pyStrip(block[0].text) == "" {
		block = block[1:]
		offset++
	}
	return block, indent, offset, blankFinish
}

// getKnownIndented is StateMachineWS.get_known_indented.
func (sm *stateMachine) getKnownIndented(indent int, untilBlank, stripIndent bool) (block []rstLine, offset int, blankFinish bool) {
	offset = sm.absLineOffset()
	block, _, blankFinish = getIndentedLines(sm.memo.doc, sm.lines, sm.lineOffset, untilBlank, stripIndent, indent, -1)
	_ = sm.nextLine(len(block) - 1)
	for len(block) > 0 && pyStrip(block[0].text) == "" {
		block = block[1:]
		offset++
	}
	return block, offset, blankFinish
}

// getFirstKnownIndented is StateMachineWS.get_first_known_indented.
func (sm *stateMachine) getFirstKnownIndented(indent int, untilBlank, stripIndent, stripTop bool) (block []rstLine, blockIndent, offset int, blankFinish bool) {
	offset = sm.absLineOffset()
	block, blockIndent, blankFinish = getIndentedLines(sm.memo.doc, sm.lines, sm.lineOffset, untilBlank, stripIndent, -1, indent)
	_ = sm.nextLine(len(block) - 1)
	if stripTop {
		for len(block) > 0 && pyStrip(block[0].text) == "" {
			block = block[1:]
			offset++
		}
	}
	return block, blockIndent, offset, blankFinish
}

// trimEnd drops trailing blank lines.
func trimBlankEnd(block []rstLine) []rstLine {
	for len(block) > 0 && pyStrip(block[len(block)-1].text) == "" {
		block = block[:len(block)-1]
	}
	return block
}

// splitLines is statemachine.string2lines as the rST parser calls it:
// form feeds and vertical tabs become spaces, lines split as
// str.splitlines does, tabs expanded to 8 columns, trailing whitespace
// dropped.
func splitRSTLines(text string) []rstLine {
	text = strings.NewReplacer("\v", " ", "\f", " ").Replace(text)
	var out []rstLine
	start := 0
	n := 0
	emit := func(s string) {
		n++
		out = append(out, rstLine{text: pyRStrip(expandTabs(s, 8)), src: n})
	}
	for i := 0; i < len(text); {
		r, size := decodeRune(text, i)
		switch r {
		case '\n', '\x1c', '\x1d', '\x1e', 0x85, 0x2028, 0x2029:
			emit(text[start:i])
			i += size
			start = i
			continue
		case '\r':
			emit(text[start:i])
			i += size
			if i < len(text) && text[i] == '\n' {
				i++
			}
			start = i
			continue
		}
		i += size
	}
	if start < len(text) {
		emit(text[start:])
	}
	return out
}

// expandTabs is str.expandtabs.
func expandTabs(s string, tab int) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	var b strings.Builder
	col := 0
	for _, r := range s {
		if r == '\t' {
			n := tab - col%tab
			b.WriteString(strings.Repeat(" ", n))
			col += n
			continue
		}
		b.WriteRune(r)
		col++
	}
	return b.String()
}
