package node_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// TestLatencyMetricsCountCommittedTxs checks the producer's latency
// histograms: one queue and one commit sample per committed transaction,
// one execute and one commit-stage sample per pipelined block, all
// recorded before the block is acknowledged, and a transaction's time to
// durable never shorter than its wait for the block.
func TestLatencyMetricsCountCommittedTxs(t *testing.T) {
	const txs = 6
	cfg := nodetest.Config(t.TempDir())
	cfg.BlockInterval = time.Millisecond
	n := nodetest.Start(t, cfg)
	a := nodetest.NewMembers(t, n, 1, registry.RoleDeployer)[0]
	reg := n.Registry()
	names := []string{node.MetricTxQueueSeconds, node.MetricTxCommitSeconds, node.MetricBlockExecuteSeconds, node.MetricBlockCommitSeconds, node.MetricBlockApplySeconds}
	before := map[string]histogramSample{}
	for _, name := range names {
		before[name] = histogramValue(t, reg, name)
	}
	height := n.Ledger().Latest().Header.Height

	for i := range txs {
		path := api.PathTxs
		if i == txs-1 {
			path += "?wait=true&timeout=30s"
		}
		if r := n.Do(http.MethodPost, path, emptyDeploy(t, a, n.ChainID())); r.Status != http.StatusAccepted && r.Status != http.StatusOK {
			t.Fatalf("tx %d: %d %s", i, r.Status, r.Body)
		}
	}
	// The last transaction's nonce is the sender's highest: once it is
	// acknowledged every block holding the others is durable, and so
	// observed.
	blocks := n.Ledger().Latest().Header.Height - height
	delta := map[string]histogramSample{}
	for _, name := range names {
		after := histogramValue(t, reg, name)
		delta[name] = histogramSample{count: after.count - before[name].count, sum: after.sum - before[name].sum}
	}
	for _, name := range []string{node.MetricTxQueueSeconds, node.MetricTxCommitSeconds} {
		if delta[name].count != txs {
			t.Errorf("%s: %d samples for %d committed transactions", name, delta[name].count, txs)
		}
	}
	for _, name := range []string{node.MetricBlockExecuteSeconds, node.MetricBlockCommitSeconds, node.MetricBlockApplySeconds} {
		if delta[name].count != blocks {
			t.Errorf("%s: %d samples for %d blocks", name, delta[name].count, blocks)
		}
	}
	if q, c := delta[node.MetricTxQueueSeconds].sum, delta[node.MetricTxCommitSeconds].sum; c <= 0 || c < q {
		t.Errorf("time to durable %.6fs, time waiting for a block %.6fs: want the first positive and not below the second", c, q)
	}
}

type histogramSample struct {
	count uint64
	sum   float64
}

func histogramValue(t *testing.T, reg *prometheus.Registry, name string) histogramSample {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			h := mf.GetMetric()[0].GetHistogram()
			return histogramSample{count: h.GetSampleCount(), sum: h.GetSampleSum()}
		}
	}
	t.Fatalf("no metric %s", name)
	return histogramSample{}
}
