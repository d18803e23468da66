package contracttest_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/sdk/contract"
	"github.com/meshledger/meshledger/sdk/contract/contracttest"
)

type kv struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func init() {
	contract.Method("put", func(ctx *contract.Context, a kv) (int, error) {
		ctx.Set([]byte(a.Key), []byte(a.Value))
		return 1, ctx.Emit("Put", a)
	})
	contract.Method("del", func(ctx *contract.Context, key string) (struct{}, error) {
		ctx.Delete([]byte(key))
		return struct{}{}, nil
	})
	contract.Method("fail", func(ctx *contract.Context, a kv) (int, error) {
		ctx.Set([]byte(a.Key), []byte(a.Value))
		_ = ctx.Emit("Put", a)
		return 0, errors.New("refused")
	})
	contract.Method("whoami", func(ctx *contract.Context, _ struct{}) ([]any, error) {
		return []any{ctx.Caller(), ctx.Self(), ctx.Height(), ctx.TimeMillis(), ctx.TxHash()}, nil
	})
	contract.Method("echo", func(_ *contract.Context, v json.RawMessage) (json.RawMessage, error) { return v, nil })
}

func TestCommitOnlyOnSuccess(t *testing.T) {
	h := contracttest.New()
	if res := h.Call("put", kv{"b", "2"}); !res.OK || len(res.Writes) != 1 || len(res.Events) != 1 {
		t.Fatalf("put: %+v", res)
	}
	h.Call("put", kv{"a", "1"})
	res := h.Call("fail", kv{"c", "3"})
	if res.OK || res.Code != contracttest.CodeError || res.Message != "refused" || res.Writes != nil || res.Events != nil {
		t.Fatalf("fail: %+v", res)
	}
	if err := res.Decode(new(int)); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Decode of a failed call: %v", err)
	}
	if keys := h.Keys(); strings.Join(keys, ",") != "a,b" {
		t.Fatalf("keys %v", keys)
	}
	if v, ok := h.Get("a"); !ok || string(v) != "1" {
		t.Fatalf("Get a = %q %v", v, ok)
	}
	if _, ok := h.Get("c"); ok {
		t.Fatal("failed call committed c")
	}
	if evs := h.Events(); len(evs) != 2 || string(evs[1].Data) != `{"key":"a","value":"1"}` {
		t.Fatalf("events %+v", evs)
	}
	h.Call("del", "a")
	if _, ok := h.Get("a"); ok {
		t.Fatal("delete not committed")
	}
	var s string
	if ok, err := h.GetJSON("zzz", &s); ok || err != nil {
		t.Fatalf("GetJSON absent: %v %v", ok, err)
	}
}

func TestQueryIsReadOnly(t *testing.T) {
	h := contracttest.New()
	res := h.Query("put", kv{"a", "1"})
	if res.Code != contracttest.CodeReadOnly || len(h.Keys()) != 0 {
		t.Fatalf("query put: %+v, keys %v", res, h.Keys())
	}
}

func TestBlockContext(t *testing.T) {
	h := contracttest.New()
	var got []json.RawMessage
	if err := h.Call("whoami", nil).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := []string{`"` + contracttest.DefaultCaller.Hex() + `"`, `"` + contracttest.DefaultContract.Hex() + `"`, "1", "1704067200000"}
	for i, w := range want {
		if string(got[i]) != w {
			t.Errorf("field %d = %s, want %s", i, got[i], w)
		}
	}
	caller, self := contract.Address{5}, contract.Address{6}
	h.SetCaller(caller)
	h.SetContract(self)
	h.SetHeight(9)
	h.SetTime(100)
	h.SetTxHash([32]byte{31: 1})
	if err := h.Call("whoami", nil).Decode(&got); err != nil {
		t.Fatal(err)
	}
	tx, _ := json.Marshal([32]byte{31: 1})
	want = []string{`"` + caller.Hex() + `"`, `"` + self.Hex() + `"`, "9", "100000", string(tx)}
	for i, w := range want {
		if string(got[i]) != w {
			t.Errorf("field %d = %s, want %s", i, got[i], w)
		}
	}
}

func TestArgsEncoding(t *testing.T) {
	h := contracttest.New()
	tests := []struct {
		args any
		code string
		ret  string
	}{
		{[]byte(`{"a": [1]}`), contracttest.CodeOK, `{"a":[1]}`},
		{json.RawMessage(`7`), contracttest.CodeOK, `7`},
		{map[string]int{"x": 1}, contracttest.CodeOK, `{"x":1}`},
		{nil, contracttest.CodeOK, `null`},
		{make(chan int), contracttest.CodeBadArgs, ``},
		{[]byte(`{`), contracttest.CodeBadArgs, ``},
	}
	for _, tc := range tests {
		res := h.Call("echo", tc.args)
		if res.Code != tc.code || (res.OK && string(res.Return) != tc.ret) {
			t.Errorf("echo %v: %s %q %s", tc.args, res.Code, res.Message, res.Return)
		}
	}
	if res := h.Call("nope", nil); res.Code != contracttest.CodeUnknownMethod {
		t.Errorf("unknown method: %s", res.Code)
	}
}
