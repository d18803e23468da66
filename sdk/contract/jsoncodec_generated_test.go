package contract

import (
	"encoding/json"
	"reflect"
	"testing"
)

// callCounts counts a fake generated codec's calls, so that a test can
// see the SDK chose it.
type callCounts struct{ appends, decodes int }

// genRecord stands for a type with a generated codec.
type genRecord struct {
	N     int64 `json:"n"`
	calls *callCounts
}

func (r genRecord) AppendJSON(b []byte) []byte {
	r.calls.appends++
	b = append(b, `{"n":`...)
	return append(appendInt64(b, r.N), '}')
}

func (r *genRecord) DecodeJSON(data []byte) error {
	r.calls.decodes++
	return json.Unmarshal(data, r)
}

// onePointer is pointer-shaped: an interface holds its value directly,
// so a nil data word does not mean a nil pointer.
type onePointer struct {
	P *int64 `json:"p"`
}

func (o onePointer) AppendJSON(b []byte) []byte {
	if o.P == nil {
		return append(b, `{"p":null}`...)
	}
	b = append(b, `{"p":`...)
	return append(appendInt64(b, *o.P), '}')
}

func TestMarshalJSONUsesGeneratedCodec(t *testing.T) {
	calls := &callCounts{}
	r := genRecord{N: 7, calls: calls}
	for _, v := range []any{r, &r} {
		got, err := MarshalJSON(v)
		if err != nil || string(got) != `{"n":7}` {
			t.Fatalf("MarshalJSON(%T) = %s, %v", v, got, err)
		}
	}
	if calls.appends != 2 {
		t.Fatalf("AppendJSON called %d times, want 2", calls.appends)
	}
	// A nil pointer is null, without calling the value method.
	if got, err := MarshalJSON((*genRecord)(nil)); err != nil || string(got) != "null" {
		t.Fatalf("MarshalJSON(nil) = %s, %v", got, err)
	}
	if got, err := MarshalJSON(onePointer{}); err != nil || string(got) != `{"p":null}` {
		t.Fatalf("MarshalJSON(onePointer{}) = %s, %v", got, err)
	}
	back := genRecord{calls: calls}
	if err := UnmarshalJSON([]byte(`{"n":9}`), &back); err != nil || back.N != 9 || calls.decodes != 1 {
		t.Fatalf("UnmarshalJSON = %+v, %v (%d calls)", back, err, calls.decodes)
	}
	// A nil pointer goes to encoding/json, which words the error.
	err := UnmarshalJSON([]byte(`{}`), (*genRecord)(nil))
	if want := json.Unmarshal([]byte(`{}`), (*genRecord)(nil)); err == nil || err.Error() != want.Error() {
		t.Fatalf("UnmarshalJSON into nil: %v, want %v", err, want)
	}
	// The type's entry holds no reflection codec...
	if e, ok := entryOf(&r); !ok || !e.appends || !e.decodes || e.c != nil {
		t.Fatalf("entry of *genRecord = %+v", e)
	}
	// ...but codecFor builds one when asked, as for a field of a struct
	// without a generated codec.
	if c := codecFor(reflect.TypeFor[genRecord]()); c == nil {
		t.Fatal("codecFor(genRecord) = nil")
	}
}
