//go:build !wasip1

package contract

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileSchema compiles a generated schema with the validator the node
// uses, which also proves the schema is valid JSON Schema 2020-12.
func compileSchema(t *testing.T, schema []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(schema)))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("mem://schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("mem://schema.json")
	if err != nil {
		t.Fatalf("schema does not compile: %v\n%s", err, schema)
	}
	return s
}

func validates(t *testing.T, s *jsonschema.Schema, instance string) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(instance))
	if err != nil {
		t.Fatalf("instance %s is not JSON: %v", instance, err)
	}
	return s.Validate(v)
}

type schemaInner struct {
	N int8 `json:"n"`
}

type schemaEmbedded struct {
	Promoted string `json:"promoted"`
	Shadowed string `json:"shadowed"`
}

type schemaAll struct {
	schemaEmbedded
	Shadowed   int               `json:"shadowed"` // shallower: wins over the embedded one
	B          bool              `json:"b"`
	S          string            `json:"s"`
	I64        int64             `json:"i64"`
	U64        uint64            `json:"u64"`
	U8         uint8             `json:"u8"`
	F          float64           `json:"f"`
	Opt        string            `json:"opt,omitempty"`
	Zero       int32             `json:"zero,omitzero"`
	Quoted     int64             `json:"quoted,string"`
	Untagged   string            // the Go name
	Skipped    string            `json:"-"`
	Dash       string            `json:"-,"`
	unexported string            //nolint:unused // must not appear
	Ptr        *schemaInner      `json:"ptr"`
	Inner      schemaInner       `json:"inner"`
	Slice      []schemaInner     `json:"slice"`
	Bytes      []byte            `json:"bytes"`
	Array      [2]uint16         `json:"array"`
	Map        map[string]int64  `json:"map"`
	IntKeys    map[int]bool      `json:"int_keys"`
	AddrKeys   map[Address]bool  `json:"addr_keys"`
	Addr       Address           `json:"addr"`
	Raw        json.RawMessage   `json:"raw"`
	Any        any               `json:"any"`
	Anon       struct{ X int64 } `json:"anon"`
}

type schemaList struct {
	Value int64       `json:"value"`
	Next  *schemaList `json:"next,omitempty"`
}

// pairType holds two different struct types with the same name (one
// declared in a function): their definitions must not collide.
func pairType() reflect.Type {
	type schemaInner struct {
		Word string `json:"word"`
	}
	type holder struct {
		Inner schemaInner `json:"inner"`
	}
	type schemaPair struct {
		A schemaInner0 `json:"a"`
		B holder       `json:"b"`
	}
	return reflect.TypeFor[schemaPair]()
}

type schemaInner0 = schemaInner

const validAll = `{"promoted":"p","shadowed":1,"b":true,"s":"x","i64":-9223372036854775808,
 "u64":18446744073709551615,"u8":255,"f":1.5,"quoted":"12","Untagged":"u","-":"d",
 "ptr":null,"inner":{"n":-128},"slice":[{"n":1}],"bytes":"AQI=","array":[1,65535],
 "map":{"a":1},"int_keys":{"-12":true},"addr_keys":{"0x00000000000000000000000000000000000000aA":true},
 "addr":"0x00000000000000000000000000000000000000aA","raw":[1,"x"],"any":{"k":1},"anon":{"X":3}}`

func TestSchemaForKinds(t *testing.T) {
	raw, err := SchemaFor(reflect.TypeFor[schemaAll]())
	if err != nil {
		t.Fatal(err)
	}
	s := compileSchema(t, raw)
	if err := validates(t, s, validAll); err != nil {
		t.Fatalf("valid instance refused: %v", err)
	}
	// The instance encoding/json writes for the zero value is valid too
	// (nil slices, maps and pointers are null).
	zero, _ := json.Marshal(schemaAll{})
	if err := validates(t, s, string(zero)); err != nil {
		t.Fatalf("encoding of the zero value refused: %v\n%s", err, zero)
	}

	replace := func(old, new string) string {
		if !strings.Contains(validAll, old) {
			t.Fatalf("test bug: %q not in the instance", old)
		}
		return strings.Replace(validAll, old, new, 1)
	}
	refused := []struct{ name, instance string }{
		{"unknown field", replace(`"b":true`, `"b":true,"extra":1`)},
		{"unknown field in nested struct", replace(`{"n":-128}`, `{"n":-128,"m":1}`)},
		{"missing required field", replace(`"s":"x",`, ``)},
		{"missing untagged field", replace(`"Untagged":"u",`, ``)},
		{"wrong type bool", replace(`"b":true`, `"b":"true"`)},
		{"wrong type string", replace(`"s":"x"`, `"s":1`)},
		{"int64 above range", replace(`"i64":-9223372036854775808`, `"i64":9223372036854775808`)},
		{"int64 below range", replace(`"i64":-9223372036854775808`, `"i64":-9223372036854775809`)},
		{"uint64 above range", replace(`18446744073709551615`, `18446744073709551616`)},
		{"uint64 negative", replace(`18446744073709551615`, `-1`)},
		{"uint8 above range", replace(`"u8":255`, `"u8":256`)},
		{"int8 below range in nested struct", replace(`{"n":-128}`, `{"n":-129}`)},
		{"integer with a fraction", replace(`"i64":-9223372036854775808`, `"i64":1.5`)},
		{"quoted field as a number", replace(`"quoted":"12"`, `"quoted":12`)},
		{"short address", replace(`"addr":"0x00000000000000000000000000000000000000aA"`, `"addr":"0x00"`)},
		{"address without 0x", replace(`"addr":"0x00000000000000000000000000000000000000aA"`, `"addr":"0000000000000000000000000000000000000000aA"`)},
		{"address map key", replace(`{"0x00000000000000000000000000000000000000aA":true}`, `{"bob":true}`)},
		{"integer map key", replace(`{"-12":true}`, `{"twelve":true}`)},
		{"map value type", replace(`"map":{"a":1}`, `"map":{"a":"1"}`)},
		{"array too long", replace(`[1,65535]`, `[1,2,3]`)},
		{"array item range", replace(`[1,65535]`, `[1,65536]`)},
		{"slice item type", replace(`[{"n":1}]`, `[1]`)},
		{"shadowed field keeps the outer type", replace(`"shadowed":1`, `"shadowed":"s"`)},
		{"anonymous struct unknown field", replace(`{"X":3}`, `{"X":3,"Y":1}`)},
		{"not an object", `[]`},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			if err := validates(t, s, tc.instance); err == nil {
				t.Fatalf("accepted %s", tc.instance)
			}
		})
	}

	// Optional fields really are optional.
	for _, f := range []string{`"opt"`, `"zero"`} {
		if strings.Contains(string(raw), `"required":[`) && strings.Contains(requiredOf(t, raw), f) {
			t.Fatalf("%s is required", f)
		}
	}
	for _, absent := range []string{`"Skipped"`, `"unexported"`, `"schemaEmbedded"`} {
		if strings.Contains(string(raw), absent) {
			t.Fatalf("schema mentions %s: %s", absent, raw)
		}
	}
}

func requiredOf(t *testing.T, raw []byte) string {
	var s struct {
		Required []string `json:"required"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return `"` + strings.Join(s.Required, `" "`) + `"`
}

func TestSchemaForRecursiveAndDefs(t *testing.T) {
	raw, err := SchemaFor(reflect.TypeFor[schemaList]())
	if err != nil {
		t.Fatal(err)
	}
	s := compileSchema(t, raw)
	if err := validates(t, s, `{"value":1,"next":{"value":2,"next":{"value":3}}}`); err != nil {
		t.Fatal(err)
	}
	if err := validates(t, s, `{"value":1,"next":{"value":2,"next":{"value":"3"}}}`); err == nil {
		t.Fatal("a wrong type three levels down was accepted")
	}
	if !strings.Contains(string(raw), `"$ref":"#"`) {
		t.Fatalf("the recursive reference is not to the root: %s", raw)
	}

	raw, err = SchemaFor(pairType())
	if err != nil {
		t.Fatal(err)
	}
	s = compileSchema(t, raw)
	if err := validates(t, s, `{"a":{"n":1},"b":{"inner":{"word":"w"}}}`); err != nil {
		t.Fatal(err)
	}
	if err := validates(t, s, `{"a":{"n":1},"b":{"inner":{"n":1}}}`); err == nil {
		t.Fatalf("the two schemaInner types share a definition: %s", raw)
	}
}

func TestSchemaForRoots(t *testing.T) {
	tests := []struct {
		name     string
		typ      reflect.Type
		accept   []string
		refuse   []string
		contains string
	}{
		{"pointer result", reflect.TypeFor[*schemaInner](), []string{`{"n":1}`, `null`}, []string{`{"n":1,"x":2}`, `1`}, `"type":["object","null"]`},
		{"empty struct", reflect.TypeFor[struct{}](), []string{`{}`}, []string{`{"a":1}`, `[]`}, `"additionalProperties":false`},
		{"string", reflect.TypeFor[string](), []string{`"x"`}, []string{`1`}, `"$schema":"https://json-schema.org/draft/2020-12/schema"`},
		{"slice of addresses", reflect.TypeFor[[]Address](), []string{`["0x000000000000000000000000000000000000000A"]`, `null`}, []string{`["0xZZ"]`}, `"items"`},
		{"pointer to int", reflect.TypeFor[*int64](), []string{`1`, `null`}, []string{`"1"`}, `"anyOf"`},
		{"int is 64-bit as in Wasm", reflect.TypeFor[int](), []string{`9223372036854775807`, `-9223372036854775808`}, []string{`9223372036854775808`}, `"maximum":9223372036854775807`},
		{"uint is 64-bit as in Wasm", reflect.TypeFor[uint](), []string{`18446744073709551615`, `0`}, []string{`18446744073709551616`, `-1`}, `"maximum":18446744073709551615`},
		{"int32", reflect.TypeFor[int32](), []string{`2147483647`}, []string{`2147483648`, `-2147483649`}, `"minimum":-2147483648`},
		{"text marshaler", reflect.TypeFor[textish](), []string{`"x"`}, []string{`1`}, `"type":"string"`},
		{"json marshaler", reflect.TypeFor[jsonish](), []string{`1`, `"x"`, `{}`}, nil, `{"$schema"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := SchemaFor(tc.typ)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(raw), tc.contains) {
				t.Fatalf("schema %s lacks %s", raw, tc.contains)
			}
			s := compileSchema(t, raw)
			for _, in := range tc.accept {
				if err := validates(t, s, in); err != nil {
					t.Errorf("refused %s: %v", in, err)
				}
			}
			for _, in := range tc.refuse {
				if err := validates(t, s, in); err == nil {
					t.Errorf("accepted %s", in)
				}
			}
		})
	}
}

type textish struct{ v string }

func (x textish) MarshalText() ([]byte, error) { return []byte(x.v), nil }

type jsonish struct{}

func (jsonish) MarshalJSON() ([]byte, error) { return []byte(`1`), nil }

func TestSchemaForErrors(t *testing.T) {
	tests := []struct {
		name string
		typ  reflect.Type
		want string
	}{
		{"channel", reflect.TypeFor[chan int](), "the value has type chan int"},
		{"func field", reflect.TypeFor[struct {
			F func() `json:"f"`
		}](), "field f has type func()"},
		{"complex in a slice", reflect.TypeFor[[]complex128](), "complex128"},
		{"struct map key", reflect.TypeFor[map[schemaInner]int](), "map key type"},
		{"nested", reflect.TypeFor[struct {
			In struct {
				C chan bool `json:"c"`
			} `json:"in"`
		}](), "field in.c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SchemaFor(tc.typ)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SchemaFor = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// The same types always give the same bytes: the manifest's hash is
// committed on chain.
func TestSchemaForDeterministic(t *testing.T) {
	first, err := SchemaFor(reflect.TypeFor[schemaAll]())
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := SchemaFor(reflect.TypeFor[schemaAll]())
		if string(again) != string(first) {
			t.Fatal("schema bytes differ between runs")
		}
	}
}

type embName string

type embA struct {
	X int64 `json:"x"`
	Y int64 `json:"y"`
}

type embB struct {
	X string `json:"x"`
	Z int64
}

type embTagged struct {
	Q bool `json:"q"`
}

// schemaEmbedding exercises encoding/json's embedding rules: a pointer
// embed promotes, a named non-struct embed is a field under its type
// name, a tagged embed is one nested field, and two fields of one name at
// the same depth cancel out.
type schemaEmbedding struct {
	*embA
	embB
	embName
	Tagged embTagged `json:"tagged"`
}

// The schema's properties are exactly the keys encoding/json writes, and
// what it writes is valid.
func TestSchemaForEmbeddingMatchesEncodingJSON(t *testing.T) {
	v := schemaEmbedding{embA: &embA{X: 1, Y: 2}, embB: embB{X: "s", Z: 3}, embName: "n", Tagged: embTagged{Q: true}}
	enc, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	if err := json.Unmarshal(enc, &keys); err != nil {
		t.Fatal(err)
	}
	raw, err := SchemaFor(reflect.TypeFor[schemaEmbedding]())
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Properties) != len(keys) {
		t.Fatalf("schema properties %v, encoding/json keys %v (%s)", s.Properties, keys, enc)
	}
	for k := range keys {
		if _, ok := s.Properties[k]; !ok {
			t.Fatalf("key %q written by encoding/json is not in the schema %s", k, raw)
		}
	}
	sch := compileSchema(t, raw)
	if err := validates(t, sch, string(enc)); err != nil {
		t.Fatalf("encoding/json's output %s refused: %v", enc, err)
	}
	if err := validates(t, sch, strings.Replace(string(enc), `"y":2`, `"y":2,"x":1`, 1)); err == nil {
		t.Fatal("the ambiguous field x was accepted")
	}
}
