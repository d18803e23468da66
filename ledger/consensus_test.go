package ledger

import (
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/tx"
)

// newBFTEnv is a test chain whose genesis names CometBFT as its consensus:
// blocks come from Finalize and CommitFinalized only.
func newBFTEnv(tb testing.TB) *env {
	tb.Helper()
	return newEnvWith(tb, func(g *block.Genesis) { g.Consensus = block.ConsensusCometBFT })
}

// finalize finalizes and commits consensus height h.
func (e *env) finalize(h uint64, p Proposal) (*Finalized, *Applied) {
	e.tb.Helper()
	f, err := e.l.Finalize(context.Background(), h, p)
	if err != nil {
		e.tb.Fatalf("finalize %d: %v", h, err)
	}
	a, err := e.l.CommitFinalized(f)
	if err != nil {
		e.tb.Fatalf("commit %d: %v", h, err)
	}
	clear(e.issued)
	return f, a
}

func TestFinalizeCommit(t *testing.T) {
	ctx := context.Background()
	e := newBFTEnv(t)
	genesisHash := e.l.Latest().Hash()
	if cs, err := e.l.ConsensusState(); err != nil || cs != (ConsensusState{AppHash: genesisHash}) {
		t.Fatalf("fresh consensus state %+v, %v; want height 0 and the genesis hash", cs, err)
	}
	if e.genesis.Hash() == ledgertest.Genesis(ledgertest.AddrOf(e.owner), "servicer", ledgertest.AddrOf(e.servicer), ledgertest.AddrOf(ledgertest.MustKey(t, 3))).Hash() {
		t.Fatal("a BFT genesis hashes like the same solo genesis")
	}
	proposer := common.HexToAddress("0x00000000000000000000000000000000000000aa")

	// Height 1: deploy. The header carries the consensus proposer and no
	// signature; nothing is stored before the commit.
	p := Proposal{TimeMs: e.l.Latest().Header.TimeMs + 1000, Proposer: proposer, Txs: []*tx.Tx{e.deployTx(e.owner, 0, true)}}
	f, err := e.l.Finalize(ctx, 1, p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Empty || f.AppHash != f.Header.Hash() || f.Header.Proposer != proposer || f.Header.Height != 1 {
		t.Fatalf("finalized %+v", f)
	}
	if e.l.Latest().Hash() != genesisHash {
		t.Fatal("finalize moved the tip before commit")
	}
	e.reopen() // a crash between finalize and commit: nothing was stored
	if cs, _ := e.l.ConsensusState(); e.l.Latest().Hash() != genesisHash || cs.Height != 0 {
		t.Fatalf("after reopen: tip %s, consensus %+v", e.l.Latest().Hash(), cs)
	}
	if _, err := e.l.CommitFinalized(f); !errors.Is(err, ErrTipMoved) {
		t.Fatalf("commit of a finalized block of another ledger instance: %v, want ErrTipMoved", err)
	}
	f, a := e.finalize(1, p)
	if a == nil || len(a.Receipts) != 1 || !a.Receipts[0].OK() || len(a.Header.Signature) != 0 {
		t.Fatalf("applied %+v", a)
	}
	e.loan = a.Receipts[0].ContractAddress
	if e.l.Latest().Hash() != f.AppHash {
		t.Fatal("tip is not the app hash")
	}

	// Height 2: the engine's empty block. Height 3: a block whose only
	// transaction is rejected (nonce reused). Neither makes a ledger block;
	// both keep the app hash and advance the consensus height.
	for _, c := range []struct {
		h   uint64
		txs []*tx.Tx
	}{{2, nil}, {3, []*tx.Tx{e.deployTx(e.owner, 0, true)}}} {
		f, a := e.finalize(c.h, Proposal{TimeMs: e.l.Latest().Header.TimeMs + 1000, Proposer: proposer, Txs: c.txs})
		if !f.Empty || a != nil || f.AppHash != e.l.Latest().Hash() || len(f.Rejected) != len(c.txs) {
			t.Fatalf("height %d: finalized %+v applied %v", c.h, f, a)
		}
		if cs, _ := e.l.ConsensusState(); cs.Height != c.h || cs.AppHash != f.AppHash {
			t.Fatalf("height %d: consensus state %+v", c.h, cs)
		}
	}
	if e.l.Latest().Header.Height != 1 {
		t.Fatalf("ledger height %d after two empty consensus heights", e.l.Latest().Header.Height)
	}

	// Height 4: the engine's time is not after the parent's millisecond:
	// the block takes parent+1 ms, on every node alike.
	parentTime := e.l.Latest().Header.TimeMs
	f, _ = e.finalize(4, Proposal{TimeMs: parentTime, Proposer: proposer, Txs: []*tx.Tx{e.callTx(e.owner, e.next(e.owner), e.loan, "create", e.createArgs("L1"))}})
	if f.Header.TimeMs != parentTime+1 {
		t.Fatalf("time %d, want %d", f.Header.TimeMs, parentTime+1)
	}
	for ledgerHeight, want := range map[uint64]uint64{1: 1, 2: 4} {
		if got, err := e.l.ConsensusHeightOf(ledgerHeight); err != nil || got != want {
			t.Fatalf("consensus height of block %d: %d, %v; want %d", ledgerHeight, got, err, want)
		}
	}
	if _, err := e.l.ConsensusHeightOf(0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("consensus height of genesis: %v, want ErrNotFound", err)
	}
	e.reopen()
	if cs, _ := e.l.ConsensusState(); cs.Height != 4 || cs.AppHash != e.l.Latest().Hash() || e.l.Latest().Header.Height != 2 {
		t.Fatalf("after reopen: consensus %+v, ledger height %d", cs, e.l.Latest().Header.Height)
	}
}

func TestBlockModeIsTheChains(t *testing.T) {
	ctx := context.Background()
	bft := newBFTEnv(t)
	if _, err := bft.l.ApplyBlock(ctx, bft.proposal(bft.deployTx(bft.owner, 0, true)), bft.proposer); !errors.Is(err, ErrWrongMode) {
		t.Fatalf("ApplyBlock on a BFT chain: %v, want ErrWrongMode", err)
	}
	solo := newEnv(t)
	if _, err := solo.l.Finalize(ctx, 1, solo.proposal(solo.deployTx(solo.owner, 0, true))); !errors.Is(err, ErrWrongMode) {
		t.Fatalf("Finalize on a solo chain: %v, want ErrWrongMode", err)
	}
}

// TestReplayBFTChain re-executes a BFT chain's blocks on a second ledger,
// as an auditor does: unsigned headers are accepted there, signed ones
// refused.
func TestReplayBFTChain(t *testing.T) {
	ctx := context.Background()
	src := newBFTEnv(t)
	proposer := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	txs := []*tx.Tx{src.deployTx(src.owner, 0, true)}
	_, a := src.finalize(1, Proposal{TimeMs: src.l.Latest().Header.TimeMs + 1000, Proposer: proposer, Txs: txs})
	dst := newBFTEnv(t)
	r, err := dst.l.Reexecute(ctx, a.Header, txs)
	if err != nil {
		t.Fatal(err)
	}
	signed := &block.SignedHeader{Header: a.Header.Header, Signature: make([]byte, 65)}
	if _, err := dst.l.CommitReexecution(r, signed); !errors.Is(err, ErrUnexpectedSignature) {
		t.Fatalf("signed header on a BFT chain: %v, want ErrUnexpectedSignature", err)
	}
	if _, err := dst.l.CommitReexecution(r, a.Header); err != nil {
		t.Fatal(err)
	}
	if dst.l.Latest().Hash() != src.l.Latest().Hash() {
		t.Fatal("replayed chain differs")
	}
}
