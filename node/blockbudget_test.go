package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
)

// TestBlockTimeBudgetCutsBlocks: once a block has executed for the block
// time budget, the producer closes it and the remaining ready
// transactions go to the next block, whatever gas they name. With a
// budget shorter than any transaction, every block holds exactly one.
func TestBlockTimeBudgetCutsBlocks(t *testing.T) {
	for _, tc := range []struct {
		name      string
		budget    time.Duration
		wantFirst int
		wantCut   float64
	}{
		{"budget shorter than a transaction", time.Nanosecond, 1, 1},
		{"default budget", 0, 5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := nodetest.Config(t.TempDir())
			cfg.BlockTimeBudget = tc.budget
			n := nodetest.Open(t, cfg)
			acct := nodetest.NewMember(t, n, registry.RoleDeployer)
			cutBefore := counterValue(t, n.Registry(), node.MetricBlocksCutByTime, nil) // the addMember block's
			for range 5 {
				if _, err := n.Submit(emptyDeploy(t, acct, n.ChainID())); err != nil {
					t.Fatal(err)
				}
			}
			a, err := n.ProduceBlock(context.Background())
			if err != nil || a == nil {
				t.Fatalf("ProduceBlock = %v, %v", a, err)
			}
			if len(a.TxHashes) != tc.wantFirst || len(a.Rejected) != 0 {
				t.Fatalf("first block holds %d txs, rejects %d; want %d and 0", len(a.TxHashes), len(a.Rejected), tc.wantFirst)
			}
			if got := n.Pool().Len(); got != 5-tc.wantFirst {
				t.Fatalf("mempool holds %d after the first block, want %d left for later blocks", got, 5-tc.wantFirst)
			}
			if got := counterValue(t, n.Registry(), node.MetricBlocksCutByTime, nil) - cutBefore; got != tc.wantCut {
				t.Fatalf("%s = %v, want %v", node.MetricBlocksCutByTime, got, tc.wantCut)
			}
			for n.Pool().Len() > 0 {
				a, err := n.ProduceBlock(context.Background())
				if err != nil || a == nil || len(a.TxHashes) != 1 {
					t.Fatalf("later block = %+v, %v; want one transaction each", a, err)
				}
			}
			if next, err := n.PendingNonce(acct.Addr); err != nil || next != 5 {
				t.Fatalf("sender's next nonce %d, %v; want 5 (every transaction committed)", next, err)
			}
		})
	}
}
