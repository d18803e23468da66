package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/runtime"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
	"github.com/meshledger/meshledger/status"
)

// Cross-contract calls between real Wasm contracts (testdata/contracts:
// caller and callee), through real blocks, on both engines: each step of
// crossCallScenario checks its receipt and the state, and the two engines
// must then agree on every header and receipt, and a replay on the roots.

// crossChain is a chain with the caller contract and runtime.MaxCallDepth
// copies of the callee (deep enough to reach the depth limit).
type crossChain struct {
	*env
	caller  common.Address
	callees []common.Address
}

func newCrossChain(t testing.TB, eng Engine) *crossChain {
	t.Helper()
	e := &env{
		tb: t, dir: t.TempDir(),
		proposer: ledgertest.KeySigner{Key: ledgertest.MustKey(t, 9)},
		owner:    ledgertest.MustKey(t, 1), servicer: ledgertest.MustKey(t, 2),
		issued: map[common.Address]uint64{},
	}
	e.genesis = ledgertest.Genesis(ledgertest.AddrOf(e.owner), "servicer", ledgertest.AddrOf(e.servicer))
	e.l = e.open(Config{Dir: e.dir, Engine: eng})
	t.Cleanup(func() { e.l.Close(context.Background()) })
	c := &crossChain{env: e}
	deploy := func(name string, code []byte, withCode bool) common.Address {
		d := ledgertest.DeployTx(t, e.owner, name, code, e.next(e.owner), block.DefaultBlockDeployGasLimit, withCode)
		rc := e.apply(d).Receipts[0]
		if !rc.OK() {
			t.Fatalf("deploy %s: %+v", name, *rc)
		}
		return rc.ContractAddress
	}
	c.caller = deploy("caller", buildtest.Wasm(t, "ledger/testdata/contracts/caller"), true)
	callee := buildtest.Wasm(t, "ledger/testdata/contracts/callee")
	for i := range runtime.MaxCallDepth {
		c.callees = append(c.callees, deploy("callee", callee, i == 0))
	}
	return c
}

// run calls the caller's run with a (see the caller contract) and returns
// the receipt.
func (c *crossChain) run(a map[string]any) *block.Receipt {
	c.tb.Helper()
	return c.apply(c.callTx(c.owner, c.next(c.owner), c.caller, "run", a)).Receipts[0]
}

func (c *crossChain) get(contract common.Address, key string) string {
	c.tb.Helper()
	q, err := c.l.Query(context.Background(), contract, "get", []byte(`{"key":"`+key+`"}`), c.l.Latest().Header.Height, 0)
	if err != nil || !q.Status.OK() {
		c.tb.Fatalf("get %s of %s: %+v %v", key, contract, q, err)
	}
	var v string
	if err := json.Unmarshal(q.Return, &v); err != nil {
		c.tb.Fatal(err)
	}
	return v
}

type runOut struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Result  json.RawMessage `json:"result"`
}

func decodeRunOut(t *testing.T, ret []byte) runOut {
	t.Helper()
	var out runOut
	if err := json.Unmarshal(ret, &out); err != nil {
		t.Fatalf("run's return %s: %v", ret, err)
	}
	return out
}

func setArgs(value string, extra map[string]any) json.RawMessage {
	a := map[string]any{"value": value}
	for k, v := range extra {
		a[k] = v
	}
	raw, _ := json.Marshal(a)
	return raw
}

// crossCallScenario plays every cross-call case on c; the caller of
// TestCrossCallWasm runs it on each engine.
func crossCallScenario(t *testing.T, c *crossChain) {
	callee := c.callees[0]
	wantState := func(step, caller, calleeV string) {
		t.Helper()
		if got := c.get(c.caller, "c"); got != caller {
			t.Fatalf("%s: caller's c = %q, want %q", step, got, caller)
		}
		if got := c.get(callee, "v"); got != calleeV {
			t.Fatalf("%s: callee's v = %q, want %q", step, got, calleeV)
		}
	}

	// The caller updates the callee in the same transaction.
	rc := c.run(map[string]any{"callee": callee, "method": "set", "args": setArgs("x", nil), "set": "a"})
	if !rc.OK() || decodeRunOut(t, rc.Return).Code != "ok" {
		t.Fatalf("call: %+v", *rc)
	}
	if len(rc.Writes) != 2 || rc.Writes[0].Contract != c.caller || string(rc.Writes[0].Key) != "c" ||
		rc.Writes[1].Contract != callee || string(rc.Writes[1].Key) != "v" || string(rc.Writes[1].Value) != "x" {
		t.Fatalf("writes: %+v", rc.Writes)
	}
	if len(rc.Events) != 2 || rc.Events[0].Contract != c.caller || rc.Events[0].Name != "ran" ||
		rc.Events[1].Contract != callee || rc.Events[1].Name != "set" {
		t.Fatalf("events: %+v", rc.Events)
	}
	wantState("call", "a", "x")

	// The callee sees the calling contract as its caller.
	rc = c.run(map[string]any{"callee": callee, "method": "caller"})
	if out := decodeRunOut(t, rc.Return); !rc.OK() || !strings.EqualFold(string(out.Result), `"`+c.caller.Hex()+`"`) {
		t.Fatalf("callee's caller: %+v %s", *rc, rc.Return)
	}

	// A failure the caller handles: the callee's write is gone, the
	// caller's kept.
	rc = c.run(map[string]any{"callee": callee, "method": "set", "args": setArgs("y", map[string]any{"fail": true}), "set": "b", "handle": true})
	if out := decodeRunOut(t, rc.Return); !rc.OK() || out.Code != string(status.Error) || !strings.Contains(out.Message, "callee refused") {
		t.Fatalf("handled failure: %+v %s", *rc, rc.Return)
	}
	if len(rc.Writes) != 1 || rc.Writes[0].Contract != c.caller || len(rc.Events) != 1 {
		t.Fatalf("handled failure's writes %+v events %+v", rc.Writes, rc.Events)
	}
	wantState("handled failure", "b", "x")

	// Unhandled: everything is gone, the gas is charged.
	rc = c.run(map[string]any{"callee": callee, "method": "set", "args": setArgs("y", map[string]any{"fail": true}), "set": "z"})
	if rc.OK() || rc.GasUsed == 0 || len(rc.Writes) != 0 || len(rc.Events) != 0 || !strings.Contains(rc.Message, "callee refused") {
		t.Fatalf("unhandled failure: %+v", *rc)
	}
	wantState("unhandled failure", "b", "x")

	// Out of gas inside the callee: handled, the caller finishes on the
	// gas the runtime kept back for it; unhandled, the transaction fails.
	rc = c.run(map[string]any{"callee": callee, "method": "set", "args": setArgs("w", map[string]any{"burn": true}), "set": "g", "handle": true})
	if out := decodeRunOut(t, rc.Return); !rc.OK() || out.Code != string(status.OutOfGas) || rc.GasUsed > ledgertest.CallGas {
		t.Fatalf("callee out of gas, handled: %+v %s", *rc, rc.Return)
	}
	wantState("callee out of gas, handled", "g", "x")
	rc = c.run(map[string]any{"callee": callee, "method": "set", "args": setArgs("w", map[string]any{"burn": true}), "set": "h"})
	if rc.OK() || len(rc.Writes) != 0 || rc.GasUsed > ledgertest.CallGas || !strings.Contains(rc.Message, string(status.OutOfGas)) {
		t.Fatalf("callee out of gas, unhandled: %+v", *rc)
	}
	wantState("callee out of gas, unhandled", "g", "x")

	// Depth: the caller and MaxCallDepth-1 callees nest; one more is
	// refused with call_depth, which fails every callee on the way back.
	deepest := c.callees[runtime.MaxCallDepth-2]
	rc = c.run(map[string]any{"callee": callee, "method": "set", "args": setArgs("d", map[string]any{"next": c.callees[1 : runtime.MaxCallDepth-1]}), "handle": true})
	if out := decodeRunOut(t, rc.Return); !rc.OK() || out.Code != "ok" || len(rc.Writes) != runtime.MaxCallDepth-1 {
		t.Fatalf("%d nested calls: %+v %s", runtime.MaxCallDepth, *rc, rc.Return)
	}
	if got := c.get(deepest, "v"); got != "d" {
		t.Fatalf("deepest callee's v = %q", got)
	}
	rc = c.run(map[string]any{"callee": callee, "method": "set", "args": setArgs("e", map[string]any{"next": c.callees[1:]}), "handle": true})
	if out := decodeRunOut(t, rc.Return); !rc.OK() || out.Code != string(status.Error) || !strings.Contains(out.Message, string(status.CallDepth)) || len(rc.Writes) != 0 {
		t.Fatalf("%d nested calls: %+v %s", runtime.MaxCallDepth+1, *rc, rc.Return)
	}
	if got := c.get(deepest, "v"); got != "d" {
		t.Fatalf("deepest callee's v after the refused chain = %q", got)
	}

	// Reentrancy: the callee calling back into the caller is refused.
	rc = c.run(map[string]any{"callee": callee, "method": "set", "args": setArgs("r", map[string]any{"back": c.caller}), "set": "i", "handle": true})
	if out := decodeRunOut(t, rc.Return); !rc.OK() || out.Code != string(status.Error) || !strings.Contains(out.Message, string(status.Reentrancy)) {
		t.Fatalf("reentrant call: %+v %s", *rc, rc.Return)
	}
	wantState("reentrant call", "i", "d")

	// Arguments outside the callee's manifest are refused before it runs,
	// as a transaction's would be.
	if _, ok, err := c.l.Manifest(callee); err != nil || !ok {
		t.Fatalf("the callee carries no manifest: %v", err)
	}
	for _, tc := range []struct{ name, args string }{
		{"wrong type", `{"value":5}`},
		{"unknown field", `{"value":"u","bogus":true}`},
	} {
		name, args := tc.name, tc.args
		rc = c.run(map[string]any{"callee": callee, "method": "set", "args": json.RawMessage(args), "set": "j", "handle": true})
		if out := decodeRunOut(t, rc.Return); !rc.OK() || out.Code != string(status.InvalidArgs) || len(rc.Writes) != 1 {
			t.Fatalf("%s: %+v %s", name, *rc, rc.Return)
		}
	}
	wantState("invalid arguments", "j", "d")

	// A query's cross-call reads, with proofs of the callee's keys, and
	// cannot write.
	h := c.l.Latest().Header.Height
	q, err := c.l.Query(context.Background(), c.caller, "run", []byte(`{"callee":"`+callee.Hex()+`","method":"get","args":{"key":"v"}}`), h, 0)
	if err != nil || !q.Status.OK() {
		t.Fatalf("query: %+v %v", q, err)
	}
	if out := decodeRunOut(t, q.Return); out.Code != "ok" || string(out.Result) != `"d"` {
		t.Fatalf("query's return %s", q.Return)
	}
	found := false
	for _, p := range q.Proofs {
		if err := p.Verify(); err != nil || p.Root != q.Header.Header.StateRoot {
			t.Fatalf("proof %+v: %v", p, err)
		}
		if p.Contract == callee && string(p.Key) == "v" && string(p.Value) == "d" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no proof of the callee's key among %d", len(q.Proofs))
	}
	q, err = c.l.Query(context.Background(), c.caller, "run", []byte(`{"callee":"`+callee.Hex()+`","method":"set","args":{"value":"q"},"handle":true}`), h, 0)
	if err != nil || !q.Status.OK() || decodeRunOut(t, q.Return).Code != string(status.ReadOnly) {
		t.Fatalf("query writing through a callee: %+v %v", q, err)
	}
}

// TestCrossCallWasm plays the scenario on the compiler and the
// interpreter: both pass every step, and agree on every header and
// receipt; a replay of the compiler's chain gives the same roots.
func TestCrossCallWasm(t *testing.T) {
	if raceEnabled {
		t.Skip("sequential: run without -race (about 10 times slower under it)")
	}
	t.Parallel()
	ctx := context.Background()
	interp, err := runtime.New(ctx, runtime.NewConfig().WithInterpreter())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { interp.Close(ctx) })

	// Not subtests: the chains must outlive each engine's scenario.
	t.Log("compiler")
	comp := newCrossChain(t, sharedEngine)
	crossCallScenario(t, comp)
	t.Log("interpreter")
	inter := newCrossChain(t, NewRuntimeEngine(interp))
	crossCallScenario(t, inter)
	sameChains(t, comp.l, inter.l)

	// Replay: a fresh ledger re-executes the compiler's blocks to the same
	// headers.
	dst := comp.open(Config{Dir: t.TempDir()})
	t.Cleanup(func() { dst.Close(ctx) })
	for h := uint64(1); h <= comp.l.Latest().Header.Height; h++ {
		sb, err := comp.l.sourceBlock(h)
		if err != nil {
			t.Fatal(err)
		}
		r, err := dst.Reexecute(ctx, sb.Header, sb.Txs)
		if err != nil {
			t.Fatal(err)
		}
		if r.Header != sb.Header.Header {
			t.Fatalf("block %d re-executed to another header", h)
		}
		if _, err := dst.CommitReexecution(r, sb.Header); err != nil {
			t.Fatal(err)
		}
	}
}

// sameChains fails unless a and b hold the same headers and receipts.
func sameChains(t *testing.T, a, b *Ledger) {
	t.Helper()
	if a.Latest().Header.Height != b.Latest().Header.Height {
		t.Fatalf("heights %d and %d", a.Latest().Header.Height, b.Latest().Header.Height)
	}
	for h := uint64(1); h <= a.Latest().Header.Height; h++ {
		ha, _ := a.Header(h)
		hb, _ := b.Header(h)
		if ha.Header != hb.Header {
			t.Fatalf("header %d differs:\n%+v\n%+v", h, ha.Header, hb.Header)
		}
		ra, _ := a.Receipts(h)
		rb, _ := b.Receipts(h)
		for i := range ra {
			ea, _ := ra[i].Encode()
			eb, _ := rb[i].Encode()
			if !bytes.Equal(ea, eb) {
				t.Fatalf("receipt %d/%d differs:\n%+v\n%+v", h, i, *ra[i], *rb[i])
			}
		}
	}
}
