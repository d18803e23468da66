package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
	"github.com/meshledger/meshledger/sdk/client"
)

// runPool runs the pool scenario against a real node with gas per payment.
func runPool(t *testing.T, gas uint64) (*Result, error) {
	t.Helper()
	if testing.Short() {
		t.Skip("compiles three contracts to Wasm and runs a node")
	}
	n := nodetest.Start(t, node.Config{BlockInterval: 10 * time.Millisecond})
	// Generous: under -race on a busy 2-core machine compiling the three
	// modules alone took over two minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	return Run(ctx, Config{
		NodeURL: n.URL(), AdminKey: client.NewKey(n.Key()), Scenario: ScenarioPool,
		Wasm: nodetest.LoanWasm(t), PoolWasm: buildtest.Wasm(t, "contracts/pool"), PortfolioWasm: buildtest.Wasm(t, "contracts/portfolio"),
		Workers: 2, Loans: 5, Count: 40, BatchSize: 8, GasLimit: gas, BlockInterval: 10 * time.Millisecond, Duration: time.Minute,
	})
}

// Every payment of the pool scenario is recorded by the pool's disclosure
// and the owner's portfolio, and the run says so.
func TestPoolScenarioRecordsEveryPayment(t *testing.T) {
	res, err := runPool(t, 0)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	v := res.Verification
	if res.Committed != 40 || v == nil || v.Recorded != 40 || v.Paid != 40*paymentAmount || v.Failed != 0 ||
		v.PoolLoans != 5 || v.PoolBalance != 5*poolPrincipal || v.PoolWACBps != poolRateBps || v.PortfolioRecorded != 40 || len(v.Mismatches) != 0 {
		t.Fatalf("committed %d, verification %+v; want 40 recorded by the pool and the portfolio over 5 loans", res.Committed, v)
	}
	// The cross-calls are what the scenario measures: a payment costs far
	// more gas than the create scenario's (about 350 thousand).
	if v.GasPerPayment < 1_000_000 {
		t.Fatalf("gas per payment %d: the payments did not cross-call", v.GasPerPayment)
	}
}

// Payments that commit with a failed receipt (here out of gas in the
// cross-calls) are not throughput: the run fails, counts them and shows
// their receipts.
func TestPoolScenarioFailsOnFailedPayments(t *testing.T) {
	res, err := runPool(t, 1_000_000)
	if !errors.Is(err, ErrVerify) {
		t.Fatalf("Run error %v, want ErrVerify", err)
	}
	v := res.Verification
	if res.Committed != 40 || v.Recorded != 0 || v.Failed != 40 || len(v.FailureSample) != failureSampleSize ||
		!strings.Contains(v.FailureSample[0], "out_of_gas") {
		t.Fatalf("committed %d, verification %+v; want 40 failed, out of gas", res.Committed, v)
	}
}
