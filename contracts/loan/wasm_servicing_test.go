package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/contracts/pool/poollogic"
	"github.com/meshledger/meshledger/runtime"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
	"github.com/meshledger/meshledger/sdk/contract"
	"github.com/meshledger/meshledger/sdk/contract/contracttest"
)

// wasmNet runs the loan, pool and portfolio contracts in Wasm, each over
// its own state, with a ContractCaller that dispatches the loan's calls to
// the other two modules. A callee's writes wait in a pending layer until
// the top-level call succeeds, as on a node.
type wasmNet struct {
	mods    map[runtime.Address]*runtime.Module
	states  map[runtime.Address]mapState
	pending map[runtime.Address][]runtime.Write
	dir     directory
	timeMs  int64
}

func newWasmNet(t *testing.T, engine runtime.Engine) *wasmNet {
	t.Helper()
	rt, err := runtime.New(context.Background(), runtime.NewConfig().WithEngine(engine))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	n := &wasmNet{mods: map[runtime.Address]*runtime.Module{}, states: map[runtime.Address]mapState{}, dir: newDirectory()}
	n.dir[runtime.Address(securitizer)] = runtime.Participant{Org: "securities", Roles: []string{poollogic.RoleSecuritizer}}
	for addr, dir := range map[contract.Address]string{
		contracttest.DefaultContract: "contracts/loan",
		poolAddr:                     "contracts/pool",
		portfolioAdr:                 "contracts/portfolio",
	} {
		mod, err := rt.Load(context.Background(), buildtest.Wasm(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		n.mods[runtime.Address(addr)] = mod
		n.states[runtime.Address(addr)] = mapState{}
	}
	return n
}

// CallContract implements runtime.ContractCaller.
func (n *wasmNet) CallContract(ctx context.Context, req runtime.CallRequest) (*runtime.Result, error) {
	mod, ok := n.mods[req.To]
	if !ok {
		return &runtime.Result{Code: "unknown_contract", Message: "no contract"}, nil
	}
	env := runtime.Env{Caller: req.From, Contract: req.To, Height: 1, TimeMs: n.timeMs, GasLimit: req.GasLimit,
		ReadOnly: req.ReadOnly, Directory: n.dir, Calls: n, Depth: req.Depth}
	res, err := mod.Call(ctx, env, req.Method, req.Args, n.states[req.To])
	if err == nil && res.OK() {
		n.pending[req.To] = append(n.pending[req.To], res.Writes...)
	}
	return res, err
}

// call runs a top-level transaction (or query) on contract to.
func (n *wasmNet) call(t *testing.T, to contract.Address, at int64, caller contract.Address, method string, args any, query bool) *runtime.Result {
	t.Helper()
	n.timeMs = at * 1000
	n.pending = map[runtime.Address][]runtime.Write{}
	raw, _ := encode(args)
	env := runtime.Env{Caller: runtime.Address(caller), Contract: runtime.Address(to), Height: 1, TimeMs: n.timeMs,
		GasLimit: 500_000_000, ReadOnly: query, Directory: n.dir, Calls: n}
	res, err := n.mods[runtime.Address(to)].Call(context.Background(), env, method, raw, n.states[runtime.Address(to)])
	if err != nil {
		t.Fatalf("%s: host error %v", method, err)
	}
	if res.OK() && !query {
		n.states[runtime.Address(to)].apply(res.Writes)
		// Each contract's writes touch only its own state: the order
		// between contracts does not matter.
		for a, ws := range n.pending {
			n.states[a].apply(ws)
		}
	}
	return res
}

// TestWasmServicingMatchesMock plays the servicing story in Wasm on both
// engines, the loan reporting to the pool and portfolio modules by real
// cross-contract calls, and on the mock host with the pool and portfolio
// logic run natively: every step must give the same outcome, events and
// writes, the pool's and portfolio's state must end identical, and the
// two engines must charge the same gas at every step.
func TestWasmServicingMatchesMock(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles three contracts to Wasm")
	}
	var gas [2][]uint64
	for i, engine := range []runtime.Engine{runtime.EngineInterpreter, runtime.EngineCompiler} {
		t.Run([]string{"interpreter", "compiler"}[i], func(t *testing.T) { gas[i] = servicingStory(t, engine) })
	}
	if !slices.Equal(gas[0], gas[1]) {
		t.Fatalf("gas per step differs between engines:\ninterpreter %v\ncompiler    %v", gas[0], gas[1])
	}
}

// servicingStory runs the story on engine and returns each step's gas.
func servicingStory(t *testing.T, engine runtime.Engine) []uint64 {
	n := newWasmNet(t, engine)
	var gas []uint64
	sc := newScenario(t)
	// The pool and portfolio are set up by their own methods in Wasm; the
	// mock scenario set up the same records natively.
	if res := n.call(t, poolAddr, start, securitizer, "createPool", poollogic.CreateRequest{ID: "P1", LoanContract: contracttest.DefaultContract}, false); !res.OK() {
		t.Fatalf("createPool: %s %s", res.Code, res.Message)
	}
	if res := n.call(t, portfolioAdr, start, owner, "open", map[string]any{"loan_contract": contracttest.DefaultContract}, false); !res.OK() {
		t.Fatalf("open: %s %s", res.Code, res.Message)
	}
	june := utc(2024, 6, 15)
	planPay := func(i int64, amount int64) wasmStep {
		return wasmStep{loanlogic.DueDate(utc(2024, 7, 1), i), servicer, "pay", loanlogic.PayRequest{ID: "B1", Amount: amount}, false}
	}
	steps := []wasmStep{
		{june, borrower, "board", boardArgs(), false},
		{june, servicer, "board", boardArgs(), false},
		{june, servicer, "board", boardArgs(), false},
		{utc(2024, 6, 20), servicer, "assess", loanlogic.AssessRequest{ID: "B1"}, false},
		{utc(2024, 6, 30), servicer, "assess", loanlogic.AssessRequest{ID: "B1"}, false},
		{utc(2024, 6, 30), servicer, "offerAssistance", loanlogic.OfferRequest{ID: "B1", ForbearanceMonths: 3, PlanMonths: 6, ModRateBps: 400, ModTermMonths: 360}, false},
		{utc(2024, 6, 30), servicer, "accept", loanlogic.AcceptRequest{ID: "B1", Option: loanlogic.OptionRepaymentPlan}, false},
		{utc(2024, 6, 30), borrower, "accept", loanlogic.AcceptRequest{ID: "B1", Option: "holiday"}, false},
		{utc(2024, 6, 30), borrower, "accept", loanlogic.AcceptRequest{ID: "B1", Option: loanlogic.OptionRepaymentPlan}, false},
		planPay(0, 1598_81),
		planPay(1, 1598_81),
		{utc(2024, 9, 2), servicer, "assess", loanlogic.AssessRequest{ID: "B1"}, false},
		{utc(2024, 10, 2), servicer, "assess", loanlogic.AssessRequest{ID: "B1"}, false},
		{utc(2024, 10, 2), securitizer, "servicing", GetRequest{ID: "B1"}, true},
		{utc(2024, 10, 2), stranger, "servicing", GetRequest{ID: "B1"}, true},
		{utc(2024, 10, 2), securitizer, "get", GetRequest{ID: "B1"}, true},
		{utc(2024, 10, 2), securitizer, "mesh.canRead", []byte("servicing/B1"), true},
	}
	for i, s := range steps {
		sc.h.SetTime(s.at)
		sc.h.SetCaller(s.caller)
		var want contracttest.Result
		if s.query {
			want = sc.h.Query(s.method, s.args)
		} else {
			want = sc.h.Call(s.method, s.args)
		}
		got := n.call(t, contracttest.DefaultContract, s.at, s.caller, s.method, s.args, s.query)
		gas = append(gas, got.GasUsed)
		if string(got.Code) != want.Code || got.Message != want.Message ||
			(want.OK && !bytes.Equal(got.Return, want.Return)) || len(got.Events) != len(want.Events) || len(got.Writes) != len(want.Writes) {
			t.Fatalf("step %d %s:\nwasm %s %q %s (%d events, %d writes)\nmock %s %q %s (%d events, %d writes)", i, s.method,
				got.Code, got.Message, got.Return, len(got.Events), len(got.Writes), want.Code, want.Message, want.Return, len(want.Events), len(want.Writes))
		}
		for j, e := range got.Events {
			if w := want.Events[j]; e.Name != w.Name || !bytes.Equal(e.Data, w.Data) || !slices.Equal(e.Audience, w.Audience) {
				t.Fatalf("step %d event %d: wasm %s %s %q, mock %s %s %q", i, j, e.Name, e.Data, e.Audience, w.Name, w.Data, w.Audience)
			}
		}
		for j, w := range got.Writes {
			if mw := want.Writes[j]; !bytes.Equal(w.Key, mw.Key) || !bytes.Equal(w.Value, mw.Value) {
				t.Fatalf("step %d write %d: wasm %q=%q, mock %q=%q", i, j, w.Key, w.Value, mw.Key, mw.Value)
			}
		}
	}
	for _, c := range []struct {
		addr contract.Address
		mock loanlogic.MapStore
	}{{poolAddr, sc.pool}, {portfolioAdr, sc.portfolio}} {
		wasm := n.states[runtime.Address(c.addr)]
		if !maps.EqualFunc(map[string][]byte(wasm), map[string][]byte(c.mock), bytes.Equal) {
			t.Fatalf("state of %s differs:\nwasm %s\nmock %s", c.addr, dump(wasm), dump(c.mock))
		}
	}
	var d poollogic.Disclosure
	if err := json.Unmarshal(n.states[runtime.Address(poolAddr)]["disclosure/P1"], &d); err != nil {
		t.Fatal(err)
	}
	// The plan defaulted (30 days behind in October): the loan is 90+ on
	// its own schedule, out of assistance; it was cured once.
	if d.Buckets.D90.Count != 1 || d.InAssistance.Count != 0 || d.Cures != 1 || d.Payments != 2 {
		t.Fatalf("disclosure %+v", d)
	}
	return gas
}

// wasmStep is one call of TestWasmServicingMatchesMock.
type wasmStep struct {
	at     int64
	caller contract.Address
	method string
	args   any
	query  bool
}

func dump[M ~map[string][]byte](m M) string {
	var b bytes.Buffer
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b.WriteString(k + "=" + string(m[k]) + "\n")
	}
	return b.String()
}
