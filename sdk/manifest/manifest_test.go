package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const goodManifest = `{
  "version": 1,
  "methods": {
    "pay": {"args": {"type": "object", "properties": {"amount": {"type": "integer", "maximum": 9223372036854775807}}},
            "result": {"type": "object"}}
  },
  "events": {"PaymentRecorded": {"type": "object"}},
  "state": [{"prefix": "loan/", "schema": {"type": "object"}}, {"prefix": "pool/", "schema": {"type": "object"}}],
  "readPolicy": true
}`

func TestParseGood(t *testing.T) {
	m, err := Parse([]byte(goodManifest))
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != 1 || !m.ReadPolicy || len(m.Methods) != 1 || len(m.Events) != 1 || len(m.State) != 2 {
		t.Fatalf("parsed %+v", m)
	}
	// Canonical: keys sorted, whitespace gone, the big number kept exact.
	want := `{"properties":{"amount":{"maximum":9223372036854775807,"type":"integer"}},"type":"object"}`
	if got := string(m.Methods["pay"].Args); got != want {
		t.Fatalf("args schema %s, want %s", got, want)
	}
}

func TestHashIgnoresFormatting(t *testing.T) {
	a, err := Parse([]byte(goodManifest))
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(goodManifest)); err != nil {
		t.Fatal(err)
	}
	reordered := strings.Replace(goodManifest, `"type": "integer", "maximum": 9223372036854775807`, `"maximum": 9223372036854775807, "type": "integer"`, 1)
	for _, src := range []string{compact.String(), reordered} {
		b, err := Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if a.Hash() != b.Hash() {
			t.Fatalf("hash differs for %s", src)
		}
	}
	c, _ := Parse([]byte(strings.Replace(goodManifest, `"readPolicy": true`, `"readPolicy": false`, 1)))
	if c.Hash() == a.Hash() {
		t.Fatal("different manifests hash the same")
	}
	// Encode parses back to the same hash.
	enc, err := a.Encode()
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(enc)
	if err != nil || d.Hash() != a.Hash() {
		t.Fatalf("encode round trip: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	big := `{"version":1,"methods":{},"events":{"E":{"description":"` + strings.Repeat("x", MaxSize) + `"}}}`
	deep := `{"version":1,"methods":{"m":{"args":` + strings.Repeat(`{"a":`, 70) + `{}` + strings.Repeat(`}`, 70) + `,"result":{}}}}`
	tests := []struct {
		name, doc, want string
	}{
		{"not JSON", `{"version":`, "unexpected end of JSON input"},
		{"unknown field", `{"version":1,"methods":{},"extra":1}`, `unknown field "extra"`},
		{"field name in another case", `{"Version":1,"methods":{}}`, `unknown field "Version"`},
		{"method field in another case", `{"version":1,"methods":{"m":{"Args":{},"result":{}}}}`, `methods.m: unknown field "Args"`},
		{"state field in another case", `{"version":1,"methods":{},"state":[{"PREFIX":"a/","schema":{}}]}`, `state[0]: unknown field "PREFIX"`},
		{"duplicate key", `{"version":1,"methods":{"m":{"args":{},"result":{}},"m":{"args":{},"result":{}}}}`, `duplicate key "m"`},
		{"duplicate key in schema", `{"version":1,"methods":{"m":{"args":{"type":"object","type":"string"},"result":{}}}}`, `duplicate key "type"`},
		{"trailing data", `{"version":1,"methods":{}} {}`, "after top-level value"},
		{"too large", big, "more than"},
		{"too deep", deep, "nested deeper"},
		{"wrong version", `{"version":2,"methods":{}}`, "version 2"},
		{"no methods", `{"version":1}`, "no methods"},
		{"reserved method", `{"version":1,"methods":{"mesh.methods":{"args":{},"result":{}}}}`, "reserved"},
		{"empty method name", `{"version":1,"methods":{"":{"args":{},"result":{}}}}`, "empty or reserved"},
		{"args not object", `{"version":1,"methods":{"m":{"args":true,"result":{}}}}`, "methods.m.args: schema is not a JSON object"},
		{"missing result", `{"version":1,"methods":{"m":{"args":{}}}}`, "methods.m.result: missing schema"},
		{"event not object", `{"version":1,"methods":{},"events":{"E":[]}}`, "events.E: schema is not a JSON object"},
		{"empty event name", `{"version":1,"methods":{},"events":{"":{}}}`, "event name"},
		{"empty prefix", `{"version":1,"methods":{},"state":[{"prefix":"","schema":{}}]}`, "empty prefix"},
		{"unsorted prefixes", `{"version":1,"methods":{},"state":[{"prefix":"b/","schema":{}},{"prefix":"a/","schema":{}}]}`, "not after"},
		{"duplicate prefixes", `{"version":1,"methods":{},"state":[{"prefix":"a/","schema":{}},{"prefix":"a/","schema":{}}]}`, "not after"},
		{"state schema missing", `{"version":1,"methods":{},"state":[{"prefix":"a/"}]}`, "state[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.doc))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse = %v, %v; want ErrInvalid containing %q", m, err, tc.want)
			}
		})
	}
}

func TestValidateBuiltValue(t *testing.T) {
	m := &Manifest{Version: Version, Methods: map[string]Method{"m": {Args: json.RawMessage(`{}`), Result: json.RawMessage(`"x"`)}}}
	if err := m.Validate(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Validate = %v", err)
	}
	m.Methods["m"] = Method{Args: json.RawMessage(`{}`), Result: json.RawMessage(`{"a":`)}
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("Validate = %v", err)
	}
	if _, err := m.Encode(); err == nil {
		t.Fatal("Encode accepted a schema that is not JSON")
	}
	if m.Hash() != [32]byte{} {
		t.Fatal("an unencodable manifest has a hash")
	}
}
