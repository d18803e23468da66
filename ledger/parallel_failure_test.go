package ledger

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
)

// flakyEngine runs opsContract, except that the first call of each
// transaction in fail is a host failure: a failure that happens while a
// transaction is speculated and not when it runs again.
type flakyEngine struct {
	fail sync.Map // common.Hash → struct{}
}

var errFlaky = errors.New("transient host failure")

func (e *flakyEngine) Load(context.Context, []byte) (Contract, error) { return flakyContract{e}, nil }

func (e *flakyEngine) LoadCached(context.Context, common.Hash) (Contract, bool, error) {
	return nil, false, nil
}

type flakyContract struct{ e *flakyEngine }

func (c flakyContract) Call(ctx context.Context, env runtime.Env, method string, args []byte, st runtime.State) (*runtime.Result, error) {
	if _, ok := c.e.fail.LoadAndDelete(common.Hash(env.TxHash)); ok && method == "ops" {
		return nil, errFlaky
	}
	return opsContract{}.Call(ctx, env, method, args, st)
}

// scriptChains are a serial ledger on opsEngine and a parallel one on
// eng, with one ops contract deployed, and w making transactions for them.
func scriptChains(t *testing.T, eng Engine) (*diffChains, *scriptWorkload) {
	t.Helper()
	admin := ledgertest.MustKey(t, 1)
	g := ledgertest.Genesis(ledgertest.AddrOf(admin), "servicer")
	g.Policy.RequireManifest = false
	d := newDiffChains(t, g, opsEngine{}, 1, 4)
	if eng != nil {
		l, err := Open(context.Background(), Config{Dir: t.TempDir(), Genesis: g, Engine: eng, ExecWorkers: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close(context.Background()) })
		d.ls[1].Close(context.Background())
		d.ls[1] = l
	}
	w := &scriptWorkload{tb: t, d: d, admin: admin, senders: []*ecdsa.PrivateKey{admin}}
	a := d.apply(w.deploy())
	if a == nil || !a.Receipts[0].OK() {
		t.Fatalf("deploy: %+v", a)
	}
	w.contracts = []common.Address{a.Receipts[0].ContractAddress}
	return d, w
}

// A host failure while a transaction is speculated is not the block's:
// the transaction runs again in its turn, and the block is the serial
// one.
func TestParallelSpeculationHostFailureRunsAgain(t *testing.T) {
	t.Parallel()
	eng := &flakyEngine{}
	d, w := scriptChains(t, eng)
	var txs []*tx.Tx
	for i := range 8 {
		c := w.call(w.admin, w.contracts[0], []op{{Add: "k" + string(rune('a'+i)), N: i}}, ledgertest.CallGas)
		if i%3 == 1 {
			eng.fail.Store(c.Hash(), struct{}{})
		}
		txs = append(txs, c)
	}
	a := d.apply(txs...) // the same block on both, or it fails
	if a == nil || len(a.Receipts) != len(txs) {
		t.Fatalf("block: %+v", a)
	}
	eng.fail.Range(func(k, _ any) bool {
		t.Fatalf("transaction %v was never speculated", k)
		return false
	})
}

// A host failure that persists aborts the block with the same error
// whether the transaction was speculated or not, and nothing is written.
func TestParallelHostFailureAbortsTheBlock(t *testing.T) {
	t.Parallel()
	d, w := scriptChains(t, nil)
	txs := []*tx.Tx{
		w.call(w.admin, w.contracts[0], []op{{Add: "a", N: 1}}, ledgertest.CallGas),
		w.call(w.admin, w.contracts[0], []op{{Add: "b", N: 1}, {Boom: true}}, ledgertest.CallGas),
		w.call(w.admin, w.contracts[0], []op{{Add: "c", N: 1}}, ledgertest.CallGas),
	}
	var msgs []string
	for _, l := range d.ls {
		before := l.Latest().Hash()
		_, err := l.ApplyBlock(context.Background(), Proposal{TimeMs: d.timeMs + ledgertest.BlockStepMs, Proposer: d.proposer.Address(), Txs: txs}, d.proposer)
		if !errors.Is(err, errScriptHost) {
			t.Fatalf("apply: %v, want the host failure", err)
		}
		if l.Latest().Hash() != before {
			t.Fatal("a block was committed")
		}
		msgs = append(msgs, err.Error())
	}
	if msgs[0] != msgs[1] {
		t.Fatalf("serial: %s\nparallel: %s", msgs[0], msgs[1])
	}
}

// ExecWorkers 1 is the serial path: nothing is speculated. More workers
// speculate, and a block of calls to distinct keys takes every
// speculation.
func TestExecWorkersOneExecutesSerially(t *testing.T) {
	t.Parallel()
	d, w := scriptChains(t, nil)
	var txs []*tx.Tx
	for i := range 6 {
		txs = append(txs, w.call(w.admin, w.contracts[0], []op{{Add: "k" + strconv.Itoa(i), N: 1}}, ledgertest.CallGas))
	}
	p := Proposal{TimeMs: d.timeMs + ledgertest.BlockStepMs, Proposer: d.proposer.Address(), Txs: txs}
	for i, want := range []parallelStats{{}, {taken: len(txs)}} {
		b, err := d.ls[i].execute(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.enc.finish(); err != nil {
			t.Fatal(err)
		}
		if b.parallel != want || len(b.receipts) != len(txs) {
			t.Fatalf("workers %d: %+v, %d receipts; want %+v", d.workers[i], b.parallel, len(b.receipts), want)
		}
	}
}
