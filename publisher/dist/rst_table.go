package dist

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Grid and simple tables (docutils.parsers.rst.tableparser and
// Body.table), and the table directives (table, csv-table, list-table).

const tablePad = '\x00' // TableParser.double_width_pad_char

type tableMarkupError struct {
	msg    string
	offset int
}

func (e *tableMarkupError) Error() string { return e.msg }

type tableCell struct {
	morerows, morecols, offset int
	block                      []rstLine
}

type tableData struct {
	colspecs   []int
	head, body [][]*tableCell
}

var (
	gridHeadSepRE   = regexp.MustCompile(`^\+=[=+]+=\+ *$`)
	simpleHeadSepRE = regexp.MustCompile(`^=[ =]*$`)
	simpleSpanRE    = regexp.MustCompile(`^-[ -]*$`)
)

// table is Body.table.
func (s *rstState) table(grid bool) ([]*rstNode, bool) {
	var block []rstLine
	var messages []*rstNode
	var blankFinish bool
	if grid {
		block, messages, blankFinish = s.isolateGridTable()
	} else {
		block, messages, blankFinish = s.isolateSimpleTable()
	}
	if len(block) == 0 {
		return messages, blankFinish
	}
	var data *tableData
	var err *tableMarkupError
	if grid {
		data, err = parseGridTable(block)
	} else {
		data, err = parseSimpleTable(block)
	}
	if err != nil {
		return append(s.malformedTable(block, err.msg, err.offset), messages...), blankFinish
	}
	tableline := s.sm.absLineNumber() - len(block) + 1
	t := s.buildTable(data, tableline)
	return append([]*rstNode{t}, messages...), blankFinish
}

func (s *rstState) malformedTable(block []rstLine, detail string, offset int) []*rstNode {
	startline := s.sm.absLineNumber() - len(block) + 1
	msg := "Malformed table."
	if detail != "" {
		msg += "\n" + detail
	}
	return []*rstNode{s.doc().error(msg, startline+offset)}
}

func (s *rstState) buildTable(data *tableData, tableline int) *rstNode {
	t := newNode("table")
	t.line = s.sm.sourceLine(tableline)
	tgroup := newNode("tgroup")
	tgroup.set("cols", fmt.Sprint(len(data.colspecs)))
	t.append(tgroup)
	for _, rows := range [][][]*tableCell{data.head, data.body} {
		sect := newNode("tbody")
		tgroup.append(sect)
		for _, row := range rows {
			r := newNode("row")
			sect.append(r)
			for _, cell := range row {
				if cell == nil {
					continue
				}
				entry := newNode("entry")
				r.append(entry)
				if strings.Join(lineTexts(cell.block), "") != "" {
					s.nestedParse(cell.block, tableline+cell.offset-1, entry, false)
				}
			}
		}
	}
	return t
}

func padLines(block []rstLine) []rstLine {
	out := cloneLines(block)
	for i := range out {
		out[i].text = padDoubleWidth(out[i].text, tablePad)
	}
	return out
}

func (s *rstState) isolateGridTable() ([]rstLine, []*rstNode, bool) {
	var messages []*rstNode
	blankFinish := true
	block, err := s.sm.getTextBlock(true)
	if ui, ok := err.(*unexpectedIndentation); ok {
		messages = append(messages, s.doc().reportAt(3, "Unexpected indentation.", ui.line))
		blankFinish = false
	}
	block = padLines(block)
	width := runeLen(pyStrip(block[0].text))
	i := 0
	broke := false
	for i = 0; i < len(block); i++ {
		block[i].text = pyStrip(block[i].text)
		if c := []rune(block[i].text)[0]; c != '+' && c != '|' {
			blankFinish = false
			s.sm.previousLine(len(block) - i)
			block = block[:i]
			broke = true
			break
		}
	}
	if !broke {
		i = len(block) - 1 // Python's loop variable after a full loop
	}
	if len(block) == 0 || !gridTopRE.MatchString(block[len(block)-1].text) {
		found := false
		for j := len(block) - 2; j > 1; j-- {
			i = j
			if gridTopRE.MatchString(block[j].text) {
				s.sm.previousLine(len(block) - j + 1)
				block = block[:j+1]
				blankFinish = false
				found = true
				break
			}
		}
		if !found {
			messages = append(messages, s.malformedTable(block, "Bottom border missing or corrupt.", i)...)
			return nil, messages, blankFinish
		}
	}
	for i := range block {
		line := []rune(block[i].text)
		if runeLen(stripCombining(block[i].text)) != width || (line[len(line)-1] != '+' && line[len(line)-1] != '|') {
			messages = append(messages, s.malformedTable(block, "Right border not aligned or missing.", i)...)
			return nil, messages, blankFinish
		}
	}
	return block, messages, blankFinish
}

func (s *rstState) isolateSimpleTable() ([]rstLine, []*rstNode, bool) {
	start := s.sm.lineOffset
	lines := s.sm.lines
	limit := len(lines) - 1
	toplen := runeLen(pyStrip(lines[start].text))
	found := 0
	foundAt := -1
	end := -1
	i := start + 1
	for ; i <= limit; i++ {
		line := lines[i].text
		if !simpleBorderRE.MatchString(line) {
			continue
		}
		if runeLen(pyStrip(line)) != toplen {
			_ = s.sm.nextLine(i - start)
			msgs := s.malformedTable(cloneLines(lines[start:i+1]), "Bottom border or header rule does not match top border.", i-start)
			return nil, msgs, i == limit || pyStrip(lines[i+1].text) == ""
		}
		found++
		foundAt = i
		if found == 2 || i == limit || pyStrip(lines[i+1].text) == "" {
			end = i
			break
		}
	}
	if end < 0 {
		details := "No bottom table border found"
		var block []rstLine
		if found > 0 {
			details += " or no blank line after table bottom"
			_ = s.sm.nextLine(foundAt - start)
			block = cloneLines(lines[start : foundAt+1])
		} else {
			_ = s.sm.nextLine(i - start - 1)
			block = cloneLines(lines[start:])
		}
		return nil, s.malformedTable(block, details+".", 0), found == 0
	}
	_ = s.sm.nextLine(end - start)
	block := padLines(lines[start : end+1])
	return block, nil, end == limit || pyStrip(lines[end+1].text) == ""
}

// get2DBlock is StringList.get_2D_block with the pad characters removed
// (cellblock.replace(pad, ”)).
func get2DBlock(block []rstLine, top, left, bottom, right int) []rstLine {
	out := cloneLines(block[top:bottom])
	indent := right
	for i := range out {
		r := []rune(out[i].text)
		var idx []int
		for k, c := range r {
			if !isCombining(c) {
				idx = append(idx, k)
			}
		}
		li, ri := left, len(r)
		if left < len(idx) {
			li = idx[left]
		}
		if right < len(idx) {
			ri = idx[right]
		}
		li = min(li, len(r))
		ri = min(max(ri, li), len(r))
		line := pyRStrip(string(r[li:ri]))
		out[i].text = line
		if line != "" {
			indent = min(indent, leadingSpace(line))
		}
	}
	if indent > 0 && indent < right {
		for i := range out {
			out[i].text = runeFrom(out[i].text, indent)
		}
	}
	for i := range out {
		out[i].text = strings.ReplaceAll(out[i].text, string(tablePad), "")
	}
	return out
}

// --- grid tables

type gridParser struct {
	block         []rstLine
	stripped      [][]rune
	bottom, right int
	headBodySep   int
	done          []int
	cells         []gridCell
	rowseps       map[int]bool
	colseps       map[int]bool
}

type gridCell struct {
	top, left, bottom, right int
	block                    []rstLine
}

func findHeadBodySep(block []rstLine, re *regexp.Regexp) (int, *tableMarkupError) {
	sep := -1
	i := 0
	for i = 0; i < len(block); i++ {
		if re.MatchString(block[i].text) {
			if sep > 0 {
				return -1, &tableMarkupError{fmt.Sprintf("Multiple head/body row separators (table lines %d and %d); only one allowed.", sep+1, i+1), i}
			}
			sep = i
			block[i].text = strings.ReplaceAll(block[i].text, "=", "-")
		}
	}
	if sep == 0 || sep == len(block)-1 {
		return -1, &tableMarkupError{"The head/body row separator may not be the first or last line of the table.", i - 1}
	}
	return sep, nil
}

func parseGridTable(in []rstLine) (*tableData, *tableMarkupError) {
	block := cloneLines(in)
	p := &gridParser{block: block, bottom: len(block) - 1, right: runeLen(block[0].text) - 1,
		rowseps: map[int]bool{0: true}, colseps: map[int]bool{0: true}}
	p.done = make([]int, runeLen(block[0].text))
	for i := range p.done {
		p.done[i] = -1
	}
	sep, err := findHeadBodySep(p.block, gridHeadSepRE)
	if err != nil {
		return nil, err
	}
	p.headBodySep = sep
	for _, l := range p.block {
		p.stripped = append(p.stripped, []rune(stripCombining(l.text)))
	}
	corners := [][2]int{{0, 0}}
	for len(corners) > 0 {
		top, left := corners[0][0], corners[0][1]
		corners = corners[1:]
		if top == p.bottom || left == p.right || top <= p.done[left] {
			continue
		}
		bottom, right, ok := p.scanRight(top, left)
		if !ok {
			continue
		}
		for col := left; col < right; col++ {
			p.done[col] = bottom - 1
		}
		cell := get2DBlock(p.block, top+1, left+1, bottom, right)
		p.cells = append(p.cells, gridCell{top, left, bottom, right, cell})
		corners = append(corners, [2]int{top, right}, [2]int{bottom, left})
		sort.Slice(corners, func(a, b int) bool {
			if corners[a][0] != corners[b][0] {
				return corners[a][0] < corners[b][0]
			}
			return corners[a][1] < corners[b][1]
		})
	}
	for col := 0; col < p.right; col++ {
		if p.done[col] != p.bottom-1 {
			return nil, &tableMarkupError{"Malformed table; parse incomplete.", 0}
		}
	}
	return p.structure(), nil
}

func (p *gridParser) at(row, col int) rune {
	if row < 0 || row >= len(p.stripped) || col < 0 || col >= len(p.stripped[row]) {
		return 0
	}
	return p.stripped[row][col]
}

func (p *gridParser) scanRight(top, left int) (bottom, right int, ok bool) {
	colseps := map[int]bool{}
	for i := left + 1; i <= p.right; i++ {
		switch p.at(top, i) {
		case '+':
			colseps[i] = true
			if b, rowseps, newcols, ok := p.scanDown(top, left, i); ok {
				for k := range colseps {
					p.colseps[k] = true
				}
				for k := range newcols {
					p.colseps[k] = true
				}
				for k := range rowseps {
					p.rowseps[k] = true
				}
				return b, i, true
			}
		case '-':
		default:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

func (p *gridParser) scanDown(top, left, right int) (int, map[int]bool, map[int]bool, bool) {
	rowseps := map[int]bool{}
	for i := top + 1; i <= p.bottom; i++ {
		switch p.at(i, right) {
		case '+':
			rowseps[i] = true
			if newrows, colseps, ok := p.scanLeft(top, left, i, right); ok {
				for k := range newrows {
					rowseps[k] = true
				}
				return i, rowseps, colseps, true
			}
		case '|':
		default:
			return 0, nil, nil, false
		}
	}
	return 0, nil, nil, false
}

func (p *gridParser) scanLeft(top, left, bottom, right int) (map[int]bool, map[int]bool, bool) {
	colseps := map[int]bool{}
	for i := right - 1; i > left; i-- {
		switch p.at(bottom, i) {
		case '+':
			colseps[i] = true
		case '-':
		default:
			return nil, nil, false
		}
	}
	if p.at(bottom, left) != '+' {
		return nil, nil, false
	}
	rowseps := map[int]bool{}
	for i := bottom - 1; i > top; i-- {
		switch p.at(i, left) {
		case '+':
			rowseps[i] = true
		case '|':
		default:
			return nil, nil, false
		}
	}
	return rowseps, colseps, true
}

func sortedKeys(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

func (p *gridParser) structure() *tableData {
	rowseps, colseps := sortedKeys(p.rowseps), sortedKeys(p.colseps)
	rowindex, colindex := map[int]int{}, map[int]int{}
	for i, r := range rowseps {
		rowindex[r] = i
	}
	for i, c := range colseps {
		colindex[c] = i
	}
	data := &tableData{}
	for i := 1; i < len(colseps); i++ {
		data.colspecs = append(data.colspecs, colseps[i]-colseps[i-1]-1)
	}
	rows := make([][]*tableCell, max(len(rowseps)-1, 0))
	for i := range rows {
		rows[i] = make([]*tableCell, max(len(colseps)-1, 0))
	}
	for _, c := range p.cells {
		r, col := rowindex[c.top], colindex[c.left]
		if r < len(rows) && col < len(rows[r]) {
			rows[r][col] = &tableCell{rowindex[c.bottom] - r - 1, colindex[c.right] - col - 1, c.top + 1, c.block}
		}
	}
	if p.headBodySep > 0 {
		n := rowindex[p.headBodySep]
		data.head, data.body = rows[:n], rows[n:]
	} else {
		data.body = rows
	}
	return data
}

// --- simple tables

type simpleParser struct {
	block       []rstLine
	columns     [][2]int
	borderEnd   int
	headBodySep int
	table       [][]*tableCell
}

func runeIndex(s []rune, c rune, from int) int {
	for i := max(from, 0); i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func runeSlice(s []rune, from, to int) string {
	from = max(0, min(from, len(s)))
	to = max(from, min(to, len(s)))
	return string(s[from:to])
}

func parseSimpleTable(in []rstLine) (*tableData, *tableMarkupError) {
	block := cloneLines(in)
	block[0].text = strings.ReplaceAll(block[0].text, "=", "-")
	block[len(block)-1].text = strings.ReplaceAll(block[len(block)-1].text, "=", "-")
	p := &simpleParser{block: block}
	sep, err := findHeadBodySep(p.block, simpleHeadSepRE)
	if err != nil {
		return nil, err
	}
	p.headBodySep = sep
	p.columns, err = p.parseColumns(p.block[0].text, 0)
	if err != nil {
		return nil, err
	}
	p.borderEnd = p.columns[len(p.columns)-1][1]
	first := p.columns[0]
	offset, start := 1, 1
	textFound := false
	for offset < len(p.block) {
		line := p.block[offset].text
		switch {
		case simpleSpanRE.MatchString(line):
			if err := p.parseRow(p.block[start:offset], start, pyRStrip(line), offset); err != nil {
				return nil, err
			}
			start = offset + 1
			textFound = false
		case pyStrip(runeSlice([]rune(line), first[0], first[1])) != "":
			if textFound && offset != start {
				if err := p.parseRow(p.block[start:offset], start, "", -1); err != nil {
					return nil, err
				}
			}
			start = offset
			textFound = true
		case !textFound:
			start = offset + 1
		}
		offset++
	}
	data := &tableData{}
	for _, c := range p.columns {
		data.colspecs = append(data.colspecs, c[1]-c[0])
	}
	firstBody := 0
	if p.headBodySep > 0 {
		for i, row := range p.table {
			if row[0].offset > p.headBodySep {
				firstBody = i
				break
			}
		}
	}
	data.head, data.body = p.table[:firstBody], p.table[firstBody:]
	return data, nil
}

func (p *simpleParser) parseColumns(line string, offset int) ([][2]int, *tableMarkupError) {
	r := []rune(line)
	var cols [][2]int
	end := 0
	for {
		begin := runeIndex(r, '-', end)
		end = runeIndex(r, ' ', begin)
		if begin < 0 {
			break
		}
		if end < 0 {
			end = len(r)
		}
		cols = append(cols, [2]int{begin, end})
	}
	if p.columns != nil {
		if len(cols) == 0 || cols[len(cols)-1][1] != p.borderEnd {
			return nil, &tableMarkupError{fmt.Sprintf("Column span incomplete in table line %d.", offset+1), offset}
		}
		cols[len(cols)-1][1] = p.columns[len(p.columns)-1][1]
	}
	return cols, nil
}

func (p *simpleParser) parseRow(lines []rstLine, start int, spanline string, spanOffset int) *tableMarkupError {
	if len(lines) == 0 && spanline == "" {
		return nil
	}
	var columns [][2]int
	if spanline != "" {
		var err *tableMarkupError
		columns, err = p.parseColumns(spanline, spanOffset)
		if err != nil {
			return err
		}
	} else {
		columns = append([][2]int(nil), p.columns...)
	}
	if err := p.checkColumns(lines, start, columns); err != nil {
		return err
	}
	// init_row
	var row []*tableCell
	i := 0
	for _, c := range columns {
		morecols := 0
		if i >= len(p.columns) || c[0] != p.columns[i][0] {
			return &tableMarkupError{fmt.Sprintf("Column span alignment problem in table line %d.", start+2), start + 1}
		}
		for c[1] != p.columns[i][1] {
			i++
			morecols++
			if i >= len(p.columns) {
				return &tableMarkupError{fmt.Sprintf("Column span alignment problem in table line %d.", start+2), start + 1}
			}
		}
		row = append(row, &tableCell{0, morecols, start, nil})
		i++
	}
	for k, c := range columns {
		row[k].block = get2DBlock(lines, 0, c[0], len(lines), c[1])
	}
	p.table = append(p.table, row)
	return nil
}

// checkColumns is SimpleTableParser.check_columns; it may widen the last
// column for text that overflows it (so columns is updated in place).
func (p *simpleParser) checkColumns(lines []rstLine, firstLine int, columns [][2]int) *tableMarkupError {
	const maxsize = int(^uint(0) >> 1)
	lastcol := len(columns) - 1
	for i := range columns {
		start, end := columns[i][0], columns[i][1]
		nextstart := maxsize
		if i+1 < len(columns) {
			nextstart = columns[i+1][0]
		}
		for offset, l := range lines {
			line := []rune(stripCombining(l.text))
			if i == lastcol && pyStrip(runeSlice(line, end, len(line))) != "" {
				text := pyRStrip(runeSlice(line, start, len(line)))
				newEnd := start + runeLen(text)
				mainStart, mainEnd := p.columns[len(p.columns)-1][0], p.columns[len(p.columns)-1][1]
				columns[i] = [2]int{start, max(mainEnd, newEnd)}
				if newEnd > mainEnd {
					p.columns[len(p.columns)-1] = [2]int{mainStart, newEnd}
				}
			} else if pyStrip(runeSlice(line, end, nextstart)) != "" {
				return &tableMarkupError{fmt.Sprintf("Text in column margin in table line %d.", firstLine+offset+1), firstLine + offset}
			}
		}
	}
	return nil
}

// --- table directives

func runRSTTable(c *directiveCall) []*rstNode {
	if len(c.content) == 0 {
		return c.fail(2, fmt.Sprintf("Content block expected for the \"%s\" directive; none found.", c.name))
	}
	var msgs []*rstNode
	if len(c.args) > 0 {
		_, msgs = c.s.inlineText(c.args[0], c.lineno)
	}
	holder := newNode("element")
	c.nested(holder)
	if len(holder.children) != 1 || holder.children[0].kind != "table" {
		return c.fail(3, fmt.Sprintf("Error parsing content block for the \"%s\" directive: exactly one table expected.", c.name))
	}
	t := holder.children[0]
	if w, ok := c.options["widths"]; ok && w != "auto" && w != "grid" {
		if cols := t.children[0].get("cols"); cols != fmt.Sprint(len(widthsList(w))) {
			return c.fail(3, fmt.Sprintf("\"%s\" widths do not match the number of columns in table (%s).", c.name, cols))
		}
	}
	c.addName(t)
	return append([]*rstNode{t}, msgs...)
}

func widthsList(w string) []string {
	if strings.Contains(w, ",") {
		return strings.Split(w, ",")
	}
	return pyFields(w)
}

// checkDimensions is Table.check_table_dimensions; rows are cell counts.
func checkDimensions(c *directiveCall, rows []int, headerRows, stubColumns int) []*rstNode {
	if len(rows) < headerRows {
		return c.fail(3, fmt.Sprintf("%d header row(s) specified but only %d row(s) of data supplied (\"%s\" directive).", headerRows, len(rows), c.name))
	}
	if len(rows) == headerRows && headerRows > 0 {
		return c.fail(3, fmt.Sprintf("Insufficient data supplied (%d row(s)); no data remaining for table body, required by \"%s\" directive.", len(rows), c.name))
	}
	for _, n := range rows {
		if n < stubColumns {
			return c.fail(3, fmt.Sprintf("%d stub column(s) specified but only %d columns(s) of data supplied (\"%s\" directive).", stubColumns, n, c.name))
		}
		if n == stubColumns && stubColumns > 0 {
			return c.fail(3, fmt.Sprintf("Insufficient data supplied (%d columns(s)); no data remaining for table body, required by \"%s\" directive.", n, c.name))
		}
	}
	return nil
}

func intOption(c *directiveCall, name string) int {
	v, ok := c.options[name]
	if !ok {
		return 0
	}
	n, _ := pyInt(v)
	return n
}

func checkWidths(c *directiveCall, ncols int) []*rstNode {
	w, ok := c.options["widths"]
	if ok && w != "auto" && w != "grid" {
		if len(widthsList(w)) != ncols {
			return c.fail(3, fmt.Sprintf("\"%s\" widths do not match the number of columns in table (%d).", c.name, ncols))
		}
		return nil
	}
	if ncols == 0 {
		return c.fail(3, "No table data detected in CSV file.")
	}
	return nil
}

func runListTable(c *directiveCall) []*rstNode {
	if len(c.content) == 0 {
		return c.fail(3, fmt.Sprintf("The \"%s\" directive is empty; content required.", c.name))
	}
	var msgs []*rstNode
	if len(c.args) > 0 {
		_, msgs = c.s.inlineText(c.args[0], c.lineno)
	}
	holder := newNode("element")
	c.nested(holder)
	if len(holder.children) != 1 || holder.children[0].kind != "bullet_list" {
		return c.fail(3, fmt.Sprintf("Error parsing content block for the \"%s\" directive: exactly one bullet list expected.", c.name))
	}
	list := holder.children[0]
	ncols := 0
	var rows []int
	for i, item := range list.children {
		if len(item.children) != 1 || item.children[0].kind != "bullet_list" {
			return c.fail(3, fmt.Sprintf("Error parsing content block for the \"%s\" directive: two-level bullet list expected, but row %d does not contain a second-level bullet list.", c.name, i+1))
		}
		n := len(item.children[0].children)
		if i > 0 && n != ncols {
			return c.fail(3, fmt.Sprintf("Error parsing content block for the \"%s\" directive: uniform two-level bullet list expected, but row %d does not contain the same number of items as row 1 (%d vs %d).", c.name, i+1, n, ncols))
		}
		if i == 0 {
			ncols = n
		}
		rows = append(rows, n)
	}
	if e := checkWidths(c, ncols); e != nil {
		return e
	}
	if e := checkDimensions(c, rows, intOption(c, "header-rows"), intOption(c, "stub-columns")); e != nil {
		return e
	}
	// build_table_from_list: the items' content moves into the entries.
	t := newNode("table")
	tbody := newNode("tbody")
	t.append(tbody)
	for _, item := range list.children {
		row := newNode("row")
		tbody.append(row)
		for _, cell := range item.children[0].children {
			entry := newNode("entry")
			entry.append(cell.children...)
			row.append(entry)
		}
	}
	c.addName(t)
	return append([]*rstNode{t}, msgs...)
}

func runCSVTable(c *directiveCall) []*rstNode {
	_, hasFile := c.options["file"]
	_, hasURL := c.options["url"]
	if hasFile || hasURL {
		// readme_renderer: file_insertion_enabled = False.
		return c.fail(2, fmt.Sprintf("File and URL access deactivated; ignoring \"%s\" directive.", c.name))
	}
	var msgs []*rstNode
	if len(c.args) > 0 {
		_, msgs = c.s.inlineText(c.args[0], c.lineno)
	}
	if len(c.content) == 0 {
		return c.fail(2, fmt.Sprintf("The \"%s\" directive requires content; none supplied.", c.name))
	}
	d := csvDialect{delim: ',', quote: '"', doublequote: true, skipSpace: true}
	if v, ok := c.options["delim"]; ok {
		switch v {
		case "tab":
			d.delim = '\t'
		case "space":
			d.delim = ' '
		default:
			s, _ := unicodeCode(v)
			d.delim = []rune(s)[0]
		}
	}
	if _, ok := c.options["keepspace"]; ok {
		d.skipSpace = false
	}
	if v, ok := c.options["quote"]; ok {
		s, _ := unicodeCode(v)
		d.quote = []rune(s)[0]
	}
	if v, ok := c.options["escape"]; ok {
		s, _ := unicodeCode(v)
		d.doublequote = false
		d.escape = []rune(s)[0]
	}
	maxCols := 0
	var header [][]string
	if h, ok := c.options["header"]; ok {
		rows, err := d.parse(strings.Split(h, "\n"))
		if err != nil {
			return c.fail(3, fmt.Sprintf("Error with CSV data in \"%s\" directive:\n%s", c.name, err))
		}
		for _, r := range rows {
			header = append(header, r)
			maxCols = max(maxCols, len(r))
		}
	}
	rows, err := d.parse(lineTexts(c.content))
	if err != nil {
		return c.fail(3, fmt.Sprintf("Error with CSV data in \"%s\" directive:\n%s", c.name, err))
	}
	var counts []int
	for _, r := range rows {
		maxCols = max(maxCols, len(r))
		counts = append(counts, len(r))
	}
	if e := checkDimensions(c, counts, intOption(c, "header-rows"), intOption(c, "stub-columns")); e != nil {
		return e
	}
	if e := checkWidths(c, maxCols); e != nil {
		return e
	}
	// Table.build_table: every cell is parsed as reStructuredText, its
	// lines numbered from 1 within the cell.
	data := &tableData{}
	for _, r := range append(header, rows...) {
		var row []*tableCell
		for _, cell := range r {
			var lines []rstLine
			for i, l := range pySplitLines(cell) {
				lines = append(lines, rstLine{text: l, src: i + 1})
			}
			row = append(row, &tableCell{block: lines})
		}
		data.body = append(data.body, row)
	}
	t := c.s.buildTable(data, c.contentOffset)
	c.addName(t)
	return append([]*rstNode{t}, msgs...)
}

// pySplitLines is str.splitlines().
func pySplitLines(s string) []string {
	var out []string
	for _, l := range splitRSTLines(s) {
		out = append(out, l.text)
	}
	return out
}

// csvDialect is the CSV dialect of the csv-table directive (Python's csv
// module with strict=True): parse returns the rows' cells.
type csvDialect struct {
	delim, quote, escape rune
	doublequote          bool
	skipSpace            bool
}

func (d csvDialect) parse(lines []string) ([][]string, error) {
	const (
		startRecord = iota
		startField
		inField
		inQuoted
		quoteInQuoted
		escapeInField
		escapeInQuoted
	)
	var rows [][]string
	var row []string
	var field []rune
	state := startRecord
	endField := func() {
		row = append(row, string(field))
		field = nil
	}
	endRecord := func() {
		rows = append(rows, row)
		row = nil
	}
	for _, line := range lines {
		for _, c := range line + "\n" {
			switch state {
			case startRecord, startField:
				switch {
				case c == '\n':
					if state == startField {
						endField()
						endRecord()
					}
					state = startRecord
				case c == d.quote:
					state = inQuoted
				case d.escape != 0 && c == d.escape:
					state = escapeInField
				case c == ' ' && d.skipSpace:
					state = startField
				case c == d.delim:
					endField()
					state = startField
				default:
					field = append(field, c)
					state = inField
				}
			case inField:
				switch {
				case c == '\n':
					endField()
					endRecord()
					state = startRecord
				case d.escape != 0 && c == d.escape:
					state = escapeInField
				case c == d.delim:
					endField()
					state = startField
				default:
					field = append(field, c)
				}
			case escapeInField:
				field = append(field, c)
				state = inField
			case inQuoted:
				switch {
				case d.escape != 0 && c == d.escape:
					state = escapeInQuoted
				case c == d.quote:
					if d.doublequote {
						state = quoteInQuoted
					} else {
						state = inField
					}
				default:
					field = append(field, c)
				}
			case escapeInQuoted:
				field = append(field, c)
				state = inQuoted
			case quoteInQuoted:
				switch {
				case c == d.quote:
					field = append(field, c)
					state = inQuoted
				case c == d.delim:
					endField()
					state = startField
				case c == '\n':
					endField()
					endRecord()
					state = startRecord
				default:
					return nil, fmt.Errorf("'%c' expected after '%c'", d.delim, d.quote)
				}
			}
		}
	}
	if state == inQuoted || state == escapeInQuoted || state == escapeInField {
		return nil, fmt.Errorf("unexpected end of data")
	}
	return rows, nil
}
