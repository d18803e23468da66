//go:build !wasip1

package contract

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/meshledger/meshledger/sdk/manifest"
)

// AddressPattern is the JSON Schema pattern of an Address: how
// Address.MarshalJSON writes it and what UnmarshalJSON accepts.
const AddressPattern = "^0x[0-9a-fA-F]{40}$"

// integerKeyPattern matches the decimal object keys encoding/json writes
// for maps keyed by integers.
const integerKeyPattern = "^-?(0|[1-9][0-9]*)$"

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	jsonMarshaler   = reflect.TypeFor[json.Marshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	defNameUnsafe   = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)
)

// SchemaFor returns the JSON Schema (2020-12) of the JSON encoding/json
// gives a value of type t, as the manifest states it: struct fields by
// their json names, required unless tagged omitempty or omitzero, unknown
// fields refused (additionalProperties false, since the SDK decodes
// arguments with unknown fields disallowed); integers bounded by their Go
// range; Address as a 0x hex string; nil slices, maps and pointers as
// null; named structs under $defs and referenced, so recursive types end.
// A type with its own MarshalJSON or UnmarshalJSON is any JSON value, one
// with MarshalText or UnmarshalText a string. Channels, functions and
// complex numbers have no JSON encoding and are errors.
func SchemaFor(t reflect.Type) (json.RawMessage, error) {
	g := &schemaGen{refs: map[reflect.Type]string{}, defs: map[string]any{}, defTypes: map[string]reflect.Type{}}
	root, err := g.schema(t, true, "")
	if err != nil {
		return nil, err
	}
	root["$schema"] = manifest.SchemaDialect
	if len(g.defs) > 0 {
		root["$defs"] = g.defs
	}
	out, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("contract: schema of %v: %w", t, err)
	}
	return out, nil
}

// schemaGen generates one root schema; its $defs are shared by all the
// types the root reaches.
type schemaGen struct {
	refs     map[reflect.Type]string // named struct → "#" or "#/$defs/<name>"
	defs     map[string]any
	defTypes map[string]reflect.Type
}

// schema generates t's schema; root puts a named struct at the root
// instead of under $defs. path names where t was met, for errors.
func (g *schemaGen) schema(t reflect.Type, root bool, path string) (map[string]any, error) {
	switch {
	case t == addressType:
		return map[string]any{"type": "string", "pattern": AddressPattern}, nil
	case t == rawMessageType:
		return map[string]any{}, nil
	case t.Kind() != reflect.Pointer && (t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler)):
		return map[string]any{}, nil
	case t.Kind() != reflect.Pointer && (t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)):
		return map[string]any{"type": "string"}, nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}, nil
	case reflect.String:
		return map[string]any{"type": "string"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := wasmBits(t)
		return map[string]any{
			"type":    "integer",
			"minimum": json.Number(strconv.FormatInt(math.MinInt64>>(64-bits), 10)),
			"maximum": json.Number(strconv.FormatInt(math.MaxInt64>>(64-bits), 10)),
		}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return map[string]any{
			"type":    "integer",
			"minimum": json.Number("0"),
			"maximum": json.Number(strconv.FormatUint(math.MaxUint64>>(64-wasmBits(t)), 10)),
		}, nil
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}, nil
	case reflect.Interface:
		return map[string]any{}, nil
	case reflect.Pointer:
		inner, err := g.schema(t.Elem(), root, path)
		if err != nil {
			return nil, err
		}
		if root && inner["type"] == "object" {
			// The root keeps the struct's keywords visible to readers
			// (the CLI, OpenAPI) rather than burying them in anyOf.
			inner["type"] = []any{"object", "null"}
			return inner, nil
		}
		return map[string]any{"anyOf": []any{map[string]any{"type": "null"}, inner}}, nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(t.Elem()).Implements(textUnmarshaler) && !reflect.PointerTo(t.Elem()).Implements(jsonUnmarshaler) {
			return map[string]any{"type": []any{"string", "null"}, "contentEncoding": "base64"}, nil
		}
		items, err := g.schema(t.Elem(), false, path+"[]")
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": []any{"array", "null"}, "items": items}, nil
	case reflect.Array:
		items, err := g.schema(t.Elem(), false, path+"[]")
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": "array", "items": items, "minItems": t.Len(), "maxItems": t.Len()}, nil
	case reflect.Map:
		return g.mapSchema(t, path)
	case reflect.Struct:
		return g.structRef(t, root, path)
	}
	return nil, fmt.Errorf("contract: schema: %s has type %v, which has no JSON encoding", pathOrRoot(path), t)
}

func (g *schemaGen) mapSchema(t reflect.Type, path string) (map[string]any, error) {
	values, err := g.schema(t.Elem(), false, path+"{}")
	if err != nil {
		return nil, err
	}
	s := map[string]any{"type": []any{"object", "null"}, "additionalProperties": values}
	k := t.Key()
	switch {
	case k == addressType:
		s["propertyNames"] = map[string]any{"pattern": AddressPattern}
	case k.Kind() == reflect.String:
	case k.Implements(textMarshaler) || reflect.PointerTo(k).Implements(textUnmarshaler):
	case k.Kind() >= reflect.Int && k.Kind() <= reflect.Uintptr:
		s["propertyNames"] = map[string]any{"pattern": integerKeyPattern}
	default:
		return nil, fmt.Errorf("contract: schema: %s has map key type %v, which has no JSON encoding", pathOrRoot(path), k)
	}
	return s, nil
}

// structRef returns a named struct as a reference to its definition
// (generating it the first time) and an unnamed one inline.
func (g *schemaGen) structRef(t reflect.Type, root bool, path string) (map[string]any, error) {
	if t.Name() == "" {
		return g.structSchema(t, path)
	}
	if ref, ok := g.refs[t]; ok {
		return map[string]any{"$ref": ref}, nil
	}
	if root {
		g.refs[t] = "#"
		return g.structSchema(t, path)
	}
	name := g.defName(t)
	g.refs[t] = "#/$defs/" + name
	g.defTypes[name] = t
	g.defs[name] = nil // reserve the name while the body is generated
	body, err := g.structSchema(t, path)
	if err != nil {
		return nil, err
	}
	g.defs[name] = body
	return map[string]any{"$ref": g.refs[t]}, nil
}

// defName is t's name, qualified by its package's name when another type
// of the same name is already defined, and numbered if even that clashes.
func (g *schemaGen) defName(t reflect.Type) string {
	base := defNameUnsafe.ReplaceAllString(t.Name(), "_")
	if _, taken := g.defTypes[base]; !taken {
		return base
	}
	pkg := t.PkgPath()
	if i := strings.LastIndexByte(pkg, '/'); i >= 0 {
		pkg = pkg[i+1:]
	}
	name := defNameUnsafe.ReplaceAllString(pkg, "_") + "." + base
	for n := 2; ; n++ {
		if _, taken := g.defTypes[name]; !taken {
			return name
		}
		name = fmt.Sprintf("%s.%s_%d", pkg, base, n)
	}
}

func (g *schemaGen) structSchema(t reflect.Type, path string) (map[string]any, error) {
	props := map[string]any{}
	required := []any{}
	for _, f := range jsonFields(t) {
		fs, err := g.schema(f.typ, false, path+"."+f.name)
		if err != nil {
			return nil, err
		}
		if f.quoted {
			fs = quotedSchema(f.typ, fs)
		}
		props[f.name] = fs
		if !f.optional {
			required = append(required, f.name)
		}
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s, nil
}

// quotedSchema is the schema of a field tagged ",string": encoding/json
// writes its number or boolean inside a JSON string.
func quotedSchema(t reflect.Type, s map[string]any) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return map[string]any{"type": "string"}
	}
	return s // encoding/json ignores the option on other kinds
}

// wasmBits is the size of an integer type in the contract's Wasm build,
// where int, uint and uintptr are 64 bits: the schema describes the
// module, not the machine that happens to generate it.
func wasmBits(t reflect.Type) int {
	switch t.Kind() {
	case reflect.Int, reflect.Uint, reflect.Uintptr:
		return 64
	}
	return t.Bits()
}

func pathOrRoot(path string) string {
	if path == "" {
		return "the value"
	}
	return "field " + strings.TrimPrefix(path, ".")
}
