package ledger_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/enginetest"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
)

// These tests run the executor on a scripted engine: what the engine
// returns is exactly what the test states, so each checks one rule of how
// the ledger turns an engine's answer into receipts, state and errors.

const mockChainID = 7

// fakeCode is what the deploys carry: the scripted engine never reads it,
// and the ledger only hashes, stores and measures it (runtime.DeployGas).
var fakeCode = []byte("\x00asm scripted contract")

// mockChain is a ledger on a scripted engine, with one funded actor.
type mockChain struct {
	t        *testing.T
	l        *ledger.Ledger
	key      *ecdsa.PrivateKey
	proposer ledgertest.KeySigner
	nonce    uint64
}

func newMockChain(t *testing.T, eng ledger.Engine) *mockChain {
	t.Helper()
	key, err := crypto.ToECDSA(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	pk, err := crypto.ToECDSA(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	g := block.DevGenesis(mockChainID, 1_700_000_000_000, crypto.PubkeyToAddress(key.PublicKey))
	// Scripted code is not Wasm and carries no manifest.
	g.Policy.RequireManifest = false
	l, err := ledger.Open(t.Context(), ledger.Config{Dir: t.TempDir(), Genesis: g, Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(context.Background()) })
	return &mockChain{t: t, l: l, key: key, proposer: ledgertest.KeySigner{Key: pk}}
}

func (c *mockChain) sender() common.Address { return crypto.PubkeyToAddress(c.key.PublicKey) }

func (c *mockChain) deploy() *tx.Tx {
	c.t.Helper()
	d := tx.Deploy{From: c.sender(), Nonce: c.nonce, CodeHash: crypto.Keccak256Hash(fakeCode), Name: "mock", GasLimit: block.DefaultBlockDeployGasLimit}
	t, err := tx.SignDeploy(d, fakeCode, mockChainID, c.key)
	if err != nil {
		c.t.Fatal(err)
	}
	c.nonce++
	return t
}

func (c *mockChain) call(contract common.Address, method string, gas uint64) *tx.Tx {
	c.t.Helper()
	t, err := tx.SignCall(tx.Call{From: c.sender(), Nonce: c.nonce, Contract: contract, Method: method, Args: []byte("{}"), GasLimit: gas}, mockChainID, c.key)
	if err != nil {
		c.t.Fatal(err)
	}
	c.nonce++
	return t
}

func (c *mockChain) propose(txs ...*tx.Tx) (*ledger.Applied, error) {
	p := ledger.Proposal{TimeMs: c.l.Latest().Header.TimeMs + 1000, Proposer: c.proposer.Address(), Txs: txs}
	return c.l.ApplyBlock(c.t.Context(), p, c.proposer)
}

// apply commits one transaction and returns its receipt.
func (c *mockChain) apply(t *tx.Tx) *block.Receipt {
	c.t.Helper()
	a, err := c.propose(t)
	if err != nil {
		c.t.Fatalf("apply: %v", err)
	}
	if len(a.Rejected) != 0 || len(a.Receipts) != 1 {
		c.t.Fatalf("apply: rejected %+v, %d receipts", a.Rejected, len(a.Receipts))
	}
	return a.Receipts[0]
}

// get queries the contract's "get" method, which returns the value of
// key "k" (see kvContract).
func (c *mockChain) get(contract common.Address) string {
	c.t.Helper()
	q, err := c.l.Query(c.t.Context(), contract, "get", nil, c.l.Latest().Header.Height, 0)
	if err != nil || q.Status != block.StatusOK {
		c.t.Fatalf("query: %+v %v", q, err)
	}
	return string(q.Return)
}

type method = func(env runtime.Env, args []byte, st runtime.State) (*runtime.Result, error)

// kvContract has a "get" method returning the value of key "k", and set.
func kvContract(set method) *enginetest.Contract {
	return enginetest.Methods(map[string]method{
		"set": set,
		"get": func(_ runtime.Env, _ []byte, st runtime.State) (*runtime.Result, error) {
			v, _, err := st.Get([]byte("k"))
			return &runtime.Result{Code: runtime.CodeOK, Return: v, GasUsed: 1}, err
		},
	})
}

func intrinsicGas(t *testing.T) uint64 {
	g, _ := runtime.DeployGas(fakeCode) // undecodable code is still measured
	if g == 0 {
		t.Fatal("no intrinsic deploy gas")
	}
	return g
}

// A call's result and gas become its receipt, and its writes the state.
func TestEngineResultBecomesReceipt(t *testing.T) {
	t.Parallel()
	var setEnv runtime.Env
	c := kvContract(func(env runtime.Env, _ []byte, _ runtime.State) (*runtime.Result, error) {
		setEnv = env
		return &runtime.Result{
			Code: runtime.CodeOK, Return: []byte(`"done"`), GasUsed: 1234,
			Events: []runtime.Event{{Name: "set", Data: []byte(`{"k":"v"}`)}},
			Writes: []runtime.Write{{Key: []byte("k"), Value: []byte("v")}},
		}, nil
	})
	init := c.CallFn
	c.CallFn = func(ctx context.Context, env runtime.Env, m string, args []byte, st runtime.State) (*runtime.Result, error) {
		if m == "init" {
			return &runtime.Result{Code: runtime.CodeOK, GasUsed: 10}, nil
		}
		return init(ctx, env, m, args, st)
	}
	ch := newMockChain(t, enginetest.Loading(c))

	rc := ch.apply(ch.deploy())
	if !rc.OK() || rc.GasUsed != intrinsicGas(t)+10 || rc.ContractAddress == (common.Address{}) {
		t.Fatalf("deploy: %+v (intrinsic %d + init 10)", *rc, intrinsicGas(t))
	}
	addr := rc.ContractAddress

	const gas = 5_000_000
	rc = ch.apply(ch.call(addr, "set", gas))
	if !rc.OK() || rc.GasUsed != 1234 || string(rc.Return) != `"done"` {
		t.Fatalf("call receipt: %+v", *rc)
	}
	if len(rc.Events) != 1 || rc.Events[0].Contract != addr || rc.Events[0].Name != "set" || string(rc.Events[0].Data) != `{"k":"v"}` {
		t.Fatalf("events: %+v", rc.Events)
	}
	if len(rc.Writes) != 1 || rc.Writes[0].Contract != addr || string(rc.Writes[0].Key) != "k" || string(rc.Writes[0].Value) != "v" {
		t.Fatalf("writes: %+v", rc.Writes)
	}
	if setEnv.Caller != runtime.Address(ch.sender()) || setEnv.Contract != runtime.Address(addr) ||
		setEnv.Height != rc.Height || setEnv.GasLimit != gas || setEnv.ReadOnly || setEnv.TxHash != runtime.Hash(rc.TxHash) {
		t.Fatalf("env of the call: %+v", setEnv)
	}
	if got := ch.get(addr); got != "v" {
		t.Fatalf("state after the call: %q", got)
	}
}

// A failed call keeps none of its writes or events, and its gas is still
// charged.
func TestEngineFailedCallLeavesStateAndChargesGas(t *testing.T) {
	t.Parallel()
	fail := false
	c := kvContract(func(runtime.Env, []byte, runtime.State) (*runtime.Result, error) {
		res := &runtime.Result{Code: runtime.CodeOK, GasUsed: 100, Writes: []runtime.Write{{Key: []byte("k"), Value: []byte("v1")}}}
		if fail {
			res = &runtime.Result{
				Code: runtime.CodeError, Message: "refused", GasUsed: 777,
				Events: []runtime.Event{{Name: "set"}},
				Writes: []runtime.Write{{Key: []byte("k"), Value: []byte("v2")}},
			}
		}
		return res, nil
	})
	ch := newMockChain(t, enginetest.Loading(c))
	addr := ch.apply(ch.deploy()).ContractAddress
	ch.apply(ch.call(addr, "set", 1_000_000))
	before := ch.l.Latest()

	fail = true
	rc := ch.apply(ch.call(addr, "set", 1_000_000))
	if rc.Status != block.Status(runtime.CodeError) || rc.Message != "refused" || rc.GasUsed != 777 || len(rc.Writes) != 0 || len(rc.Events) != 0 {
		t.Fatalf("failed call receipt: %+v", *rc)
	}
	if got := ch.get(addr); got != "v1" {
		t.Fatalf("state after a failed call: %q, want v1", got)
	}
	// The trie agrees with the flat index the query read.
	if st, err := ch.l.State(addr, []byte("k"), before.Header.Height+1); err != nil || string(st.Proof.Value) != "v1" || st.Proof.Verify() != nil {
		t.Fatalf("proven state after a failed call: %+v %v", st, err)
	}
	if n, err := ch.l.NextNonce(ch.sender()); err != nil || n != ch.nonce {
		t.Fatalf("nonce after a failed call: %d %v, want %d", n, err, ch.nonce)
	}
}

// An error from the engine is a host failure: the block is not made and
// nothing of it is kept.
func TestEngineHostErrorAbortsBlock(t *testing.T) {
	t.Parallel()
	errHost := errors.New("engine fault")
	var calls atomic.Int32
	c := kvContract(func(runtime.Env, []byte, runtime.State) (*runtime.Result, error) {
		calls.Add(1)
		return nil, errHost
	})
	ch := newMockChain(t, enginetest.Loading(c))
	addr := ch.apply(ch.deploy()).ContractAddress
	before := ch.l.Latest()
	nonce := ch.nonce

	a, err := ch.propose(ch.call(addr, "set", 1_000_000))
	if !errors.Is(err, errHost) || a != nil || calls.Load() != 1 {
		t.Fatalf("apply with a failing engine: %+v, %v (%d calls)", a, err, calls.Load())
	}
	if ch.l.Latest().Hash() != before.Hash() {
		t.Fatal("a block was committed")
	}
	if n, err := ch.l.NextNonce(ch.sender()); err != nil || n != nonce {
		t.Fatalf("nonce after an aborted block: %d %v, want %d", n, err, nonce)
	}

	// A load that fails with anything but a DeployError aborts a deploy's
	// block the same way.
	ch2 := newMockChain(t, &enginetest.Engine{LoadFn: func(context.Context, []byte) (ledger.Contract, error) { return nil, errHost }})
	if a, err := ch2.propose(ch2.deploy()); !errors.Is(err, errHost) || a != nil {
		t.Fatalf("deploy with a failing load: %+v, %v", a, err)
	}
}

// Code the engine refuses gets a failed deploy receipt that pays the
// intrinsic gas; the code is kept (replay needs it) and no contract exists.
func TestEngineDeployErrorFailsDeploy(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  *runtime.DeployError
		want block.Status
	}{
		{&runtime.DeployError{Code: runtime.DeployForbiddenImport, Msg: "import env.clock"}, block.Status(runtime.DeployForbiddenImport)},
		{&runtime.DeployError{Msg: "no code"}, block.StatusDeployFailed},
	} {
		t.Run(string(c.want), func(t *testing.T) {
			t.Parallel()
			ch := newMockChain(t, &enginetest.Engine{LoadFn: func(context.Context, []byte) (ledger.Contract, error) { return nil, c.err }})
			d := ch.deploy()
			rc := ch.apply(d)
			if rc.Status != c.want || rc.Message != c.err.Msg || rc.GasUsed != intrinsicGas(t) || rc.ContractAddress != (common.Address{}) || len(rc.Writes) != 0 {
				t.Fatalf("receipt: %+v (intrinsic %d)", *rc, intrinsicGas(t))
			}
			if _, err := ch.l.Contract(d.Message().(*tx.Deploy).ContractAddress()); !errors.Is(err, ledger.ErrUnknownContract) {
				t.Fatalf("contract after a refused deploy: %v", err)
			}
			if ok, err := ch.l.HasCode(crypto.Keccak256Hash(fakeCode)); !ok || err != nil {
				t.Fatalf("code of a refused deploy kept: %v %v", ok, err)
			}
		})
	}
}

// The runtime adapter reports a miss and a refusal with a nil Contract (a
// nil *runtime.Module inside the interface would not be nil), and code the
// runtime refuses as a *runtime.DeployError, as Engine requires.
func TestRuntimeEngineAdapter(t *testing.T) {
	t.Parallel()
	rt, err := runtime.New(t.Context(), runtime.NewConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	eng := ledger.NewRuntimeEngine(rt)

	c, ok, err := eng.LoadCached(t.Context(), crypto.Keccak256Hash(fakeCode))
	if c != nil || ok || err != nil {
		t.Fatalf("LoadCached of unknown code = %v, %v, %v", c, ok, err)
	}
	c, err = eng.Load(t.Context(), fakeCode)
	var de *runtime.DeployError
	if c != nil || !errors.As(err, &de) || de.Code != runtime.DeployMalformed {
		t.Fatalf("Load of malformed code = %v, %v", c, err)
	}
}
