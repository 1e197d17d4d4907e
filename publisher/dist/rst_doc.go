package dist

import (
	"errors"
	"fmt"
	"strings"
)

// The document tree and the document-wide registries of the
// reStructuredText checker: the part of docutils.nodes (node, document,
// Reporter) that decides which system messages a document produces.

// rstNode is a docutils node. Only what the checks read is kept: the node
// class (kind), the tree, the source line, reference names and the few
// attributes the transforms consult.
type rstNode struct {
	kind     string
	parent   *rstNode
	children []*rstNode
	line     int    // source line, 0 when docutils records none
	text     string // Text nodes; the raw source of inline nodes
	attrs    map[string]string

	names, dupnames, ids []string

	hasSource  bool // docutils' "source" attribute is set
	level      int  // system_message level
	resolved   bool
	referenced bool

	doc *rstDoc // on the document node only
}

func newNode(kind string) *rstNode { return &rstNode{kind: kind} }

func textNode(s string) *rstNode { return &rstNode{kind: "#text", text: s} }

func (n *rstNode) has(attr string) bool { _, ok := n.attrs[attr]; return ok }

func (n *rstNode) get(attr string) string { return n.attrs[attr] }

func (n *rstNode) set(attr, value string) {
	if n.attrs == nil {
		n.attrs = map[string]string{}
	}
	n.attrs[attr] = value
}

func (n *rstNode) del(attr string) { delete(n.attrs, attr) }

// rootDoc is the document n belongs to, or nil.
func (n *rstNode) rootDoc() *rstDoc {
	r := n
	for r.parent != nil {
		r = r.parent
	}
	return r.doc
}

// setupChild is Node.setup_child: a child joining the document tree
// without a line takes the document's current line (the line the state
// machines last moved to), as docutils' does.
func (n *rstNode) setupChild(c *rstNode) {
	c.parent = n
	root := n
	for root.parent != nil {
		root = root.parent
	}
	if root.doc != nil {
		if c.line == 0 {
			c.line = root.doc.currentLine
		}
		if !c.hasSource {
			c.hasSource = root.doc.currentSource
		}
	}
}

func (n *rstNode) append(children ...*rstNode) {
	for _, c := range children {
		if c == nil {
			continue
		}
		n.setupChild(c)
		n.children = append(n.children, c)
	}
}

func (n *rstNode) insert(i int, children ...*rstNode) {
	for _, c := range children {
		n.setupChild(c)
	}
	n.children = append(n.children[:i], append(append([]*rstNode{}, children...), n.children[i:]...)...)
}

func (n *rstNode) index(child *rstNode) int {
	for i, c := range n.children {
		if c == child {
			return i
		}
	}
	return -1
}

func (n *rstNode) remove(child *rstNode) {
	if i := n.index(child); i >= 0 {
		n.children = append(n.children[:i], n.children[i+1:]...)
	}
}

// replaceWith puts nodes where n is in its parent.
func (n *rstNode) replaceWith(nodes ...*rstNode) {
	p := n.parent
	if p == nil {
		return
	}
	if root := p.rootDoc(); root != nil {
		root.spend(len(p.children))
	}
	i := p.index(n)
	if i < 0 {
		return
	}
	p.children = append(p.children[:i], p.children[i+1:]...)
	p.insert(i, nodes...)
}

// astext is the node's text content.
func (n *rstNode) astext() string {
	if n.kind == "#text" {
		return unescape(n.text, false)
	}
	var b strings.Builder
	for _, c := range n.children {
		b.WriteString(c.astext())
	}
	return b.String()
}

// walk calls f on n and its descendants in document order.
func (n *rstNode) walk(f func(*rstNode)) {
	f(n)
	for _, c := range append([]*rstNode(nil), n.children...) {
		c.walk(f)
	}
}

// findAll returns the descendants (and n) of the given kinds.
func (n *rstNode) findAll(kinds ...string) []*rstNode {
	var out []*rstNode
	n.walk(func(c *rstNode) {
		for _, k := range kinds {
			if c.kind == k {
				out = append(out, c)
				return
			}
		}
	})
	return out
}

// sourceLine is docutils.utils.get_source_line: the line of n or of its
// closest ancestor that has a line or a source; found is false when no
// ancestor has either.
func (n *rstNode) sourceLine() (line int, found bool) {
	for c := n; c != nil; c = c.parent {
		if c.line != 0 || c.hasSource {
			return c.line, true
		}
	}
	return 0, false
}

// sectionHierarchy counts the section ancestors of n (and n).
func (n *rstNode) sectionHierarchy() int {
	k := 0
	for c := n; c != nil; c = c.parent {
		if c.kind == "section" {
			k++
		}
	}
	return k
}

// Node classes (docutils' class hierarchy, as far as the checks need it).
var (
	rstInvisible        = set("comment", "substitution_definition", "target", "pending")
	rstPreBibliographic = set("comment", "substitution_definition", "target", "pending", "system_message", "raw", "title", "subtitle", "meta", "decoration")
	rstInline           = set("#text", "emphasis", "strong", "literal", "reference", "footnote_reference", "citation_reference",
		"substitution_reference", "title_reference", "abbreviation", "acronym", "superscript", "subscript", "math",
		"image", "inline", "problematic", "generated", "target", "raw")
	// Elements whose content model admits body elements: a system message
	// may be appended there ("'Body' in repr(msgnode.content_model)").
	rstBodyContainers = set("document", "section", "topic", "sidebar", "block_quote", "list_item", "definition",
		"field_body", "description", "footnote", "citation", "entry", "admonition", "attention", "caution",
		"danger", "error", "hint", "important", "note", "tip", "warning", "compound", "container", "legend",
		"header", "footer")
)

// rstMessage is one system message of docutils: its level (1 INFO, 2
// WARNING, 3 ERROR, 4 SEVERE), line and text.
type rstMessage struct {
	Line    int
	Level   int
	Message string
}

// rstLevelNames are the message types docutils prints.
var rstLevelNames = []string{"DEBUG", "INFO", "WARNING", "ERROR", "SEVERE"}

// rstDoc is the document node with its registries (nodes.document).
type rstDoc struct {
	root *rstNode

	names     map[string]*rstNode // nil value: a duplicate name
	nametypes map[string]bool     // true: explicit
	nameids   map[string]string   // "" value: a duplicate name
	ids       map[string]*rstNode
	idCounter map[string]int

	refnames map[string][]*rstNode
	refids   map[string][]*rstNode

	indirectTargets    []*rstNode
	autofootnotes      []*rstNode
	autofootnoteRefs   []*rstNode
	symbolFootnotes    []*rstNode
	symbolFootnoteRefs []*rstNode
	footnotes          []*rstNode
	footnoteRefs       map[string][]*rstNode
	citations          []*rstNode
	citationRefs       map[string][]*rstNode
	substitutionDefs   map[string]*rstNode
	substitutionNames  map[string]string
	pendings           []*rstNode

	messages []rstMessage
	// currentLine is document.current_line: the document line the last
	// state machine move landed on (0: none).
	currentLine   int
	currentSource bool
	// rootSM locates messages reported without a line: docutils uses the
	// current line of the document's state machine.
	rootSM *stateMachine

	// work counts the checker's steps (spend); past rstBudget it gives
	// up rather than run for long on a pathological document.
	work     int
	problems int // messages at level WARNING or above

	// Interpreted text roles defined by the document (role directive) and
	// the default role ("" key), as docutils' roles._roles.
	roles map[string]rstRole
}

func newRSTDoc() *rstDoc {
	d := &rstDoc{
		root:              newNode("document"),
		names:             map[string]*rstNode{},
		nametypes:         map[string]bool{},
		nameids:           map[string]string{},
		ids:               map[string]*rstNode{},
		idCounter:         map[string]int{},
		refnames:          map[string][]*rstNode{},
		refids:            map[string][]*rstNode{},
		footnoteRefs:      map[string][]*rstNode{},
		citationRefs:      map[string][]*rstNode{},
		substitutionDefs:  map[string]*rstNode{},
		substitutionNames: map[string]string{},
		roles:             map[string]rstRole{},
	}
	d.root.doc = d
	return d
}

// report is Reporter.system_message: it records the message and returns a
// system_message node to put in the tree. line 0 asks for the current line
// of the document's state machine; base (when not nil) gives the line.
func (d *rstDoc) report(level int, msg string, line int, base *rstNode) *rstNode {
	found := false
	if base != nil {
		line, found = base.sourceLine()
	}
	if found {
		// the base node's line, as is
	} else if line == 0 && d.rootSM != nil {
		line = d.rootSM.sourceLine(0)
	} else if line != 0 && d.rootSM != nil {
		// The given line stays when the lookup finds none.
		if l := d.rootSM.sourceLine(line); l != 0 {
			line = l
		}
	}
	d.record(rstMessage{Line: line, Level: level, Message: msg})
	n := newNode("system_message")
	n.level = level
	n.line = line
	n.text = msg
	return n
}

// rstMaxProblems: once this many problems are known, the verdict is too
// (readme_renderer stops at the first); parsing stops.
const rstMaxProblems = 100

var errRSTEnough = errors.New("enough problems found")

func (d *rstDoc) record(m rstMessage) {
	d.messages = append(d.messages, m)
	if m.Level >= 2 {
		d.problems++
		if d.problems >= rstMaxProblems {
			panic(errRSTEnough)
		}
	}
}

// reportAt reports at a document line given as is (a message with an
// explicit source and line in docutils).
func (d *rstDoc) reportAt(level int, msg string, srcline int) *rstNode {
	d.record(rstMessage{Line: srcline, Level: level, Message: msg})
	n := newNode("system_message")
	n.level, n.line, n.text = level, srcline, msg
	return n
}

func (d *rstDoc) info(msg string, line int) *rstNode    { return d.report(1, msg, line, nil) }
func (d *rstDoc) warning(msg string, line int) *rstNode { return d.report(2, msg, line, nil) }
func (d *rstDoc) error(msg string, line int) *rstNode   { return d.report(3, msg, line, nil) }

// setID is document.set_id: give n an identifier and map its names to it.
func (d *rstDoc) setID(n *rstNode) string {
	if len(n.ids) == 0 {
		n.ids = append(n.ids, d.createID(n))
	}
	var id string
	for _, id = range n.ids {
		if _, ok := d.ids[id]; !ok {
			d.ids[id] = n
		}
	}
	for _, name := range n.names {
		d.nameids[name] = id
	}
	return id
}

// createID follows document.create_id with readme_renderer's id_prefix
// "user-content-" and docutils' auto_id_prefix "%".
func (d *rstDoc) createID(n *rstNode) string {
	const idPrefix = "user-content-"
	var id, base string
	for _, name := range n.names {
		base = makeID("x" + name)
		if base != "" {
			base = base[1:]
		}
		id = idPrefix + base
		if _, taken := d.ids[id]; base != "" && !taken {
			return id
		}
	}
	var prefix string
	switch {
	case base != "":
		prefix = id + "-"
	case len(n.dupnames) > 0 && makeID(n.dupnames[0]) != "":
		prefix = makeID(n.dupnames[0]) + "-"
	default:
		kind := strings.ReplaceAll(n.kind, "_", "-")
		prefix = idPrefix + kind + "-"
	}
	for {
		d.idCounter[prefix]++
		id = fmt.Sprintf("%s%d", prefix, d.idCounter[prefix])
		if _, taken := d.ids[id]; !taken {
			return id
		}
	}
}

// noteNames is document.note_names.
func (d *rstDoc) noteNames(n, msgnode *rstNode, explicit bool) {
	for _, name := range append([]string(nil), n.names...) {
		if old, ok := d.names[name]; ok && old != n {
			d.setDuplicateName(n, name, msgnode, explicit)
			continue
		}
		d.names[name] = n
		if _, ok := d.nametypes[name]; !ok {
			d.nametypes[name] = explicit
		}
	}
}

func dupname(n *rstNode, name string) {
	n.dupnames = append(n.dupnames, name)
	for i, x := range n.names {
		if x == name {
			n.names = append(n.names[:i], n.names[i+1:]...)
			break
		}
	}
	n.referenced = true
}

// setDuplicateName is document.set_duplicate_name (docutils 0.23): two
// explicit targets of one name are a WARNING, unless both point to the
// same URI or reference name; every other conflict is an INFO.
func (d *rstDoc) setDuplicateName(n *rstNode, name string, msgnode *rstNode, explicit bool) {
	old := d.names[name]
	oldExplicit := d.nametypes[name]
	d.nametypes[name] = oldExplicit || explicit
	level := 0
	var s string
	switch {
	case old != nil && (n.has("refname") && old.has("refname") && n.get("refname") == old.get("refname") ||
		n.has("refuri") && old.has("refuri") && n.get("refuri") == old.get("refuri")):
		level = 1
		ref := n.get("refuri")
		if ref == "" {
			ref = n.get("refname")
		}
		s = fmt.Sprintf("Duplicate name \"%s\" for external target \"%s\".", name, ref)
		dupname(n, name)
	case explicit && oldExplicit:
		level = 2
		s = fmt.Sprintf("Duplicate explicit target name: \"%s\".", name)
		dupname(n, name)
		if old != nil {
			dupname(old, name)
			d.names[name] = nil
			d.nameids[name] = ""
		}
	case explicit:
		d.names[name] = n
		if old != nil {
			level = 1
			s = fmt.Sprintf("Target name overrides implicit target name \"%s\".", name)
			dupname(old, name)
		}
	default:
		level = 1
		s = fmt.Sprintf("Duplicate implicit target name: \"%s\".", name)
		dupname(n, name)
		if old != nil && !oldExplicit {
			dupname(old, name)
			d.names[name] = nil
			d.nameids[name] = ""
			d.setID(old)
		}
	}
	if level > 0 {
		if !(n.kind == "target" && len(n.children) == 0) {
			d.setID(n)
		}
		msg := d.report(level, s, 0, n)
		if msgnode != nil && rstBodyContainers[msgnode.kind] {
			msgnode.append(msg)
		}
	}
}

func (d *rstDoc) noteImplicitTarget(t, msgnode *rstNode) {
	d.noteNames(t, msgnode, false)
	d.setID(t)
}

func (d *rstDoc) noteExplicitTarget(t, msgnode *rstNode) {
	d.noteNames(t, msgnode, true)
	d.setID(t)
}

func (d *rstDoc) noteRefname(n *rstNode) {
	d.refnames[n.get("refname")] = append(d.refnames[n.get("refname")], n)
}

func (d *rstDoc) noteRefid(n *rstNode) {
	d.refids[n.get("refid")] = append(d.refids[n.get("refid")], n)
}

func (d *rstDoc) noteIndirectTarget(t *rstNode) {
	d.indirectTargets = append(d.indirectTargets, t)
	if len(t.names) > 0 {
		d.noteRefname(t)
	}
}

func (d *rstDoc) noteSubstitutionDef(def *rstNode, defName string, msgnode *rstNode) {
	name := whitespaceNormalizeName(defName)
	if old, ok := d.substitutionDefs[name]; ok {
		msg := d.report(3, fmt.Sprintf("Duplicate substitution definition name: \"%s\".", name), 0, def)
		if msgnode != nil {
			msgnode.append(msg)
		}
		dupname(old, name)
	}
	d.substitutionDefs[name] = def
	d.substitutionNames[fullyNormalizeName(name)] = name
}

// rstBudget bounds the work on one document: docutils, like this
// port, takes quadratic time on some inputs (long chains of dotted names,
// nested substitutions); real READMEs take a small fraction of it.
var rstBudget = 200_000_000 // a variable for the tests

// errRSTTooComplex is raised (as a panic, recovered by CheckRST) when the
// budget is spent.
var errRSTTooComplex = errors.New("the document is too large or complex to check")

func (d *rstDoc) spend(n int) {
	d.work += n
	if d.work > rstBudget {
		panic(errRSTTooComplex)
	}
}
