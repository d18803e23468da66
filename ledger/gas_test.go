package ledger

import (
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
)

// tinyContract is the smallest contract: mesh_call succeeds with no
// result. salt, in a custom section, gives each test its own code hash.
func tinyContract(salt byte) []byte {
	return []byte{
		0, 'a', 's', 'm', 1, 0, 0, 0,
		1, 5, 1, 0x60, 0, 1, 0x7f, // type () -> i32
		3, 2, 1, 0, // one function
		5, 3, 1, 0, 1, // memory of 1 page
		7, 22, 2, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0, 9, 'm', 'e', 's', 'h', '_', 'c', 'a', 'l', 'l', 0, 0,
		10, 6, 1, 4, 0, 0x41, 0, 0x0b, // i32.const 0
		0, 3, 1, 's', salt,
	}
}

// ownRuntimeEnv is an env whose ledger has a runtime of its own, so the
// test can tell from its counters whether a module was loaded.
func ownRuntimeEnv(t *testing.T, cfg Config) (*env, *runtime.Runtime) {
	e := newEnv(t)
	e.l.Close(context.Background())
	rt, err := runtime.New(context.Background(), runtime.NewConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	// tinyContract carries no manifest: a chain of its own that does not
	// require one.
	e.dir, e.genesis = t.TempDir(), manifestOptional(e.genesis)
	cfg.Dir, cfg.Genesis, cfg.Engine = e.dir, e.genesis, NewRuntimeEngine(rt)
	l, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.l = l
	return e, rt
}

func (e *env) deployCode(code []byte, nonce, gas uint64, withCode bool) *tx.Tx {
	e.tb.Helper()
	return ledgertest.DeployTx(e.tb, e.owner, "tiny", code, nonce, gas, withCode)
}

// TestDeployPaysIntrinsicGasFirst: a deploy's gas limit must cover
// runtime.DeployGas before anything is loaded; one that does not fails
// out_of_gas using its whole limit, with nothing loaded and no contract.
// A deploy that fails to load pays the intrinsic gas, and one that names
// stored code by hash pays the same as the one that brought it.
func TestDeployPaysIntrinsicGasFirst(t *testing.T) {
	t.Parallel()
	e, rt := ownRuntimeEnv(t, Config{})
	code := tinyContract(1)
	need, err := runtime.DeployGas(code)
	if err != nil || need == 0 {
		t.Fatalf("DeployGas = %d, %v", need, err)
	}

	a := e.apply(e.deployCode(code, 0, need-1, true))
	rc := a.Receipts[0]
	if rc.Status != block.Status(runtime.CodeOutOfGas) || rc.GasUsed != need-1 || rc.ContractAddress != (common.Address{}) || len(rc.Writes) != 0 {
		t.Fatalf("short deploy: %+v", *rc)
	}
	if st := rt.Stats(); st.Prepared != 0 || st.Compiled != 0 {
		t.Fatalf("a deploy that could not pay loaded its code: %+v", st)
	}
	if c, err := e.l.Contract(tx.ContractAddress(ledgertest.AddrOf(e.owner), 0)); !errors.Is(err, ErrUnknownContract) {
		t.Fatalf("contract after a short deploy: %+v %v", c, err)
	}
	if e.nonce(e.owner) != 1 {
		t.Fatalf("nonce not consumed: %d", e.nonce(e.owner))
	}

	const initGas = 1_000_000
	a = e.apply(e.deployCode(code, 1, need+initGas, false))
	withCode := a.Receipts[0]
	if !withCode.OK() || withCode.GasUsed <= need || withCode.GasUsed > need+initGas {
		t.Fatalf("deploy by hash with enough gas: %+v (intrinsic %d)", *withCode, need)
	}
	a = e.apply(e.deployCode(code, 2, need+initGas, false))
	if again := a.Receipts[0]; !again.OK() || again.GasUsed != withCode.GasUsed {
		t.Fatalf("second deploy by hash used %d gas, first %d", again.GasUsed, withCode.GasUsed)
	}

	bad := []byte("\x00asm\x01\x00\x00\x00garbage")
	badGas, err := runtime.DeployGas(bad)
	if err == nil || badGas == 0 {
		t.Fatalf("DeployGas(malformed) = %d, %v; want its bytes' gas and the error", badGas, err)
	}
	a = e.apply(e.deployCode(bad, 3, badGas+initGas, true))
	if rc := a.Receipts[0]; rc.OK() || rc.GasUsed != badGas {
		t.Fatalf("malformed deploy: %+v, want a failure using %d gas", *rc, badGas)
	}
}

// TestTxGasCap: a call may not name more gas than the per-transaction
// cap, nor a deploy more than the block deploy gas limit; the mempool
// check and block admission refuse them alike, for good.
func TestTxGasCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup()
	call := func(gas uint64) *tx.Tx {
		c, err := tx.SignCall(tx.Call{From: ledgertest.AddrOf(e.servicer), Nonce: e.next(e.servicer), Contract: e.loan, Method: "pay",
			Args: []byte(`{"id":"L1","amount":1}`), GasLimit: gas}, ledgertest.ChainID, e.servicer)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	over := call(block.DefaultTxGasCap + 1)
	var ge *tx.GasLimitError
	if err := e.l.CheckTx(over); !errors.Is(err, tx.ErrGasLimitTooHigh) || !errors.As(err, &ge) || !ge.PerTx ||
		ge.BlockLimit != block.DefaultTxGasCap || Retryable(err) {
		t.Fatalf("CheckTx(over the cap) = %v", err)
	}
	before := e.snap()
	if rej := e.applyRejected(over); len(rej) != 1 || !errors.As(rej[0].Err, &ge) || !ge.PerTx || Retryable(rej[0].Err) {
		t.Fatalf("block admission of a call over the cap: %+v", rej)
	}
	e.sameAs(before)
	if a := e.apply(call(block.DefaultTxGasCap)); !a.Receipts[0].OK() {
		t.Fatalf("a call at the cap: %+v", *a.Receipts[0])
	}
	big := e.deployCode(tinyContract(2), e.nonce(e.owner), block.DefaultBlockDeployGasLimit+1, true)
	if err := e.l.CheckTx(big); !errors.As(err, &ge) || !ge.Deploy || ge.BlockLimit != block.DefaultBlockDeployGasLimit {
		t.Fatalf("CheckTx(deploy over the block deploy gas limit) = %v", err)
	}
}

// TestBlockDeployGasLimit: deploys share the block's deploy gas budget;
// one that does not fit waits for the next block.
func TestBlockDeployGasLimit(t *testing.T) {
	t.Parallel()
	code := tinyContract(3)
	need, _ := runtime.DeployGas(code)
	e, _ := ownRuntimeEnv(t, Config{BlockDeployGasLimit: need * 3 / 2})
	d0 := e.deployCode(code, 0, need+1_000_000, true)
	d1 := e.deployCode(code, 1, need+1_000_000, false)
	a := e.apply(d0, d1)
	if len(a.Receipts) != 1 || !a.Receipts[0].OK() || len(a.Rejected) != 1 ||
		!errors.Is(a.Rejected[0].Err, ErrBlockGasExhausted) || !Retryable(a.Rejected[0].Err) {
		t.Fatalf("receipts %d, rejected %+v", len(a.Receipts), a.Rejected)
	}
	if a := e.apply(d1); !a.Receipts[0].OK() {
		t.Fatalf("next block: %+v", *a.Receipts[0])
	}
}
