package ledger

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var decodeSeeds = []string{
	`{"id":"L000123","amount":215000}`, ` { "a" : [ 1 , -2.5e+3 , 0 , true , false , null ] } `,
	`{"a":1,"a":2}`, `"caf\u00e9 \ud83d\ude00 \ud800"`, "\"\xff\xfe\"", `"tab\there"`, "\"ctl\x01\"",
	`[]`, `{}`, `[[]]`, `01`, `-`, `1.`, `1e`, `.5`, `-0`, `1E+2`, `tru`, `nul`, `{"a"}`, `{"a":}`, `{"a":1,}`,
	`[1,]`, `[1 2]`, `{} {}`, `"unterminated`, `"esc\"aped"`, `"\q"`, `{"k\u0000":1}`, ``, ` `, `18446744073709551616`,
	`"\\"`, `"a\\\"b"`, `[` + "\n" + `]`,
}

// FuzzDecodeArgs checks decodeArgs against the decoder the validator's
// own UnmarshalJSON uses: the same value, or both refusing.
func FuzzDecodeArgs(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if checkDepth(b) != nil {
			return
		}
		got, gotErr := decodeArgs(b)
		want, wantErr := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("%q: decodeArgs error %v, UnmarshalJSON error %v", b, gotErr, wantErr)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: decodeArgs %#v, UnmarshalJSON %#v", b, got, want)
		}
	})
}
