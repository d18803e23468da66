package manifest

import (
	"errors"
	"testing"
)

// FuzzParse: Parse never panics, fails only with ErrInvalid, and what it
// accepts re-encodes to a document that parses to the same hash (the
// canonical form is a fixed point).
func FuzzParse(f *testing.F) {
	f.Add([]byte(goodManifest))
	f.Add([]byte(`{"version":1,"methods":{}}`))
	f.Add([]byte(`{"version":1,"methods":{"m":{"args":{"a":1e400},"result":{"b":[1,2,{"c":null}]}}}}`))
	f.Add([]byte(`{"version":1,"methods":{"m":{"args":{},"result":{}},"m":{"args":{},"result":{}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		enc, err := m.Encode()
		if err != nil {
			t.Fatalf("an accepted manifest does not encode: %v", err)
		}
		again, err := Parse(enc)
		if err != nil {
			t.Fatalf("the canonical encoding does not parse: %v\n%s", err, enc)
		}
		if again.Hash() != m.Hash() {
			t.Fatal("the canonical encoding hashes differently")
		}
		enc2, _ := again.Encode()
		if string(enc2) != string(enc) {
			t.Fatal("canonical encoding is not a fixed point")
		}
	})
}
