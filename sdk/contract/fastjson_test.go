package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

type flatArgs struct {
	ID     string  `json:"id"`
	Amount int64   `json:"amount"`
	Small  int8    `json:"small,omitempty"`
	U16    uint16  `json:"u16"`
	U      uint    `json:"u"`
	OK     bool    `json:"ok"`
	Who    Address `json:"who"`
	Plain  int32
	Skip   string `json:"-"`
	hidden int
}

type withMarshaler struct {
	When textTime `json:"when"`
}

type textTime int

func (t *textTime) UnmarshalText([]byte) error  { *t = 42; return nil }
func (t textTime) MarshalText() ([]byte, error) { return []byte("42"), nil }

type stringOpt struct {
	N int `json:"n,string"`
}

type nested struct {
	Inner flatArgs `json:"inner"`
}

type embedded struct {
	flatArgs
}

type selfRef struct {
	Kids []selfRef `json:"kids"`
}

// decodeBoth decodes data with the fast path and with the SDK's
// encoding/json path into fresh values of T.
func decodeBoth[T any](t *testing.T, data string) (fast T, fastOK bool, slow T, slowErr error) {
	t.Helper()
	if c := codecFor(reflect.TypeFor[T]()); c != nil {
		fastOK = c.decodeAll([]byte(data), unsafe.Pointer(&fast))
	}
	slowErr = decodeArgs([]byte(data), &slow)
	return fast, fastOK, slow, slowErr
}

func TestFastDecodeMatchesEncodingJSON(t *testing.T) {
	who := `"0x00000000000000000000000000000000000000ff"`
	tests := []struct {
		name     string
		data     string
		wantFast bool
	}{
		{"canonical", `{"id":"L-1","amount":-12,"small":7,"u16":65535,"u":3,"ok":true,"who":` + who + `,"Plain":5}`, true},
		{"whitespace", " {\n\t\"id\" : \"a\" , \"amount\":0 }\r\n", true},
		{"empty object", `{}`, true},
		{"repeated key, last wins", `{"amount":1,"amount":2}`, true},
		{"minus zero", `{"amount":-0}`, true},
		{"false", `{"ok":false}`, true},
		{"upper-case address", `{"who":"0X00000000000000000000000000000000000000FF"}`, true},
		{"case-folded key", `{"ID":"x"}`, false},
		{"unknown key", `{"nope":1}`, false},
		{"skipped field's name", `{"-":"x"}`, false},
		{"unexported field", `{"hidden":1}`, false},
		{"escaped string", `{"id":"a\u0041"}`, false},
		{"non-ASCII string", `{"id":"é"}`, false},
		{"invalid UTF-8", "{\"id\":\"\xff\"}", false},
		{"null field, left alone", `{"id":null}`, true},
		{"null address", `{"who":null}`, false},
		{"null", `null`, true},
		{"fraction", `{"amount":1.0}`, false},
		{"exponent", `{"amount":1e3}`, false},
		{"leading zero", `{"amount":01}`, false},
		{"int8 overflow", `{"small":128}`, false},
		{"uint16 overflow", `{"u16":65536}`, false},
		{"negative uint", `{"u":-1}`, false},
		{"19 digits", `{"amount":1234567890123456789}`, true},
		{"max int64", `{"amount":9223372036854775807}`, true},
		{"min int64", `{"amount":-9223372036854775808}`, true},
		{"int64 overflow by one", `{"amount":9223372036854775808}`, false},
		{"negative overflow by one", `{"amount":-9223372036854775809}`, false},
		{"19 digits beyond int64", `{"amount":9999999999999999999}`, false},
		{"20 digits", `{"amount":12345678901234567890}`, false},
		{"max uint32 in uint", `{"u":4294967295}`, true},
		{"19-digit uint", `{"u":9999999999999999999}`, true},
		{"int64 overflow", `{"amount":99999999999999999999}`, false},
		{"string for int", `{"amount":"1"}`, false},
		{"bad address", `{"who":"0x12"}`, false},
		{"trailing data", `{"amount":1} {"amount":2}`, false},
		{"trailing comma", `{"amount":1,}`, false},
		{"truncated", `{"amount":1`, false},
		{"array", `[1]`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fast, fastOK, slow, slowErr := decodeBoth[flatArgs](t, tc.data)
			if fastOK != tc.wantFast {
				t.Fatalf("fast path ok = %v, want %v", fastOK, tc.wantFast)
			}
			if fastOK && (slowErr != nil || fast != slow) {
				t.Fatalf("fast %+v, encoding/json %+v (err %v)", fast, slow, slowErr)
			}
		})
	}
}

func TestFastDecodeTopLevelKinds(t *testing.T) {
	if v, ok, s, err := decodeBoth[int](t, ` 7 `); !ok || err != nil || v != s {
		t.Fatalf("int: %v %v, encoding/json %v %v", v, ok, s, err)
	}
	if v, ok, s, err := decodeBoth[string](t, ` "x" `); !ok || err != nil || v != s {
		t.Fatalf("string: %q %v, encoding/json %q %v", v, ok, s, err)
	}
	if v, ok, s, err := decodeBoth[bool](t, `true`); !ok || err != nil || v != s {
		t.Fatalf("bool: %v %v, encoding/json %v %v", v, ok, s, err)
	}
	if _, ok, _, _ := decodeBoth[uint8](t, `256`); ok {
		t.Fatal("uint8 256 took the fast path")
	}
}

func TestCodecRefusesTypesLeftToEncodingJSON(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[withMarshaler](), reflect.TypeFor[stringOpt](), reflect.TypeFor[[]withMarshaler](),
		reflect.TypeFor[embedded](), reflect.TypeFor[[]byte](), reflect.TypeFor[map[string]int](),
		reflect.TypeFor[float64](), reflect.TypeFor[**flatArgs](), reflect.TypeFor[textTime](),
		reflect.TypeFor[json.RawMessage](), reflect.TypeFor[struct {
			A int `json:"a<b"`
		}](), reflect.TypeFor[struct {
			A int `json:"X"`
			X int
		}](), reflect.TypeFor[struct {
			A int `json:"a,omitzero"`
		}](), reflect.TypeFor[selfRef](), reflect.TypeFor[[]*float64](),
	} {
		if buildCodec(typ, map[reflect.Type]bool{}) != nil {
			t.Errorf("%v has a codec", typ)
		}
	}
}

func encodeFast[T any](t *testing.T, v T) []byte {
	t.Helper()
	c := codecFor(reflect.TypeFor[T]())
	if c == nil {
		t.Fatalf("%T has no codec", v)
	}
	return c.append(nil, unsafe.Pointer(&v))
}

func TestFastEncodeMatchesEncodingJSON(t *testing.T) {
	check := func(got []byte, v any) {
		t.Helper()
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("fast %s, encoding/json %s", got, want)
		}
	}
	for _, v := range []flatArgs{
		{},
		{ID: "L-1", Amount: -1 << 63, Small: -128, U16: 65535, U: 1<<64 - 1, OK: true, Who: Address{19: 0xff}, Plain: -5, Skip: "x", hidden: 1},
		{ID: `quote " and <html> & \ ` + "\n\u2028é\xff"},
	} {
		check(encodeFast(t, v), v)
	}
	for _, s := range []string{"", "plain", "<", "\x00", strings.Repeat("é", 3)} {
		check(encodeFast(t, s), s)
	}
	check(encodeFast(t, uint64(1<<64-1)), uint64(1<<64-1))
	check(encodeFast(t, int16(-300)), int16(-300))
	check(encodeFast(t, false), false)
	check(encodeFast(t, Address{1}), Address{1})
	type status string
	check(encodeFast(t, status("ok")), status("ok"))
}

func TestUnknownMethodMessageMatchesFmt(t *testing.T) {
	for _, name := range []string{"", "no.such", `q"uote`, `back\slash`, "tab\t", "é", "\xff"} {
		if got, want := unknownMethod([]byte(name)), "unknown method "+strconvQuoteViaFmt(name); got != want {
			t.Errorf("unknownMethod(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestPanicMessageMatchesFmt(t *testing.T) {
	var nilErr *json.SyntaxError
	for _, v := range []any{"boom", json.Unmarshal([]byte("{"), new(int)), 42, nilErr, nil} {
		if got, want := panicMessage(v), sprint(v); got != want {
			t.Errorf("panicMessage(%#v) = %q, want %q", v, got, want)
		}
	}
}

func TestMethodsAreSorted(t *testing.T) {
	ms := registry.methods
	for i := 1; i < len(ms); i++ {
		if ms[i-1].name >= ms[i].name {
			t.Fatalf("registry not sorted: %q before %q", ms[i-1].name, ms[i].name)
		}
	}
	for _, m := range ms {
		if i, ok := findMethod(m.name); !ok || ms[i].name != m.name {
			t.Fatalf("findMethod(%q) = %d, %v", m.name, i, ok)
		}
	}
	if _, ok := findMethod("zzz-not-registered"); ok {
		t.Fatal("found an unregistered method")
	}
}

func strconvQuoteViaFmt(name string) string { return fmt.Sprintf("%q", []byte(name)) }

func sprint(v any) string { return fmt.Sprint(v) }
