package ledger

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

// sharedRuntime is one runtime for the whole test binary: loading the
// loan module compiles it, and doing that once keeps the suite fast.
// sharedEngine runs contracts in it.
var (
	sharedRuntime *runtime.Runtime
	sharedEngine  Engine
)

func TestMain(m *testing.M) {
	// Compiled code is shared with every other test binary on the machine.
	rt, err := runtime.New(context.Background(), runtime.NewConfig().WithCompiledCacheDir(buildtest.CompiledCacheDir()))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sharedRuntime, sharedEngine = rt, NewRuntimeEngine(rt)
	code := m.Run()
	rt.Close(context.Background())
	os.Exit(code)
}

// env is a test chain: a ledger in a temp dir plus the actors.
type env struct {
	tb       testing.TB
	dir      string
	l        *Ledger
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
	return newEnvWith(tb, nil)
}

// newEnvWith is newEnv with the genesis changed by edit (nil: unchanged)
// before the ledger is created.
func newEnvWith(tb testing.TB, edit func(*block.Genesis)) *env {
	tb.Helper()
	e := &env{
		tb: tb, dir: tb.TempDir(),
		proposer: ledgertest.KeySigner{Key: ledgertest.MustKey(tb, 9)},
		owner:    ledgertest.MustKey(tb, 1), servicer: ledgertest.MustKey(tb, 2),
		issued: map[common.Address]uint64{},
	}
	// The servicer and the borrower (key 3) are members: access control
	// admits members only.
	e.genesis = ledgertest.Genesis(ledgertest.AddrOf(e.owner), "servicer", ledgertest.AddrOf(e.servicer), ledgertest.AddrOf(ledgertest.MustKey(tb, 3)))
	if edit != nil {
		edit(e.genesis)
	}
	e.l = e.open(Config{Dir: e.dir})
	tb.Cleanup(func() { e.l.Close(context.Background()) })
	return e
}

func (e *env) open(cfg Config) *Ledger {
	e.tb.Helper()
	if cfg.Genesis == nil {
		cfg.Genesis = e.genesis
	}
	if cfg.Engine == nil {
		cfg.Engine = sharedEngine
	}
	l, err := Open(context.Background(), cfg)
	if err != nil {
		e.tb.Fatalf("open: %v", err)
	}
	return l
}

// reopen closes the ledger and opens the same directory again.
func (e *env) reopen() {
	e.tb.Helper()
	if err := e.l.Close(context.Background()); err != nil {
		e.tb.Fatal(err)
	}
	e.l = e.open(Config{Dir: e.dir})
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

func (e *env) createArgs(id string) map[string]any {
	return ledgertest.LoanCreateArgs(id, ledgertest.AddrOf(ledgertest.MustKey(e.tb, 3)), ledgertest.AddrOf(e.servicer))
}

func (e *env) proposal(txs ...*tx.Tx) Proposal {
	return Proposal{TimeMs: e.l.Latest().Header.TimeMs + ledgertest.BlockStepMs, Proposer: e.proposer.Address(), Txs: txs}
}

// apply commits a block and fails the test on error.
func (e *env) apply(txs ...*tx.Tx) *Applied {
	e.tb.Helper()
	a, err := e.l.ApplyBlock(context.Background(), e.proposal(txs...), e.proposer)
	if err != nil {
		e.tb.Fatalf("apply block: %v", err)
	}
	clear(e.issued)
	return a
}

// applyRejected proposes txs that must all be rejected: it checks that no
// block was made (ErrEmptyBlock) and returns the rejections.
func (e *env) applyRejected(txs ...*tx.Tx) []Rejected {
	e.tb.Helper()
	a, err := e.l.ApplyBlock(context.Background(), e.proposal(txs...), e.proposer)
	var empty *EmptyBlockError
	if !errors.As(err, &empty) || !errors.Is(err, ErrEmptyBlock) || a != nil {
		e.tb.Fatalf("apply all-rejected block: applied %v, err %v", a, err)
	}
	clear(e.issued)
	return empty.Rejected
}

// setup deploys the loan contract and creates loan "L1".
func (e *env) setup() {
	e.tb.Helper()
	d := e.deployTx(e.owner, e.nonce(e.owner), true)
	a := e.apply(d)
	if len(a.Rejected) != 0 || !a.Receipts[0].OK() {
		e.tb.Fatalf("deploy: rejected %v receipt %+v", a.Rejected, *a.Receipts[0])
	}
	e.loan = a.Receipts[0].ContractAddress
	a = e.apply(e.callTx(e.owner, e.nonce(e.owner), e.loan, "create", e.createArgs("L1")))
	if len(a.Rejected) != 0 || !a.Receipts[0].OK() {
		e.tb.Fatalf("create: rejected %v receipt %+v", a.Rejected, a.Receipts[0])
	}
}

func (e *env) pay(amount int64) *tx.Tx {
	return e.callTx(e.servicer, e.next(e.servicer), e.loan, "pay", map[string]any{"id": "L1", "amount": amount})
}

// snapshot is what must not change when a bad input is refused.
type snapshot struct {
	header   common.Hash
	root     common.Hash
	nonces   map[common.Address]uint64
	keyCount int
}

func (e *env) snap() snapshot {
	s := snapshot{header: e.l.Latest().Hash(), root: e.l.Latest().Header.StateRoot, nonces: map[common.Address]uint64{}}
	for _, k := range []*ecdsa.PrivateKey{e.owner, e.servicer, ledgertest.MustKey(e.tb, 3)} {
		s.nonces[ledgertest.AddrOf(k)] = e.nonce(k)
	}
	it := e.l.kv.NewIterator(nil, nil)
	for it.Next() {
		s.keyCount++
	}
	it.Release()
	return s
}

func (e *env) sameAs(s snapshot) {
	e.tb.Helper()
	now := e.snap()
	if now.header != s.header || now.root != s.root || now.keyCount != s.keyCount {
		e.tb.Fatalf("store changed: header %s→%s root %s→%s keys %d→%d", s.header, now.header, s.root, now.root, s.keyCount, now.keyCount)
	}
	for a, n := range s.nonces {
		if now.nonces[a] != n {
			e.tb.Fatalf("nonce of %s changed %d→%d", a, n, now.nonces[a])
		}
	}
}

// rawPut writes into the store behind the ledger's back (tamper tests).
func rawPut(tb testing.TB, l *Ledger, key, value []byte) {
	tb.Helper()
	if err := l.kv.Put(key, value); err != nil {
		tb.Fatal(err)
	}
}

var _ = storage.PrefixTx
