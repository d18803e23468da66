package ledger

import (
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/histlog"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
)

// checkLogRoots checks, against a reference tree built from the stored
// headers alone, that every header H commits the log of blocks 0..H-1 and
// that every inclusion and consistency proof the ledger serves verifies
// against the roots headers commit.
func checkLogRoots(t *testing.T, l *Ledger) {
	t.Helper()
	latest := l.Latest().Header.Height
	ref := testonly.New(rfc6962.DefaultHasher)
	roots := make([]common.Hash, latest+1)
	hashes := make([]common.Hash, latest+1)
	for h := uint64(0); h <= latest; h++ {
		sh, err := l.Header(h)
		if err != nil {
			t.Fatal(err)
		}
		want := common.BytesToHash(ref.Hash())
		if h == 0 {
			want = block.EmptyLogRoot
		}
		if sh.Header.LogRoot != want {
			t.Fatalf("header %d log root %s, want the root over blocks 0..%d %s", h, sh.Header.LogRoot, int64(h)-1, want)
		}
		roots[h], hashes[h] = sh.Header.LogRoot, sh.Hash()
		ref.AppendData(hashes[h][:])
	}
	for size := uint64(0); size <= latest; size++ {
		for h := uint64(0); h < size; h++ {
			p, err := l.LogInclusion(h, size)
			if err != nil {
				t.Fatal(err)
			}
			if p.Root != roots[size] || p.BlockHash != hashes[h] {
				t.Fatalf("inclusion of %d in %d: root %s block %s", h, size, p.Root, p.BlockHash)
			}
			if err := histlog.VerifyInclusion(h, size, hashes[h], p.Hashes, roots[size]); err != nil {
				t.Fatalf("inclusion of %d in %d: %v", h, size, err)
			}
		}
		for from := uint64(0); from <= size; from++ {
			p, err := l.LogConsistency(from, size)
			if err != nil {
				t.Fatal(err)
			}
			if p.FromRoot != roots[from] || p.ToRoot != roots[size] {
				t.Fatalf("consistency %d..%d: roots %s %s", from, size, p.FromRoot, p.ToRoot)
			}
			if err := histlog.VerifyConsistency(from, size, p.Hashes, roots[from], roots[size]); err != nil {
				t.Fatalf("consistency %d..%d: %v", from, size, err)
			}
		}
	}
}

func TestLogRootSolo(t *testing.T) {
	if histlog.EmptyRoot != block.EmptyLogRoot {
		t.Fatal("the genesis log root is not the empty log's")
	}
	e := newEnv(t)
	e.setup()
	for i := 0; i < 4; i++ {
		e.apply(e.pay(int64(i + 1)))
	}
	checkLogRoots(t, e.l)
	e.reopen()
	e.apply(e.pay(9))
	checkLogRoots(t, e.l)
}

// TestLogRootBFT: blocks from consensus commit the same log; an empty
// consensus height makes no block and no leaf.
func TestLogRootBFT(t *testing.T) {
	e := newBFTEnv(t)
	proposer := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	step := func(h uint64, txs ...*tx.Tx) {
		e.finalize(h, Proposal{TimeMs: e.l.Latest().Header.TimeMs + 1000, Proposer: proposer, Txs: txs})
	}
	step(1, e.deployTx(e.owner, 0, true))
	step(2) // empty: no block
	step(3, e.deployTx(e.owner, 1, true))
	step(4, e.deployTx(e.owner, 2, true))
	if got := e.l.Latest().Header.Height; got != 3 {
		t.Fatalf("latest height %d, want 3", got)
	}
	checkLogRoots(t, e.l)
}

func TestLogProofErrors(t *testing.T) {
	e := newEnv(t)
	e.setup() // latest height 2
	before := e.snap()
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"size past latest", func() error { _, err := e.l.LogInclusion(0, 3); return err }, ErrLogSizeUnavailable},
		{"height = size", func() error { _, err := e.l.LogInclusion(2, 2); return err }, ErrLogBadRange},
		{"height past size", func() error { _, err := e.l.LogInclusion(5, 1); return err }, ErrLogBadRange},
		{"empty log", func() error { _, err := e.l.LogInclusion(0, 0); return err }, ErrLogBadRange},
		{"to past latest", func() error { _, err := e.l.LogConsistency(1, 3); return err }, ErrLogSizeUnavailable},
		{"from past to", func() error { _, err := e.l.LogConsistency(2, 1); return err }, ErrLogBadRange},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			class := ErrBadRequest
			if tc.want == ErrLogSizeUnavailable {
				class = ErrNotFound
			}
			if !errors.Is(err, class) {
				t.Fatalf("%v is not %v", err, class)
			}
		})
	}
	e.sameAs(before)
}

// TestReplayRefusesWrongLogRoot: re-execution derives the log root from
// the replaying ledger's own log; a source header committing another log
// is refused and nothing is stored.
func TestReplayRefusesWrongLogRoot(t *testing.T) {
	ctx := context.Background()
	src := newEnv(t)
	src.setup()
	dst := src.open(Config{Dir: t.TempDir()})
	t.Cleanup(func() { dst.Close(ctx) })
	sb, err := src.l.sourceBlock(1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := dst.Reexecute(ctx, sb.Header, sb.Txs)
	if err != nil {
		t.Fatal(err)
	}
	if r.Header.LogRoot != sb.Header.Header.LogRoot {
		t.Fatalf("re-executed log root %s, source %s", r.Header.LogRoot, sb.Header.Header.LogRoot)
	}
	lying := sb.Header.Header
	lying.LogRoot[0] ^= 1
	signed, err := block.SignHeader(lying, src.proposer.SignHash)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.CommitReexecution(r, signed); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("commit under a header with another log root: %v, want ErrBadRequest", err)
	}
	if dst.Latest().Header.Height != 0 || dst.log.Size() != 1 {
		t.Fatalf("refused block moved the ledger: height %d, log %d", dst.Latest().Header.Height, dst.log.Size())
	}
	if _, err := dst.CommitReexecution(r, sb.Header); err != nil {
		t.Fatal(err)
	}
	if dst.Latest().Hash() != sb.Header.Hash() {
		t.Fatal("replayed block differs")
	}
}

// TestLogSurvivesFailedWrite: a block whose batch write fails leaves no
// log leaf (in memory or on disk); the next block takes its place and a
// reopened ledger agrees.
func TestLogSurvivesFailedWrite(t *testing.T) {
	e := newEnv(t)
	e.setup()
	ctx := context.Background()
	if err := e.l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(e.dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fp := storage.WithFailpoints(db)
	l := e.open(Config{Store: fp})
	e.l = l
	size := l.log.Size()
	fp.FailBatchWrite(0)
	if _, err := l.ApplyBlock(ctx, e.proposal(e.pay(1)), e.proposer); !errors.Is(err, storage.ErrInjected) {
		t.Fatalf("apply with a failing write: %v, want ErrInjected", err)
	}
	fp.Reset()
	clear(e.issued)
	if l.log.Size() != size {
		t.Fatalf("log size %d after a failed block, want %d", l.log.Size(), size)
	}
	if _, err := histlog.Open(fp, size+1); !errors.Is(err, histlog.ErrMissingNode) {
		t.Fatalf("a failed block's leaf reached the store: %v", err)
	}
	e.apply(e.pay(2))
	checkLogRoots(t, l)
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	e.l = e.open(Config{Dir: e.dir})
	checkLogRoots(t, e.l)
}

// TestLogProofsDuringCommits: proofs read while blocks commit always
// verify against the log root of the header of their size (run with
// -race): a reader never sees a log the tip does not cover.
func TestLogProofsDuringCommits(t *testing.T) {
	e := newEnv(t)
	e.setup()
	done := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		for {
			select {
			case <-done:
				return
			default:
			}
			size := e.l.Latest().Header.Height
			p, err := e.l.LogInclusion(size-1, size)
			if err != nil {
				errc <- err
				return
			}
			sh, err := e.l.Header(size)
			if err != nil {
				errc <- err
				return
			}
			if err := histlog.VerifyInclusion(size-1, size, p.BlockHash, p.Hashes, sh.Header.LogRoot); err != nil {
				errc <- err
				return
			}
		}
	}()
	for i := 0; i < 6; i++ {
		e.apply(e.pay(int64(i + 1)))
	}
	close(done)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
