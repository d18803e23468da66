package ledger

import (
	"context"
	"errors"
	"testing"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
)

// TestCommitReexecutionRefusesWhatWasNotVerified: a re-executed block is
// stored only under the header execution derived, and only on the tip it
// was executed on; the executor's result is the same as ApplyBlock's.
func TestCommitReexecutionRefusesWhatWasNotVerified(t *testing.T) {
	t.Parallel()
	src := newEnv(t)
	src.setup()
	src.apply(src.pay(1), src.pay(2))
	ctx := context.Background()
	dst := src.open(Config{Dir: t.TempDir()})
	t.Cleanup(func() { dst.Close(ctx) })
	for h := uint64(1); h < src.l.Latest().Header.Height; h++ {
		sb, err := src.l.sourceBlock(h)
		if err != nil {
			t.Fatal(err)
		}
		r, err := dst.Reexecute(ctx, sb.Header, sb.Txs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dst.CommitReexecution(r, sb.Header); err != nil {
			t.Fatal(err)
		}
	}
	sb, err := src.l.sourceBlock(src.l.Latest().Header.Height)
	if err != nil {
		t.Fatal(err)
	}
	r, err := dst.Reexecute(ctx, sb.Header, sb.Txs)
	if err != nil {
		t.Fatal(err)
	}
	if r.Header != sb.Header.Header || len(r.Rejected) != 0 || len(r.Receipts) != len(sb.Receipts) {
		t.Fatalf("re-executed %+v, want %+v", r.Header, sb.Header.Header)
	}
	if root, err := TxRoot(sb.Txs); err != nil || root != sb.Header.Header.TxRoot {
		t.Fatalf("TxRoot %s %v, want %s", root, err, sb.Header.Header.TxRoot)
	}

	// Another header: refused, nothing stored.
	other := *sb.Header
	other.Header.StateRoot[0] ^= 1
	if _, err := dst.CommitReexecution(r, &other); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("commit under another header: %v", err)
	}
	// A bad signature: refused.
	forged := *sb.Header
	forged.Signature = append([]byte(nil), sb.Header.Signature...)
	forged.Signature[5] ^= 1
	if _, err := dst.CommitReexecution(r, &forged); err == nil {
		t.Fatal("commit with a forged signature")
	}
	if dst.Latest().Header.Height != sb.Header.Header.Height-1 {
		t.Fatal("a refused block was committed")
	}
	a, err := dst.CommitReexecution(r, sb.Header)
	if err != nil || a.Header.Hash() != src.l.Latest().Hash() {
		t.Fatalf("commit: %v", err)
	}
	// The same re-execution again: the tip moved.
	if _, err := dst.CommitReexecution(r, sb.Header); !errors.Is(err, ErrTipMoved) {
		t.Fatalf("second commit: %v", err)
	}
	// The same transactions on the new tip: their nonces are spent, so
	// they are rejected, and a block with rejections is refused.
	later := *sb.Header
	later.Header.TimeMs += ledgertest.BlockStepMs
	again, err := dst.Reexecute(ctx, &later, sb.Txs)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Rejected) != len(sb.Txs) {
		t.Fatalf("re-executed again: %d rejected, want %d", len(again.Rejected), len(sb.Txs))
	}
	// (Under the very header it derived, so only the rejections refuse it.)
	if _, err := dst.CommitReexecution(again, &block.SignedHeader{Header: again.Header}); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("commit with rejections: %v", err)
	}
	// A closed ledger does neither.
	if err := dst.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Reexecute(ctx, sb.Header, sb.Txs); !errors.Is(err, ErrClosed) {
		t.Fatalf("re-execute on a closed ledger: %v", err)
	}
	if _, err := dst.CommitReexecution(r, sb.Header); !errors.Is(err, ErrClosed) {
		t.Fatalf("commit on a closed ledger: %v", err)
	}
}
