package bench

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
	"github.com/meshledger/meshledger/sdk/client"
)

// The draws of a loan book's payments are the seed's: the same seed pays
// the same loans, another worker or seed others, every loan of a share
// can be drawn and none outside it.
func TestDrawLoans(t *testing.T) {
	a, b := drawLoans(7, 0, 10, 5000), drawLoans(7, 0, 10, 5000)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed and worker drew different loans")
	}
	if slices.Equal(a, drawLoans(7, 1, 10, 5000)) || slices.Equal(a, drawLoans(8, 0, 10, 5000)) {
		t.Fatal("another worker or seed drew the same loans")
	}
	counts := make([]int, 10)
	for _, j := range a {
		if j < 0 || j >= 10 {
			t.Fatalf("drew loan %d of 10", j)
		}
		counts[j]++
	}
	// Uniform: 500 each expected; the seed is fixed, so this cannot flake.
	for j, n := range counts {
		if n < 400 || n > 600 {
			t.Fatalf("loan %d drawn %d times of 5000 (counts %v)", j, n, counts)
		}
	}
}

// A worker pays its loans in turn without draws, the drawn ones with; the
// read-back reads each paid loan once.
func TestWorkerPaidLoans(t *testing.T) {
	w := &worker{loans: []string{"a", "b", "c"}}
	if w.paid(4) != "b" || !slices.Equal(w.paidLoans(), w.loans) {
		t.Fatalf("without draws: paid(4) %q, paid loans %v", w.paid(4), w.paidLoans())
	}
	w.draws = []int{2, 0, 2, 2, 0}
	if w.paid(0) != "c" || w.paid(1) != "a" || !slices.Equal(w.paidLoans(), []string{"c", "a"}) {
		t.Fatalf("with draws: paid(0) %q, paid(1) %q, paid loans %v", w.paid(0), w.paid(1), w.paidLoans())
	}
}

// A run with --loans books the whole book, spreads it over the workers,
// pays loans drawn from it (more than one per worker) and verifies every
// payment; --stages splits the profiled CPU over every stage.
func TestLoanBookRun(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the loan contract to Wasm and runs a node")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var log strings.Builder
	res, err := Run(ctx, Config{
		Spawn: true, CompiledCacheDir: buildtest.CompiledCacheDir(), Wasm: nodetest.LoanWasm(t), Workers: 2, Loans: 30, Seed: 3, Count: 60, BatchSize: 8, Window: 16,
		BlockInterval: 10 * time.Millisecond, Duration: time.Minute, Stages: true, Log: &log,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if v := res.Verification; res.Committed != 60 || v == nil || v.Recorded != 60 || len(v.Mismatches) != 0 {
		t.Fatalf("committed %d, verification %+v; want 60 recorded", res.Committed, v)
	}
	if res.Loans != 30 || res.Seed != 3 || !strings.Contains(log.String(), "booked 30 loans") {
		t.Fatalf("result says %d loans, seed %d; log %q", res.Loans, res.Seed, log.String())
	}
	st := res.Stages
	if st == nil || st.Committed != 60 || st.Profiled <= 0 || len(st.Stages) != len(stageNames) {
		t.Fatalf("stages %+v", st)
	}
	var sum time.Duration
	for i, s := range st.Stages {
		if s.Name != stageNames[i] {
			t.Fatalf("stage %d is %q, want %q", i, s.Name, stageNames[i])
		}
		sum += s.CPU
	}
	if sum != st.Profiled {
		t.Fatalf("stages sum to %s of %s profiled", sum, st.Profiled)
	}
	var out strings.Builder
	res.Print(&out)
	if !strings.Contains(out.String(), "create (30 loans, seed 3)") || !strings.Contains(out.String(), StageCommit) {
		t.Fatalf("printed result lacks the book or the stages:\n%s", out.String())
	}
}

// A create the node refuses for a reason a resend cannot fix stops the
// booking with the refusal and the nonce; a node that is gone is an error
// too, not a wait forever.
func TestSendSignedRefusal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node")
	}
	n := nodetest.Start(t, node.Config{BlockInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A key that is no member: the node refuses its transactions.
	c, err := newClient(n.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := &worker{key: c.Key(), loans: []string{"x-0", "x-1"}}
	var loan [20]byte
	bodies, _, err := signCreates(w, loan, chainID, time.Now().Unix()+3600, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{BatchSize: 8, Window: 16}
	heights := watchHeight(ctx, c)
	err = sendSigned(ctx, c, heights, w.key.Address(), bodies, 0, cfg, func(int) {})
	if err == nil || !strings.Contains(err.Error(), "nonce 0") || !client.IsCode(err, "not_a_member") {
		t.Fatalf("sendSigned by a non-member: %v; want not_a_member at nonce 0", err)
	}
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sendSigned(ctx, c, heights, w.key.Address(), bodies, 0, cfg, func(int) {}); err == nil {
		t.Fatal("sendSigned to a closed node succeeded")
	}
}
