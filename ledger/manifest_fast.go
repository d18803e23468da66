package ledger

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// argSchema is a method's compiled argument schema. The library's schema
// (lib) decides every outcome; fast, when the schema uses only the
// keywords sdk/build generates, answers "valid" for the common case
// without decoding the arguments into maps. Whenever fast is not sure
// (an escape in a string, a fraction, an unknown field, any failure) it
// answers false and the library decides, which also words the error. So
// fast can only change an outcome by accepting what the library refuses,
// and FuzzFastArgs checks it never does.
type argSchema struct {
	lib  *jsonschema.Schema
	fast *fastSchema // nil: the library validates everything
}

func newArgSchema(lib *jsonschema.Schema, raw json.RawMessage) *argSchema {
	return &argSchema{lib: lib, fast: compileFast(raw)}
}

// fastSchema is an argument schema reduced to the keywords the fast path
// knows: type, properties, required, additionalProperties false, items,
// minimum/maximum within int64, minLength/maxLength, pattern and local
// $ref into $defs.
type fastSchema struct{ root *fastNode }

const (
	fObject = 1 << iota
	fArray
	fString
	fInteger
	fBool
	fNull
)

// fastMaxProps bounds an object's properties to the bits of a mask.
const fastMaxProps = 64

type fastNode struct {
	types uint8
	// object: properties by name, required ones as a mask of indexes.
	props    map[string]int
	children []*fastNode
	required uint64
	// array
	items *fastNode
	// string
	minLen, maxLen int // maxLen < 0: none
	pattern        *regexp.Regexp
	hexAddress     bool // pattern is the generated address pattern
	// integer
	min, max int64
	// ref is a "#/$defs/Name" reference, resolved into target.
	ref    string
	target *fastNode
}

// addressPattern is the pattern SchemaFor gives addresses; it is matched
// by hand, which is what it means for ASCII strings.
const addressPattern = "^0x[0-9a-fA-F]{40}$"

// compileFast reduces raw to a fastSchema, or nil when it uses anything
// the fast path does not implement exactly.
func compileFast(raw json.RawMessage) *fastSchema {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		return nil
	}
	defs := map[string]*fastNode{}
	if v, ok := doc["$defs"]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		// Nodes first, so references between definitions resolve.
		raws := map[string]map[string]any{}
		for name, def := range m {
			dm, ok := def.(map[string]any)
			if !ok {
				return nil
			}
			defs[name] = &fastNode{}
			raws[name] = dm
		}
		for name, dm := range raws {
			if !fillFast(defs[name], dm, false) {
				return nil
			}
		}
	}
	root := &fastNode{}
	if !fillFast(root, doc, true) {
		return nil
	}
	// Resolve references; a reference to a reference, or to nothing, is
	// left to the library.
	ok := true
	var resolve func(n *fastNode, seen map[*fastNode]bool)
	resolve = func(n *fastNode, seen map[*fastNode]bool) {
		if !ok || seen[n] {
			return
		}
		seen[n] = true
		if n.ref != "" {
			t := defs[strings.TrimPrefix(n.ref, "#/$defs/")]
			if !strings.HasPrefix(n.ref, "#/$defs/") || t == nil || t.ref != "" {
				ok = false
				return
			}
			n.target = t
			resolve(t, seen)
			return
		}
		for _, c := range n.children {
			resolve(c, seen)
		}
		if n.items != nil {
			resolve(n.items, seen)
		}
	}
	seen := map[*fastNode]bool{}
	resolve(root, seen)
	for _, n := range defs {
		resolve(n, seen)
	}
	if !ok {
		return nil
	}
	return &fastSchema{root: root}
}

// fillFast sets n from the schema object m, reporting false for any
// keyword or form it does not implement.
func fillFast(n *fastNode, m map[string]any, root bool) bool {
	n.maxLen = -1
	if r, ok := m["$ref"]; ok {
		s, isStr := r.(string)
		if !isStr {
			return false
		}
		// In 2020-12 a $ref applies beside its siblings; only a bare
		// reference is handled here.
		for k := range m {
			if k != "$ref" && !(root && (k == "$schema" || k == "$defs")) {
				return false
			}
		}
		n.ref = s
		return true
	}
	tv, ok := m["type"]
	if !ok {
		return false
	}
	var names []string
	switch t := tv.(type) {
	case string:
		names = []string{t}
	case []any:
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return false
			}
			names = append(names, s)
		}
	default:
		return false
	}
	for _, name := range names {
		switch name {
		case "object":
			n.types |= fObject
		case "array":
			n.types |= fArray
		case "string":
			n.types |= fString
		case "integer":
			n.types |= fInteger
		case "boolean":
			n.types |= fBool
		case "null":
			n.types |= fNull
		default:
			return false // number: fractions are the library's
		}
	}
	n.min, n.max = minInt64, maxInt64
	for k, v := range m {
		switch k {
		case "type", "title", "description":
		case "$schema", "$defs":
			if !root {
				return false
			}
		case "properties":
			if !fillProps(n, v) {
				return false
			}
		case "required":
			// Resolved below, once properties are known.
		case "additionalProperties":
			if b, ok := v.(bool); !ok || b {
				return false
			}
		case "items":
			im, ok := v.(map[string]any)
			if !ok {
				return false
			}
			n.items = &fastNode{}
			if !fillFast(n.items, im, false) {
				return false
			}
		case "minimum", "maximum":
			x, ok := int64Of(v)
			if !ok {
				return false
			}
			if k == "minimum" {
				n.min = x
			} else {
				n.max = x
			}
		case "minLength", "maxLength":
			x, ok := int64Of(v)
			if !ok || x < 0 || x > 1<<30 {
				return false
			}
			if k == "minLength" {
				n.minLen = int(x)
			} else {
				n.maxLen = int(x)
			}
		case "pattern":
			s, ok := v.(string)
			if !ok {
				return false
			}
			re, err := regexp.Compile(s)
			if err != nil {
				return false
			}
			n.pattern, n.hexAddress = re, s == addressPattern
		default:
			return false
		}
	}
	if n.types&fObject != 0 {
		// Unknown fields must be refused, or the fast path would have
		// to check the syntax of values it does not describe.
		if ap, ok := m["additionalProperties"].(bool); !ok || ap {
			return false
		}
	} else if _, ok := m["properties"]; ok {
		return false
	}
	if n.types&fArray != 0 && n.items == nil {
		return false
	}
	if r, ok := m["required"]; ok {
		list, ok := r.([]any)
		if !ok || n.types&fObject == 0 {
			return false
		}
		for _, e := range list {
			s, ok := e.(string)
			if !ok {
				return false
			}
			i, ok := n.props[s]
			if !ok {
				// Required but not a property: never satisfiable
				// with additionalProperties false; the library says so.
				return false
			}
			n.required |= 1 << i
		}
	}
	return true
}

func fillProps(n *fastNode, v any) bool {
	pm, ok := v.(map[string]any)
	if !ok || len(pm) > fastMaxProps {
		return false
	}
	n.props = make(map[string]int, len(pm))
	for name, pv := range pm {
		sm, ok := pv.(map[string]any)
		if !ok {
			return false
		}
		c := &fastNode{}
		if !fillFast(c, sm, false) {
			return false
		}
		n.props[name] = len(n.children)
		n.children = append(n.children, c)
	}
	return true
}

const (
	minInt64 = -1 << 63
	maxInt64 = 1<<63 - 1
)

// int64Of reads a schema number that is an integer within int64, written
// without fraction or exponent.
func int64Of(v any) (int64, bool) {
	num, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	x, err := strconv.ParseInt(string(num), 10, 64)
	return x, err == nil
}

// valid reports whether args certainly satisfy the schema. false means
// "not certain": the caller asks the library.
func (f *fastSchema) valid(args []byte) bool {
	p := fastParser{b: args}
	if !p.value(f.root) {
		return false
	}
	p.space()
	return p.i == len(p.b)
}

type fastParser struct {
	b     []byte
	i     int
	depth int
}

func (p *fastParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *fastParser) value(n *fastNode) bool {
	if n.target != nil {
		n = n.target
	}
	p.space()
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return n.types&fObject != 0 && p.object(n)
	case c == '[':
		return n.types&fArray != 0 && p.array(n)
	case c == '"':
		if n.types&fString == 0 {
			return false
		}
		s, ok := p.str()
		return ok && n.stringOK(s)
	case c == '-' || c >= '0' && c <= '9':
		return n.types&fInteger != 0 && p.integer(n)
	case c == 't':
		return n.types&fBool != 0 && p.literal("true")
	case c == 'f':
		return n.types&fBool != 0 && p.literal("false")
	case c == 'n':
		return n.types&fNull != 0 && p.literal("null")
	}
	return false
}

func (p *fastParser) literal(word string) bool {
	if !bytes.HasPrefix(p.b[p.i:], []byte(word)) {
		return false
	}
	p.i += len(word)
	return true
}

// str reads a string without escapes or non-ASCII bytes (those are the
// library's, whose decoding of them is encoding/json's).
func (p *fastParser) str() ([]byte, bool) {
	start := p.i + 1
	for j := start; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			p.i = j + 1
			return p.b[start:j], true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
	}
	return nil, false
}

func (n *fastNode) stringOK(s []byte) bool {
	// ASCII only, so the length in bytes is the length in characters.
	if len(s) < n.minLen || n.maxLen >= 0 && len(s) > n.maxLen {
		return false
	}
	switch {
	case n.hexAddress:
		return isHexAddress(s)
	case n.pattern != nil:
		return n.pattern.Match(s)
	}
	return true
}

func isHexAddress(s []byte) bool {
	if len(s) != 42 || s[0] != '0' || s[1] != 'x' {
		return false
	}
	for _, c := range s[2:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// integer reads an integer of at most 18 digits (so it cannot overflow)
// with no fraction or exponent, and checks its bounds.
func (p *fastParser) integer(n *fastNode) bool {
	j := p.i
	neg := p.b[j] == '-'
	if neg {
		j++
	}
	start := j
	var x int64
	for j < len(p.b) && p.b[j] >= '0' && p.b[j] <= '9' {
		x = x*10 + int64(p.b[j]-'0')
		j++
	}
	digits := j - start
	if digits == 0 || digits > 18 || digits > 1 && p.b[start] == '0' {
		return false
	}
	if j < len(p.b) && (p.b[j] == '.' || p.b[j] == 'e' || p.b[j] == 'E') {
		return false
	}
	if neg {
		x = -x
	}
	p.i = j
	return x >= n.min && x <= n.max
}

func (p *fastParser) object(n *fastNode) bool {
	if p.depth++; p.depth > MaxArgsDepth {
		return false
	}
	defer func() { p.depth-- }()
	p.i++ // '{'
	var seen uint64
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return n.required == 0
	}
	for {
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return false
		}
		key, ok := p.str()
		if !ok {
			return false
		}
		idx, known := n.props[string(key)]
		if !known || seen&(1<<idx) != 0 {
			// Unknown fields fail; a repeated one means what the
			// decoder's last-wins says, which is the library's to judge.
			return false
		}
		seen |= 1 << idx
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return false
		}
		p.i++
		if !p.value(n.children[idx]) {
			return false
		}
		end, ok := p.listEnd('}')
		if !ok {
			return false
		}
		if end {
			return seen&n.required == n.required
		}
	}
}

func (p *fastParser) array(n *fastNode) bool {
	if p.depth++; p.depth > MaxArgsDepth {
		return false
	}
	defer func() { p.depth-- }()
	p.i++ // '['
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return true
	}
	for {
		if !p.value(n.items) {
			return false
		}
		end, ok := p.listEnd(']')
		if !ok || end {
			return ok
		}
	}
}

// listEnd reads what follows a member or element: a comma (another
// follows), or the closing bracket (end).
func (p *fastParser) listEnd(closing byte) (end, ok bool) {
	p.space()
	if p.i >= len(p.b) {
		return false, false
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		return false, true
	case closing:
		p.i++
		return true, true
	}
	return false, false
}
