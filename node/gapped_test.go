package node_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/mempool"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// fillWithGaps admits, for each of the senders (members from genesis,
// nodetest.DevMembers), nonces 1..63 and never 0: every transaction waits
// behind a nonce gap. 17 senders hold 1,071 transactions, more than a
// block's BlockMaxTxs.
func fillWithGaps(t *testing.T, n *node.Node, senders []*nodetest.Account) {
	t.Helper()
	id := n.ChainID()
	for _, a := range senders {
		a.Nonce = 1
		for range 63 {
			if _, err := n.Submit(emptyDeploy(t, a, id)); err != nil {
				t.Fatalf("submit nonce %d: %v", a.Nonce-1, err)
			}
		}
	}
	if got, want := n.Pool().Len(), len(senders)*63; got != want {
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
	senders := nodetest.DevMembers(t, cfg.DataDir, 17)
	cfg.NoHTTP = true
	n, err := node.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	fillWithGaps(t, n, senders)
	// Settle: the producer looks once after the last admission.
	time.Sleep(100 * time.Millisecond)
	looks := func() float64 { return counterValue(t, n.Registry(), node.MetricProducerLooks, nil) }
	before := looks()
	time.Sleep(time.Second)
	if polls := looks() - before; polls > 2 {
		t.Errorf("producer looked for ready transactions %.0f times in a quiet second", polls)
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
	senders := nodetest.DevMembers(t, cfg.DataDir, 17)
	cfg.NoHTTP = true
	cfg.OnStart = func(n *node.Node) { started <- n }
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx, cfg) }()
	n := <-started
	fillWithGaps(t, n, senders)
	time.Sleep(100 * time.Millisecond)
	closeWithin(t, 2*time.Second, func() error { cancel(); return <-done })
}

// Once Mempool.MaxGapped transactions wait behind nonce gaps, another one
// is refused with 503 mempool_full and Retry-After, changing nothing,
// while a transaction that closes its sender's gap is still admitted.
func TestGappedShareIsBounded(t *testing.T) {
	cfg := nodetest.Config(t.TempDir())
	senders := nodetest.DevMembers(t, cfg.DataDir, 2)
	cfg.Mempool = mempool.Config{MaxGapped: 3}
	cfg.BlockInterval = time.Hour
	n := nodetest.Start(t, cfg)
	id := n.ChainID()
	a := senders[0]
	a.Nonce = 1
	for range 3 {
		if r := n.HTTP(http.MethodPost, api.PathTxs, emptyDeploy(t, a, id)); r.Status != http.StatusAccepted {
			t.Fatalf("gapped tx: %d %s", r.Status, r.Body)
		}
	}
	b := senders[1]
	b.Nonce = 2
	r := n.HTTP(http.MethodPost, api.PathTxs, emptyDeploy(t, b, id))
	var body api.ErrorResponse
	r.JSON(t, &body)
	if r.Status != http.StatusServiceUnavailable || body.Error.Code != api.CodeMempoolFull || r.Header.Get("Retry-After") == "" ||
		!strings.Contains(body.Error.Message, "send nonce 0 first") {
		t.Fatalf("fourth gapped tx: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	if got := n.Pool().Len(); got != 3 {
		t.Fatalf("refusal changed the pool: %d pending", got)
	}
	a.Nonce = 0
	if r := n.HTTP(http.MethodPost, api.PathTxs, emptyDeploy(t, a, id)); r.Status != http.StatusAccepted {
		t.Fatalf("gap-closing tx: %d %s", r.Status, r.Body)
	}
	if got := n.Pool().Gapped(); got != 0 {
		t.Fatalf("%d still gapped after the gap closed", got)
	}
}

// A client connection that has sent nothing yet does not hold up Close:
// net/http would wait 5 s for it.
func TestCloseDoesNotWaitForSilentConnections(t *testing.T) {
	n := nodetest.Start(t, nodetest.Config(t.TempDir()))
	conn, err := net.Dial("tcp", n.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Let the server accept it.
	if r := n.HTTP(http.MethodGet, "/healthz", nil); r.Status != http.StatusOK {
		t.Fatalf("healthz: %d", r.Status)
	}
	closeWithin(t, 2*time.Second, func() error { return n.Close(context.Background()) })
}
