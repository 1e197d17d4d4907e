package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/bytesize"
)

// Load reads, expands and validates the settings file at path. getenv
// resolves ${VAR} references (os.Getenv in the binary; a map in tests).
//
// Every problem is reported at once, as Errors, each naming the file, line,
// target and field. A missing file is an error wrapping fs.ErrNotExist, so a
// caller that treats the file as optional can fall back to Default().
func Load(path string, getenv func(string) string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("settings file %s not found (create it, see docs/goreleaser.md, or leave --config out to publish to PyPI with defaults): %w", path, err)
		}
		return nil, fmt.Errorf("reading settings file: %w", err)
	}
	return Parse(data, path, getenv)
}

// Parse is Load for bytes already read; path only names the file in errors.
func Parse(data []byte, path string, getenv func(string) string) (*File, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	d := &decoder{file: path, getenv: getenv}
	f := &File{Path: path, CheckVersion: DefaultCheckVersion}

	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		// yaml.v3 says "yaml: line 3: did not find expected key".
		return nil, Errors{{File: path, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, Errors{{File: path, Msg: "the file is empty: list at least one target under targets: (see docs/goreleaser.md)"}}
	}
	doc := root.Content[0]
	d.decodeMapping(doc, reflect.ValueOf(f).Elem(), "", "")
	d.finish(f, doc)
	if err := d.errs.orNil(); err != nil {
		return nil, err
	}
	return f, nil
}

// position is where a value came from: the file (line, column) or a flag.
type position struct {
	line, col int
	flag      string
	offset    int // the flag's Override.Offset: its value is the setting's minus offset
}

// decoder walks the YAML node tree into the Go structs itself, rather than
// letting yaml.v3 decode the whole document, for three reasons: an unknown key
// gets the line AND the closest known key (yaml.v3's KnownFields only says
// "field x not found in type config.Target"); ${VAR} expansion happens on
// values only, after parsing, so an expanded value can never inject YAML
// structure; and a bad value is reported with its target and field.
// Scalars are still decoded by yaml.v3 (Node.Decode).
type decoder struct {
	file   string
	getenv func(string) string
	errs   Errors
	// verbatim decodes values as given, without ${VAR} expansion: values
	// from the command line (Override) were expanded by the shell already.
	verbatim bool

	target  string              // label of the target being decoded
	targetT *Target             // the target being decoded, to record positions
	targets []*yaml.Node        // target nodes, for finish
	nameAt  map[string]position // where each target's name is, for duplicates
}

func (d *decoder) fail(n *yaml.Node, field, format string, args ...any) {
	e := &Error{File: d.file, Target: d.target, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	byteSizeType = reflect.TypeFor[ByteSize]()
	targetType   = reflect.TypeFor[Target]()
)

// yamlFields maps a struct type's yaml keys to field indexes, in declaration order.
func yamlFields(t reflect.Type) (keys []string, index map[string]int) {
	index = map[string]int{}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if !sf.IsExported() || tag == "" || tag == "-" {
			continue
		}
		keys = append(keys, tag)
		index[tag] = i
	}
	return keys, index
}

// shorthandField is the field of struct type t that a plain scalar sets
// when one is written where t's mapping belongs (tag shorthand:"true").
func shorthandField(t reflect.Type) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if sf := t.Field(i); sf.Tag.Get("shorthand") == "true" {
			return sf, true
		}
	}
	return reflect.StructField{}, false
}

// decodeMapping decodes a mapping node into the struct v. prefix is the
// dotted path of v ("retry."), scope names the mapping for errors.
func (d *decoder) decodeMapping(n *yaml.Node, v reflect.Value, prefix, scope string) {
	n = resolveAlias(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		where := strings.TrimSuffix(prefix, ".")
		if where == "" {
			d.fail(n, "", "expected a mapping of settings (key: value), found %s; the file starts with targets:", kindName(n))
		} else if sf, ok := shorthandField(v.Type()); ok {
			key, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
			d.fail(n, where, "expected a single value (short for {%s: value}) or a mapping (key: value), found %s", key, kindName(n))
		} else {
			d.fail(n, where, "expected a mapping (key: value), found %s", kindName(n))
		}
		return
	}
	keys, index := yamlFields(v.Type())
	seen := map[string]*yaml.Node{}
	// Merge keys ("<<: *defaults") first, so the mapping's own keys win,
	// as YAML merge semantics say.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0) {
			for _, m := range mergeSources(n.Content[i+1]) {
				d.decodeMapping(m, v, prefix, scope)
			}
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0) {
			continue
		}
		key := k.Value
		if prev, dup := seen[key]; dup {
			d.fail(k, prefix+key, "set twice (first at line %d); keep one", prev.Line)
			continue
		}
		seen[key] = k
		if scope == "" && strings.HasPrefix(key, "x-") {
			continue // extension keys hold YAML anchors, as in Docker Compose
		}
		fi, ok := index[key]
		if !ok {
			d.fail(k, "", "%s", unknownKey(key, prefix, scope, keys))
			continue
		}
		d.decodeValue(val, v.Field(fi), prefix+key)
	}
}

// decodeValue decodes one value node into v; field is its dotted path.
func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, field string) {
	n = resolveAlias(n)
	if d.targetT != nil && !strings.Contains(field, "[") {
		d.targetT.at[field] = position{line: n.Line, col: n.Column}
	}
	if isNull(n) {
		return // "retry:" with nothing keeps the defaults
	}
	switch {
	case v.Type() == targetType:
		panic("unreachable: targets are decoded by decodeTargets")
	case v.Kind() == reflect.Slice && v.Type().Elem() == targetType:
		d.decodeTargets(n, v)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
		d.decodeEntries(n, v, field)
	case v.Kind() == reflect.Map:
		d.decodeStringMap(n, v, field)
	case v.Kind() == reflect.Struct && v.Type() != durationType:
		if sf, ok := shorthandField(v.Type()); ok && n.Kind == yaml.ScalarNode {
			// "attestations: always" is "attestations: {mode: always}": decode
			// the scalar as that field, so its validation and position are
			// the mapping form's.
			key, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
			d.decodeValue(n, v.FieldByIndex(sf.Index), field+"."+key)
			return
		}
		d.decodeMapping(n, v, field+".", field)
	case v.Kind() == reflect.Slice:
		d.decodeList(n, v, field)
	default:
		d.decodeScalar(n, v, field)
	}
}

func (d *decoder) decodeTargets(n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, "targets", "expected a list of targets (each starting with \"- name: ...\"), found %s", kindName(n))
		return
	}
	out := make([]Target, 0, len(n.Content))
	for i, tn := range n.Content {
		tn = resolveAlias(tn)
		t := DefaultTarget()
		t.file, t.line = d.file, tn.Line
		t.at = map[string]position{}
		d.target, d.targetT = targetLabel(i, tn, d.getenv), &t
		if tn.Kind != yaml.MappingNode {
			d.fail(tn, "", "expected a mapping of settings (name: ..., repository_url: ...), found %s", kindName(tn))
		} else {
			d.decodeMapping(tn, reflect.ValueOf(&t).Elem(), "", "target")
		}
		d.target, d.targetT = "", nil
		out = append(out, t)
		d.targets = append(d.targets, tn)
	}
	v.Set(reflect.ValueOf(out))
}

// decodeEntries decodes a list of mappings (binary_wheels) into a slice
// of structs, each strictly (unknown keys are errors).
func (d *decoder) decodeEntries(n *yaml.Node, v reflect.Value, field string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, field, "expected a list of entries (each starting with \"- \"), found %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), 0, len(n.Content))
	for i, en := range n.Content {
		e := reflect.New(v.Type().Elem()).Elem()
		scope := fmt.Sprintf("%s[%d]", field, i)
		d.decodeMapping(resolveAlias(en), e, scope+".", scope)
		s = reflect.Append(s, e)
	}
	v.Set(s)
}

// decodeStringMap decodes a mapping of strings (urls: label → URL).
func (d *decoder) decodeStringMap(n *yaml.Node, v reflect.Value, field string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, field, "expected a mapping (label: value), found %s", kindName(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], resolveAlias(n.Content[i+1])
		e := reflect.New(v.Type().Elem()).Elem()
		d.decodeScalar(val, e, field+"."+k.Value)
		m.SetMapIndex(reflect.ValueOf(k.Value), e)
	}
	v.Set(m)
}

func (d *decoder) decodeList(n *yaml.Node, v reflect.Value, field string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, field, "expected a list, such as %s: [%s], found %s", field, n.Value, kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), 0, len(n.Content))
	for i, en := range n.Content {
		e := reflect.New(v.Type().Elem()).Elem()
		d.decodeScalar(resolveAlias(en), e, fmt.Sprintf("%s[%d]", field, i))
		s = reflect.Append(s, e)
	}
	v.Set(s)
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, field string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, field, "expected a single value, found %s", kindName(n))
		return
	}
	value := n.Value
	if !d.verbatim {
		var err error
		if value, err = expand(n.Value, d.getenv); err != nil {
			d.fail(n, field, "%v", err)
			return
		}
	}
	// Decode a copy: an aliased node is shared, and must not be expanded twice.
	c := *n
	c.Value = value
	if value != n.Value && c.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		// A plain ${VAR} was resolved as a string when parsed; resolve the
		// expanded text again so "concurrency: ${N}" can become a number.
		c.Tag = ""
	}
	switch v.Type() {
	case durationType:
		dur, err := parseDuration(value)
		if err != nil {
			d.fail(n, field, "%v", err)
			return
		}
		v.SetInt(int64(dur))
		return
	case byteSizeType:
		size, err := bytesize.Parse(value)
		if err != nil {
			d.fail(n, field, "%v", err)
			return
		}
		v.SetInt(int64(size))
		return
	}
	if err := c.Decode(v.Addr().Interface()); err != nil {
		switch v.Kind() {
		case reflect.Bool:
			d.fail(n, field, "expected true or false, found %q", value)
		case reflect.Int, reflect.Int64:
			d.fail(n, field, "expected a whole number, found %q", value)
		default:
			d.fail(n, field, "%q: %v", value, err)
		}
	}
}

// failed reports whether decoding field of target already failed.
func (d *decoder) failed(target, field string) bool {
	for _, e := range d.errs {
		if e.Target == target && e.Field == field {
			return true
		}
	}
	return false
}

// finish applies derived defaults and validates the whole file.
func (d *decoder) finish(f *File, doc *yaml.Node) {
	if f.Version == 0 {
		f.Version = 1
	}
	if f.Version != 1 {
		d.fail(findKey(doc, "version"), "version", "unsupported version %d: this goreleaser-pypi reads version 1 (upgrade goreleaser-pypi for newer files)", f.Version)
	}
	if list := valueOf(doc, "binary_wheels"); list != nil && list.Kind == yaml.SequenceNode {
		for i, bw := range f.BinaryWheels {
			if i >= len(list.Content) {
				break
			}
			d.validateBinaryWheel(bw, fmt.Sprintf("binary_wheels[%d]", i), resolveAlias(list.Content[i]))
		}
	}
	if len(f.Targets) == 0 {
		if d.failed("", "targets") {
			return
		}
		d.fail(doc, "", "no targets: list at least one under targets: (see docs/goreleaser.md)")
		return
	}
	d.nameAt = map[string]position{}
	for i := range f.Targets {
		t := &f.Targets[i]
		if t.Name == "" {
			t.Name = t.derivedName()
		}
		d.target = targetLabel(i, d.targets[i], d.getenv)
		for _, e := range t.validate(d.target) {
			if !d.failed(e.Target, e.Field) { // a value that did not decode kept its default: say nothing more
				d.errs = append(d.errs, e)
			}
		}
		if prev, dup := d.nameAt[t.Name]; dup && t.Name != "" {
			at := t.at["name"]
			how := ""
			if at.line == 0 {
				at = position{line: t.line}
				how = " (derived from repository_url; set name: to tell them apart)"
			}
			d.errs = append(d.errs, &Error{File: d.file, Line: at.line, Column: at.col, Target: d.target, Field: "name",
				Msg: fmt.Sprintf("%q is already the name of the target at line %d%s; target names must be unique", t.Name, prev.line, how)})
		} else {
			pos := t.at["name"]
			if pos.line == 0 {
				pos.line = t.line
			}
			d.nameAt[t.Name] = pos
		}
	}
	d.target = ""
}

// targetLabel names a target in errors: by its name when it has a literal
// one, else by its index.
func targetLabel(i int, n *yaml.Node, getenv func(string) string) string {
	if v := valueOf(n, "name"); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
		if s, err := expand(v.Value, getenv); err == nil && s != "" {
			return fmt.Sprintf("target %q", s)
		}
	}
	return fmt.Sprintf("targets[%d]", i)
}

func findKey(n *yaml.Node, key string) *yaml.Node {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

func valueOf(n *yaml.Node, key string) *yaml.Node {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolveAlias(n.Content[i+1])
		}
	}
	return nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mergeSources returns the mappings a merge key refers to ("<<: *a" or "<<: [*a, *b]").
func mergeSources(n *yaml.Node) []*yaml.Node {
	n = resolveAlias(n)
	if n.Kind == yaml.SequenceNode {
		out := make([]*yaml.Node, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, resolveAlias(c))
		}
		return out
	}
	return []*yaml.Node{n}
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

// parseDuration reads "2s", "1m30s", "500ms". A bare number is refused
// rather than guessed at (seconds? nanoseconds?).
func parseDuration(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf("%q has no unit: write a duration such as %ss or 500ms", s, s)
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: write one such as 2s, 1m30s or 500ms", s)
	}
	return dur, nil
}
