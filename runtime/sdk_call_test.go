package runtime

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/meshledger/meshledger/sdk/contract/contracttest"
	"github.com/meshledger/meshledger/status"
)

// txCalls is the conformance suite's ContractCaller: the same module at
// several addresses, each with its own state, with the ledger's
// transaction rules (docs/abi.md, "Cross-contract calls"): callees' writes
// go to a pending layer that later calls see, a failed callee's writes and
// those of its own callees are undone, a call to a contract on the stack
// is refused, and the pending layer is committed only when the
// transaction's own call succeeds.
type txCalls struct {
	m       *Module
	env     Env // block context of the callees
	states  map[Address]*memState
	pending map[Address]*memState // nil outside a transaction
	stack   []Address
}

// begin starts a transaction of the contract at self.
func (tc *txCalls) begin(self Address) {
	tc.pending = map[Address]*memState{}
	tc.stack = []Address{self}
}

// end commits the pending layer if ok, and ends the transaction.
func (tc *txCalls) end(ok bool) {
	if ok {
		for a, st := range tc.pending {
			tc.states[a] = st
		}
	}
	tc.pending, tc.stack = nil, nil
}

func (tc *txCalls) CallContract(ctx context.Context, req CallRequest) (*Result, error) {
	if slices.Contains(tc.stack, req.To) {
		return &Result{Code: status.Reentrancy, Message: fmt.Sprintf("contract 0x%x is already on the call stack", req.To)}, nil
	}
	committed, ok := tc.states[req.To]
	if !ok {
		return &Result{Code: status.UnknownContract, Message: fmt.Sprintf("no contract at 0x%x", req.To)}, nil
	}
	save := map[Address]*memState{}
	for a, st := range tc.pending {
		save[a] = &memState{m: maps.Clone(st.m)}
	}
	st, ok := tc.pending[req.To]
	if !ok {
		st = &memState{m: maps.Clone(committed.m)}
		tc.pending[req.To] = st
	}
	env := tc.env
	env.Caller, env.Contract, env.GasLimit, env.ReadOnly, env.Depth, env.Calls = req.From, req.To, req.GasLimit, req.ReadOnly, req.Depth, tc
	tc.stack = append(tc.stack, req.To)
	res, err := tc.m.Call(ctx, env, req.Method, req.Args, st)
	tc.stack = tc.stack[:len(tc.stack)-1]
	if err != nil {
		return nil, err
	}
	if res.OK() {
		st.apply(res.Writes)
	} else {
		tc.pending = save
	}
	return res, nil
}

// AddCallee deploys the module again at addr, with empty state.
func (inv *moduleInvoker) AddCallee(addr [20]byte) {
	if inv.calls == nil {
		inv.calls = &txCalls{m: inv.m, states: map[Address]*memState{}}
		inv.env.Calls = inv.calls
	}
	inv.calls.states[addr] = newMemState()
}

var _ contracttest.CallInvoker = (*moduleInvoker)(nil)
