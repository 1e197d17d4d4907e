package dist

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Text helpers of the reStructuredText checker, each the Go form of the
// Python (str method or docutils utility) the parser relies on. Python
// indexes strings by code point, so the checker does too wherever an index
// computed on one line is applied to another (indentation).

// pyIsSpace is str.isspace for one character.
func pyIsSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85:
		return true
	}
	return r > 0x7f && unicode.IsSpace(r)
}

// pyStrip, pyLStrip and pyRStrip are str.strip(), lstrip(), rstrip().
func pyStrip(s string) string  { return strings.TrimFunc(s, pyIsSpace) }
func pyLStrip(s string) string { return strings.TrimLeftFunc(s, pyIsSpace) }
func pyRStrip(s string) string { return strings.TrimRightFunc(s, pyIsSpace) }

// pyFields is str.split() without arguments.
func pyFields(s string) []string { return strings.FieldsFunc(s, pyIsSpace) }

// pyIsWord is one character of the regular expression class \w.
func pyIsWord(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) }

// pyIsDigit is str.isdigit for one character.
func pyIsDigit(r rune) bool { return unicode.Is(unicode.Nd, r) || unicode.Is(unicode.No, r) }

func decodeRune(s string, i int) (rune, int) { return utf8.DecodeRuneInString(s[i:]) }

// runeLen is len() of a Python str.
func runeLen(s string) int { return utf8.RuneCountInString(s) }

// runeOffset is the byte offset of code point n of s (len(s) past the end).
func runeOffset(s string, n int) int {
	if n <= 0 {
		return 0
	}
	i := 0
	for off := range s {
		if i == n {
			return off
		}
		i++
	}
	return len(s)
}

// runeFrom is s[n:] and runeTo is s[:n], by code point.
func runeFrom(s string, n int) string { return s[runeOffset(s, n):] }
func runeTo(s string, n int) string   { return s[:runeOffset(s, n)] }

// leadingSpace is len(line) - len(line.lstrip()).
func leadingSpace(line string) int { return runeLen(line) - runeLen(pyLStrip(line)) }

// columnWidth is docutils.utils.column_width: East Asian wide and full-width
// characters count twice, combining characters not at all.
func columnWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case isCombining(r):
		case isWide(r):
			n += 2
		default:
			n++
		}
	}
	return n
}

func isWide(r rune) bool {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return true
	}
	return false
}

// isCombining is unicodedata.combining(c) != 0.
func isCombining(r rune) bool { return norm.NFD.PropertiesString(string(r)).CCC() != 0 }

// stripCombining is docutils.utils.strip_combining_chars.
func stripCombining(s string) string {
	return strings.Map(func(r rune) rune {
		if isCombining(r) {
			return -1
		}
		return r
	}, s)
}

// padDoubleWidth appends pad after every wide character
// (StringList.pad_double_width), so that columns line up by index.
func padDoubleWidth(s string, pad rune) string {
	if !strings.ContainsFunc(s, isWide) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
		if isWide(r) {
			b.WriteRune(pad)
		}
	}
	return b.String()
}

// escape2null marks backslash-escaped characters: a backslash becomes NUL
// and the escaped character stays (docutils.utils.escape2null).
func escape2null(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		if text[i] == '\\' {
			b.WriteByte(0)
			if i+1 < len(text) {
				i++
				b.WriteByte(text[i])
			}
			continue
		}
		b.WriteByte(text[i])
	}
	return b.String()
}

// unescape removes the escape markers (and the escaped whitespace), or
// turns them back into backslashes with restoreBackslashes
// (docutils.nodes.unescape).
func unescape(text string, restoreBackslashes bool) string {
	if restoreBackslashes {
		return strings.ReplaceAll(text, "\x00", `\`)
	}
	for _, sep := range []string{"\x00 ", "\x00\n", "\x00"} {
		text = strings.ReplaceAll(text, sep, "")
	}
	return text
}

// fullyNormalizeName is docutils' reference name normalization: lower
// case, whitespace runs collapsed.
func fullyNormalizeName(name string) string {
	return strings.Join(pyFields(strings.ToLower(name)), " ")
}

// whitespaceNormalizeName collapses whitespace runs only.
func whitespaceNormalizeName(name string) string { return strings.Join(pyFields(name), " ") }

// makeID is docutils.nodes.make_id: an identifier [a-z](-?[a-z0-9]+)*.
func makeID(s string) string {
	id := strings.ToLower(s)
	id = strings.Map(func(r rune) rune {
		if t, ok := nonIDTranslate[r]; ok {
			return t
		}
		return r
	}, id)
	for from, to := range nonIDDigraphs {
		id = strings.ReplaceAll(id, string(from), to)
	}
	var ascii strings.Builder
	for _, r := range norm.NFKD.String(id) {
		if r < 0x80 {
			ascii.WriteRune(r)
		}
	}
	id = strings.Join(pyFields(ascii.String()), " ")
	var b strings.Builder
	dash := false
	for _, r := range id {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	// Identifiers start with a letter.
	return strings.TrimLeft(b.String(), "0123456789-")
}

// nonIDTranslate and nonIDDigraphs are make_id's transliterations of
// letters NFKD does not decompose into ASCII.
var nonIDTranslate = map[rune]rune{
	0x00f8: 'o', 0x0111: 'd', 0x0127: 'h', 0x0131: 'i', 0x0142: 'l', 0x0167: 't', 0x0180: 'b',
	0x0183: 'b', 0x0188: 'c', 0x018c: 'd', 0x0192: 'f', 0x0199: 'k', 0x019a: 'l', 0x019e: 'n',
	0x01a5: 'p', 0x01ab: 't', 0x01ad: 't', 0x01b4: 'y', 0x01b6: 'z', 0x01e5: 'g', 0x0225: 'z',
	0x0234: 'l', 0x0235: 'n', 0x0236: 't', 0x0237: 'j', 0x023c: 'c', 0x023f: 's', 0x0240: 'z',
	0x0247: 'e', 0x0249: 'j', 0x024b: 'q', 0x024d: 'r', 0x024f: 'y',
}

var nonIDDigraphs = map[rune]string{
	0x00df: "sz", 0x00e6: "ae", 0x0153: "oe", 0x0238: "db", 0x0239: "qp",
}
