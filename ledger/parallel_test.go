package ledger

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/status"
)

// The parallel executor's differential tests: random workloads, with
// deliberate conflicts, applied block by block to ledgers that differ only
// in Config.ExecWorkers (1: serial), which must agree on every block:
// headers (so state, receipt and log roots), receipts, rejections.
// MESHLEDGER_PARALLEL_BLOCKS runs more blocks than the default.

// diffChains are ledgers fed the same proposals.
type diffChains struct {
	tb testing.TB
	// ls are the ledgers, executing with workers[i] (Config.ExecWorkers):
	// serial first, then parallel, some with more workers than this
	// machine's cores (speculations then also interleave on one core).
	ls       []*Ledger
	workers  []int
	proposer ledgertest.KeySigner
	nonces   map[common.Address]uint64
	timeMs   int64
	// stats sums the speculations of the last ledger's blocks (executed
	// once more to count them), and statuses the serial ledger's
	// receipts by status: the workload must exercise what it claims to.
	stats    parallelStats
	statuses map[string]int
}

func newDiffChains(tb testing.TB, g *block.Genesis, eng Engine, workers ...int) *diffChains {
	tb.Helper()
	if len(workers) < 2 || workers[0] != 1 {
		tb.Fatalf("workers %v: serial first, then parallel", workers)
	}
	d := &diffChains{
		tb: tb, proposer: ledgertest.KeySigner{Key: ledgertest.MustKey(tb, 9)},
		nonces: map[common.Address]uint64{}, timeMs: g.TimeMs, statuses: map[string]int{}, workers: workers,
	}
	for _, w := range workers {
		l, err := Open(context.Background(), Config{Dir: tb.TempDir(), Genesis: g, Engine: eng, ExecWorkers: w})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { l.Close(context.Background()) })
		d.ls = append(d.ls, l)
	}
	return d
}

// next hands out k's next nonce.
func (d *diffChains) next(k *ecdsa.PrivateKey) uint64 {
	a := ledgertest.AddrOf(k)
	n, ok := d.nonces[a]
	if !ok {
		var err error
		if n, err = d.ls[0].NextNonce(a); err != nil {
			d.tb.Fatal(err)
		}
	}
	d.nonces[a] = n + 1
	return n
}

// apply proposes txs to every ledger and fails unless they all make the
// same block (or all refuse it the same way). It returns the serial
// ledger's block.
func (d *diffChains) apply(txs ...*tx.Tx) *Applied {
	d.tb.Helper()
	d.timeMs += ledgertest.BlockStepMs
	var first *Applied
	var firstErr error
	p := Proposal{TimeMs: d.timeMs, Proposer: d.proposer.Address(), Txs: txs}
	if b, err := d.ls[len(d.ls)-1].execute(context.Background(), p); err == nil {
		d.stats.taken += b.parallel.taken
		d.stats.rerun += b.parallel.rerun
		if err := b.enc.finish(); err != nil {
			d.tb.Fatal(err)
		}
	}
	for i, l := range d.ls {
		a, err := l.ApplyBlock(context.Background(), p, d.proposer)
		if i == 0 {
			first, firstErr = a, err
			continue
		}
		if (err == nil) != (firstErr == nil) || (err != nil && err.Error() != firstErr.Error()) {
			d.tb.Fatalf("workers %d: error %v, serial %v", d.workers[i], err, firstErr)
		}
		if err != nil {
			continue
		}
		if a.Header.Hash() != first.Header.Hash() {
			d.tb.Fatalf("block %d, workers %d: header\n%+v\nserial\n%+v", a.Header.Header.Height, d.workers[i], a.Header.Header, first.Header.Header)
		}
		sameRejections(d.tb, d.workers[i], a.Rejected, first.Rejected)
	}
	if firstErr != nil {
		var empty *EmptyBlockError
		if errors.As(firstErr, &empty) {
			return nil
		}
		d.tb.Fatalf("apply: %v", firstErr)
	}
	// Nonces the block did not use (rejected) are handed out again.
	d.nonces = map[common.Address]uint64{}
	for _, rc := range first.Receipts {
		d.statuses[string(rc.Status)]++
	}
	return first
}

func sameRejections(tb testing.TB, workers int, got, want []Rejected) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("workers %d: %d rejections, serial %d", workers, len(got), len(want))
	}
	for i := range got {
		if got[i].Index != want[i].Index || got[i].Err.Error() != want[i].Err.Error() {
			tb.Fatalf("workers %d: rejection %d %v, serial %d %v", workers, got[i].Index, got[i].Err, want[i].Index, want[i].Err)
		}
	}
}

// check compares every ledger's whole chain with the serial one's, and
// fails unless speculations were both taken and run again, and the
// receipts have every status in want.
func (d *diffChains) check(t *testing.T, want ...status.Code) {
	t.Helper()
	for _, l := range d.ls[1:] {
		sameChains(t, d.ls[0], l)
	}
	t.Logf("speculations %+v, receipts by status %v", d.stats, d.statuses)
	if d.stats.taken == 0 || d.stats.rerun == 0 {
		t.Fatalf("speculations %+v: the workload does not exercise both paths", d.stats)
	}
	for _, c := range want {
		if d.statuses[string(c)] == 0 {
			t.Fatalf("no receipt with status %s among %v", c, d.statuses)
		}
	}
}

// diffBlocks is how many random blocks a differential test applies.
func diffBlocks(tb testing.TB, def int) int {
	if s := os.Getenv("MESHLEDGER_PARALLEL_BLOCKS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			tb.Fatalf("MESHLEDGER_PARALLEL_BLOCKS=%q: a positive number of blocks", s)
		}
		return n
	}
	return def
}

// scriptWorkload makes random transactions of opsContract calls between
// contracts, many of them conflicting.
type scriptWorkload struct {
	tb        testing.TB
	d         *diffChains
	r         *rand.Rand
	admin     *ecdsa.PrivateKey
	senders   []*ecdsa.PrivateKey
	contracts []common.Address
}

func (w *scriptWorkload) key() string {
	if w.r.IntN(3) == 0 {
		return "hot" // one key that most blocks contend on
	}
	return "k" + strconv.Itoa(w.r.IntN(6))
}

func (w *scriptWorkload) contract() common.Address { return w.contracts[w.r.IntN(len(w.contracts))] }

// ops are 1–3 random local operations.
func (w *scriptWorkload) ops() []op {
	var ops []op
	for range 1 + w.r.IntN(3) {
		switch w.r.IntN(10) {
		case 0, 1, 2, 3:
			ops = append(ops, op{Add: w.key(), N: 1 + w.r.IntN(9)})
		case 4:
			ops = append(ops, op{Add: "p/" + strconv.Itoa(w.r.IntN(4)), N: 1})
		case 5:
			ops = append(ops, op{Get: w.key()})
		case 6:
			ops = append(ops, op{Scan: "p/", Limit: w.r.IntN(3)})
		case 7:
			ops = append(ops, op{Del: w.key()})
		case 8:
			ops = append(ops, op{Who: true})
		default:
			ops = append(ops, op{Get: "k" + strconv.Itoa(w.r.IntN(6))})
		}
	}
	return ops
}

func (w *scriptWorkload) call(k *ecdsa.PrivateKey, to common.Address, ops []op, gas uint64) *tx.Tx {
	return w.callNonce(k, w.d.next(k), to, ops, gas)
}

func (w *scriptWorkload) callNonce(k *ecdsa.PrivateKey, nonce uint64, to common.Address, ops []op, gas uint64) *tx.Tx {
	args, err := json.Marshal(ops)
	if err != nil {
		w.tb.Fatal(err)
	}
	t, err := tx.SignCall(tx.Call{From: ledgertest.AddrOf(k), Nonce: nonce, Contract: to, Method: "ops", Args: args, GasLimit: gas}, ledgertest.ChainID, k)
	if err != nil {
		w.tb.Fatal(err)
	}
	return t
}

// deploy is a deploy of the (scripted) code by the admin: a barrier in
// the middle of a block.
func (w *scriptWorkload) deploy() *tx.Tx {
	return ledgertest.DeployTx(w.tb, w.admin, "ops", scriptCode, w.d.next(w.admin), block.DefaultBlockDeployGasLimit, true)
}

// scriptCode is the scripted engine's "code": never run, only hashed.
var scriptCode = []byte("ops contract")

// tx is one random transaction.
func (w *scriptWorkload) tx() *tx.Tx {
	k := w.senders[w.r.IntN(len(w.senders))]
	switch n := w.r.IntN(100); {
	case n < 50:
		return w.call(k, w.contract(), w.ops(), ledgertest.CallGas)
	case n < 65: // a cross-contract call, maybe failing, maybe re-entrant
		from, to := w.contract(), w.contract()
		inner := w.ops()
		switch w.r.IntN(4) {
		case 0:
			inner = append(inner, op{Fail: true})
		case 1:
			inner = append(inner, op{Call: &from, Ops: w.ops()}) // re-entrant: refused
		}
		ops := append(w.ops(), op{Call: &to, Ops: inner, Handle: w.r.IntN(2) == 0})
		return w.call(k, from, append(ops, w.ops()...), ledgertest.CallGas)
	case n < 72: // fails after reading and writing
		return w.call(k, w.contract(), append(w.ops(), op{Fail: true}), ledgertest.CallGas)
	case n < 79: // out of gas: too small a limit, or burning it all
		if w.r.IntN(2) == 0 {
			return w.call(k, w.contract(), append(w.ops(), w.ops()...), 2*opGas)
		}
		return w.call(k, w.contract(), append(w.ops(), op{Burn: true}), ledgertest.CallGas)
	case n < 82: // no contract there
		return w.call(k, common.Address{0xde, 0xad}, w.ops(), ledgertest.CallGas)
	case n < 85:
		return w.deploy()
	case n < 90: // a nonce already used (or one too far ahead): rejected
		n := w.d.next(k)
		w.d.nonces[ledgertest.AddrOf(k)] = n // not used up
		nonce := n + 1
		if n > 0 && w.r.IntN(2) == 0 {
			nonce = n - 1
		}
		return w.callNonce(k, nonce, w.contract(), w.ops(), ledgertest.CallGas)
	case n < 92:
		return nil // malformed: rejected
	default: // one contract's whole prefix, while others write it
		return w.call(k, w.contract(), []op{{Scan: "p/"}, {Add: "p/" + strconv.Itoa(w.r.IntN(4)), N: 2}}, ledgertest.CallGas)
	}
}

// TestParallelMatchesSerialScripted runs random blocks of scripted calls
// (conflicting keys, a hot key, prefix scans against writers of the
// prefix, cross-contract calls that fail, are handled or re-enter,
// failures after writes, out of gas, unknown contracts, deploys in the
// middle of a block, stale nonces, nil entries) on a serial ledger and on
// parallel ones: every block must be the same. The scripted engine is
// fast, so this runs under -race too, where it checks that speculation
// shares nothing it should not.
func TestParallelMatchesSerialScripted(t *testing.T) {
	t.Parallel()
	admin := ledgertest.MustKey(t, 1)
	w := &scriptWorkload{tb: t, r: rand.New(rand.NewPCG(13, 3)), admin: admin}
	var members []common.Address
	for i := range 6 {
		k := ledgertest.MustKey(t, byte(20+i))
		w.senders = append(w.senders, k)
		members = append(members, ledgertest.AddrOf(k))
	}
	g := ledgertest.Genesis(ledgertest.AddrOf(admin), "servicer", members...)
	g.Policy.RequireManifest = false // scripted code is not Wasm
	w.d = newDiffChains(t, g, opsEngine{}, 1, 2, 4)
	a := w.d.apply(w.deploy(), w.deploy(), w.deploy())
	for _, rc := range a.Receipts {
		if !rc.OK() {
			t.Fatalf("deploy: %+v", *rc)
		}
		w.contracts = append(w.contracts, rc.ContractAddress)
	}
	blocks := diffBlocks(t, 12)
	if raceEnabled {
		blocks = diffBlocks(t, 4) // ten times slower
	}
	for range blocks {
		txs := make([]*tx.Tx, 20+w.r.IntN(100))
		for i := range txs {
			txs[i] = w.tx()
		}
		w.d.apply(txs...)
	}
	w.d.check(t, status.OK, status.Error, status.OutOfGas, status.UnknownContract)
}
