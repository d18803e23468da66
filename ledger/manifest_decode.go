package ledger

import (
	"encoding/json"
	"errors"
)

// errNotJSON: the arguments are not exactly one JSON value.
var errNotJSON = errors.New("arguments are not one JSON value")

// decodeArgs decodes one JSON value into the form the schema validator
// takes: map[string]any, []any, json.Number, string, bool and nil, as
// jsonschema.UnmarshalJSON (encoding/json with UseNumber) would, which
// FuzzDecodeArgs checks. It exists because encoding/json's Decoder costs
// about as much as the validation itself on a payment's arguments. Strings
// with escapes or non-ASCII bytes are decoded by encoding/json, so their
// meaning (invalid UTF-8 replaced, surrogate pairs) is exactly its own.
// Callers bound the nesting first (checkDepth): the recursion is as deep
// as the value.
func decodeArgs(b []byte) (any, error) {
	d := argDecoder{b: b}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	d.space()
	if d.i != len(d.b) {
		return nil, errNotJSON
	}
	return v, nil
}

type argDecoder struct {
	b []byte
	i int
}

func (d *argDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *argDecoder) value() (any, error) {
	d.space()
	if d.i >= len(d.b) {
		return nil, errNotJSON
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return d.str()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	}
	return nil, errNotJSON
}

func (d *argDecoder) literal(word string) error {
	if len(d.b)-d.i < len(word) || string(d.b[d.i:d.i+len(word)]) != word {
		return errNotJSON
	}
	d.i += len(word)
	return nil
}

func (d *argDecoder) object() (any, error) {
	d.i++ // {
	obj := map[string]any{}
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return obj, nil
	}
	for {
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return nil, errNotJSON
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return nil, errNotJSON
		}
		d.i++
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		obj[k] = v // a repeated key: the last wins, as in encoding/json
		d.space()
		if d.i >= len(d.b) {
			return nil, errNotJSON
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return obj, nil
		default:
			return nil, errNotJSON
		}
	}
}

func (d *argDecoder) array() (any, error) {
	d.i++ // [
	arr := []any{}
	d.space()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return arr, nil
	}
	for {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		d.space()
		if d.i >= len(d.b) {
			return nil, errNotJSON
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return arr, nil
		default:
			return nil, errNotJSON
		}
	}
}

// str decodes a string at d.i (its opening quote).
func (d *argDecoder) str() (string, error) {
	start := d.i
	d.i++
	plain := true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if plain {
				return string(d.b[start+1 : d.i-1]), nil
			}
			var s string
			if err := json.Unmarshal(d.b[start:d.i], &s); err != nil {
				return "", errNotJSON
			}
			return s, nil
		case c == '\\':
			plain = false
			d.i += 2 // the escaped byte cannot end the string
			continue
		case c < 0x20:
			return "", errNotJSON
		case c >= 0x80:
			plain = false
		}
		d.i++
	}
	return "", errNotJSON
}

// number checks the JSON number grammar and keeps the text.
func (d *argDecoder) number() (any, error) {
	start := d.i
	if d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.b) && d.b[d.i] == '0':
		d.i++
	case d.i < len(d.b) && d.b[d.i] >= '1' && d.b[d.i] <= '9':
		d.digits()
	default:
		return nil, errNotJSON
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if d.digits() == 0 {
			return nil, errNotJSON
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if d.digits() == 0 {
			return nil, errNotJSON
		}
	}
	return json.Number(d.b[start:d.i]), nil
}

func (d *argDecoder) digits() int {
	n := 0
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}
