package audit

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

// env is a source chain built through the ledger's exported API: a ledger
// over a store the test can also write behind its back (tamper tests).
type env struct {
	tb       testing.TB
	l        *ledger.Ledger
	kv       *storage.DB
	genesis  *block.Genesis
	proposer ledgertest.KeySigner
	owner    *ecdsa.PrivateKey
	servicer *ecdsa.PrivateKey
	code     []byte
	loan     common.Address
	issued   map[common.Address]uint64 // nonces handed out since the last block
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	e := &env{
		tb:       tb,
		proposer: ledgertest.KeySigner{Key: ledgertest.MustKey(tb, 9)},
		owner:    ledgertest.MustKey(tb, 1), servicer: ledgertest.MustKey(tb, 2),
		issued: map[common.Address]uint64{},
	}
	// The servicer and the borrower (key 3) are members: access control
	// admits members only.
	e.genesis = ledgertest.Genesis(ledgertest.AddrOf(e.owner), "servicer", ledgertest.AddrOf(e.servicer), ledgertest.AddrOf(ledgertest.MustKey(tb, 3)))
	e.l, e.kv = e.openStore(nil)
	return e
}

// openStore opens a ledger of e's chain over a new LevelDB store (genesis:
// e's when nil), closed at the end of the test.
func (e *env) openStore(g *block.Genesis) (*ledger.Ledger, *storage.DB) {
	e.tb.Helper()
	kv, err := storage.Open(e.tb.TempDir(), storage.Options{})
	if err != nil {
		e.tb.Fatal(err)
	}
	if g == nil {
		g = e.genesis
	}
	// Compiled code is shared with every other test binary on the machine.
	rc := runtime.NewConfig().WithCompiledCacheDir(buildtest.CompiledCacheDir())
	l, err := ledger.Open(context.Background(), ledger.Config{Store: kv, Genesis: g, RuntimeConfig: &rc})
	if err != nil {
		e.tb.Fatalf("open: %v", err)
	}
	e.tb.Cleanup(func() {
		l.Close(context.Background())
		kv.Close()
	})
	return l, kv
}

// fresh opens an empty ledger of e's chain, a replay destination.
func (e *env) fresh() *ledger.Ledger {
	l, _ := e.openStore(nil)
	return l
}

func (e *env) loanCode() []byte {
	if e.code == nil {
		e.code = buildtest.Wasm(e.tb, "contracts/loan")
	}
	return e.code
}

func (e *env) nonce(k *ecdsa.PrivateKey) uint64 {
	n, err := e.l.NextNonce(ledgertest.AddrOf(k))
	if err != nil {
		e.tb.Fatal(err)
	}
	return n
}

// next hands out k's next nonce, counting transactions made for the block
// being assembled.
func (e *env) next(k *ecdsa.PrivateKey) uint64 {
	n := max(e.nonce(k), e.issued[ledgertest.AddrOf(k)])
	e.issued[ledgertest.AddrOf(k)] = n + 1
	return n
}

func (e *env) deployTx(k *ecdsa.PrivateKey, nonce uint64, withCode bool) *tx.Tx {
	e.tb.Helper()
	return ledgertest.DeployTx(e.tb, k, "loan", e.loanCode(), nonce, block.DefaultBlockDeployGasLimit, withCode)
}

func (e *env) callTx(k *ecdsa.PrivateKey, nonce uint64, contract common.Address, method string, args any) *tx.Tx {
	e.tb.Helper()
	return ledgertest.CallTx(e.tb, k, nonce, contract, method, args)
}

func (e *env) proposal(txs ...*tx.Tx) ledger.Proposal {
	return ledger.Proposal{TimeMs: e.l.Latest().Header.TimeMs + ledgertest.BlockStepMs, Proposer: e.proposer.Address(), Txs: txs}
}

// apply commits a block and fails the test on error.
func (e *env) apply(txs ...*tx.Tx) *ledger.Applied {
	e.tb.Helper()
	a, err := e.l.ApplyBlock(context.Background(), e.proposal(txs...), e.proposer)
	if err != nil {
		e.tb.Fatalf("apply block: %v", err)
	}
	clear(e.issued)
	return a
}

// applyRejected proposes txs that must all be rejected: no block is made.
func (e *env) applyRejected(txs ...*tx.Tx) {
	e.tb.Helper()
	a, err := e.l.ApplyBlock(context.Background(), e.proposal(txs...), e.proposer)
	if !errors.Is(err, ledger.ErrEmptyBlock) || a != nil {
		e.tb.Fatalf("apply all-rejected block: applied %v, err %v", a, err)
	}
	clear(e.issued)
}

// setup deploys the loan contract and creates loan "L1".
func (e *env) setup() {
	e.tb.Helper()
	a := e.apply(e.deployTx(e.owner, e.nonce(e.owner), true))
	if len(a.Rejected) != 0 || !a.Receipts[0].OK() {
		e.tb.Fatalf("deploy: rejected %v receipt %+v", a.Rejected, *a.Receipts[0])
	}
	e.loan = a.Receipts[0].ContractAddress
	args := ledgertest.LoanCreateArgs("L1", ledgertest.AddrOf(ledgertest.MustKey(e.tb, 3)), ledgertest.AddrOf(e.servicer))
	a = e.apply(e.callTx(e.owner, e.nonce(e.owner), e.loan, "create", args))
	if len(a.Rejected) != 0 || !a.Receipts[0].OK() {
		e.tb.Fatalf("create: rejected %v receipt %+v", a.Rejected, a.Receipts[0])
	}
}

func (e *env) pay(amount int64) *tx.Tx {
	return e.callTx(e.servicer, e.next(e.servicer), e.loan, "pay", map[string]any{"id": "L1", "amount": amount})
}

// rawPut writes into the source store behind the ledger's back.
func (e *env) rawPut(key, value []byte) {
	e.tb.Helper()
	if err := e.kv.Put(key, value); err != nil {
		e.tb.Fatal(err)
	}
}

// sourceBlock reads block height of the source as Replay would.
func (e *env) sourceBlock(height uint64) (*ledger.SourceBlock, error) {
	return e.l.Blocks(height, height).Next(context.Background())
}
