package bench

import (
	"context"
	"testing"
	"time"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/client"
)

// The create scenario reads each worker's loan back after the run: every
// committed payment is on its loan's record.
func TestCreateScenarioVerifiesPayments(t *testing.T) {
	n := nodetest.Start(t, node.Config{BlockInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{NodeURL: n.URL(), AdminKey: client.NewKey(n.Key()), Wasm: nodetest.LoanWasm(t),
		Workers: 2, Count: 30, BatchSize: 8, BlockInterval: 10 * time.Millisecond, Duration: time.Minute})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	v := res.Verification
	if res.Scenario != ScenarioCreate || res.Committed != 30 || v == nil || v.Recorded != 30 || v.Paid != 30*paymentAmount ||
		v.Failed != 0 || len(v.Mismatches) != 0 || v.PoolLoans != 0 || v.GasPerPayment == 0 {
		t.Fatalf("scenario %s committed %d, verification %+v; want 30 recorded on the loans", res.Scenario, res.Committed, v)
	}
}
