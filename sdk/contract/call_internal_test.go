package contract

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestDecodeCallOutcome(t *testing.T) {
	enc := func(code, data string) []byte {
		b := binary.LittleEndian.AppendUint32(nil, uint32(len(code)))
		return append(append(b, code...), data...)
	}
	cases := []struct {
		name string
		in   []byte
		code string
		data string
		ok   bool
	}{
		{"ok with data", enc("ok", `{"a":1}`), "ok", `{"a":1}`, true},
		{"failure", enc("aborted", "no"), "aborted", "no", true},
		{"no data", enc("ok", ""), "ok", "", true},
		{"empty", nil, "", "", false},
		{"short length", []byte{2, 0, 0}, "", "", false},
		{"empty code", enc("", "x"), "", "", false},
		{"code past the end", []byte{9, 0, 0, 0, 'o', 'k'}, "", "", false},
		{"huge length", []byte{0xff, 0xff, 0xff, 0xff, 'o'}, "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, data, ok := decodeCallOutcome(c.in)
			if ok != c.ok || code != c.code || string(data) != c.data {
				t.Fatalf("got %q %q %v, want %q %q %v", code, data, ok, c.code, c.data, c.ok)
			}
		})
	}
}

// FuzzDecodeCallOutcome checks that any input decodes or is refused
// without panicking, and that what decodes re-encodes to the input.
func FuzzDecodeCallOutcome(f *testing.F) {
	f.Add([]byte{2, 0, 0, 0, 'o', 'k', '1'})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		code, data, ok := decodeCallOutcome(in)
		if !ok {
			return
		}
		re := binary.LittleEndian.AppendUint32(nil, uint32(len(code)))
		re = append(append(re, code...), data...)
		if !bytes.Equal(re, in) {
			t.Fatalf("%x decodes to %q %q, which encodes to %x", in, code, data, re)
		}
	})
}
