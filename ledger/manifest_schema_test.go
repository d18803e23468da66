package ledger

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateArgsReasons(t *testing.T) {
	schema := `{"type":"object","additionalProperties":false,"properties":{
		"addr":{"type":"string","pattern":"^0x[0-9a-fA-F]{40}$"},
		"kind":{"enum":["a","b"]},
		"name":{"type":"string","maxLength":3},
		"rate":{"type":"number","exclusiveMaximum":0.5},
		"tags":{"type":"array","maxItems":1,"items":{"type":"string"}},
		"m":{"type":"object","additionalProperties":{"type":"integer"}},
		"x~/y":{"type":"boolean"}}}`
	sch := mustArgSchema(t, schema)
	for _, tc := range []struct{ args, pointer, reason string }{
		{`{"addr":"0x12"}`, "/addr", `must match "^0x[0-9a-fA-F]{40}$"`},
		{`{"kind":"c"}`, "/kind", "must be one of the allowed values"},
		{`{"name":"abcd"}`, "/name", "must be at most 3 characters"},
		{`{"rate":0.75}`, "/rate", "must be < 1/2"},
		{`{"tags":["a","b"]}`, "/tags", "must have at most 1 items"},
		{`{"tags":[1]}`, "/tags/0", "must be string, not number"},
		{`{"m":{"k":"v"}}`, "/m/k", "must be integer, not string"},
		{`{"x~/y":1}`, "/x~0~1y", "must be boolean, not number"},
		{`{"a":1} {}`, "", "arguments are not one JSON value"},
		{`{"a":`, "", "arguments are not one JSON value"},
		{`{"s":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]]"}`, "", `unknown field "s"`},
		{`{"s":` + strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat("}", 41), "", "nested deeper than 32 levels"},
	} {
		err := validateArgs(sch, "m", []byte(tc.args))
		var ae *ArgsError
		if !errors.As(err, &ae) || !errors.Is(err, ErrInvalidArgs) {
			t.Fatalf("%s: %v, want an ArgsError", tc.args, err)
		}
		if ae.Pointer != tc.pointer || ae.Reason != tc.reason {
			t.Errorf("%s: pointer %q reason %q, want %q %q", tc.args, ae.Pointer, ae.Reason, tc.pointer, tc.reason)
		}
	}
	if err := validateArgs(sch, "m", []byte(`{"rate":0.25,"tags":["a"],"name":"ab"}`)); err != nil {
		t.Fatalf("valid args: %v", err)
	}
}

// TestValidateArgsStable validates arguments failing in many places many
// times: the library gathers sibling failures in map order, and the one
// reported must not depend on it.
func TestValidateArgsStable(t *testing.T) {
	schema := `{"type":"object","additionalProperties":false,"properties":{
		"a":{"type":"integer"},"b":{"type":"integer"},"c":{"type":"integer"},"d":{"type":"integer"}}}`
	sch := mustArgSchema(t, schema)
	args := []byte(`{"d":"x","c":"x","b":"x","a":"x","z":1,"y":2}`)
	first := validateArgs(sch, "m", args).Error()
	if first != `/: unknown field "y", "z"` {
		t.Fatalf("first failure %q", first)
	}
	for range 200 {
		if got := validateArgs(sch, "m", args).Error(); got != first {
			t.Fatalf("failure %q, then %q", first, got)
		}
	}
}
