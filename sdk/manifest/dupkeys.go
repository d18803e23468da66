package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// maxDepth bounds the nesting of a manifest document; generated schemas
// nest a few levels deep (types are shared through $defs).
const maxDepth = 64

// checkNoDuplicateKeys refuses a document in which an object repeats a
// key. encoding/json keeps the last value silently, and two readers
// disagreeing about which schema applies is exactly what a manifest is
// there to prevent.
func checkNoDuplicateKeys(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	type frame struct {
		object    bool
		expectKey bool
		keys      map[string]struct{}
	}
	var stack []frame
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKey {
			if k, ok := tok.(string); ok {
				top := &stack[n-1]
				if _, dup := top.keys[k]; dup {
					return fmt.Errorf("duplicate key %q", k)
				}
				top.keys[k] = struct{}{}
				top.expectKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, expectKey: true, keys: map[string]struct{}{}})
		case json.Delim('['):
			stack = append(stack, frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > maxDepth {
			return fmt.Errorf("nested deeper than %d levels", maxDepth)
		}
		// A value ended (scalar or closed container): the enclosing
		// object expects a key next.
		if d, ok := tok.(json.Delim); !ok || d == '}' || d == ']' {
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].expectKey = true
			}
		}
	}
}

// checkExactFieldNames refuses field names of the manifest's own objects
// that differ from the defined ones, in case included: encoding/json
// matches names case-insensitively, so "Version" would silently count as
// "version". Schemas inside are left alone.
func checkExactFieldNames(b []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return err
	}
	if err := onlyFields("manifest", top, "version", "methods", "events", "state", "readPolicy"); err != nil {
		return err
	}
	if raw, ok := top["methods"]; ok {
		var methods map[string]map[string]json.RawMessage
		if json.Unmarshal(raw, &methods) == nil {
			for _, name := range sortedKeys(methods) {
				if err := onlyFields("methods."+name, methods[name], "args", "result"); err != nil {
					return err
				}
			}
		}
	}
	if raw, ok := top["state"]; ok {
		var state []map[string]json.RawMessage
		if json.Unmarshal(raw, &state) == nil {
			for i, rec := range state {
				if err := onlyFields(fmt.Sprintf("state[%d]", i), rec, "prefix", "schema"); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func onlyFields(where string, obj map[string]json.RawMessage, names ...string) error {
	for _, k := range sortedKeys(obj) {
		if !slices.Contains(names, k) {
			return fmt.Errorf("%s: unknown field %q", where, k)
		}
	}
	return nil
}
