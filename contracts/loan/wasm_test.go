package main

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"testing"

	"github.com/meshledger/meshledger/runtime"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
	"github.com/meshledger/meshledger/sdk/contract"
	"github.com/meshledger/meshledger/sdk/contract/contracttest"
)

func loadWasm(tb testing.TB) *runtime.Module {
	tb.Helper()
	code := buildtest.Wasm(tb, "contracts/loan")
	// The interpreter compiles a module far faster than the compiler, and
	// this test makes only a few calls; engine equivalence is the
	// runtime's own concern.
	rt, err := runtime.New(context.Background(), runtime.NewConfig().WithInterpreter())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rt.Close(context.Background()) })
	mod, err := rt.Load(context.Background(), code)
	if err != nil {
		tb.Fatal(err)
	}
	return mod
}

// TestWasmMatchesMock runs one loan's life on the mock host and in Wasm and
// requires identical outcomes, call by call.
func TestWasmMatchesMock(t *testing.T) {
	mod := loadWasm(t)
	h := contracttest.New()
	st := mapState{}
	steps := []struct {
		caller contract.Address
		method string
		args   any
	}{
		{owner, "create", validCreate()},
		{owner, "create", validCreate()},
		{servicer, "pay", map[string]any{"id": "L-1", "amount": 600_00}},
		{servicer, "pay", map[string]any{"id": "L-1", "amount": 599_11}},
		{stranger, "pay", map[string]any{"id": "L-1", "amount": 1}},
		{servicer, "pay", map[string]any{"id": "L-1", "amount": "1"}},
		{servicer, "pay", map[string]any{"id": "L-1", "amount": 1 << 50}},
		{owner, "get", map[string]any{"id": "L-1"}},
		{owner, "get", map[string]any{"id": "L-2"}},
		{owner, "mesh.methods", nil},
		{owner, "nope", nil},
	}
	for i, s := range steps {
		h.SetCaller(s.caller)
		want := h.Call(s.method, s.args)
		args, _ := encode(s.args)
		env := runtime.Env{Caller: runtime.Address(s.caller), Contract: runtime.Address(contracttest.DefaultContract),
			Height: 1, TimeMs: contracttest.DefaultTimeMillis, GasLimit: 100_000_000}
		got, err := mod.Call(context.Background(), env, s.method, args, st)
		if err != nil {
			t.Fatalf("step %d: host error %v", i, err)
		}
		if string(got.Code) != want.Code || got.Message != want.Message ||
			(want.OK && !bytes.Equal(got.Return, want.Return)) || len(got.Events) != len(want.Events) || len(got.Writes) != len(want.Writes) {
			t.Fatalf("step %d %s:\nwasm %s %q %s\nmock %s %q %s", i, s.method, got.Code, got.Message, got.Return, want.Code, want.Message, want.Return)
		}
		for j, e := range got.Events {
			if e.Name != want.Events[j].Name || !bytes.Equal(e.Data, want.Events[j].Data) {
				t.Fatalf("step %d event %d: wasm %s %s, mock %s %s", i, j, e.Name, e.Data, want.Events[j].Name, want.Events[j].Data)
			}
		}
		for j, w := range got.Writes {
			if mw := want.Writes[j]; !bytes.Equal(w.Key, mw.Key) || !bytes.Equal(w.Value, mw.Value) || w.Delete != mw.Delete {
				t.Fatalf("step %d write %d: wasm %q=%q delete=%t, mock %q=%q delete=%t", i, j, w.Key, w.Value, w.Delete, mw.Key, mw.Value, mw.Delete)
			}
		}
		if got.OK() {
			st.apply(got.Writes)
		}
	}
}

func encode(args any) ([]byte, error) {
	if args == nil {
		return nil, nil
	}
	if b, ok := args.([]byte); ok {
		return b, nil
	}
	return json.Marshal(args)
}

// mapState is an in-memory runtime.State.
type mapState map[string][]byte

func (m mapState) Get(key []byte) ([]byte, bool, error) {
	v, ok := m[string(key)]
	return v, ok, nil
}

func (m mapState) Iterate(prefix, start []byte, fn func(k, v []byte) bool) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		if bytes.HasPrefix([]byte(k), prefix) && k >= string(start) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !fn([]byte(k), m[k]) {
			break
		}
	}
	return nil
}

func (m mapState) apply(ws []runtime.Write) {
	for _, w := range ws {
		if w.Delete {
			delete(m, string(w.Key))
		} else {
			m[string(w.Key)] = append([]byte(nil), w.Value...)
		}
	}
}
