package dist

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Directives (docutils.parsers.rst.directives): how a directive block is
// split into arguments, options and content, the option converters, and
// what each standard directive refuses. readme_renderer disables "raw",
// "include" and file or URL access, so those always fail.

type optConv func(value *string) error

type directiveSpec struct {
	required, optional int
	finalWhitespace    bool
	hasContent         bool
	options            map[string]optConv
	run                func(c *directiveCall) []*rstNode
}

// directiveCall is a Directive instance being run.
type directiveCall struct {
	s             *rstState
	name          string // as written
	args          []string
	options       map[string]string
	content       []rstLine
	lineno        int
	contentOffset int
}

// directiveError is Directive.directive_error: one system message at
// level, on the directive's line.
func (c *directiveCall) fail(level int, msg string) []*rstNode {
	return []*rstNode{c.s.doc().report(level, msg, c.lineno, nil)}
}

func (c *directiveCall) assertContent() []*rstNode {
	if len(c.content) == 0 {
		return c.fail(3, fmt.Sprintf("Content block expected for the \"%s\" directive; none found.", c.name))
	}
	return nil
}

// addName is Directive.add_name.
func (c *directiveCall) addName(n *rstNode) {
	if v, ok := c.options["name"]; ok {
		n.names = append(n.names, fullyNormalizeName(v))
		c.s.doc().noteExplicitTarget(n, n)
	}
}

func (c *directiveCall) nested(n *rstNode) {
	c.s.nestedParse(c.content, c.contentOffset, n, false)
}

// --- option converters (directives/__init__.py)

func required(v *string) error {
	if v == nil {
		return fmt.Errorf("argument required but none supplied")
	}
	return nil
}

func convUnchanged(*string) error { return nil }

func convFlag(v *string) error {
	if v != nil && pyStrip(*v) != "" {
		return fmt.Errorf("no argument is allowed; \"%s\" supplied", *v)
	}
	return nil
}

func convClass(v *string) error {
	if err := required(v); err != nil {
		return err
	}
	for _, name := range pyFields(*v) {
		if makeID(name) == "" {
			return fmt.Errorf("cannot make \"%s\" into a class name", name)
		}
	}
	return nil
}

func pyIntErr(v *string) (int, error) {
	if v == nil {
		return 0, fmt.Errorf("int() argument must be a string, a bytes-like object or a real number, not 'NoneType'")
	}
	n, ok := pyInt(*v)
	if !ok {
		return 0, fmt.Errorf("invalid literal for int() with base 10: \"%s\"", *v)
	}
	return n, nil
}

func convInt(v *string) error { _, err := pyIntErr(v); return err }

func convNonnegativeInt(v *string) error {
	n, err := pyIntErr(v)
	if err == nil && n < 0 {
		err = fmt.Errorf("negative value; must be positive or zero")
	}
	return err
}

func convPercentage(v *string) error {
	if v == nil {
		return convNonnegativeInt(v)
	}
	t := strings.TrimRight(*v, " %")
	return convNonnegativeInt(&t)
}

var cssUnits = []string{"em", "ex", "ch", "rem", "vw", "vh", "vmin", "vmax", "cm", "mm", "Q", "in", "pt", "pc", "px"}

var measureRE = regexp.MustCompile(`^(-?[0-9.]+) *([a-zA-Zµ]*|%?)$`)

// measure is nodes.parse_measure plus the unit check of get_measure.
func measure(v *string, units []string) error {
	if v == nil {
		return fmt.Errorf("expected string or bytes-like object")
	}
	m := measureRE.FindStringSubmatch(*v)
	if m == nil {
		return fmt.Errorf("\"%s\" is no valid measure.", *v)
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil || strings.Count(m[1], ".") > 1 || m[1] == "." || m[1] == "-" {
		return fmt.Errorf("\"%s\" is no valid measure.", *v)
	}
	for _, u := range units {
		if u == m[2] && f >= 0 {
			return nil
		}
	}
	return fmt.Errorf("not a positive number or measure of one of the following units")
}

func convLengthOrUnitless(v *string) error { return measure(v, append(cssUnits, "")) }

func convLengthOrPercentageOrUnitless(v *string) error {
	if err := measure(v, append(cssUnits, "%")); err != nil {
		if measure(v, []string{""}) == nil {
			return nil
		}
		return err
	}
	return nil
}

func convChoice(values ...string) optConv {
	return func(v *string) error {
		if v == nil {
			return fmt.Errorf("must supply an argument")
		}
		val := pyStrip(strings.ToLower(*v))
		for _, x := range values {
			if x == val {
				return nil
			}
		}
		return fmt.Errorf("\"%s\" unknown", *v)
	}
}

func convValueOr(values []string, other optConv) optConv {
	return func(v *string) error {
		if v != nil {
			for _, x := range values {
				if *v == x {
					return nil
				}
			}
		}
		return other(v)
	}
}

func convNoneOrInt(v *string) error {
	if v == nil {
		return nil
	}
	return convInt(v)
}

func convPositiveIntList(v *string) error {
	if v == nil {
		return fmt.Errorf("argument required")
	}
	var entries []string
	if strings.Contains(*v, ",") {
		entries = strings.Split(*v, ",")
	} else {
		entries = pyFields(*v)
	}
	for _, e := range entries {
		e := e
		n, err := pyIntErr(&e)
		if err != nil {
			return err
		}
		if n < 1 {
			return fmt.Errorf("negative or zero value; must be positive")
		}
	}
	return nil
}

func convPath(v *string) error { return required(v) }

func convEncoding(v *string) error {
	if v == nil {
		return fmt.Errorf("argument required")
	}
	switch strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(*v, "_", "-"), " ", "-")) {
	case "utf-8", "utf8", "utf-8-sig", "utf-16", "utf-32", "latin-1", "latin1", "iso-8859-1", "ascii", "us-ascii", "cp1252":
		return nil
	}
	return nil // other codecs: docutils knows many; never refuse what Python may accept
}

func convSingleChar(v *string) error {
	if v == nil {
		return fmt.Errorf("argument required")
	}
	s, err := unicodeCode(*v)
	if err != nil {
		return err
	}
	if utf8.RuneCountInString(s) > 1 {
		return fmt.Errorf("\"%s\" invalid; must be a single character or a Unicode code", s)
	}
	return nil
}

func convSingleCharOrWhitespace(v *string) error {
	if v != nil && (*v == "tab" || *v == "space") {
		return nil
	}
	return convSingleChar(v)
}

var unicodeCodeRE = regexp.MustCompile(`(?i)^(?:(?:0x|x|\\x|U\+?|\\u)([0-9a-f]+)|&#x([0-9a-f]+);)$`)

// unicodeCode is directives.unicode_code.
func unicodeCode(code string) (string, error) {
	if code != "" && strings.IndexFunc(code, func(r rune) bool { return !pyIsDigit(r) }) < 0 {
		n, ok := pyInt(code)
		if !ok || n > 0x10FFFF {
			return "", fmt.Errorf("chr() arg not in range(0x110000)")
		}
		return string(rune(n)), nil
	}
	if m := unicodeCodeRE.FindStringSubmatch(code); m != nil {
		hex := m[1] + m[2]
		n, err := strconv.ParseUint(hex, 16, 64)
		if err != nil || n > 0x10FFFF {
			if err != nil && n == math.MaxUint64 {
				return "", fmt.Errorf("code too large")
			}
			return "", fmt.Errorf("chr() arg not in range(0x110000)")
		}
		return string(rune(n)), nil
	}
	return code, nil
}

var (
	basicOptions = map[string]optConv{"class": convClass, "name": convUnchanged}
	alignOption  = convChoice("left", "center", "right")
	imageOptions = map[string]optConv{
		"alt": convUnchanged, "height": convLengthOrUnitless, "width": convLengthOrPercentageOrUnitless,
		"scale": convPercentage, "align": convChoice("top", "middle", "bottom", "left", "center", "right"),
		"target": required, "loading": convChoice("embed", "link", "lazy"), "class": convClass, "name": convUnchanged,
	}
)

func withOptions(base map[string]optConv, extra map[string]optConv) map[string]optConv {
	out := map[string]optConv{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// rstDirectiveNames maps the English directive names (case-insensitive)
// to the canonical ones (languages/en.py).
var rstDirectiveNames = map[string]string{
	"attention": "attention", "caution": "caution", "danger": "danger", "error": "error", "hint": "hint",
	"important": "important", "note": "note", "tip": "tip", "warning": "warning", "admonition": "admonition",
	"sidebar": "sidebar", "topic": "topic", "line-block": "line-block", "parsed-literal": "parsed-literal",
	"code": "code", "code-block": "code", "sourcecode": "code", "math": "math", "rubric": "rubric",
	"epigraph": "epigraph", "highlights": "highlights", "pull-quote": "pull-quote", "compound": "compound",
	"container": "container", "table": "table", "csv-table": "csv-table", "list-table": "list-table",
	"meta": "meta", "image": "image", "figure": "figure", "include": "include", "raw": "raw",
	"replace": "replace", "unicode": "unicode", "date": "date", "class": "class", "rst-class": "class",
	"role": "role", "default-role": "default-role", "title": "title", "contents": "contents",
	"sectnum": "sectnum", "section-numbering": "sectnum", "header": "header", "footer": "footer",
	"target-notes": "target-notes", "restructuredtext-test-directive": "restructuredtext-test-directive",
}

var rstDirectives map[string]*directiveSpec

func init() {
	admonition := func(c *directiveCall) []*rstNode {
		if e := c.assertContent(); e != nil {
			return e
		}
		n := newNode("admonition")
		n.line = c.s.sm.sourceLine(c.lineno)
		c.addName(n)
		var msgs []*rstNode
		if len(c.args) > 0 {
			textnodes, m := c.s.inlineText(c.args[0], c.lineno)
			t := newNode("title")
			t.append(textnodes...)
			n.append(t)
			n.append(m...)
			msgs = m
		}
		_ = msgs
		c.nested(n)
		return []*rstNode{n}
	}
	pseudoSection := func(kind string) func(c *directiveCall) []*rstNode {
		return func(c *directiveCall) []*rstNode {
			p := c.s.sm.node
			if kind == "sidebar" {
				if p.kind == "sidebar" {
					return c.fail(3, fmt.Sprintf("The \"%s\" directive may not be used within a sidebar element.", c.name))
				}
				if _, ok := c.options["subtitle"]; ok && len(c.args) == 0 {
					return c.fail(3, `The "subtitle" option may not be used without a title.`)
				}
			}
			if !topicParentOK(p) {
				return c.fail(3, fmt.Sprintf("The \"%s\" directive may not be used within topics or body elements.", c.name))
			}
			if e := c.assertContent(); e != nil {
				return e
			}
			n := newNode(kind)
			n.line = c.s.sm.sourceLine(c.lineno)
			if len(c.args) > 0 {
				textnodes, msgs := c.s.inlineText(c.args[0], c.lineno)
				t := newNode("title")
				t.append(textnodes...)
				n.append(t)
				if st, ok := c.options["subtitle"]; ok {
					more, m2 := c.s.inlineText(st, c.lineno)
					sub := newNode("subtitle")
					sub.append(more...)
					n.append(sub)
					msgs = append(msgs, m2...)
				}
				n.append(msgs...)
			}
			c.addName(n)
			c.nested(n)
			return []*rstNode{n}
		}
	}
	blockQuote := func(c *directiveCall) []*rstNode {
		if e := c.assertContent(); e != nil {
			return e
		}
		return c.s.blockQuote(c.content, c.contentOffset)
	}
	simpleContainer := func(kind string) func(c *directiveCall) []*rstNode {
		return func(c *directiveCall) []*rstNode {
			if e := c.assertContent(); e != nil {
				return e
			}
			if kind == "container" && len(c.args) > 0 {
				a := c.args[0]
				if convClass(&a) != nil {
					return c.fail(3, fmt.Sprintf("Invalid class attribute value for \"%s\" directive: \"%s\".", c.name, c.args[0]))
				}
			}
			n := newNode(kind)
			n.line = c.s.sm.sourceLine(c.lineno)
			c.addName(n)
			c.nested(n)
			return []*rstNode{n}
		}
	}
	inSubstitution := func(c *directiveCall) []*rstNode {
		if c.s.class != "SubstitutionDef" {
			return c.fail(3, fmt.Sprintf("Invalid context: the \"%s\" directive can only be used within a substitution definition.", c.name))
		}
		return nil
	}
	rstDirectives = map[string]*directiveSpec{
		"admonition": {required: 1, finalWhitespace: true, hasContent: true, options: basicOptions, run: admonition},
		"sidebar": {optional: 1, finalWhitespace: true, hasContent: true,
			options: withOptions(basicOptions, map[string]optConv{"subtitle": required}), run: pseudoSection("sidebar")},
		"topic": {required: 1, finalWhitespace: true, hasContent: true, options: basicOptions, run: pseudoSection("topic")},
		"line-block": {hasContent: true, options: basicOptions, run: func(c *directiveCall) []*rstNode {
			if e := c.assertContent(); e != nil {
				return e
			}
			block := newNode("line_block")
			block.line = c.s.sm.sourceLine(c.lineno)
			c.addName(block)
			out := []*rstNode{block}
			offset := c.contentOffset
			for _, l := range c.content {
				textnodes, msgs := c.s.inlineText(pyStrip(l.text), c.lineno+offset)
				line := newNode("line")
				line.append(textnodes...)
				block.append(line)
				out = append(out, msgs...)
				offset++
			}
			return out
		}},
		"parsed-literal": {hasContent: true, options: basicOptions, run: func(c *directiveCall) []*rstNode {
			if e := c.assertContent(); e != nil {
				return e
			}
			textnodes, msgs := c.s.inlineText(strings.Join(lineTexts(c.content), "\n"), c.lineno)
			n := newNode("literal_block")
			n.append(textnodes...)
			n.line = c.contentOffset + 1
			c.addName(n)
			return append([]*rstNode{n}, msgs...)
		}},
		"code": {optional: 1, hasContent: true,
			options: withOptions(basicOptions, map[string]optConv{"number-lines": convNoneOrInt}),
			run: func(c *directiveCall) []*rstNode {
				// Unknown lexers are not reported: readme_renderer's
				// report_level is 5, and CodeBlock then renders plain.
				if e := c.assertContent(); e != nil {
					return e
				}
				n := newNode("literal_block")
				c.addName(n)
				return []*rstNode{n}
			}},
		"math": {hasContent: true, options: basicOptions, run: func(c *directiveCall) []*rstNode {
			if e := c.assertContent(); e != nil {
				return e
			}
			var out []*rstNode
			for _, block := range strings.Split(strings.Join(lineTexts(c.content), "\n"), "\n\n") {
				if block == "" {
					continue
				}
				n := newNode("math_block")
				n.line = c.s.sm.sourceLine(c.lineno)
				c.addName(n)
				out = append(out, n)
			}
			return out
		}},
		"rubric": {required: 1, finalWhitespace: true, options: basicOptions, run: func(c *directiveCall) []*rstNode {
			textnodes, msgs := c.s.inlineText(c.args[0], c.lineno)
			n := newNode("rubric")
			n.append(textnodes...)
			n.line = c.s.sm.sourceLine(c.lineno)
			c.addName(n)
			return append([]*rstNode{n}, msgs...)
		}},
		"epigraph":   {hasContent: true, options: map[string]optConv{}, run: blockQuote},
		"highlights": {hasContent: true, options: map[string]optConv{}, run: blockQuote},
		"pull-quote": {hasContent: true, options: map[string]optConv{}, run: blockQuote},
		"compound":   {hasContent: true, options: basicOptions, run: simpleContainer("compound")},
		"container":  {optional: 1, finalWhitespace: true, hasContent: true, options: map[string]optConv{"name": convUnchanged}, run: simpleContainer("container")},
		"table": {optional: 1, finalWhitespace: true, hasContent: true,
			options: withOptions(basicOptions, map[string]optConv{"align": alignOption, "width": convLengthOrPercentageOrUnitless,
				"widths": convValueOr([]string{"auto", "grid"}, convPositiveIntList)}),
			run: runRSTTable},
		"csv-table": {optional: 1, finalWhitespace: true, hasContent: true,
			options: map[string]optConv{"header-rows": convNonnegativeInt, "stub-columns": convNonnegativeInt, "header": convUnchanged,
				"width": convLengthOrPercentageOrUnitless, "widths": convValueOr([]string{"auto"}, convPositiveIntList),
				"file": convPath, "url": required, "encoding": convEncoding, "class": convClass, "name": convUnchanged,
				"align": alignOption, "delim": convSingleCharOrWhitespace, "keepspace": convFlag,
				"quote": convSingleChar, "escape": convSingleChar},
			run: runCSVTable},
		"list-table": {optional: 1, finalWhitespace: true, hasContent: true,
			options: map[string]optConv{"header-rows": convNonnegativeInt, "stub-columns": convNonnegativeInt,
				"width": convLengthOrPercentageOrUnitless, "widths": convValueOr([]string{"auto"}, convPositiveIntList),
				"class": convClass, "name": convUnchanged, "align": alignOption},
			run: runListTable},
		"meta": {hasContent: true, options: map[string]optConv{}, run: runMeta},
		"image": {required: 1, finalWhitespace: true, options: imageOptions, run: func(c *directiveCall) []*rstNode {
			return runImage(c, false)
		}},
		"figure": {required: 1, finalWhitespace: true, hasContent: true,
			options: withOptions(imageOptions, map[string]optConv{"figwidth": func(v *string) error {
				if v != nil && strings.ToLower(*v) == "image" {
					return nil
				}
				return convLengthOrPercentageOrUnitless(v)
			}, "figclass": convClass, "figname": convUnchanged, "align": alignOption}),
			run: func(c *directiveCall) []*rstNode { return runImage(c, true) }},
		"include": {required: 1, finalWhitespace: true,
			options: map[string]optConv{"literal": convFlag, "code": convUnchanged, "encoding": convEncoding, "parser": convUnchanged,
				"tab-width": convInt, "start-line": convInt, "end-line": convInt, "start-after": convUnchanged, "end-before": convUnchanged,
				"number-lines": convNoneOrInt, "class": convClass, "name": convUnchanged},
			run: func(c *directiveCall) []*rstNode {
				// readme_renderer: file_insertion_enabled = False.
				return c.fail(2, fmt.Sprintf("\"%s\" directive disabled.", c.name))
			}},
		"raw": {required: 1, finalWhitespace: true, hasContent: true,
			options: map[string]optConv{"file": convPath, "url": required, "encoding": convEncoding, "class": convClass},
			run: func(c *directiveCall) []*rstNode {
				// readme_renderer: raw_enabled = False.
				return c.fail(2, fmt.Sprintf("\"%s\" directive disabled.", c.name))
			}},
		"replace": {hasContent: true, options: map[string]optConv{}, run: func(c *directiveCall) []*rstNode {
			if e := inSubstitution(c); e != nil {
				return e
			}
			if e := c.assertContent(); e != nil {
				return e
			}
			holder := newNode("element")
			c.nested(holder)
			var para *rstNode
			var msgs []*rstNode
			for _, el := range holder.children {
				switch {
				case para == nil && el.kind == "paragraph":
					para = el
				case el.kind == "system_message":
					msgs = append(msgs, el)
				default:
					return c.fail(3, fmt.Sprintf("Error in \"%s\" directive: may contain a single paragraph only.", c.name))
				}
			}
			if para != nil {
				return append(msgs, para.children...)
			}
			return msgs
		}},
		"unicode": {required: 1, finalWhitespace: true,
			options: map[string]optConv{"trim": convFlag, "ltrim": convFlag, "rtrim": convFlag},
			run: func(c *directiveCall) []*rstNode {
				if e := inSubstitution(c); e != nil {
					return e
				}
				arg := unicodeCommentRE.Split(c.args[0], 2)[0]
				var out []*rstNode
				for _, code := range pyFields(arg) {
					decoded, err := unicodeCode(code)
					if err != nil {
						return c.fail(3, fmt.Sprintf("Invalid character code: %s\n%s", code, err))
					}
					out = append(out, textNode(decoded))
				}
				return out
			}},
		"date": {hasContent: true, options: map[string]optConv{}, run: func(c *directiveCall) []*rstNode {
			if e := inSubstitution(c); e != nil {
				return e
			}
			return []*rstNode{textNode("date")}
		}},
		"class": {required: 1, finalWhitespace: true, hasContent: true, options: map[string]optConv{}, run: func(c *directiveCall) []*rstNode {
			a := c.args[0]
			if convClass(&a) != nil {
				return c.fail(3, fmt.Sprintf("Invalid class attribute value for \"%s\" directive: \"%s\".", c.name, c.args[0]))
			}
			if len(c.content) > 0 {
				holder := newNode("element")
				c.nested(holder)
				return holder.children
			}
			p := newNode("pending")
			p.set("transform", "class")
			p.set("directive", c.name)
			c.s.doc().pendings = append(c.s.doc().pendings, p)
			return []*rstNode{p}
		}},
		"role":         {hasContent: true, options: map[string]optConv{}, run: runRole},
		"default-role": {optional: 1, run: runDefaultRole},
		"title":        {required: 1, finalWhitespace: true, run: func(*directiveCall) []*rstNode { return nil }},
		"contents": {optional: 1, finalWhitespace: true,
			options: map[string]optConv{"depth": convNonnegativeInt, "local": convFlag, "backlinks": convChoice("top", "entry", "none"), "class": convClass},
			run: func(c *directiveCall) []*rstNode {
				if !topicParentOK(c.s.sm.node) {
					return c.fail(3, fmt.Sprintf("The \"%s\" directive may not be used within topics or body elements.", c.name))
				}
				topic := newNode("topic")
				topic.line = c.s.sm.sourceLine(0) - 1
				var msgs []*rstNode
				name := "contents"
				if len(c.args) > 0 {
					textnodes, m := c.s.inlineText(c.args[0], c.lineno)
					t := newNode("title")
					t.append(textnodes...)
					topic.append(t)
					msgs = m
					name = t.astext()
				} else if _, local := c.options["local"]; !local {
					t := newNode("title")
					t.append(textNode("Contents"))
					topic.append(t)
					name = "Contents"
				}
				name = fullyNormalizeName(name)
				if _, taken := c.s.doc().names[name]; !taken {
					topic.names = append(topic.names, name)
				}
				c.s.doc().noteImplicitTarget(topic, nil)
				p := newNode("pending")
				p.set("transform", "contents")
				if _, local := c.options["local"]; local {
					p.set("local", "1")
				}
				topic.append(p)
				return append([]*rstNode{topic}, msgs...)
			}},
		"sectnum": {options: map[string]optConv{"depth": convInt, "start": convInt, "prefix": required, "suffix": required},
			run: func(c *directiveCall) []*rstNode {
				p := newNode("pending")
				p.set("transform", "sectnum")
				return []*rstNode{p}
			}},
		"header": {hasContent: true, options: map[string]optConv{}, run: decoration("header")},
		"footer": {hasContent: true, options: map[string]optConv{}, run: decoration("footer")},
		"target-notes": {options: map[string]optConv{"class": convClass}, run: func(c *directiveCall) []*rstNode {
			p := newNode("pending")
			p.set("transform", "target-notes")
			c.addName(p)
			return []*rstNode{p}
		}},
		"restructuredtext-test-directive": {optional: 1, finalWhitespace: true, hasContent: true,
			options: map[string]optConv{"option": required}, run: func(c *directiveCall) []*rstNode {
				return []*rstNode{c.s.doc().info("Directive processed.", c.lineno)}
			}},
	}
	for _, name := range []string{"attention", "caution", "danger", "error", "hint", "important", "note", "tip", "warning"} {
		rstDirectives[name] = &directiveSpec{finalWhitespace: true, hasContent: true, options: basicOptions, run: admonition}
	}
}

var unicodeCommentRE = regexp.MustCompile(`(?: |\n|^)\.\. `)

// topicParentOK: topics, sidebars and contents may only sit in the
// document, a section or a sidebar (or a detached container).
func topicParentOK(p *rstNode) bool {
	switch p.kind {
	case "document", "section", "sidebar", "element":
		return true
	}
	return false
}

func decoration(kind string) func(c *directiveCall) []*rstNode {
	return func(c *directiveCall) []*rstNode {
		if e := c.assertContent(); e != nil {
			return e
		}
		n := newNode("decoration")
		c.nested(n)
		c.s.doc().root.children = append(c.s.doc().root.children, n)
		n.parent = c.s.doc().root
		return nil
	}
}

// directive is Body.directive: find the directive and run it.
func (s *rstState) directive(m *lineMatch, presetNames []string) ([]*rstNode, bool) {
	typeName := m.groups["1"]
	canonical, ok := rstDirectiveNames[strings.ToLower(typeName)]
	if !ok {
		canonical = strings.ToLower(typeName)
	}
	spec := rstDirectives[canonical]
	if spec == nil {
		lineno := s.sm.absLineNumber()
		_, _, _, blankFinish := s.sm.getFirstKnownIndented(0, false, false, true)
		return []*rstNode{s.doc().error(fmt.Sprintf("Unknown directive type \"%s\".", typeName), lineno)}, blankFinish
	}
	lineno := s.sm.absLineNumber()
	block, _, lineOffset, blankFinish := s.sm.getFirstKnownIndented(m.end, false, true, false)
	call, err := s.parseDirectiveBlock(block, lineOffset, spec)
	if err != nil {
		return []*rstNode{s.doc().error(fmt.Sprintf("Error in \"%s\" directive:\n%s.", typeName, err), lineno)}, blankFinish
	}
	if canonical == "image" && s.class == "SubstitutionDef" {
		call.options["__substitution"] = ""
	}
	call.s, call.name, call.lineno = s, typeName, lineno
	result := spec.run(call)
	return result, blankFinish || s.sm.isNextLineBlank()
}

// parseDirectiveBlock is Body.parse_directive_block.
func (s *rstState) parseDirectiveBlock(indented []rstLine, lineOffset int, spec *directiveSpec) (*directiveCall, error) {
	if len(indented) > 0 && pyStrip(indented[0].text) == "" {
		indented = indented[1:]
		lineOffset++
	}
	indented = trimBlankEnd(indented)
	var argBlock, content []rstLine
	var contentOffset int
	hasArgs := spec.required > 0 || spec.optional > 0
	i := 0
	if len(indented) > 0 && (hasArgs || len(spec.options) > 0) {
		for i = 0; i < len(indented); i++ {
			if pyStrip(indented[i].text) == "" {
				break
			}
		}
		argBlock = indented[:i]
		if i+1 <= len(indented) {
			content = indented[min(i+1, len(indented)):]
		}
		contentOffset = lineOffset + i + 1
	} else {
		content = indented
		contentOffset = lineOffset
	}
	options := map[string]string{}
	if len(spec.options) > 0 {
		var err error
		options, argBlock, err = s.parseDirectiveOptions(spec.options, argBlock)
		if err != nil {
			return nil, err
		}
	}
	if len(argBlock) > 0 && !hasArgs {
		content = append(cloneLines(argBlock), indented[min(i, len(indented)):]...)
		contentOffset = lineOffset
		argBlock = nil
	}
	for len(content) > 0 && pyStrip(content[0].text) == "" {
		content = content[1:]
		contentOffset++
	}
	var args []string
	if hasArgs {
		text := strings.Join(lineTexts(argBlock), "\n")
		args = pyFields(text)
		switch {
		case len(args) < spec.required:
			return nil, fmt.Errorf("%d argument(s) required, %d supplied", spec.required, len(args))
		case len(args) > spec.required+spec.optional:
			if !spec.finalWhitespace {
				return nil, fmt.Errorf("maximum %d argument(s) allowed, %d supplied", spec.required+spec.optional, len(args))
			}
			args = splitMax(text, spec.required+spec.optional-1)
		}
	}
	if len(content) > 0 && !spec.hasContent {
		return nil, fmt.Errorf("no content permitted")
	}
	return &directiveCall{args: args, options: options, content: content, contentOffset: contentOffset}, nil
}

// splitMax is str.split(None, n).
func splitMax(text string, n int) []string {
	var out []string
	rest := pyLStrip(text)
	for len(out) < n && rest != "" {
		i := strings.IndexFunc(rest, pyIsSpace)
		if i < 0 {
			break
		}
		out = append(out, rest[:i])
		rest = pyLStrip(rest[i:])
	}
	if rest != "" {
		out = append(out, rest)
	}
	return out
}

// parseDirectiveOptions is Body.parse_directive_options and
// parse_extension_options.
func (s *rstState) parseDirectiveOptions(spec map[string]optConv, argBlock []rstLine) (map[string]string, []rstLine, error) {
	var optBlock []rstLine
	for i, l := range argBlock {
		if fieldMarkerEnd(l.text) >= 0 {
			optBlock = argBlock[i:]
			argBlock = argBlock[:i]
			break
		}
	}
	options := map[string]string{}
	if len(optBlock) == 0 {
		return options, argBlock, nil
	}
	fl := newNode("field_list")
	newOffset, blankFinish := s.nestedListParse(cloneLines(optBlock), 0, fl, "ExtensionOptions", true, "", nil)
	if newOffset != len(optBlock) {
		return nil, nil, fmt.Errorf("invalid option block")
	}
	for _, f := range fl.children {
		if f.kind != "field" || len(f.children) < 2 {
			continue
		}
		nameText := f.children[0].astext()
		if len(pyFields(nameText)) != 1 {
			return nil, nil, fmt.Errorf("invalid option data: extension option field name may not contain multiple words")
		}
		name := strings.ToLower(nameText)
		body := f.children[1]
		var value *string
		switch {
		case len(body.children) == 0:
		case len(body.children) > 1 || body.children[0].kind != "paragraph" || len(body.children[0].children) != 1 || body.children[0].children[0].kind != "#text":
			return nil, nil, fmt.Errorf("invalid option data: extension option field body may contain\na single paragraph only (option \"%s\")", name)
		default:
			v := body.children[0].children[0].text
			value = &v
		}
		conv, ok := spec[name]
		if !ok {
			return nil, nil, fmt.Errorf("unknown option: \"%s\"", name)
		}
		if _, dup := options[name]; dup {
			return nil, nil, fmt.Errorf("invalid option data: duplicate option \"%s\"", name)
		}
		if err := conv(value); err != nil {
			return nil, nil, fmt.Errorf("invalid option value: (option: \"%s\"; value: %s)\n%s", name, pyReprPtr(value), err)
		}
		if value != nil {
			options[name] = *value
		} else {
			options[name] = ""
		}
	}
	if !blankFinish {
		return nil, nil, fmt.Errorf("option data incompletely parsed")
	}
	return options, argBlock, nil
}

func pyReprPtr(v *string) string {
	if v == nil {
		return "None"
	}
	return "'" + *v + "'"
}

// --- image and figure

func runImage(c *directiveCall, figure bool) []*rstNode {
	if a, ok := c.options["align"]; ok && !figure {
		a = pyStrip(strings.ToLower(a))
		if _, sub := c.options["__substitution"]; sub {
			if a != "top" && a != "middle" && a != "bottom" {
				return c.fail(3, fmt.Sprintf(`Error in "%s" directive: "%s" is not a valid value for the "align" option within a substitution definition.  Valid values for "align" are: "top", "middle", "bottom".`, c.name, a))
			}
		} else if a != "left" && a != "center" && a != "right" {
			return c.fail(3, fmt.Sprintf(`Error in "%s" directive: "%s" is not a valid value for the "align" option.  Valid values for "align" are: "left", "center", "right".`, c.name, a))
		}
	}
	img := newNode("image")
	img.line = c.s.sm.sourceLine(c.lineno)
	var out []*rstNode
	var ref *rstNode
	if t, ok := c.options["target"]; ok {
		block := strings.Split(escape2null(t), "\n")
		if len(block) > 0 && strings.HasSuffix(pyStrip(block[len(block)-1]), "_") {
			var parts []string
			for _, l := range block {
				parts = append(parts, pyStrip(l))
			}
			if name, ok := isReference(strings.Join(parts, " ")); ok {
				ref = newNode("reference")
				ref.set("refname", fullyNormalizeName(name))
				c.s.doc().noteRefname(ref)
			}
		}
		if ref == nil {
			ref = newNode("reference")
			ref.set("refuri", t)
		}
	}
	if !figure {
		c.addName(img)
		if ref != nil {
			ref.append(img)
			return append(out, ref)
		}
		return append(out, img)
	}
	fig := newNode("figure")
	fig.line = img.line
	if ref != nil {
		ref.append(img)
		fig.append(ref)
	} else {
		fig.append(img)
	}
	if v, ok := c.options["name"]; ok {
		img.names = append(img.names, fullyNormalizeName(v))
		c.s.doc().noteExplicitTarget(img, img)
	}
	if v, ok := c.options["figname"]; ok {
		fig.names = append(fig.names, fullyNormalizeName(v))
		c.s.doc().noteExplicitTarget(fig, fig)
	}
	if len(c.content) > 0 {
		holder := newNode("element")
		c.nested(holder)
		i := 0
		for i = 0; i < len(holder.children); i++ {
			child := holder.children[i]
			if child.kind == "target" || child.kind == "pending" {
				fig.append(child)
				continue
			}
			if child.kind == "paragraph" {
				cap := newNode("caption")
				cap.children = child.children
				fig.append(cap)
				break
			}
			if child.kind == "comment" && len(child.children) == 0 && child.text == "" {
				break
			}
			return []*rstNode{fig, c.s.doc().error("Figure caption must be a paragraph or empty comment.", c.lineno)}
		}
		if len(holder.children) > i+1 {
			legend := newNode("legend")
			legend.append(holder.children[i+1:]...)
			fig.append(legend)
		}
	}
	return []*rstNode{fig}
}

// --- role and default-role

var roleArgRE = regexp.MustCompile(`^(` + simplenamePat + `)\s*(\(\s*(` + simplenamePat + `)\s*\)\s*)?$`)

var roleOptionSpecs = map[string]map[string]optConv{
	"raw":  {"format": convUnchanged, "class": convClass},
	"code": {"language": convUnchanged, "class": convClass},
}

func runRole(c *directiveCall) []*rstNode {
	if c.contentOffset > c.lineno || len(c.content) == 0 {
		return c.fail(3, fmt.Sprintf("\"%s\" directive requires arguments on the first line.", c.name))
	}
	args := c.content[0].text
	m := roleArgRE.FindStringSubmatch(args)
	if m == nil {
		return c.fail(3, fmt.Sprintf("\"%s\" directive arguments not valid role names: \"%s\".", c.name, args))
	}
	newName, baseName := m[1], m[3]
	base := rstRole{canonical: "custom"}
	if baseName != "" {
		r, ok := c.s.doc().lookupRole(baseName)
		if !ok {
			return []*rstNode{c.s.doc().error(fmt.Sprintf("Unknown interpreted text role \"%s\".", baseName), c.lineno)}
		}
		base = r
	}
	spec := roleOptionSpecs[base.canonical]
	if spec == nil {
		spec = map[string]optConv{"class": convClass}
	}
	sub := &directiveSpec{options: spec}
	call, err := c.s.parseDirectiveBlock(cloneLines(c.content[1:]), c.contentOffset, sub)
	if err != nil {
		return []*rstNode{c.s.doc().error(fmt.Sprintf("Error in \"%s\" directive:\n%s.", c.name, err), c.lineno)}
	}
	if _, ok := call.options["class"]; !ok {
		if makeID(newName) == "" {
			return []*rstNode{c.s.doc().error(fmt.Sprintf("Invalid argument for \"%s\" directive:\ncannot make \"%s\" into a class name.", c.name, newName), c.lineno)}
		}
	}
	role := rstRole{canonical: base.canonical, options: call.options}
	if base.canonical == "custom" {
		role.canonical = "inline"
	}
	c.s.doc().roles[strings.ToLower(newName)] = role
	return nil
}

func runDefaultRole(c *directiveCall) []*rstNode {
	if len(c.args) == 0 {
		delete(c.s.doc().roles, "")
		return nil
	}
	r, ok := c.s.doc().lookupRole(c.args[0])
	if !ok {
		return []*rstNode{c.s.doc().error(fmt.Sprintf("Unknown interpreted text role \"%s\".", c.args[0]), c.lineno)}
	}
	c.s.doc().roles[""] = r
	return nil
}

// --- meta

func runMeta(c *directiveCall) []*rstNode {
	if e := c.assertContent(); e != nil {
		return e
	}
	holder := newNode("element")
	newOffset, _ := c.s.nestedListParse(c.content, c.contentOffset, holder, "MetaBody", true, "", nil)
	if newOffset-c.contentOffset != len(c.content) {
		holder.append(c.s.doc().error("Invalid meta directive.", c.lineno))
	}
	root := c.s.doc().root
	for _, ch := range holder.children {
		ch.parent = root
	}
	root.children = append(holder.children, root.children...)
	return nil
}

// parseMeta is MetaBody.parsemeta.
func (s *rstState) parseMeta(m *lineMatch) []*rstNode {
	name := unescape(escape2null(fieldName(m.line, m.end)), false)
	block, _, _, _ := s.sm.getFirstKnownIndented(m.end, false, true, true)
	if len(block) == 0 {
		return []*rstNode{s.doc().info(fmt.Sprintf("No content for meta tag \"%s\".", name), 0)}
	}
	tokens := pyFields(name)
	for _, tok := range tokens[min(1, len(tokens)):] {
		if _, _, ok := strings.Cut(tok, "="); !ok {
			return []*rstNode{s.doc().error(fmt.Sprintf("Error parsing meta tag attribute \"%s\": missing \"=\".", tok), 0)}
		}
	}
	return []*rstNode{newNode("meta")}
}
