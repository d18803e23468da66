package node_test

import (
	"testing"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
)

// A node's Wasm memory budget reaches its runtime, and the metric reports
// what the runtime counts against it.
func TestWasmMemoryBudgetAndGauge(t *testing.T) {
	if raceEnabled {
		t.Skip("skipped under -race: Wasm compilation is too slow")
	}
	cfg := nodetest.Config(t.TempDir())
	cfg.WasmMemoryBudget = 1 << 20 // below one contract: the most recent one stays anyway
	n := nodetest.Start(t, cfg)
	if got := n.Runtime().Config().MemoryBudget(); got != 1<<20 {
		t.Fatalf("runtime budget = %d, want %d", got, 1<<20)
	}
	// Loaded as a deploy or a call would, without the transaction.
	if _, err := n.Runtime().Load(t.Context(), nodetest.LoanWasm(t)); err != nil {
		t.Fatal(err)
	}
	mfs, err := n.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := float64(n.Runtime().Stats().MemoryBytes)
	for _, mf := range mfs {
		if mf.GetName() == node.MetricWasmMemoryBytes {
			if got := mf.GetMetric()[0].GetGauge().GetValue(); got != want || got == 0 {
				t.Fatalf("%s = %v, want the runtime's %v (non-zero)", node.MetricWasmMemoryBytes, got, want)
			}
			return
		}
	}
	t.Fatalf("no %s metric", node.MetricWasmMemoryBytes)
}

// The default budget is the runtime's.
func TestWasmMemoryBudgetDefault(t *testing.T) {
	n := nodetest.Start(t, nodetest.Config(t.TempDir()))
	if got := n.Runtime().Config().MemoryBudget(); got != 2<<30 {
		t.Fatalf("default runtime budget = %d, want 2 GiB", got)
	}
}
