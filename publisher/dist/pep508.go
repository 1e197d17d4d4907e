package dist

import (
	"fmt"
	"regexp"
	"strings"
)

// Dependency specifiers (PEP 508) and version specifiers (PEP 440), checked
// the way packaging.requirements.Requirement and
// packaging.specifiers.SpecifierSet accept them, which is what PyPI applies
// to Requires-Dist and Requires-Python.

// Per-operator version grammars of packaging.specifiers.Specifier.
const (
	specPre   = `(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?`
	specPost  = `(?:(?:-[0-9]+)|(?:[-_.]?(?:post|rev|r)[-_.]?[0-9]*))?`
	specDev   = `(?:[-_.]?dev[-_.]?[0-9]*)?`
	specLocal = `(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?`
)

var specifierREs = []struct {
	ops []string
	re  *regexp.Regexp
}{
	// Arbitrary equality: anything but whitespace, ";" and ")".
	{[]string{"==="}, regexp.MustCompile(`^[^\s;)]*$`)},
	// (Non-)equality: wildcards or local versions.
	{[]string{"==", "!="}, regexp.MustCompile(`(?i)^v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:\.\*|` + specPre + specPost + specDev + specLocal + `)$`)},
	// Compatible release: at least two release segments, no local.
	{[]string{"~="}, regexp.MustCompile(`(?i)^v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)+` + specPre + specPost + specDev + `$`)},
	// Ordered comparisons: no wildcards, no local.
	{[]string{"<=", ">=", "<", ">"}, regexp.MustCompile(`(?i)^v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*` + specPre + specPost + specDev + `$`)},
}

var specOps = []string{"===", "~=", "==", "!=", "<=", ">=", "<", ">"}

// splitSpecifier separates the operator from the version of one specifier.
func splitSpecifier(s string) (op, version string, ok bool) {
	s = strings.TrimSpace(s)
	for _, o := range specOps {
		if strings.HasPrefix(s, o) {
			return o, strings.TrimSpace(s[len(o):]), true
		}
	}
	return "", "", false
}

// ValidSpecifier checks one version specifier such as ">=3.9" or "==1.*".
func ValidSpecifier(s string) error {
	op, v, ok := splitSpecifier(s)
	if !ok {
		return fmt.Errorf("%q has no comparison operator (~=, ==, !=, <=, >=, <, >, ===)", strings.TrimSpace(s))
	}
	if op != "===" && strings.ContainsAny(v, " \t") {
		return fmt.Errorf("invalid version %q in %q", v, strings.TrimSpace(s))
	}
	for _, g := range specifierREs {
		for _, o := range g.ops {
			if o == op {
				if !g.re.MatchString(v) {
					return fmt.Errorf("invalid version %q for operator %s in %q", v, op, strings.TrimSpace(s))
				}
				return nil
			}
		}
	}
	return fmt.Errorf("unknown operator in %q", s)
}

// ValidSpecifierSet checks a comma-separated specifier set such as
// ">=3.9,<4" (Requires-Python). Empty items are ignored, as packaging does.
func ValidSpecifierSet(s string) error {
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		if err := ValidSpecifier(part); err != nil {
			return err
		}
	}
	return nil
}

// Requirement is a parsed PEP 508 dependency specification.
type Requirement struct {
	Name      string
	Extras    []string
	Specifier string // e.g. ">=1.0,<2"
	URL       string // direct reference ("name @ URL"); PyPI refuses these
	Marker    string
}

// ParseRequirement parses a PEP 508 dependency specification.
func ParseRequirement(s string) (Requirement, error) {
	p := &reqParser{s: s}
	r, err := p.requirement()
	if err != nil {
		return Requirement{}, fmt.Errorf("%s (at column %d of %q)", err.Error(), p.pos+1, s)
	}
	return r, nil
}

type reqParser struct {
	s   string
	pos int
}

func (p *reqParser) ws() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func (p *reqParser) peek(lit string) bool { return strings.HasPrefix(p.s[p.pos:], lit) }

func (p *reqParser) eat(lit string) bool {
	if p.peek(lit) {
		p.pos += len(lit)
		return true
	}
	return false
}

var identRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?`)

func (p *reqParser) identifier(what string) (string, error) {
	m := identRE.FindString(p.s[p.pos:])
	if m == "" {
		return "", fmt.Errorf("expected %s", what)
	}
	p.pos += len(m)
	return m, nil
}

func (p *reqParser) requirement() (Requirement, error) {
	var r Requirement
	p.ws()
	name, err := p.identifier("a package name")
	if err != nil {
		return r, err
	}
	r.Name = name
	p.ws()
	if p.eat("[") {
		p.ws()
		if !p.eat("]") {
			for {
				p.ws()
				e, err := p.identifier("an extra name")
				if err != nil {
					return r, err
				}
				r.Extras = append(r.Extras, e)
				p.ws()
				if p.eat("]") {
					break
				}
				if !p.eat(",") {
					return r, fmt.Errorf("expected a comma between extra names or ] to close them")
				}
			}
		}
		p.ws()
	}
	switch {
	case p.eat("@"):
		p.ws()
		start := p.pos
		for p.pos < len(p.s) && p.s[p.pos] != ' ' && p.s[p.pos] != '\t' {
			p.pos++
		}
		r.URL = p.s[start:p.pos]
		if r.URL == "" {
			return r, fmt.Errorf("expected a URL after @")
		}
		if p.pos == len(p.s) {
			return r, nil
		}
		p.ws()
		if p.pos == len(p.s) {
			return r, nil
		}
		if !p.eat(";") {
			return r, fmt.Errorf("expected end or semicolon after the URL and whitespace")
		}
		return r, p.marker(&r)
	case p.peek("("):
		p.pos++
		spec, err := p.specifiers()
		if err != nil {
			return r, err
		}
		if !p.eat(")") {
			return r, fmt.Errorf("expected ) to close the version specifier")
		}
		r.Specifier = spec
	default:
		spec, err := p.specifiers()
		if err != nil {
			return r, err
		}
		r.Specifier = spec
	}
	p.ws()
	if p.pos == len(p.s) {
		return r, nil
	}
	if !p.eat(";") {
		return r, fmt.Errorf("expected a version specifier, a ; and an environment marker, or the end")
	}
	return r, p.marker(&r)
}

// specifiers reads a comma-separated list of specifiers; it stops before
// ";", ")" or the end of input.
func (p *reqParser) specifiers() (string, error) {
	var specs []string
	for {
		p.ws()
		op := ""
		for _, o := range specOps {
			if p.peek(o) {
				op = o
				break
			}
		}
		if op == "" {
			if len(specs) == 0 {
				return "", nil
			}
			return "", fmt.Errorf("expected a version specifier after the comma")
		}
		p.pos += len(op)
		p.ws()
		start := p.pos
		for p.pos < len(p.s) && !strings.ContainsRune(" \t,;)", rune(p.s[p.pos])) {
			p.pos++
		}
		spec := op + p.s[start:p.pos]
		if err := ValidSpecifier(spec); err != nil {
			return "", err
		}
		specs = append(specs, spec)
		p.ws()
		if !p.eat(",") {
			return strings.Join(specs, ","), nil
		}
	}
}

var markerVarRE = regexp.MustCompile(`^(?:python_version|python_full_version|os[._]name|sys[._]platform|platform_release|platform_system|platform[._]version|platform[._]machine|platform[._]python_implementation|python_implementation|implementation_name|implementation_version|extras?|dependency_groups)\b`)

var markerOpRE = regexp.MustCompile(`^(?:===|==|~=|!=|<=|>=|<|>|in\b|not[ \t]+in\b)`)

func (p *reqParser) marker(r *Requirement) error {
	p.ws()
	start := p.pos
	if err := p.markerOr(); err != nil {
		return err
	}
	p.ws()
	if p.pos != len(p.s) {
		return fmt.Errorf("unexpected text after the environment marker")
	}
	r.Marker = strings.TrimSpace(p.s[start:])
	return nil
}

func (p *reqParser) markerOr() error {
	if err := p.markerAnd(); err != nil {
		return err
	}
	for {
		p.ws()
		if !p.keyword("or") {
			return nil
		}
		if err := p.markerAnd(); err != nil {
			return err
		}
	}
}

func (p *reqParser) markerAnd() error {
	if err := p.markerAtom(); err != nil {
		return err
	}
	for {
		p.ws()
		if !p.keyword("and") {
			return nil
		}
		if err := p.markerAtom(); err != nil {
			return err
		}
	}
}

func (p *reqParser) keyword(k string) bool {
	if !p.peek(k) {
		return false
	}
	after := p.pos + len(k)
	if after < len(p.s) && isWordByte(p.s[after]) {
		return false
	}
	p.pos = after
	return true
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func (p *reqParser) markerAtom() error {
	p.ws()
	if p.eat("(") {
		if err := p.markerOr(); err != nil {
			return err
		}
		p.ws()
		if !p.eat(")") {
			return fmt.Errorf("expected ) to close the marker group")
		}
		return nil
	}
	if err := p.markerValue(); err != nil {
		return err
	}
	p.ws()
	op := markerOpRE.FindString(p.s[p.pos:])
	if op == "" {
		return fmt.Errorf("expected a marker operator (==, !=, <, <=, >, >=, ~=, ===, in, not in)")
	}
	p.pos += len(op)
	return p.markerValue()
}

func (p *reqParser) markerValue() error {
	p.ws()
	if p.pos < len(p.s) && (p.s[p.pos] == '\'' || p.s[p.pos] == '"') {
		q := p.s[p.pos]
		end := strings.IndexByte(p.s[p.pos+1:], q)
		if end < 0 {
			return fmt.Errorf("unterminated quoted string in the environment marker")
		}
		p.pos += end + 2
		return nil
	}
	v := markerVarRE.FindString(p.s[p.pos:])
	if v == "" {
		return fmt.Errorf("expected a marker variable or a quoted string")
	}
	p.pos += len(v)
	return nil
}
