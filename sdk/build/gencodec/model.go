package gencodec

import (
	"fmt"
	"go/types"
	"reflect"
	"strings"
)

// addressPath is the package of contract.Address, the one type with its
// own JSON methods that generated codecs handle (jsonwire reads and writes
// exactly what those methods do).
const addressPath = "github.com/meshledger/meshledger/sdk/contract"

// kind is the shape of a type as a generated codec treats it.
type kind int

const (
	kString kind = iota + 1
	kBool
	kInt
	kUint
	kAddress
	kStruct
	kArray
	kSlice
	kPointer
)

// typ is a type of a field, element or pointee.
type typ struct {
	kind kind
	// expr is the type as written in the generated file.
	expr string
	// base is the predeclared type of a string, bool or integer (its
	// underlying type), which jsonwire's methods are named after.
	base string
	// elem of an array, slice or pointer; n the array's length.
	elem *typ
	n    int64
}

// field is one JSON member of a struct, in declaration order (the order
// encoding/json writes).
type field struct {
	goName    string
	jsonName  string
	omitEmpty bool
	t         *typ
}

// structType is a named struct type that gets a codec.
type structType struct {
	name   string
	fields []field
	// flat: every JSON field is a string, boolean, integer, Address or a
	// flat struct. encoding/json decoding into such a value sets exactly
	// the members present, whatever the value held, which is what the
	// generated decoder does too; so it need not start from a zero value,
	// only restore the value when it gives up. Slices, pointers and arrays
	// hold state encoding/json merges into, which needs a zero start.
	flat bool
}

// analyzer turns the package's types into structTypes, collecting the
// struct types that listed ones contain.
type analyzer struct {
	pkg     *types.Package
	imports map[string]string // path -> name, of packages the file names
	done    map[string]*structType
	order   []*structType
	queue   []*types.Named
}

func (a *analyzer) qualifier(p *types.Package) string {
	if p == a.pkg {
		return ""
	}
	a.imports[p.Path()] = p.Name()
	return p.Name()
}

// addNamed queues a struct type of the package for a codec.
func (a *analyzer) addNamed(n *types.Named) {
	if _, ok := a.done[n.Obj().Name()]; ok {
		return
	}
	a.done[n.Obj().Name()] = nil
	a.queue = append(a.queue, n)
}

// run analyses every queued type and those they contain, in order.
func (a *analyzer) run() error {
	for len(a.queue) > 0 {
		n := a.queue[0]
		a.queue = a.queue[1:]
		st, err := a.structOf(n)
		if err != nil {
			return err
		}
		a.done[st.name] = st
		a.order = append(a.order, st)
	}
	for _, st := range a.order {
		st.flat = a.isFlat(st)
	}
	return nil
}

// isFlat decides structType.flat. A struct cannot hold itself by value,
// so the recursion ends.
func (a *analyzer) isFlat(st *structType) bool {
	for _, f := range st.fields {
		switch f.t.kind {
		case kString, kBool, kInt, kUint, kAddress:
		case kStruct:
			if !a.isFlat(a.done[f.t.expr]) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func (a *analyzer) structOf(n *types.Named) (*structType, error) {
	name := n.Obj().Name()
	if n.TypeParams().Len() > 0 {
		return nil, fmt.Errorf("%s: generic types are not supported", name)
	}
	s, ok := n.Underlying().(*types.Struct)
	if !ok {
		return nil, fmt.Errorf("%s: not a struct type", name)
	}
	if m := jsonMethod(n); m != "" {
		return nil, fmt.Errorf("%s has its own %s, which encoding/json would call", name, m)
	}
	st := &structType{name: name}
	seen := map[string]bool{}
	for i := range s.NumFields() {
		f := s.Field(i)
		where := name + "." + f.Name()
		if f.Embedded() {
			return nil, fmt.Errorf("%s: embedded fields are not supported", where)
		}
		if !f.Exported() {
			continue
		}
		jsonName, omit, skip, err := parseTag(f.Name(), reflect.StructTag(s.Tag(i)).Get("json"))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if skip {
			continue
		}
		if seen[jsonName] {
			// encoding/json then drops both fields; nothing to copy.
			return nil, fmt.Errorf("%s: JSON name %q used twice", where, jsonName)
		}
		seen[jsonName] = true
		t, err := a.typeOf(f.Type(), where)
		if err != nil {
			return nil, err
		}
		st.fields = append(st.fields, field{goName: f.Name(), jsonName: jsonName, omitEmpty: omit, t: t})
	}
	return st, nil
}

// parseTag reads a json tag as encoding/json does, refusing what a
// generated codec does not reproduce.
func parseTag(goName, tag string) (name string, omitEmpty, skip bool, err error) {
	if tag == "-" {
		return "", false, true, nil
	}
	name, opts, _ := strings.Cut(tag, ",")
	switch opts {
	case "", "omitempty":
	default:
		return "", false, false, fmt.Errorf("json tag option %q is not supported (only omitempty)", opts)
	}
	if name == "" {
		name = goName
	}
	for i := 0; i < len(name); i++ {
		// Letters, digits and the punctuation encoding/json accepts in a
		// tag name and writes without escapes (it escapes <, > and &).
		if c := name[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%()*+-./:;=?@[]^_{|}~ ", c) >= 0) {
			return "", false, false, fmt.Errorf("JSON name %q has characters a generated codec does not write", name)
		}
	}
	return name, opts == "omitempty", false, nil
}

// jsonMethod names a method of t or *t that encoding/json would call.
func jsonMethod(t types.Type) string {
	ms := types.NewMethodSet(types.NewPointer(t))
	for _, m := range []string{"MarshalJSON", "UnmarshalJSON", "MarshalText", "UnmarshalText"} {
		if ms.Lookup(nil, m) != nil {
			return m
		}
	}
	return ""
}

// typeOf describes t, met at where, or says why a codec cannot handle it.
func (a *analyzer) typeOf(t types.Type, where string) (*typ, error) {
	expr := types.TypeString(t, a.qualifier)
	if n, ok := t.(*types.Named); ok {
		obj := n.Obj()
		if obj.Pkg() != nil && obj.Pkg().Path() == addressPath && obj.Name() == "Address" {
			return &typ{kind: kAddress, expr: expr}, nil
		}
		if obj.Pkg() != nil && obj.Pkg() != a.pkg {
			return nil, fmt.Errorf("%s: type %s of another package is not supported", where, expr)
		}
		if m := jsonMethod(t); m != "" {
			return nil, fmt.Errorf("%s: type %s has its own %s", where, expr, m)
		}
		if _, ok := n.Underlying().(*types.Struct); ok {
			a.addNamed(n)
			return &typ{kind: kStruct, expr: expr}, nil
		}
	}
	if _, ok := t.(*types.Alias); ok {
		return a.typeOf(types.Unalias(t), where)
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return basicOf(u, expr, where)
	case *types.Array:
		e, err := a.typeOf(u.Elem(), where)
		if err != nil {
			return nil, err
		}
		return &typ{kind: kArray, expr: expr, elem: e, n: u.Len()}, nil
	case *types.Slice:
		if b, ok := u.Elem().Underlying().(*types.Basic); ok && b.Kind() == types.Uint8 {
			return nil, fmt.Errorf("%s: byte slices (base64 in JSON) are not supported", where)
		}
		e, err := a.typeOf(u.Elem(), where)
		if err != nil {
			return nil, err
		}
		return &typ{kind: kSlice, expr: expr, elem: e}, nil
	case *types.Pointer:
		e, err := a.typeOf(u.Elem(), where)
		if err != nil {
			return nil, err
		}
		if e.kind == kPointer {
			return nil, fmt.Errorf("%s: pointers to pointers are not supported", where)
		}
		return &typ{kind: kPointer, expr: expr, elem: e}, nil
	case *types.Struct:
		return nil, fmt.Errorf("%s: unnamed struct types are not supported; name the type", where)
	}
	return nil, fmt.Errorf("%s: type %s is not supported", where, expr)
}

func basicOf(b *types.Basic, expr, where string) (*typ, error) {
	switch b.Kind() {
	case types.String:
		return &typ{kind: kString, expr: expr, base: b.Name()}, nil
	case types.Bool:
		return &typ{kind: kBool, expr: expr, base: b.Name()}, nil
	case types.Int8, types.Int16, types.Int32, types.Int64, types.Int:
		return &typ{kind: kInt, expr: expr, base: b.Name()}, nil
	case types.Uint8, types.Uint16, types.Uint32, types.Uint64, types.Uint, types.Uintptr:
		return &typ{kind: kUint, expr: expr, base: b.Name()}, nil
	}
	return nil, fmt.Errorf("%s: type %s is not supported (floats, complex numbers and unsafe pointers are left to encoding/json)", where, expr)
}
