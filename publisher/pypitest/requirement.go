package pypitest

import (
	"errors"
	"regexp"
	"sort"
	"strings"
)

// PEP 508 requirements, PEP 440 specifiers and environment markers, as far
// as the index validates them (packaging.requirements / specifiers /
// markers): what parses, what does not, and str(Requirement) for the
// "Can't have direct dependency: ..." message.

var errInvalid = errors.New("invalid")

// requirement is a parsed PEP 508 requirement.
type requirement struct {
	name      string
	extras    []string
	specifier []string // individual specifiers, normalized ("<2", ">=1.0")
	url       string
	marker    *markerNode
}

// String is str(packaging.requirements.Requirement).
func (r *requirement) String() string {
	var b strings.Builder
	b.WriteString(r.name)
	if len(r.extras) > 0 {
		extras := append([]string(nil), r.extras...)
		sort.Strings(extras)
		b.WriteString("[" + strings.Join(extras, ",") + "]")
	}
	if len(r.specifier) > 0 {
		specs := append([]string(nil), r.specifier...)
		sort.Strings(specs)
		b.WriteString(strings.Join(specs, ","))
	}
	if r.url != "" {
		b.WriteString("@ " + r.url)
		if r.marker != nil {
			b.WriteString(" ")
		}
	}
	if r.marker != nil {
		b.WriteString("; " + r.marker.format(true))
	}
	return b.String()
}

var (
	reqIdentifier = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9._-]*[a-zA-Z0-9])?`)
	reqURL        = regexp.MustCompile(`^[^ \t]+`)
	reqWS         = regexp.MustCompile(`^[ \t]+`)
	specOperator  = regexp.MustCompile(`^(~=|===|==|!=|<=|>=|<|>)`)
	specVersion   = regexp.MustCompile(`^[^,;\s)]*`)
	markerVarRe   = regexp.MustCompile(`^(python_version|python_full_version|os[._]name|sys[._]platform|platform_(release|system)|platform[._](version|machine|python_implementation)|python_implementation|implementation_(name|version)|extra|dependency_groups)\b`)
	markerOpRe    = regexp.MustCompile(`^(===|==|~=|!=|<=|>=|<|>|not[ \t]+in\b|in\b)`)
	markerString  = regexp.MustCompile(`^('[^']*'|"[^"]*")`)
	markerBoolRe  = regexp.MustCompile(`^(and|or)\b`)
)

// reqParser is a tiny cursor over the requirement text.
type reqParser struct{ s string }

func (p *reqParser) ws() bool {
	m := reqWS.FindString(p.s)
	p.s = p.s[len(m):]
	return m != ""
}

func (p *reqParser) take(re *regexp.Regexp) (string, bool) {
	m := re.FindString(p.s)
	if m == "" {
		return "", false
	}
	p.s = p.s[len(m):]
	return m, true
}

func (p *reqParser) lit(s string) bool {
	if strings.HasPrefix(p.s, s) {
		p.s = p.s[len(s):]
		return true
	}
	return false
}

// parseRequirement parses a PEP 508 requirement string; it fails where
// packaging raises InvalidRequirement.
func parseRequirement(s string) (*requirement, error) {
	p := &reqParser{s: s}
	p.ws()
	name, ok := p.take(reqIdentifier)
	if !ok {
		return nil, errInvalid
	}
	r := &requirement{name: name}
	p.ws()
	if p.lit("[") {
		p.ws()
		if !p.lit("]") {
			for {
				p.ws()
				extra, ok := p.take(reqIdentifier)
				if !ok {
					return nil, errInvalid
				}
				r.extras = append(r.extras, extra)
				p.ws()
				if p.lit("]") {
					break
				}
				if !p.lit(",") {
					return nil, errInvalid
				}
			}
		}
	}
	p.ws()
	if p.lit("@") {
		p.ws()
		url, ok := p.take(reqURL)
		if !ok {
			return nil, errInvalid
		}
		r.url = url
		if p.s == "" {
			return r, nil
		}
		if !p.ws() {
			return nil, errInvalid
		}
		if p.s == "" {
			return r, nil
		}
	} else {
		paren := p.lit("(")
		p.ws()
		specs, err := p.versionMany()
		if err != nil {
			return nil, err
		}
		r.specifier = specs
		p.ws()
		if paren && !p.lit(")") {
			return nil, errInvalid
		}
		p.ws()
		if p.s == "" {
			return r, nil
		}
	}
	if !p.lit(";") {
		return nil, errInvalid
	}
	p.ws()
	m, err := p.marker()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.s != "" {
		return nil, errInvalid
	}
	r.marker = m
	return r, nil
}

// versionMany parses a comma-separated list of specifiers (possibly empty).
func (p *reqParser) versionMany() ([]string, error) {
	var specs []string
	if !specOperator.MatchString(p.s) {
		return nil, nil
	}
	for {
		op, _ := p.take(specOperator)
		p.ws()
		ver, _ := p.take(specVersion)
		if !validSpecifier(op, ver) {
			return nil, errInvalid
		}
		specs = append(specs, op+ver)
		save := p.s
		p.ws()
		if !p.lit(",") {
			p.s = save
			return specs, nil
		}
		p.ws()
		if !specOperator.MatchString(p.s) {
			return nil, errInvalid
		}
	}
}

// validSpecifier applies packaging.specifiers.Specifier's per-operator rules.
func validSpecifier(op, ver string) bool {
	switch op {
	case "===":
		return ver != "" && !strings.ContainsAny(ver, " \t;")
	case "==", "!=":
		if strings.HasSuffix(ver, ".*") {
			v, ok := parseVersion(strings.TrimSuffix(ver, ".*"))
			return ok && v.preL == "" && !v.hasPost && !v.hasDev && len(v.local) == 0
		}
		return validVersion(ver)
	case "~=":
		v, ok := parseVersion(ver)
		return ok && len(v.local) == 0 && len(v.release) >= 2
	default: // <=, >=, <, >
		v, ok := parseVersion(ver)
		return ok && len(v.local) == 0
	}
}

// parseSpecifierSet is packaging.specifiers.SpecifierSet(s): comma-separated
// specifiers, empty items ignored.
func parseSpecifierSet(s string) error {
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p := &reqParser{s: item}
		op, ok := p.take(specOperator)
		if !ok {
			return errInvalid
		}
		p.s = strings.TrimLeft(p.s, " \t")
		if strings.ContainsAny(p.s, " \t") || !validSpecifier(op, p.s) {
			return errInvalid
		}
	}
	return nil
}

// markerNode is a marker expression: a comparison (left op right) or a
// group of nodes joined by "and"/"or".
type markerNode struct {
	// comparison
	left, op, right string
	// group: items alternate node, bool, node, ...
	items  []*markerNode
	boolOp string // for bool-operator items
}

// format is packaging.markers._format_marker: values double-quoted,
// nested groups parenthesized, the outermost one not.
func (n *markerNode) format(first bool) string {
	switch {
	case n.boolOp != "":
		return n.boolOp
	case n.items == nil:
		return n.left + " " + n.op + " " + n.right
	case len(n.items) == 1 && n.items[0].items != nil:
		return n.items[0].format(first)
	}
	parts := make([]string, len(n.items))
	for i, it := range n.items {
		parts[i] = it.format(false)
	}
	if first {
		return strings.Join(parts, " ")
	}
	return "(" + strings.Join(parts, " ") + ")"
}

func (p *reqParser) marker() (*markerNode, error) {
	group := &markerNode{}
	for {
		p.ws()
		atom, err := p.markerAtom()
		if err != nil {
			return nil, err
		}
		group.items = append(group.items, atom)
		save := p.s
		p.ws()
		op, ok := p.take(markerBoolRe)
		if !ok {
			p.s = save
			return group, nil
		}
		group.items = append(group.items, &markerNode{boolOp: op})
	}
}

func (p *reqParser) markerAtom() (*markerNode, error) {
	if p.lit("(") {
		inner, err := p.marker()
		if err != nil {
			return nil, err
		}
		p.ws()
		if !p.lit(")") {
			return nil, errInvalid
		}
		return inner, nil
	}
	left, err := p.markerVar()
	if err != nil {
		return nil, err
	}
	p.ws()
	op, ok := p.take(markerOpRe)
	if !ok {
		return nil, errInvalid
	}
	op = strings.Join(strings.Fields(op), " ")
	p.ws()
	right, err := p.markerVar()
	if err != nil {
		return nil, err
	}
	return &markerNode{left: left, op: op, right: right}, nil
}

// markerVar reads a marker variable (normalized to its PEP 508 name) or a
// quoted string (re-quoted with double quotes, as packaging serializes it).
func (p *reqParser) markerVar() (string, error) {
	if s, ok := p.take(markerString); ok {
		return `"` + s[1:len(s)-1] + `"`, nil
	}
	v, ok := p.take(markerVarRe)
	if !ok {
		return "", errInvalid
	}
	if v == "python_implementation" {
		return "platform_python_implementation", nil
	}
	return strings.ReplaceAll(v, ".", "_"), nil
}
