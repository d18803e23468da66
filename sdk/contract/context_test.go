package contract_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/meshledger/meshledger/sdk/contract"
	"github.com/meshledger/meshledger/sdk/contract/contracttest"
)

type fastResult struct{ N int }

func (f *fastResult) AppendJSON(b []byte) []byte { return fmt.Appendf(b, `{"fast":%d}`, f.N) }

// fastArgs decodes only the literal 1 itself, and scribbles on itself
// when it gives up, to prove the SDK starts the slow path from zero.
type fastArgs struct{ N int }

func (f *fastArgs) DecodeJSONFast(data []byte) bool {
	if string(data) == "1" {
		f.N = 1
		return true
	}
	f.N = 99
	return false
}

type sizeArgs struct {
	Size int `json:"size"`
}

func init() {
	contract.Method("bigvalue", func(ctx *contract.Context, a sizeArgs) (bool, error) {
		v := bytes.Repeat([]byte{'z'}, a.Size)
		ctx.Set([]byte("big"), v)
		got, ok := ctx.Get([]byte("big"))
		var s string
		found, err := ctx.GetJSON([]byte("bigjson"), &s)
		if err != nil {
			return false, err
		}
		return ok && bytes.Equal(got, v) && (!found || len(s) == a.Size), nil
	})
	contract.Method("setjson", func(ctx *contract.Context, a sizeArgs) (struct{}, error) {
		return struct{}{}, ctx.SetJSON([]byte("bigjson"), strings.Repeat("j", a.Size))
	})
	contract.Method("manykeys", func(ctx *contract.Context, a sizeArgs) (int, error) {
		for i := range a.Size {
			ctx.Set(fmt.Appendf(nil, "m/%05d", i), bytes.Repeat([]byte{'v'}, 100))
		}
		return len(ctx.Scan([]byte("m/"), nil, 0)), nil
	})
	contract.Method("badjson", func(ctx *contract.Context, _ struct{}) (struct{}, error) {
		ctx.Set([]byte("notjson"), []byte("{"))
		var v map[string]int
		_, err := ctx.GetJSON([]byte("notjson"), &v)
		return struct{}{}, err
	})
	contract.Method("unencodable", func(ctx *contract.Context, what string) (any, error) {
		switch what {
		case "set":
			return nil, ctx.SetJSON([]byte("k"), make(chan int))
		case "emit":
			return nil, ctx.Emit("E", make(chan int))
		}
		return func() {}, nil
	})
	contract.Method("fast", func(ctx *contract.Context, n int) (*fastResult, error) {
		if n < 0 {
			return nil, nil
		}
		if err := ctx.Emit("Fast", &fastResult{N: n}); err != nil {
			return nil, err
		}
		var nilFast *fastResult
		if err := ctx.Emit("Nil", nilFast); err != nil {
			return nil, err
		}
		return &fastResult{N: n}, nil
	})
	contract.Method("panics", func(ctx *contract.Context, what string) (int, error) {
		switch what {
		case "error":
			panic(errors.New("an error value"))
		case "runtime":
			var m map[string]int
			m["x"] = 1
		case "long":
			panic(strings.Repeat("é", 5000))
		case "invalid":
			panic("bad \xff byte")
		}
		return 0, nil
	})
	contract.Method("clock", func(ctx *contract.Context, _ struct{}) ([2]int64, error) {
		return [2]int64{ctx.Time(), ctx.TimeMillis()}, nil
	})
	contract.Method("has", func(ctx *contract.Context, key string) (bool, error) {
		return ctx.Has([]byte(key)), nil
	})
	contract.Method("fastargs", func(_ *contract.Context, a fastArgs) (int, error) { return a.N, nil })
	contract.Method("gas", func(ctx *contract.Context, _ struct{}) (uint64, error) { return ctx.GasLeft(), nil })
}

func TestLargeValuesTakeTheSlowPath(t *testing.T) {
	h := contracttest.New()
	for _, size := range []int{0, 10, 2048, 2049, 100_000} {
		if res := h.Call("setjson", sizeArgs{size}); !res.OK {
			t.Fatalf("setjson %d: %s", size, res.Message)
		}
		var ok bool
		if err := h.Call("bigvalue", sizeArgs{size}).Decode(&ok); err != nil || !ok {
			t.Fatalf("bigvalue %d: %v %v", size, ok, err)
		}
	}
}

func TestScanLargerThanScratch(t *testing.T) {
	var n int
	if err := contracttest.New().Call("manykeys", sizeArgs{300}).Decode(&n); err != nil || n != 300 {
		t.Fatalf("scanned %d, %v", n, err)
	}
}

func TestEncodingErrors(t *testing.T) {
	tests := []struct {
		method string
		args   any
		msg    string
	}{
		{"badjson", nil, `contract: decode "notjson"`},
		{"unencodable", "set", `contract: encode "k"`},
		{"unencodable", "emit", "contract: encode event E"},
		{"unencodable", "result", "contract: encode result of unencodable"},
	}
	for _, tc := range tests {
		res := contracttest.New().Call(tc.method, tc.args)
		if res.Code != contracttest.CodeError || !strings.HasPrefix(res.Message, tc.msg) {
			t.Errorf("%s(%v): %s %q, want error %q", tc.method, tc.args, res.Code, res.Message, tc.msg)
		}
	}
}

func TestJSONAppender(t *testing.T) {
	res := contracttest.New().Call("fast", 7)
	if !res.OK || string(res.Return) != `{"fast":7}` {
		t.Fatalf("fast: %s %s %s", res.Code, res.Message, res.Return)
	}
	if len(res.Events) != 2 || string(res.Events[0].Data) != `{"fast":7}` || string(res.Events[1].Data) != "null" {
		t.Fatalf("events %+v", res.Events)
	}
	if res := contracttest.New().Call("fast", -1); !res.OK || string(res.Return) != "null" {
		t.Fatalf("nil result: %s %s", res.Code, res.Return)
	}
}

func TestPanicsRecovered(t *testing.T) {
	tests := []struct {
		what string
		msg  func(string) bool
	}{
		{"error", func(m string) bool { return m == "an error value" }},
		{"runtime", func(m string) bool { return strings.Contains(m, "assignment to entry in nil map") }},
		{"long", func(m string) bool { return len(m) <= 4096 && utf8.ValidString(m) }},
		{"invalid", func(m string) bool { return m == "bad \uFFFD byte" }},
	}
	for _, tc := range tests {
		res := contracttest.New().Call("panics", tc.what)
		if res.Code != contracttest.CodePanic || !tc.msg(res.Message) {
			t.Errorf("%s: %s %q", tc.what, res.Code, res.Message)
		}
	}
}

func TestTimeRoundsDown(t *testing.T) {
	for _, ms := range []int64{1_500, -1_500, 0, -1000, 999} {
		h := contracttest.New()
		h.SetTimeMillis(ms)
		var got [2]int64
		if err := h.Call("clock", nil).Decode(&got); err != nil {
			t.Fatal(err)
		}
		want := ms / 1000
		if ms%1000 < 0 {
			want--
		}
		if got != [2]int64{want, ms} {
			t.Errorf("ms %d: got %v, want [%d %d]", ms, got, want, ms)
		}
	}
}

func TestHasAndGas(t *testing.T) {
	h := contracttest.New()
	h.Put("k", nil)
	var has bool
	if err := h.Query("has", "k").Decode(&has); err != nil || !has {
		t.Fatalf("has k: %v %v", has, err)
	}
	h.SetGasLeft(123)
	var gas uint64
	if err := h.Query("gas", nil).Decode(&gas); err != nil || gas != 123 {
		t.Fatalf("gas %d %v", gas, err)
	}
}

func TestFastJSONDecoderFallsBack(t *testing.T) {
	tests := []struct {
		args string
		code string
		want string
	}{
		{`1`, contracttest.CodeOK, `1`},
		{`{"N":5}`, contracttest.CodeOK, `5`},
		{`{}`, contracttest.CodeOK, `0`},
		{`{"M":5}`, contracttest.CodeBadArgs, ``},
	}
	for _, tc := range tests {
		res := contracttest.New().Call("fastargs", []byte(tc.args))
		if res.Code != tc.code || (res.OK && string(res.Return) != tc.want) {
			t.Errorf("fastargs %s: %s %q %s", tc.args, res.Code, res.Message, res.Return)
		}
	}
}
