package codectest

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/meshledger/meshledger/sdk/contract"
)

// codec is what gencodec generates for a type T, on *T.
type codec interface {
	AppendJSON([]byte) []byte
	DecodeJSON([]byte) error
	DecodeJSONFast([]byte) bool
}

var (
	_ codec = (*Scalars)(nil)
	_ codec = (*Composite)(nil)
	_ codec = (*Tagged)(nil)
	_ codec = (*Empty)(nil)
)

// randValue fills v (a pointer) with random values of every field,
// including the edges of each integer range and strings that need escapes.
func randValue(r *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if r.IntN(4) == 0 {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		randValue(r, p.Elem())
		v.Set(p)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				randValue(r, v.Field(i))
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			randValue(r, v.Index(i))
		}
	case reflect.Slice:
		switch r.IntN(4) {
		case 0:
			v.SetZero()
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			s := reflect.MakeSlice(v.Type(), 1+r.IntN(3), 3)
			for i := range s.Len() {
				randValue(r, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.String:
		v.SetString([]string{"", "L-1", "paid_off", `a"b\c`, "<&>", "ü", "\x00\x7f", "x y"}[r.IntN(8)])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := v.Type().Bits()
		v.SetInt([]int64{0, 1, -1, 9, 10, 99, 100, -1 << (bits - 1), 1<<(bits-1) - 1, r.Int64() >> (64 - bits)}[r.IntN(10)])
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		bits := v.Type().Bits()
		v.SetUint([]uint64{0, 1, 9, 10, 100, math.MaxUint64 >> (64 - bits), r.Uint64() >> (64 - bits)}[r.IntN(7)])
	}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		for _, v := range []codec{new(Scalars), new(Composite), new(Tagged), new(Empty)} {
			randValue(r, reflect.ValueOf(v).Elem())
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.AppendJSON([]byte("x")); string(got) != "x"+string(want) {
				t.Fatalf("%T AppendJSON\n got %s\nwant x%s", v, got, want)
			}
			// Decoding encoding/json's bytes gives encoding/json's value.
			back := reflect.New(reflect.TypeOf(v).Elem()).Interface().(codec)
			slow := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			errFast, errSlow := back.DecodeJSON(want), json.Unmarshal(want, slow)
			if (errFast == nil) != (errSlow == nil) || !reflect.DeepEqual(back, slow) {
				t.Fatalf("%T DecodeJSON(%s) = %+v, %v; encoding/json %+v, %v", v, want, back, errFast, slow, errSlow)
			}
		}
	}
}

// TestDecodeJSONFastTakesCanonicalInput checks that the fast path, not the
// fallback, decodes what AppendJSON writes.
func TestDecodeJSONFastTakesCanonicalInput(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		for _, v := range []codec{new(Scalars), new(Composite), new(Tagged)} {
			randValue(r, reflect.ValueOf(v).Elem())
			data := v.AppendJSON(nil)
			if bytes.ContainsFunc(data, func(r rune) bool { return r == '\\' || r > 0x7e }) {
				continue // escaped and non-ASCII strings are left to encoding/json
			}
			back := reflect.New(reflect.TypeOf(v).Elem()).Interface().(codec)
			if !back.DecodeJSONFast(data) {
				t.Fatalf("%T DecodeJSONFast refused its own encoding %s", v, data)
			}
		}
	}
}

func TestDecodeJSONFallsBack(t *testing.T) {
	tests := []struct {
		name, data string
		wantErr    bool
	}{
		{"reordered", `{"U8":7,"S":"x"}`, false},
		{"white space", " {\n\"S\" : \"x\" , \"B\" :true} ", false},
		{"case-insensitive key", `{"s":"x"}`, false},
		{"unknown key", `{"S":"x","Z":1}`, false},
		{"repeated key", `{"S":"x","S":"y"}`, false},
		{"escape", `{"S":"a\u0062"}`, false},
		{"null scalar", `{"S":null,"I":null}`, false},
		{"null address", `{"A":null}`, true},
		{"upper-case address", `{"A":"0XABCDEF0123456789abcdef0123456789ABCDEF01"}`, false},
		{"short address", `{"A":"0x12"}`, true},
		{"int8 overflow", `{"I8":128}`, true},
		{"uint negative", `{"U":-1}`, true},
		{"uint64 max", `{"U64":18446744073709551615}`, false},
		{"uint64 overflow", `{"U64":18446744073709551616}`, true},
		{"int64 min", `{"I64":-9223372036854775808}`, false},
		{"leading zero", `{"I":01}`, true},
		{"fraction", `{"I":1.5}`, true},
		{"exponent", `{"I":1e2}`, true},
		{"minus zero", `{"I":-0}`, false},
		{"trailing data", `{"S":"x"}x`, true},
		{"trailing comma", `{"S":"x",}`, true},
		{"not an object", `[1]`, true},
		{"null", `null`, false},
		{"empty", ``, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var fast, slow Scalars
			errFast, errSlow := fast.DecodeJSON([]byte(tc.data)), json.Unmarshal([]byte(tc.data), &slow)
			if (errSlow != nil) != tc.wantErr {
				t.Fatalf("encoding/json error %v, want error %v", errSlow, tc.wantErr)
			}
			if (errFast == nil) != (errSlow == nil) || fast != slow {
				t.Fatalf("DecodeJSON %+v, %v; encoding/json %+v, %v", fast, errFast, slow, errSlow)
			}
			if errFast != nil && errFast.Error() != errSlow.Error() {
				t.Fatalf("DecodeJSON error %q, encoding/json %q", errFast, errSlow)
			}
		})
	}
}

// TestDecodeJSONIntoNonZeroValue checks the merge encoding/json does into
// a value already holding data: a flat type decodes in place, a type with
// slices or pointers goes to encoding/json.
func TestDecodeJSONIntoNonZeroValue(t *testing.T) {
	start := Scalars{S: "old", I64: 5, U8: 3}
	fast, slow := start, start
	data := []byte(`{"S":"new","B":true}`)
	if err := fast.DecodeJSON(data); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &slow); err != nil {
		t.Fatal(err)
	}
	if fast != slow || fast.I64 != 5 {
		t.Fatalf("DecodeJSON %+v, encoding/json %+v", fast, slow)
	}
	// A refused input leaves the value as it was for encoding/json.
	fast, slow = start, start
	data = []byte(`{"S":"new","I8":1000}`)
	errFast, errSlow := fast.DecodeJSON(data), json.Unmarshal(data, &slow)
	if errFast == nil || errSlow == nil || fast != slow {
		t.Fatalf("DecodeJSON %+v, %v; encoding/json %+v, %v", fast, errFast, slow, errSlow)
	}

	c := Composite{Ints: make([]int32, 1, 4), Inners: []Inner{{ID: "keep", Amount: 1}}}
	c2 := Composite{Ints: make([]int32, 1, 4), Inners: []Inner{{ID: "keep", Amount: 1}}}
	data = []byte(`{"inners":[{"amount":2}],"ints":[1,2]}`)
	if c.DecodeJSONFast(data) {
		t.Fatal("DecodeJSONFast decoded into a value holding slices")
	}
	if err := c.DecodeJSON(data); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &c2); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, c2) || c.Inners[0].ID != "keep" {
		t.Fatalf("DecodeJSON %+v, encoding/json %+v", c, c2)
	}

	var nilPtr *Scalars
	if err := nilPtr.DecodeJSON([]byte(`{}`)); err == nil || err.Error() != json.Unmarshal([]byte(`{}`), nilPtr).Error() {
		t.Fatalf("DecodeJSON into nil: %v", err)
	}
}

// TestSDKUsesGeneratedCodec checks that the SDK's MarshalJSON and
// UnmarshalJSON give the generated codec's results, for values and
// pointers.
func TestSDKUsesGeneratedCodec(t *testing.T) {
	v := Composite{Name: "n", Ints: []int32{1}, PInner: &Inner{ID: "i"}}
	for _, x := range []any{v, &v} {
		got, err := contract.MarshalJSON(x)
		if err != nil {
			t.Fatal(err)
		}
		if want := v.AppendJSON(nil); string(got) != string(want) {
			t.Fatalf("MarshalJSON(%T) = %s, want %s", x, got, want)
		}
	}
	if got, err := contract.MarshalJSON((*Composite)(nil)); err != nil || string(got) != "null" {
		t.Fatalf("MarshalJSON(nil) = %s, %v", got, err)
	}
	var back Composite
	if err := contract.UnmarshalJSON(v.AppendJSON(nil), &back); err != nil || !reflect.DeepEqual(back, v) {
		t.Fatalf("UnmarshalJSON = %+v, %v; want %+v", back, err, v)
	}
	var syntax *json.SyntaxError
	if err := contract.UnmarshalJSON([]byte(`{`), &back); !errors.As(err, &syntax) {
		t.Fatalf("UnmarshalJSON of bad input: %v, want a *json.SyntaxError", err)
	}
}

// strictDecode is the SDK's decoding of method arguments.
func strictDecode(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data")
	}
	return nil
}

// fuzzTypes decodes data into each type, from zero and from a value
// holding data, and holds the result to encoding/json's.
func fuzzDecode[T any, P interface {
	*T
	codec
}](t *testing.T, data []byte, start T) {
	for _, from := range []T{*new(T), start} {
		fast, slow := from, from
		errFast := P(&fast).DecodeJSON(data)
		errSlow := json.Unmarshal(data, &slow)
		if (errFast == nil) != (errSlow == nil) || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%T from %+v: DecodeJSON %+v, %v; encoding/json %+v, %v", fast, from, fast, errFast, slow, errSlow)
		}
		if errSlow == nil {
			want, _ := json.Marshal(&slow)
			if got := P(&slow).AppendJSON(nil); string(got) != string(want) {
				t.Fatalf("%T AppendJSON %s, json.Marshal %s", slow, got, want)
			}
		}
	}
	var zero T
	if P(&zero).DecodeJSONFast(data) {
		var strict T
		if err := strictDecode(data, &strict); err != nil || !reflect.DeepEqual(zero, strict) {
			t.Fatalf("%T DecodeJSONFast %+v; strict encoding/json %+v, %v", zero, zero, strict, err)
		}
	}
}

// FuzzDecodeJSON holds every generated decoder to encoding/json.
func FuzzDecodeJSON(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 8 {
		for _, v := range []codec{new(Scalars), new(Composite), new(Tagged)} {
			randValue(r, reflect.ValueOf(v).Elem())
			f.Add(v.AppendJSON(nil))
		}
	}
	f.Add([]byte(`{"S":"x","S":"y"}`))
	f.Add([]byte(` {"inner":{"id":"a"},"inner":{"amount":1}} `))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, data, Scalars{S: "s", I: 1, A: contract.Address{1}})
		n := int64(7)
		fuzzDecode(t, data, Composite{Name: "c", Inner: Inner{ID: "i"}, PInt: &n, Ints: make([]int32, 1, 3), Inners: []Inner{{ID: "x"}}})
		fuzzDecode(t, data, Tagged{OS: "o", OSlice: []int64{1}})
		fuzzDecode(t, data, Empty{hidden: 1})
	})
}
