package ledger

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
	"github.com/meshledger/meshledger/status"
)

// wasmWorkload makes random blocks of real contract calls: payments to a
// few loans (conflicting on the same loan), payments the loan contract
// refuses, the caller contract updating the callee (conflicting on the
// callee's key) with failures handled or not and callees running out of
// gas, cross-contract reads of a loan, transactions with too little gas,
// loans created and code deployed in the middle of a block.
type wasmWorkload struct {
	tb         testing.TB
	d          *diffChains
	r          *rand.Rand
	owner      *ecdsa.PrivateKey
	servicer   *ecdsa.PrivateKey
	borrower   *ecdsa.PrivateKey
	loan       common.Address
	caller     common.Address
	callees    []common.Address
	loans      []string
	calleeWasm []byte
}

func newWasmWorkload(t *testing.T, eng Engine, workers ...int) *wasmWorkload {
	t.Helper()
	w := &wasmWorkload{
		tb: t, r: rand.New(rand.NewPCG(7, 13)),
		owner: ledgertest.MustKey(t, 1), servicer: ledgertest.MustKey(t, 2), borrower: ledgertest.MustKey(t, 3),
	}
	g := ledgertest.Genesis(ledgertest.AddrOf(w.owner), "servicer", ledgertest.AddrOf(w.servicer), ledgertest.AddrOf(w.borrower))
	w.d = newDiffChains(t, g, eng, workers...)
	w.calleeWasm = buildtest.Wasm(t, "ledger/testdata/contracts/callee")
	// One deploy a block: each may use the whole block deploy gas.
	var addrs []common.Address
	for _, d := range []*tx.Tx{
		w.deploy("loan", buildtest.Wasm(t, "contracts/loan"), true),
		w.deploy("caller", buildtest.Wasm(t, "ledger/testdata/contracts/caller"), true),
		w.deploy("callee", w.calleeWasm, true),
		w.deploy("callee", w.calleeWasm, false),
	} {
		a := w.d.apply(d)
		if a == nil || len(a.Receipts) != 1 || !a.Receipts[0].OK() {
			t.Fatalf("deploy: %+v", a)
		}
		addrs = append(addrs, a.Receipts[0].ContractAddress)
	}
	w.loan, w.caller, w.callees = addrs[0], addrs[1], addrs[2:]
	var creates []*tx.Tx
	for range 6 {
		creates = append(creates, w.create())
	}
	for i, rc := range w.d.apply(creates...).Receipts {
		if !rc.OK() {
			t.Fatalf("create %d: %+v", i, *rc)
		}
	}
	return w
}

func (w *wasmWorkload) deploy(name string, code []byte, withCode bool) *tx.Tx {
	return ledgertest.DeployTx(w.tb, w.owner, name, code, w.d.next(w.owner), block.DefaultBlockDeployGasLimit, withCode)
}

func (w *wasmWorkload) create() *tx.Tx {
	id := "L" + strconv.Itoa(len(w.loans))
	w.loans = append(w.loans, id)
	args := ledgertest.LoanCreateArgs(id, ledgertest.AddrOf(w.borrower), ledgertest.AddrOf(w.servicer))
	return w.callGas(w.owner, w.loan, "create", args, ledgertest.CallGas)
}

func (w *wasmWorkload) callGas(k *ecdsa.PrivateKey, to common.Address, method string, args any, gas uint64) *tx.Tx {
	raw, err := json.Marshal(args)
	if err != nil {
		w.tb.Fatal(err)
	}
	t, err := tx.SignCall(tx.Call{From: ledgertest.AddrOf(k), Nonce: w.d.next(k), Contract: to, Method: method, Args: raw, GasLimit: gas}, ledgertest.ChainID, k)
	if err != nil {
		w.tb.Fatal(err)
	}
	return t
}

func (w *wasmWorkload) someLoan() string { return w.loans[w.r.IntN(len(w.loans))] }

func (w *wasmWorkload) callee() common.Address { return w.callees[w.r.IntN(len(w.callees))] }

func (w *wasmWorkload) tx() *tx.Tx {
	pay := map[string]any{"id": w.someLoan(), "amount": 1 + w.r.IntN(5000)}
	switch n := w.r.IntN(100); {
	case n < 40:
		return w.callGas(w.servicer, w.loan, "pay", pay, ledgertest.CallGas)
	case n < 45: // refused by the contract: not the loan's servicer
		return w.callGas(w.borrower, w.loan, "pay", pay, ledgertest.CallGas)
	case n < 50: // out of gas part-way
		return w.callGas(w.servicer, w.loan, "pay", pay, 20_000+uint64(w.r.IntN(200_000)))
	case n < 75: // the caller sets its key and the callee's, maybe failing
		extra := map[string]any{}
		switch w.r.IntN(5) {
		case 0:
			extra["fail"] = true
		case 1:
			extra["burn"] = true
		case 2:
			extra["next"] = []common.Address{w.callee()} // may re-enter
		}
		a := map[string]any{
			"callee": w.callee(), "method": "set", "args": setArgs(strconv.Itoa(w.r.IntN(1000)), extra),
			"set": strconv.Itoa(w.r.IntN(1000)), "handle": w.r.IntN(2) == 0,
		}
		k := w.owner
		if w.r.IntN(2) == 0 {
			k = w.servicer
		}
		return w.callGas(k, w.caller, "run", a, ledgertest.CallGas)
	case n < 85: // a cross-contract read of a loan the block pays
		a := map[string]any{"callee": w.loan, "method": "get", "args": map[string]any{"id": w.someLoan()}, "set": "r", "handle": true}
		return w.callGas(w.borrower, w.caller, "run", a, ledgertest.CallGas)
	case n < 90:
		return w.callGas(w.servicer, w.callee(), "get", map[string]any{"key": "v"}, ledgertest.CallGas)
	case n < 95:
		return w.create()
	default: // a barrier: code deployed by hash in the middle of the block
		return w.deploy("callee", w.calleeWasm, false)
	}
}

func (w *wasmWorkload) run(blocks int) {
	for range blocks {
		txs := make([]*tx.Tx, 30+w.r.IntN(50))
		for i := range txs {
			txs[i] = w.tx()
		}
		w.d.apply(txs...)
	}
}

// TestParallelMatchesSerialWasm runs the same random blocks of real Wasm
// contract calls on serial and parallel ledgers, on the compiler and on
// the interpreter: every block must be the same on all of them. The
// interpreter, several times slower, runs the first blocks only.
func TestParallelMatchesSerialWasm(t *testing.T) {
	if raceEnabled {
		t.Skip("compiles and runs Wasm: run without -race (the scripted test covers races)")
	}
	t.Parallel()
	ctx := context.Background()
	interp, err := runtime.New(ctx, runtime.NewConfig().WithInterpreter())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { interp.Close(ctx) })
	blocks := diffBlocks(t, 3)
	comp := newWasmWorkload(t, sharedEngine, 1, 2, 4)
	comp.run(blocks)
	comp.d.check(t, status.OK, status.Error, status.OutOfGas)
	inter := newWasmWorkload(t, NewRuntimeEngine(interp), 1, 4)
	inter.run(max(blocks/3, 1))
	inter.d.check(t, status.OK, status.Error, status.OutOfGas)
	// Both engines made the same blocks as far as the interpreter went.
	for h := uint64(1); h <= inter.d.ls[0].Latest().Header.Height; h++ {
		hc, err := comp.d.ls[0].Header(h)
		if err != nil {
			t.Fatal(err)
		}
		hi, err := inter.d.ls[0].Header(h)
		if err != nil {
			t.Fatal(err)
		}
		if hc.Header != hi.Header {
			t.Fatalf("block %d: compiler\n%+v\ninterpreter\n%+v", h, hc.Header, hi.Header)
		}
	}
}
