package cometbft_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/abci/example/kvstore"

	"github.com/meshledger/meshledger/node/cometbft"
)

func TestMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("runs validators")
	}
	// CometBFT registers its metrics in the process-wide default registry;
	// a namespace of this run's own keeps -count=N from colliding with an
	// earlier run.
	ns := fmt.Sprintf("metricstest%d", time.Now().UnixNano())
	info, err := cometbft.Testnet(t.TempDir(), 2, cometbft.TestnetOptions{GenesisTime: genesisTime})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	quiet, err := cometbft.NewLogger(nil, "none")
	if err != nil {
		t.Fatal(err)
	}
	start := func(i int, namespace string) (*cometbft.Node, error) {
		n, err := cometbft.Start(ctx, info.Homes[i].Dir, kvstore.NewInMemoryApplication(),
			cometbft.StartOptions{Logger: quiet, MetricsNamespace: namespace})
		if err == nil {
			t.Cleanup(func() { _ = n.Stop() })
		}
		return n, err
	}

	first, err := start(0, ns)
	if err != nil {
		t.Fatalf("Start with metrics: %v", err)
	}
	// A second node in this process cannot register the same metrics: a
	// clear error, and nothing of it left running or locked.
	if _, err := start(1, ns); !errors.Is(err, cometbft.ErrMetricsInUse) {
		t.Fatalf("second Start with the same metrics: %v, want ErrMetricsInUse", err)
	}
	if _, err := start(1, ""); err != nil {
		t.Fatalf("Start of the same home without metrics after the refusal: %v", err)
	}

	// Most of CometBFT's series appear once first set: commit a block.
	res, err := first.BroadcastTxCommit(ctx, []byte("k=v"))
	if err != nil || res.Height == 0 {
		t.Fatalf("BroadcastTxCommit: %+v, %v", res, err)
	}
	families, err := first.MetricsGatherer().Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	names := map[string]bool{}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), ns+"_") {
			t.Errorf("family %s outside the namespace", f.GetName())
		}
		names[f.GetName()] = true
	}
	for _, want := range []string{"_consensus_height", "_mempool_size", "_p2p_peers"} {
		if !names[ns+want] {
			t.Errorf("no %s%s among %d families", ns, want, len(families))
		}
	}

}
