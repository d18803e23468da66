package ledger

import (
	"context"
	"testing"

	"github.com/meshledger/meshledger/ledger/tx"
)

// TestCutoffLeavesTheRestForLaterBlocks: a producer's Cutoff closes the
// block after the transaction it answers true for; the transactions after
// it are neither included nor rejected, and a later block takes them as
// if they had been proposed there first.
func TestCutoffLeavesTheRestForLaterBlocks(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cutAfter  int // Cutoff answers true once this many are included (0: never)
		wantFirst int // transactions in the first block
	}{
		{"never", 0, 5},
		{"after one", 1, 1},
		{"after three", 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.setup()
			txs := make([]*tx.Tx, 5)
			for i := range txs {
				txs[i] = e.pay(100)
			}
			asked := 0
			p := e.proposal(txs...)
			if tc.cutAfter > 0 {
				p.Cutoff = func() bool {
					asked++
					return asked >= tc.cutAfter
				}
			}
			a, err := e.l.ApplyBlock(context.Background(), p, e.proposer)
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			if len(a.TxHashes) != tc.wantFirst || len(a.Rejected) != 0 {
				t.Fatalf("first block holds %d txs and rejects %d, want %d and 0", len(a.TxHashes), len(a.Rejected), tc.wantFirst)
			}
			for i, h := range a.TxHashes {
				if h != txs[i].Hash() {
					t.Fatalf("tx %d of the block is %s, want the proposal's %s", i, h, txs[i].Hash())
				}
			}
			if tc.cutAfter > 0 && asked != tc.cutAfter {
				t.Fatalf("Cutoff asked %d times, want once per included tx up to the cut (%d)", asked, tc.cutAfter)
			}
			// The rest commit in the next block, in order, all paid.
			rest := txs[tc.wantFirst:]
			if len(rest) > 0 {
				a2 := e.apply(rest...)
				if len(a2.TxHashes) != len(rest) || len(a2.Rejected) != 0 {
					t.Fatalf("second block holds %d and rejects %d, want %d and 0", len(a2.TxHashes), len(a2.Rejected), len(rest))
				}
				for _, r := range a2.Receipts {
					if !r.OK() {
						t.Fatalf("left-out payment failed in the next block: %+v", *r)
					}
				}
			}
			if n := e.nonce(e.servicer); n != 5 {
				t.Fatalf("servicer nonce %d after both blocks, want 5", n)
			}
		})
	}
}
