package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
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
	h := newMockHost()
	dir := newDirectory()
	st := mapState{}
	steps := []struct {
		caller contract.Address
		method string
		args   any
		query  bool
	}{
		{stranger, "create", validCreate(), false},
		{owner, "create", validCreate(), false},
		{owner, "create", validCreate(), false},
		{servicer, "pay", map[string]any{"id": "L-1", "amount": 600_00}, false},
		{servicer, "pay", map[string]any{"id": "L-1", "amount": 599_11}, false},
		{stranger, "pay", map[string]any{"id": "L-1", "amount": 1}, false},
		{servicer, "pay", map[string]any{"id": "L-1", "amount": "1"}, false},
		{servicer, "pay", map[string]any{"id": "L-1", "amount": 1 << 50}, false},
		{owner, "get", map[string]any{"id": "L-1"}, true},
		{borrower, "get", map[string]any{"id": "L-1"}, true},
		{auditor, "get", map[string]any{"id": "L-1"}, true},
		{stranger, "get", map[string]any{"id": "L-1"}, true},
		{owner, "get", map[string]any{"id": "L-2"}, true},
		{auditor, "get", map[string]any{"id": "L-2"}, true},
		{borrower, "mesh.canRead", []byte("loan/L-1"), true},
		{stranger, "mesh.canRead", []byte("loan/L-1"), true},
		{owner, "mesh.canRead", []byte("other"), true},
		{owner, "mesh.methods", nil, false},
		{owner, "nope", nil, false},
	}
	for i, s := range steps {
		h.SetCaller(s.caller)
		var want contracttest.Result
		if s.query {
			want = h.Query(s.method, s.args)
		} else {
			want = h.Call(s.method, s.args)
		}
		args, _ := encode(s.args)
		env := runtime.Env{Caller: runtime.Address(s.caller), Contract: runtime.Address(contracttest.DefaultContract),
			Height: 1, TimeMs: contracttest.DefaultTimeMillis, GasLimit: 100_000_000, ReadOnly: s.query, Directory: dir}
		got, err := mod.Call(context.Background(), env, s.method, args, st)
		if err != nil {
			t.Fatalf("step %d: host error %v", i, err)
		}
		if string(got.Code) != want.Code || got.Message != want.Message ||
			(want.OK && !bytes.Equal(got.Return, want.Return)) || len(got.Events) != len(want.Events) || len(got.Writes) != len(want.Writes) {
			t.Fatalf("step %d %s:\nwasm %s %q %s\nmock %s %q %s", i, s.method, got.Code, got.Message, got.Return, want.Code, want.Message, want.Return)
		}
		for j, e := range got.Events {
			if w := want.Events[j]; e.Name != w.Name || !bytes.Equal(e.Data, w.Data) || !slices.Equal(e.Audience, w.Audience) {
				t.Fatalf("step %d event %d: wasm %s %s %q, mock %s %s %q", i, j, e.Name, e.Data, e.Audience, w.Name, w.Data, w.Audience)
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

// directory is the runtime.Directory of the participants members enters
// in the mock host.
type directory map[runtime.Address]runtime.Participant

func newDirectory() directory {
	h := contracttest.New()
	members(h)
	d := directory{}
	for _, a := range []contract.Address{owner, borrower, servicer, stranger, auditor, outsider} {
		// Read back from the mock, so both hosts see the same network.
		if p, ok := h.Participant(a); ok {
			d[runtime.Address(a)] = runtime.Participant{Org: p.Org, Roles: p.Roles}
		}
	}
	return d
}

func (d directory) Participant(a runtime.Address) (runtime.Participant, bool, error) {
	p, ok := d[a]
	return p, ok, nil
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
