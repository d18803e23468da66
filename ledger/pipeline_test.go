package ledger

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
)

// gatedStore holds every block batch's Write until the test lets one
// through (release), so that a test decides exactly which block executes
// while which is being written. Its failpoints fail a Write once it is let
// through.
type gatedStore struct {
	*storage.Failpoints
	allow chan struct{}
}

func (s *gatedStore) NewBatch() ethdb.Batch { return &gatedBatch{Batch: s.Failpoints.NewBatch(), s: s} }
func (s *gatedStore) NewBatchWithSize(n int) ethdb.Batch {
	return &gatedBatch{Batch: s.Failpoints.NewBatchWithSize(n), s: s}
}

// release lets one held Write through.
func (s *gatedStore) release() { s.allow <- struct{}{} }

type gatedBatch struct {
	ethdb.Batch
	s *gatedStore
}

func (b *gatedBatch) Write() error {
	<-b.s.allow
	return b.Batch.Write()
}

// pipelineEnv is an env whose ledger writes through a gatedStore. The
// genesis is written before the gate is installed.
type pipelineEnv struct {
	*env
	gs   *gatedStore
	pipe *Pipeline

	mu      sync.Mutex
	durable []*Applied // what the pipeline reported durable, in order
}

func newPipelineEnv(t *testing.T) *pipelineEnv {
	t.Helper()
	e := newEnv(t)
	e.l.Close(context.Background())
	db, err := storage.Open(e.dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pe := &pipelineEnv{env: e, gs: &gatedStore{Failpoints: storage.WithFailpoints(db), allow: make(chan struct{})}}
	pe.l = e.open(Config{Store: pe.gs})
	t.Cleanup(func() {
		// A test that fails with a write held must not hang: let writes through.
		close(pe.gs.allow)
		_ = pe.pipe.Settle()
		pe.l.Close(context.Background())
		db.Close()
	})
	pe.pipe, err = pe.l.NewPipeline(e.proposer, func(a *Applied) {
		// Durable means written: the latest header is already this block.
		if got := pe.l.Latest().Hash(); got != a.Header.Hash() {
			t.Errorf("block %d reported durable, latest is %s", a.Header.Header.Height, got)
		}
		pe.mu.Lock()
		pe.durable = append(pe.durable, a)
		pe.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	return pe
}

func (pe *pipelineEnv) durableHeights() []uint64 {
	pe.mu.Lock()
	defer pe.mu.Unlock()
	var out []uint64
	for _, a := range pe.durable {
		out = append(out, a.Header.Header.Height)
	}
	return out
}

// pipelineScript is a sequence of proposals in which every block depends
// on the one before it: a call to a contract deployed in the previous
// block, payments over the previous block's writes, the next nonces of
// the previous block's senders, a deploy by the hash of code stored in the
// previous block, a transaction from a member the previous block added to
// the registry, and a transaction the previous block already included
// (rejected).
func pipelineScript(e *env, startMs int64) []Proposal {
	k7 := ledgertest.MustKey(e.tb, 7)
	nonces := map[*ecdsa.PrivateKey]uint64{}
	next := func(k *ecdsa.PrivateKey) uint64 { n := nonces[k]; nonces[k]++; return n }
	loan := tx.ContractAddress(ledgertest.AddrOf(e.owner), 0)
	second := tx.ContractAddress(ledgertest.AddrOf(e.owner), 4)
	pay := func(contract common.Address, amount int64) *tx.Tx {
		return e.callTx(e.servicer, next(e.servicer), contract, "pay", map[string]any{"id": "L1", "amount": amount})
	}
	var blocks [][]*tx.Tx
	add := func(txs ...*tx.Tx) { blocks = append(blocks, txs) }
	add(e.deployTx(e.owner, next(e.owner), true))
	add(e.callTx(e.owner, next(e.owner), loan, "create", e.createArgs("L1")))
	replayed := pay(loan, 1_000)
	add(replayed, pay(loan, 2_000))
	add(pay(loan, 3_000), e.deployTx(e.owner, next(e.owner), false), replayed)
	add(e.callTx(e.owner, next(e.owner), registry.Address, registry.MethodAddMember, map[string]any{"address": ledgertest.AddrOf(k7), "roles": []string{"servicer"}}), pay(loan, 4_000))
	add(e.callTx(k7, next(k7), loan, "get", map[string]any{"id": "L1"}), pay(loan, 5_000))
	add(e.deployTx(e.owner, next(e.owner), true))
	add(e.callTx(e.owner, next(e.owner), second, "create", e.createArgs("L1")), pay(loan, 6_000))
	add(pay(second, 7_000), pay(loan, 8_000))
	out := make([]Proposal, len(blocks))
	for i, txs := range blocks {
		out[i] = Proposal{TimeMs: startMs + int64(i+1)*ledgertest.BlockStepMs, Proposer: e.proposer.Address(), Txs: txs}
	}
	return out
}

// TestPipelineMatchesSequential applies the same proposals with ApplyBlock
// into one ledger and through a pipeline into another, each block executed
// while the one before it is still held before its write, and compares
// every header, receipt and the whole store.
func TestPipelineMatchesSequential(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	seq := newEnv(t)
	pe := newPipelineEnv(t)
	start := seq.l.Latest().Header.TimeMs
	script := pipelineScript(seq, start)

	for i, p := range script {
		a, err := seq.l.ApplyBlock(ctx, p, seq.proposer)
		if err != nil {
			t.Fatalf("sequential block %d: %v", i+1, err)
		}
		// The script is built so that nothing is rejected but the replay.
		if wantRejected := map[int]int{3: 1}[i]; len(a.Rejected) != wantRejected {
			t.Fatalf("sequential block %d: rejected %v", i+1, a.Rejected)
		}
		for j, rc := range a.Receipts {
			// The new member is admitted; the loan refuses it a read.
			if !rc.OK() && (i != 5 || j != 0) {
				t.Fatalf("sequential block %d: receipt %s %s", i+1, rc.Status, rc.Message)
			}
		}
	}

	durableBefore := pe.l.Latest().Header.Height
	for i, p := range script {
		h, err := pe.pipe.Execute(ctx, p)
		if err != nil {
			t.Fatalf("pipelined block %d: %v", i+1, err)
		}
		if i > 0 {
			// Block i+1 executed while block i was held before its write.
			if got := pe.l.Latest().Header.Height; got != durableBefore+uint64(i)-1 {
				t.Fatalf("block %d executed with latest %d: the block before it was already durable", i+1, got)
			}
			if height, _ := pe.pipe.Tip(); height != h.Height()-1 {
				t.Fatalf("tip %d while block %d executed", height, h.Height())
			}
			pe.gs.release()
		}
		if err := pe.pipe.Commit(h); err != nil {
			t.Fatalf("commit block %d: %v", i+1, err)
		}
	}
	pe.gs.release()
	if err := pe.pipe.Settle(); err != nil {
		t.Fatal(err)
	}

	want := seq.l.Latest().Header.Height
	if got := pe.l.Latest().Header.Height; got != want {
		t.Fatalf("pipelined chain at %d, sequential at %d", got, want)
	}
	if hs := pe.durableHeights(); len(hs) != len(script) || hs[0] != 1 || hs[len(hs)-1] != want {
		t.Fatalf("durable callbacks at %v", hs)
	}
	for h := uint64(1); h <= want; h++ {
		hs, _ := seq.l.Header(h)
		hp, err := pe.l.Header(h)
		if err != nil || hs.Hash() != hp.Hash() {
			t.Fatalf("header %d: pipelined %v (%v), sequential %s", h, hp, err, hs.Hash())
		}
		rs, _ := seq.l.Receipts(h)
		rp, _ := pe.l.Receipts(h)
		if len(rs) != len(rp) {
			t.Fatalf("block %d: %d receipts pipelined, %d sequential", h, len(rp), len(rs))
		}
		for i := range rs {
			es, _ := rs[i].Encode()
			ep, _ := rp[i].Encode()
			if !bytes.Equal(es, ep) {
				t.Fatalf("receipt %d/%d differs", h, i)
			}
		}
	}
	if !sameDump(dump(t, seq.l.kv), dump(t, pe.l.kv)) {
		t.Fatal("stores differ")
	}
}

// TestPipelineDiscardsBlockAfterFailedWrite fails block N's write while
// block N+1, executed on top of it, waits: N+1 is never written, the
// ledger is exactly as before N, nothing was reported durable, and the
// same pipeline then makes the blocks a ledger without the failure makes.
func TestPipelineDiscardsBlockAfterFailedWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pe := newPipelineEnv(t)
	ref := newEnv(t)
	script := pipelineScript(ref, ref.l.Latest().Header.TimeMs)
	for _, p := range script[:3] {
		if _, err := ref.l.ApplyBlock(ctx, p, ref.proposer); err != nil {
			t.Fatal(err)
		}
	}
	run := func(p Proposal) {
		h, err := pe.pipe.Execute(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		go pe.gs.release()
		if err := pe.pipe.Commit(h); err != nil {
			t.Fatal(err)
		}
	}
	run(script[0])
	if err := pe.pipe.Settle(); err != nil {
		t.Fatal(err)
	}
	before, prev := dump(t, pe.l.kv), pe.l.Latest()

	pe.gs.FailBatchWrite(0)
	n, err := pe.pipe.Execute(ctx, script[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := pe.pipe.Commit(n); err != nil {
		t.Fatal(err)
	}
	n1, err := pe.pipe.Execute(ctx, script[2]) // over block 2's effects
	if err != nil {
		t.Fatal(err)
	}
	pe.gs.release() // block 2's write goes through the gate and fails
	err = pe.pipe.Commit(n1)
	if !errors.Is(err, ErrPredecessorFailed) || !errors.Is(err, storage.ErrInjected) {
		t.Fatalf("commit after a failed write: %v, want ErrPredecessorFailed and the write's error", err)
	}
	pe.gs.Reset()
	if pe.l.Latest().Hash() != prev.Hash() || !sameDump(before, dump(t, pe.l.kv)) {
		t.Fatal("a failed write or the block after it changed the ledger")
	}
	if hs := pe.durableHeights(); len(hs) != 1 {
		t.Fatalf("durable reported for heights %v", hs)
	}
	if _, err := pe.l.Tx(script[2].Txs[0].Hash()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a transaction of the discarded block: %v", err)
	}
	// The writer lock was released: ApplyBlock works, and so does the
	// pipeline after it.
	if _, err := pe.l.NextNonce(ledgertest.AddrOf(pe.owner)); err != nil {
		t.Fatal(err)
	}
	go pe.gs.release()
	if _, err := pe.l.ApplyBlock(ctx, script[1], pe.proposer); err != nil {
		t.Fatal(err)
	}
	run(script[2])
	if err := pe.pipe.Settle(); err != nil {
		t.Fatal(err)
	}
	if got, want := pe.l.Latest().Hash(), ref.l.Latest().Hash(); got != want {
		t.Fatalf("after recovery latest %s, reference %s", got, want)
	}
}

// TestPipelineExecuteAfterFailedWrite: a failure already known when the
// next block is proposed is reported by Execute, which leaves the
// pipeline idle.
func TestPipelineExecuteAfterFailedWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pe := newPipelineEnv(t)
	script := pipelineScript(pe.env, pe.l.Latest().Header.TimeMs)
	pe.gs.FailBatchWrite(0)
	h, err := pe.pipe.Execute(ctx, script[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := pe.pipe.Commit(h); err != nil {
		t.Fatal(err)
	}
	pe.gs.release()
	<-pe.pipe.Committing()
	if _, err := pe.pipe.Execute(ctx, script[1]); !errors.Is(err, storage.ErrInjected) {
		t.Fatalf("execute after a failed write: %v", err)
	}
	if pe.pipe.Committing() != nil || pe.l.Latest().Header.Height != 0 {
		t.Fatal("pipeline not idle after the failure")
	}
	if err := pe.pipe.Settle(); err != nil {
		t.Fatalf("failure reported twice: %v", err)
	}
}

// TestPipelineRefusals covers the calls a pipeline refuses.
func TestPipelineRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pe := newPipelineEnv(t)
	script := pipelineScript(pe.env, pe.l.Latest().Header.TimeMs)

	other := script[0]
	other.Proposer = ledgertest.AddrOf(pe.owner)
	if _, err := pe.pipe.Execute(ctx, other); !errors.Is(err, ErrWrongProposer) {
		t.Fatalf("wrong proposer: %v", err)
	}
	// Nothing includable: no block, the rejections, the pipeline idle.
	empty := script[1] // calls a contract that does not exist yet, with nonce 1
	if _, err := pe.pipe.Execute(ctx, empty); !errors.Is(err, ErrEmptyBlock) {
		t.Fatalf("empty block: %v", err)
	}
	h, err := pe.pipe.Execute(ctx, script[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pe.pipe.Execute(ctx, script[1]); err == nil {
		t.Fatal("executed a second block before committing the first")
	}
	// That refusal settled the pipeline, discarding the executed block.
	if err := pe.pipe.Commit(h); err == nil {
		t.Fatal("committed a discarded block")
	}
	if pe.l.Latest().Header.Height != 0 {
		t.Fatal("a refused block was written")
	}
	bft := newBFTEnv(t)
	if _, err := bft.l.NewPipeline(bft.proposer, nil); !errors.Is(err, ErrWrongMode) {
		t.Fatalf("pipeline on a BFT chain: %v", err)
	}
}

// TestPipelineClose: Close waits for the pipeline's writer lock; the next
// Execute sees the ledger closed, settles (the block in flight is
// written) and lets Close finish.
func TestPipelineClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pe := newPipelineEnv(t)
	script := pipelineScript(pe.env, pe.l.Latest().Header.TimeMs)
	h, err := pe.pipe.Execute(ctx, script[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := pe.pipe.Commit(h); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- pe.l.Close(ctx) }()
	for !pe.l.closed.Load() {
		time.Sleep(time.Millisecond)
	}
	go pe.gs.release()
	if _, err := pe.pipe.Execute(ctx, script[1]); !errors.Is(err, ErrClosed) {
		t.Fatalf("execute on a closing ledger: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if hs := pe.durableHeights(); len(hs) != 1 || hs[0] != 1 {
		t.Fatalf("the block in flight at close: durable %v", hs)
	}
	if _, err := pe.pipe.Execute(ctx, script[1]); !errors.Is(err, ErrClosed) {
		t.Fatalf("execute on a closed ledger: %v", err)
	}
}
