package bench

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/client"
)

// TestRunAgainstNetwork drives a four-organisation CometBFT network
// through all its nodes. Without approver keys the loan contract's deploy
// stays a proposal and the run stops before the timed phase; with the
// other organisations' node keys it is approved, and every payment sent
// to any node commits and is recorded.
func TestRunAgainstNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a four-validator network")
	}
	// About 45 s on the 2-core machine; under -race the deploy, which
	// every validator compiles, alone outlasted three minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	nodes, dir, err := spawnTestnet(ctx, Config{Testnet: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		closeAll(context.Background(), nodes)
		_ = os.RemoveAll(dir)
	})
	var urls []string
	var approvers []*client.Key
	for i, n := range nodes {
		urls = append(urls, n.URL())
		if i > 0 {
			approvers = append(approvers, client.NewKey(n.Key()))
		}
	}
	cfg := Config{Nodes: urls, AdminKey: client.NewKey(nodes[0].Key()), Wasm: nodetest.LoanWasm(t),
		Workers: 4, BatchSize: 8, Window: 16, Count: 200, Duration: 20 * time.Second, DrainTimeout: 30 * time.Second}

	res, err := Run(ctx, cfg)
	if !errors.Is(err, ErrNotApproved) || res != nil {
		t.Fatalf("Run without approvers = %+v, %v; want %v", res, err, ErrNotApproved)
	}

	cfg.ApproverKeys = approvers
	res, err = Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v (result %+v)", err, res)
	}
	if res.Nodes != 4 || res.Sent != cfg.Count || res.Committed != cfg.Count || res.Stuck != 0 || res.Dropped != 0 {
		t.Fatalf("nodes %d sent %d committed %d stuck %d dropped %d; want 4 nodes and all %d committed",
			res.Nodes, res.Sent, res.Committed, res.Stuck, res.Dropped, cfg.Count)
	}
	if v := res.Verification; v == nil || v.Recorded != int64(cfg.Count) || len(v.Mismatches) != 0 {
		t.Fatalf("verification %+v; want all %d recorded", v, cfg.Count)
	}
	// Payments whose block the stream showed (the rest were found
	// committed by asking) are spread over all four nodes.
	for i, n := range res.PerNode {
		if n == 0 {
			t.Errorf("node %d: no payment sent to it was seen committed there (per node %v)", i+1, res.PerNode)
		}
	}
	if len(res.PerNode) != 4 {
		t.Errorf("per node %v, want four counts", res.PerNode)
	}
	if res.P50 <= 0 || res.P99 < res.P50 {
		t.Fatalf("latency p50 %s p99 %s", res.P50, res.P99)
	}
}
