package dist

import (
	"fmt"
	"strings"
)

// The transforms docutils applies after parsing that report problems
// (docutils.transforms.references, misc, frontmatter), in their order
// (default_priority): ClassAttribute 210, Substitutions 220, DocTitle 320,
// DocInfo 340, AnonymousHyperlinks 440, IndirectHyperlinks 460,
// Footnotes 620, ExternalTargets 640, InternalTargets 660,
// StripComments 740, Transitions 830, DanglingReferences 850.

func (d *rstDoc) applyTransforms() {
	d.classAttribute()
	d.substitutions()
	d.propagateTargets()
	d.docTitle()
	d.docInfo()
	d.anonymousHyperlinks()
	d.indirectHyperlinks()
	d.footnotesTransform()
	d.externalTargets()
	d.internalTargets()
	d.contents()
	d.stripComments()
	d.transitions()
	d.danglingReferences()
}

// nextInDocument lists the nodes after n in document order: its
// following siblings (and their descendants), then its parent's, and so on.
func nextInDocument(n *rstNode) []*rstNode {
	var out []*rstNode
	for c := n; c.parent != nil; c = c.parent {
		p := c.parent
		for _, sib := range p.children[p.index(c)+1:] {
			sib.walk(func(x *rstNode) { out = append(out, x) })
		}
	}
	return out
}

func (d *rstDoc) classAttribute() {
	for _, p := range d.pendings {
		if p.get("transform") != "class" || p.parent == nil {
			continue
		}
		found := false
		for _, el := range nextInDocument(p) {
			if el.kind == "#text" || rstInvisible[el.kind] || el.kind == "system_message" {
				continue
			}
			found = true
			break
		}
		if found {
			p.parent.remove(p)
			continue
		}
		p.replaceWith(d.report(3, fmt.Sprintf("No suitable element following \"%s\" directive", p.get("directive")), p.line, nil))
	}
}

func (d *rstDoc) substitutions() {
	refs := d.root.findAll("substitution_reference")
	nested := map[string][]string{}
	origin := map[*rstNode]*rstNode{}
	for i := 0; i < len(refs); i++ {
		ref := refs[i]
		if ref.parent == nil {
			continue
		}
		refname := ref.get("refname")
		key, ok := refname, false
		if _, ok = d.substitutionDefs[refname]; !ok {
			key, ok = d.substitutionNames[strings.ToLower(refname)]
		}
		if !ok {
			d.report(3, fmt.Sprintf("Undefined substitution referenced: \"%s\".", refname), 0, ref)
			makeProblematic(ref)
			continue
		}
		def := d.substitutionDefs[key]
		if runeLen(def.astext()) > 10000 {
			d.report(3, fmt.Sprintf("Substitution definition \"%s\" exceeds the line-length-limit.", key), 0, nil)
			makeProblematic(ref)
			continue
		}
		copied := cloneTree(def, d)
		circular := false
		for _, nref := range copied.findAll("substitution_reference") {
			nestedName := d.substitutionNames[strings.ToLower(nref.get("refname"))]
			for _, k := range nested[nestedName] {
				if k == nestedName {
					circular = true
				}
			}
			if circular {
				break
			}
			nested[nestedName] = append(nested[nestedName], key)
			origin[nref] = ref
			refs = append(refs, nref)
		}
		if circular {
			if ref.parent != nil && ref.parent.kind == "substitution_definition" {
				ref.parent.replaceWith(d.report(3, "Circular substitution definition detected:", 0, ref.parent))
			} else {
				o := ref
				for origin[o] != nil {
					o = origin[o]
				}
				d.report(3, fmt.Sprintf("Circular substitution definition referenced: \"%s\".", refname), 0, o)
				makeProblematic(ref)
			}
			continue
		}
		ref.replaceWith(copied.children...)
		for _, c := range copied.children {
			if (c.kind == "reference" || c.kind == "footnote_reference" || c.kind == "citation_reference" || c.kind == "target") && c.has("refname") {
				d.noteRefname(c)
			}
		}
	}
}

// makeProblematic turns a node into the "problematic" node docutils puts
// in its place (in place: replacing it would cost a scan of its siblings,
// quadratic over a paragraph of thousands of bad references).
func makeProblematic(n *rstNode) {
	n.kind = "problematic"
	n.attrs = nil
	n.children = nil
	n.append(textNode(n.text))
}

// cloneTree deep-copies a node (names and ids are not registered again,
// as with docutils' deepcopy).
func cloneTree(n *rstNode, d *rstDoc) *rstNode {
	d.spend(1)
	c := *n
	c.parent = nil
	c.children = nil
	if n.attrs != nil {
		c.attrs = map[string]string{}
		for k, v := range n.attrs {
			c.attrs[k] = v
		}
	}
	c.names = append([]string(nil), n.names...)
	c.ids = append([]string(nil), n.ids...)
	for _, ch := range n.children {
		c.append(cloneTree(ch, d))
	}
	return &c
}

// rstTextElements hold inline content: a target inside one is inline.
var rstTextElements = set("paragraph", "title", "subtitle", "term", "line", "attribution", "caption", "rubric",
	"field_name", "label", "literal_block", "doctest_block", "comment", "substitution_definition", "target",
	"reference", "emphasis", "strong", "literal", "problematic", "inline")

// propagateTargets is references.PropagateTargets: a block-level internal
// target (".. _name:") hands its names to the element that follows and
// becomes a reference to it, so it renders nothing.
func (d *rstDoc) propagateTargets() {
	for _, t := range d.root.findAll("target") {
		if t.parent == nil || rstTextElements[t.parent.kind] || t.has("refid") || t.has("refuri") || t.has("refname") {
			continue
		}
		var next *rstNode
		for c := t; c.parent != nil && next == nil; c = c.parent {
			if k := c.parent.index(c); k+1 < len(c.parent.children) {
				next = c.parent.children[k+1]
			}
		}
		if next == nil || !(next.kind == "target" || !rstInvisible[next.kind] && next.kind != "footnote" && next.kind != "citation") {
			continue
		}
		next.names = append(next.names, t.names...)
		if len(t.ids) > 0 {
			t.set("refid", t.ids[0])
		} else {
			t.set("refid", "propagated")
		}
		t.names = nil
	}
}

// firstNonPreBibliographic is first_child_not_matching_class(PreBibliographic).
func firstNonPreBibliographic(n *rstNode) int {
	for i, c := range n.children {
		if !rstPreBibliographic[c.kind] {
			return i
		}
	}
	return -1
}

// docTitle is frontmatter.DocTitle (doctitle_xform, readme_renderer's
// setting): a lone top-level section becomes the document title, and a
// lone subsection then the subtitle.
func (d *rstDoc) docTitle() {
	if d.promoteTitle(d.root, "title") {
		d.promoteTitle(d.root, "subtitle")
	}
}

func (d *rstDoc) promoteTitle(node *rstNode, as string) bool {
	i := firstNonPreBibliographic(node)
	if as == "subtitle" {
		// node[0] is the title now; look after it.
		i = -1
		for k, c := range node.children {
			if k == 0 {
				continue
			}
			if !rstPreBibliographic[c.kind] {
				i = k
				break
			}
		}
	}
	if i < 0 || len(node.children) > i+1 || node.children[i].kind != "section" {
		return false
	}
	sec := node.children[i]
	if len(sec.children) == 0 {
		return false
	}
	title := sec.children[0]
	title.kind = as
	var before []*rstNode
	if as == "subtitle" {
		docTitle := node.children[0]
		before = append([]*rstNode(nil), node.children[1:i]...)
		node.children = nil
		node.append(docTitle, title)
	} else {
		before = append([]*rstNode(nil), node.children[:i]...)
		node.children = nil
		node.append(title)
	}
	node.append(before...)
	node.append(sec.children[1:]...)
	return true
}

var bibliographicFields = map[string]string{
	"author": "text", "authors": "authors", "organization": "text", "address": "text", "contact": "text",
	"version": "text", "revision": "text", "status": "text", "date": "text", "copyright": "text",
	"dedication": "topic", "abstract": "topic",
}

// docInfo is frontmatter.DocInfo: a field list first in the document is
// bibliographic data; the known fields must hold a single paragraph.
func (d *rstDoc) docInfo() {
	i := firstNonPreBibliographic(d.root)
	if i < 0 || d.root.children[i].kind != "field_list" {
		return
	}
	fl := d.root.children[i]
	topics := map[string]bool{}
	for _, f := range fl.children {
		if f.kind != "field" || len(f.children) != 2 {
			continue
		}
		name := f.children[0].astext()
		kind, ok := bibliographicFields[fullyNormalizeName(name)]
		if !ok {
			continue
		}
		body := f.children[1]
		if len(body.children) < 1 {
			f.children[1].append(d.report(2, fmt.Sprintf("Cannot extract empty bibliographic field \"%s\".", name), 0, f))
			continue
		}
		switch kind {
		case "text":
			if len(body.children) == 1 && body.children[0].kind == "paragraph" {
				continue
			}
			if body.children[0].kind == "enumerated_list" && !strings.Contains(pyStrip(body.text), "\n") {
				continue // an author name with an initial ("A. Einstein")
			}
			var content []string
			for _, c := range body.children {
				if c.kind != "system_message" {
					content = append(content, "<"+c.kind+">")
				}
			}
			desc := "a " + strings.Join(content, "")
			if len(content) > 1 {
				desc = "[" + strings.Join(content, ", ") + "]"
			}
			body.append(d.report(2, fmt.Sprintf("Bibliographic field \"%s\"\nmust contain a single <paragraph>, not %s.", name, desc), 0, f))
		case "authors":
			ok := len(body.children) == 1 && (body.children[0].kind == "paragraph" || body.children[0].kind == "bullet_list")
			if len(body.children) > 1 {
				ok = true
				for _, c := range body.children {
					ok = ok && c.kind == "paragraph"
				}
			}
			if !ok {
				body.append(d.report(2, fmt.Sprintf("Cannot extract \"%s\" from bibliographic field:\nBibliographic field \"%s\" must contain either a single paragraph (with authors separated by one of \";,\"), multiple paragraphs (one per author), or a bullet list with one paragraph (one author) per item.", name, name), 0, f))
			}
		case "topic":
			canonical := fullyNormalizeName(name)
			if topics[canonical] {
				body.append(d.report(2, fmt.Sprintf("There can only be one \"%s\" field.", name), 0, f))
			}
			topics[canonical] = true
		}
	}
	fl.kind = "docinfo"
}

func (d *rstDoc) anonymousHyperlinks() {
	var refs, targets []*rstNode
	d.root.walk(func(n *rstNode) {
		switch {
		case n.kind == "reference" && n.has("anonymous"):
			refs = append(refs, n)
		case n.kind == "target" && n.has("anonymous"):
			targets = append(targets, n)
		}
	})
	if len(refs) != len(targets) {
		d.report(3, fmt.Sprintf("Anonymous hyperlink mismatch: %d references but %d targets.\nSee \"backrefs\" attribute for IDs.", len(refs), len(targets)), 0, nil)
		for _, r := range refs {
			makeProblematic(r)
		}
		return
	}
	for i, r := range refs {
		if r.has("refid") || r.has("refuri") {
			continue
		}
		t := targets[i]
		t.referenced = true
		if t.has("refuri") {
			r.set("refuri", t.get("refuri"))
			r.resolved = true
		} else if len(t.ids) > 0 {
			r.set("refid", t.ids[0])
			d.noteRefid(r)
		}
	}
}

func (d *rstDoc) indirectHyperlinks() {
	for _, t := range d.indirectTargets {
		if !t.resolved {
			d.resolveIndirectTarget(t, map[*rstNode]bool{})
		}
		d.resolveIndirectReferences(t)
	}
}

func (d *rstDoc) resolveIndirectTarget(t *rstNode, seen map[*rstNode]bool) {
	refname, refid := t.get("refname"), t.get("refid")
	var reftarget *rstNode
	if t.has("refid") {
		reftarget = d.ids[refid]
	} else {
		reftarget = d.names[refname]
		refid = d.nameids[refname]
		if reftarget != nil && refid == "" {
			refid = d.setID(reftarget)
		}
	}
	if reftarget == nil {
		if n, ok := d.names[refname]; ok && n == nil {
			d.indirectTargetError(t, "which is a duplicate, and cannot be used as a unique reference")
		} else {
			d.indirectTargetError(t, "which does not exist")
		}
		return
	}
	reftarget.referenced = true
	if reftarget.kind == "target" && !reftarget.resolved && reftarget.has("refname") {
		if seen[t] {
			d.indirectTargetError(t, "forming a circular reference")
			return
		}
		seen[t] = true
		d.resolveIndirectTarget(reftarget, seen)
		delete(seen, t)
	}
	switch {
	case reftarget.has("refuri"):
		t.set("refuri", reftarget.get("refuri"))
		t.del("refid")
	case reftarget.has("refid"):
		t.set("refid", reftarget.get("refid"))
		d.noteRefid(t)
	case len(reftarget.ids) > 0:
		t.set("refid", refid)
		d.noteRefid(t)
	default:
		if n, ok := d.names[t.get("refname")]; ok && n == nil {
			d.indirectTargetError(t, "which is a duplicate, and cannot be used as a unique reference")
		} else {
			d.indirectTargetError(t, "which does not exist")
		}
		return
	}
	t.del("refname")
	t.resolved = true
}

func (d *rstDoc) indirectTargetError(t *rstNode, explanation string) {
	naming := ""
	if len(t.names) > 0 {
		naming = fmt.Sprintf("\"%s\" ", t.names[0])
	}
	if len(t.ids) > 0 {
		naming += fmt.Sprintf("(id=\"%s\")", t.ids[0])
	}
	d.report(3, fmt.Sprintf("Indirect hyperlink target %s refers to target \"%s\", %s.", naming, t.get("refname"), explanation), 0, t)
	var reflist []*rstNode
	for _, name := range t.names {
		reflist = append(reflist, d.refnames[name]...)
	}
	for _, id := range t.ids {
		reflist = append(reflist, d.refids[id]...)
	}
	for _, r := range reflist {
		if r.parent != nil {
			makeProblematic(r)
		}
	}
	t.resolved = true
}

func (d *rstDoc) resolveIndirectReferences(t *rstNode) {
	var attname string
	switch {
	case t.has("refid"):
		attname = "refid"
	case t.has("refuri"):
		attname = "refuri"
	default:
		return
	}
	val := t.get(attname)
	resolve := func(reflist []*rstNode) {
		for _, r := range reflist {
			if r.resolved {
				continue
			}
			r.del("refname")
			r.del("refid")
			r.set(attname, val)
			r.resolved = true
			if r.kind == "target" {
				d.resolveIndirectReferences(r)
			}
		}
	}
	for _, name := range t.names {
		if len(d.refnames[name]) > 0 {
			t.referenced = true
		}
		resolve(d.refnames[name])
	}
	for _, id := range t.ids {
		resolve(d.refids[id])
	}
}

func (d *rstDoc) footnotesTransform() {
	start := 1
	var labels []string
	for _, fn := range d.autofootnotes {
		var label string
		for {
			label = fmt.Sprint(start)
			start++
			if _, taken := d.nameids[label]; !taken {
				break
			}
		}
		for _, name := range fn.names {
			for _, ref := range d.footnoteRefs[name] {
				ref.del("refname")
				if len(fn.ids) > 0 {
					ref.set("refid", fn.ids[0])
				}
				ref.resolved = true
			}
		}
		if len(fn.names) == 0 && len(fn.dupnames) == 0 {
			fn.names = append(fn.names, label)
			d.noteExplicitTarget(fn, fn)
			labels = append(labels, label)
		}
	}
	i := 0
	for k, ref := range d.autofootnoteRefs {
		if ref.resolved || ref.has("refid") {
			continue
		}
		if i >= len(labels) {
			n := len(labels)
			s := ""
			if n > 1 {
				s = "s"
			}
			d.report(3, fmt.Sprintf("Too many autonumbered footnote references: only %d corresponding footnote%s available.", n, s), 0, ref)
			for _, r := range d.autofootnoteRefs[k:] {
				if !r.resolved && !r.has("refname") && r.parent != nil {
					makeProblematic(r)
				}
			}
			break
		}
		ref.set("refid", d.nameids[labels[i]])
		ref.resolved = true
		i++
	}
	for k, ref := range d.symbolFootnoteRefs {
		if k >= len(d.symbolFootnotes) {
			d.report(3, fmt.Sprintf("Too many symbol footnote references: only %d corresponding footnotes available.", len(d.symbolFootnotes)), 0, ref)
			for _, r := range d.symbolFootnoteRefs[k:] {
				if !r.resolved && !r.has("refid") && r.parent != nil {
					makeProblematic(r)
				}
			}
			break
		}
		ref.set("refid", "symbol")
	}
	resolve := func(note *rstNode, reflist []*rstNode) {
		for _, ref := range reflist {
			if ref.resolved {
				continue
			}
			ref.del("refname")
			ref.set("refid", "note")
			ref.resolved = true
		}
		note.resolved = true
	}
	for _, fn := range d.footnotes {
		for _, label := range fn.names {
			if refs, ok := d.footnoteRefs[label]; ok {
				resolve(fn, refs)
			}
		}
	}
	for _, c := range d.citations {
		for _, label := range c.names {
			if refs, ok := d.citationRefs[label]; ok {
				resolve(c, refs)
			}
		}
	}
}

func (d *rstDoc) externalTargets() {
	for _, t := range d.root.findAll("target") {
		if !t.has("refuri") {
			continue
		}
		for _, name := range t.names {
			for _, ref := range d.refnames[name] {
				if ref.resolved {
					continue
				}
				ref.del("refname")
				ref.set("refuri", t.get("refuri"))
				ref.resolved = true
			}
		}
	}
}

func (d *rstDoc) internalTargets() {
	for _, t := range d.root.findAll("target") {
		if t.has("refuri") || t.has("refid") {
			continue
		}
		for _, name := range t.names {
			refid := d.nameids[name]
			for _, ref := range d.refnames[name] {
				if ref.resolved {
					continue
				}
				if refid != "" {
					ref.del("refname")
					ref.set("refid", refid)
				}
				ref.resolved = true
			}
		}
	}
}

// contents is parts.Contents: a table of contents lists the sections of
// the document (or, with :local:, of its section); with none, the topic
// is removed, and the document may be left with nothing to render.
func (d *rstDoc) contents() {
	for _, p := range d.root.findAll("pending") {
		if p.get("transform") != "contents" || p.parent == nil || p.parent.parent == nil {
			continue
		}
		topic := p.parent
		start := d.root
		if p.has("local") {
			start = topic.parent
			for start.kind != "section" && start.kind != "document" && start.parent != nil {
				start = start.parent
			}
		}
		hasSection := false
		for _, c := range start.children {
			hasSection = hasSection || c.kind == "section"
		}
		if hasSection {
			p.replaceWith(newNode("bullet_list"))
		} else {
			topic.parent.remove(topic)
		}
	}
}

func (d *rstDoc) stripComments() {
	for _, c := range d.root.findAll("comment") {
		if c.parent != nil {
			c.parent.remove(c)
		}
	}
}

// transitionIgnored are the siblings a transition's position check skips.
var transitionIgnored = set("decoration", "meta", "pending", "substitution_definition", "subtitle", "target", "title")

func (d *rstDoc) transitions() {
	for _, t := range d.root.findAll("transition") {
		p := t.parent
		if p == nil {
			continue
		}
		if p.kind != "document" && p.kind != "section" {
			d.report(2, "Transition only valid as child of <document> or <section>.", 0, t)
			continue
		}
		i := p.index(t)
		follows := i > 0 && p.children[i-1].kind == "transition"
		begins, ends := true, true
		for _, s := range p.children[:i] {
			if !transitionIgnored[s.kind] {
				begins = false
			}
		}
		for _, s := range p.children[i+1:] {
			if !transitionIgnored[s.kind] {
				ends = false
			}
		}
		if ends {
			moved := false
			sib := p
			for par := sib.parent; par != nil; sib, par = par, par.parent {
				if k := par.index(sib); k < len(par.children)-1 {
					p.remove(t)
					par.insert(k+1, t)
					moved = true
					break
				}
			}
			if !moved {
				d.report(2, "Transition at the end of the document.", 0, t)
			}
		}
		if begins {
			d.report(2, fmt.Sprintf("Transition at the start of the %s.", t.parent.kind), 0, t)
		} else if follows {
			d.report(2, "At least one body element should separate transitions.", 0, t)
		}
	}
}

func (d *rstDoc) danglingReferences() {
	d.root.walk(func(n *rstNode) {
		switch n.kind {
		case "reference", "footnote_reference", "citation_reference":
		default:
			return
		}
		if n.resolved || !n.has("refname") {
			return
		}
		refname := n.get("refname")
		id, known := d.nameids[refname]
		if known && id != "" {
			n.resolved = true
			return
		}
		if known {
			d.report(3, fmt.Sprintf("Duplicate target name, cannot be used as a unique reference: \"%s\".", refname), 0, n)
		} else {
			d.report(3, fmt.Sprintf("Unknown target name: \"%s\".", refname), 0, n)
		}
		makeProblematic(n)
	})
}

// renderedEmpty reports whether the HTML body readme_renderer keeps (the
// docinfo and the fragment: no title, subtitle, decoration, meta, comment,
// substitution definition, invisible target or system message) is empty.
func (d *rstDoc) renderedEmpty() bool {
	for _, c := range d.root.children {
		switch c.kind {
		case "title", "subtitle", "decoration", "meta", "comment", "substitution_definition", "system_message", "pending":
			continue
		case "target":
			if c.has("refuri") || c.has("refid") || c.has("refname") {
				continue // an external or indirect target renders nothing
			}
		}
		return false
	}
	return true
}
