package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/meshledger/meshledger/cmd/internal/node"
	"github.com/meshledger/meshledger/cmd/internal/node/nodetest"
)

// fillWithGaps admits, for each of keys fresh senders, nonces 1..63 and
// never 0: every transaction waits behind a nonce gap. 17 keys hold 1,071
// transactions, more than a block's BlockMaxTxs.
func fillWithGaps(t *testing.T, n *node.Node, keys int) {
	t.Helper()
	id := n.ChainID()
	for range keys {
		a := nodetest.NewAccount(t)
		a.Nonce = 1
		for range 63 {
			if _, err := n.Submit(emptyDeploy(t, a, id)); err != nil {
				t.Fatalf("submit nonce %d: %v", a.Nonce-1, err)
			}
		}
	}
	if got, want := n.Pool().Len(), keys*63; got != want {
		t.Fatalf("pool holds %d, want %d", got, want)
	}
}

// closeWithin fails the test unless close returns within d.
func closeWithin(t *testing.T, d time.Duration, close func() error) {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("close: %v", err)
		}
		t.Logf("closed in %v", time.Since(start))
	case <-time.After(d):
		t.Fatalf("close still running after %v", d)
	}
}

// A mempool full of transactions that cannot be included (all behind nonce
// gaps) leaves the producer waiting, not polling, and Close returns at
// once.
func TestGappedPoolLeavesProducerIdle(t *testing.T) {
	cfg := nodetest.Config(t.TempDir())
	cfg.NoHTTP = true
	n, err := node.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	fillWithGaps(t, n, 17)
	// Settle: the producer looks once after the last admission.
	time.Sleep(100 * time.Millisecond)
	before := node.ProduceAttempts(n)
	time.Sleep(time.Second)
	if polls := node.ProduceAttempts(n) - before; polls > 2 {
		t.Errorf("producer looked for ready transactions %d times in a quiet second", polls)
	}
	if h := n.Ledger().Latest().Header.Height; h != 0 {
		t.Errorf("height %d: a gapped transaction was included", h)
	}
	closeWithin(t, 2*time.Second, func() error { return n.Close(context.Background()) })
}

// Run (the CLI's node command, which SIGTERM cancels) returns promptly
// with a gapped mempool.
func TestRunStopsWithGappedPool(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan *node.Node, 1)
	cfg := nodetest.Config(t.TempDir())
	cfg.NoHTTP = true
	cfg.OnStart = func(n *node.Node) { started <- n }
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx, cfg) }()
	n := <-started
	fillWithGaps(t, n, 17)
	time.Sleep(100 * time.Millisecond)
	closeWithin(t, 2*time.Second, func() error { cancel(); return <-done })
}
