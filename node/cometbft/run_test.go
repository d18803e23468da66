package cometbft_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/types"

	"github.com/meshledger/meshledger/node/cometbft"
)

// genesisTime is fixed and in the past: a genesis in the future would make
// Start wait for it.
var genesisTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// cluster is a network of validators in this process, each with its own
// in-memory kvstore application.
type cluster struct {
	t      testing.TB
	info   *cometbft.TestnetInfo
	nodes  []*cometbft.Node
	logger log.Logger
}

// startCluster lays out n validators in a temp dir with ports from the OS
// and starts them all; they are stopped when the test ends.
func startCluster(t testing.TB, n int, home cometbft.HomeOptions) *cluster {
	t.Helper()
	info, err := cometbft.Testnet(t.TempDir(), n, cometbft.TestnetOptions{
		ChainID: "cluster-test", GenesisTime: genesisTime, Home: home,
	})
	if err != nil {
		t.Fatalf("Testnet: %v", err)
	}
	c := &cluster{t: t, info: info, nodes: make([]*cometbft.Node, n)}
	w := &testWriter{t: t}
	// Registered first, so it runs after the nodes' Stop: a goroutine that
	// logs late must not reach a finished test.
	t.Cleanup(w.close)
	if c.logger, err = cometbft.NewLogger(w, "error"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range info.Homes {
		c.restart(ctx, i)
	}
	return c
}

// restart starts node i (again) with a new, empty kvstore application.
func (c *cluster) restart(ctx context.Context, i int) {
	c.t.Helper()
	h := c.info.Homes[i]
	node, err := cometbft.Start(ctx, h.Dir, kvstore.NewInMemoryApplication(), cometbft.StartOptions{Logger: c.logger})
	if err != nil {
		c.t.Fatalf("Start %s: %v", h.Moniker, err)
	}
	c.nodes[i] = node
	c.t.Cleanup(func() {
		if err := node.Stop(); err != nil {
			c.t.Errorf("Stop %s: %v", h.Moniker, err)
		}
	})
}

// testWriter sends CometBFT's error logs to the test's log, so that they
// show only for a failing test.
type testWriter struct {
	mu     sync.Mutex
	t      testing.TB
	closed bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Logf("cometbft: %s", bytes.TrimRight(p, "\n"))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}

// commit submits tx through node i and waits for its commit.
func (c *cluster) commit(ctx context.Context, i int, tx string) *cometbft.TxCommit {
	c.t.Helper()
	res, err := c.nodes[i].BroadcastTxCommit(ctx, []byte(tx))
	if err != nil {
		c.t.Fatalf("BroadcastTxCommit %q via %s: %v", tx, c.info.Homes[i].Moniker, err)
	}
	if res.CheckTx.Code != abci.CodeTypeOK || res.Result.Code != abci.CodeTypeOK {
		c.t.Fatalf("tx %q via %s: check code %d, result code %d", tx, c.info.Homes[i].Moniker, res.CheckTx.Code, res.Result.Code)
	}
	return res
}

// waitHeight waits until every node in live has committed height h.
func (c *cluster) waitHeight(ctx context.Context, h int64, live []int) {
	c.t.Helper()
	for _, i := range live {
		for c.nodes[i].Height() < h {
			select {
			case <-ctx.Done():
				c.t.Fatalf("%s stuck at height %d waiting for %d", c.info.Homes[i].Moniker, c.nodes[i].Height(), h)
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
}

// query reads key from node i's application, through its ABCI connection.
func (c *cluster) query(ctx context.Context, i int, key string) string {
	c.t.Helper()
	res, err := c.nodes[i].Comet().ProxyApp().Query().Query(ctx, &abci.RequestQuery{Data: []byte(key)})
	if err != nil {
		c.t.Fatalf("query %q on %s: %v", key, c.info.Homes[i].Moniker, err)
	}
	return string(res.Value)
}

// agree checks that the nodes in live hold the same header, hence the same
// app hash, at height h, and that the commit over it verifies against the
// validator set each node reports for h.
func (c *cluster) agree(h int64, live []int) {
	c.t.Helper()
	var first *types.SignedHeader
	for _, i := range live {
		lb, err := c.nodes[i].LightBlock(h)
		if err != nil {
			c.t.Fatalf("LightBlock(%d) on %s: %v", h, c.info.Homes[i].Moniker, err)
		}
		if err := lb.ValidateBasic(c.info.Genesis.ChainID); err != nil {
			c.t.Fatalf("light block %d on %s: %v", h, c.info.Homes[i].Moniker, err)
		}
		if err := lb.ValidatorSet.VerifyCommitLight(c.info.Genesis.ChainID, lb.Commit.BlockID, h, lb.Commit); err != nil {
			c.t.Fatalf("commit %d on %s does not verify: %v", h, c.info.Homes[i].Moniker, err)
		}
		if first == nil {
			first = lb.SignedHeader
			continue
		}
		if !bytes.Equal(first.Hash(), lb.Hash()) || !bytes.Equal(first.AppHash, lb.AppHash) {
			c.t.Fatalf("height %d: %s has header %X app hash %X, %s has %X app hash %X", h,
				c.info.Homes[live[0]].Moniker, first.Hash(), first.AppHash,
				c.info.Homes[i].Moniker, lb.Hash(), lb.AppHash)
		}
	}
}

func TestFourValidatorsAgreeSurviveOneStoppedAndCatchUp(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a four-validator network")
	}
	c := startCluster(t, 4, cometbft.HomeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	all := []int{0, 1, 2, 3}

	// Transactions through every node, each committed by the network.
	var last int64
	var latencies []time.Duration
	for k := range 12 {
		start := time.Now()
		res := c.commit(ctx, k%4, fmt.Sprintf("key%d=value%d", k, k))
		latencies = append(latencies, time.Since(start))
		last = max(last, res.Height)
	}
	// The app hash of block H is in header H+1, which CometBFT makes at
	// once after a block that changed it.
	c.waitHeight(ctx, last+1, all)
	c.agree(last+1, all)
	for _, i := range all {
		for k := range 12 {
			if got, want := c.query(ctx, i, fmt.Sprintf("key%d", k)), fmt.Sprintf("value%d", k); got != want {
				t.Fatalf("%s: key%d = %q, want %q", c.info.Homes[i].Moniker, k, got, want)
			}
		}
	}
	slices.Sort(latencies)
	t.Logf("broadcast→commit over 4 validators, sequential: min %v p50 %v max %v",
		latencies[0], latencies[len(latencies)/2], latencies[len(latencies)-1])

	// Stop one of four: the other three hold 30 of 40 power, more than two
	// thirds, and go on committing, through every proposer turn of the
	// stopped one.
	if err := c.nodes[3].Stop(); err != nil {
		t.Fatalf("Stop org4: %v", err)
	}
	if err := c.nodes[3].Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	stoppedAt := c.nodes[3].Height()
	live := []int{0, 1, 2}
	for k := 12; k < 20; k++ {
		res := c.commit(ctx, k%3, fmt.Sprintf("key%d=value%d", k, k))
		last = max(last, res.Height)
	}
	c.waitHeight(ctx, last+1, live)
	c.agree(last+1, live)
	if last+1 <= stoppedAt+4 {
		t.Fatalf("three validators reached only %d after the fourth stopped at %d", last+1, stoppedAt)
	}
	if got := c.nodes[3].Height(); got != stoppedAt {
		t.Fatalf("stopped node moved from %d to %d", stoppedAt, got)
	}

	// Restarted in this process with an empty application, the fourth node
	// replays its own blocks into it, syncs the rest from its peers and
	// agrees again; then it takes transactions.
	c.restart(ctx, 3)
	c.waitHeight(ctx, last+1, all)
	c.agree(last+1, all)
	res := c.commit(ctx, 3, "after=restart")
	c.waitHeight(ctx, res.Height+1, all)
	c.agree(res.Height+1, all)
	for _, k := range []int{0, 19} {
		if got, want := c.query(ctx, 3, fmt.Sprintf("key%d", k)), fmt.Sprintf("value%d", k); got != want {
			t.Fatalf("restarted org4: key%d = %q, want %q", k, got, want)
		}
	}
}

func TestNodeReads(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a validator")
	}
	c := startCluster(t, 1, cometbft.HomeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := c.nodes[0]

	st, err := n.Status()
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if st.Height != 0 || st.ChainID != "cluster-test" || st.Validators.Size() != 1 || st.NodeID != c.info.Homes[0].NodeID || st.Moniker != "org1" {
		t.Fatalf("status before the first block: %+v", st)
	}
	if !st.BlockTime.Equal(genesisTime) {
		t.Fatalf("block time before the first block %v, want genesis %v", st.BlockTime, genesisTime)
	}
	if _, err := n.SignedHeader(1); !errors.Is(err, cometbft.ErrNoBlock) {
		t.Fatalf("SignedHeader(1) before any block: %v, want ErrNoBlock", err)
	}

	res := c.commit(ctx, 0, "a=1")
	c.waitHeight(ctx, res.Height+1, []int{0})

	for _, h := range []int64{0, -1, n.Height() + 1} {
		if _, err := n.SignedHeader(h); !errors.Is(err, cometbft.ErrNoBlock) {
			t.Errorf("SignedHeader(%d): %v, want ErrNoBlock", h, err)
		}
		if _, err := n.LightBlock(h); !errors.Is(err, cometbft.ErrNoBlock) {
			t.Errorf("LightBlock(%d): %v, want ErrNoBlock", h, err)
		}
	}
	if _, err := n.Validators(n.Height() + 100); !errors.Is(err, cometbft.ErrNoBlock) {
		t.Errorf("Validators far ahead: %v, want ErrNoBlock", err)
	}

	// The first block's time is the genesis time, so the ledger's first
	// block follows its genesis.
	sh, err := n.SignedHeader(1)
	if err != nil {
		t.Fatalf("SignedHeader(1): %v", err)
	}
	if !sh.Time.Equal(genesisTime) {
		t.Errorf("block 1 time %v, want genesis time %v", sh.Time, genesisTime)
	}
	// Status's app hash is the state after the latest block, which the
	// next header carries.
	st, err = n.Status()
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	sh, err = n.SignedHeader(res.Height + 1)
	if err != nil {
		t.Fatal(err)
	}
	if st.Peers != 0 || st.CatchingUp {
		t.Errorf("a lone validator: %d peers, catching up %v", st.Peers, st.CatchingUp)
	}
	if !bytes.Equal(st.AppHash, sh.AppHash) {
		t.Errorf("status app hash %X, header %d app hash %X", st.AppHash, res.Height+1, sh.AppHash)
	}

	// A refused tx is a result, not an error, and waits for no block.
	refused, err := n.BroadcastTxCommit(ctx, []byte("no-separator"))
	if err != nil {
		t.Fatalf("BroadcastTxCommit of a malformed tx: %v", err)
	}
	if refused.CheckTx.Code == abci.CodeTypeOK || refused.Height != 0 {
		t.Fatalf("malformed tx: %+v", refused)
	}
	// A tx seen before is the mempool's error.
	if _, err := n.CheckTx(ctx, []byte("a=1")); err == nil {
		t.Errorf("CheckTx of a tx in the cache: no error")
	}
	// A cancelled wait returns the context's error.
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if _, err := n.BroadcastTxCommit(cctx, []byte("b=2")); !errors.Is(err, context.Canceled) {
		t.Errorf("BroadcastTxCommit with a cancelled context: %v", err)
	}
	if n.MetricsGatherer() != nil {
		t.Errorf("metrics gatherer without a namespace")
	}
}

// With a lock per ABCI connection the node still commits (kvstore is
// safe here only because this test sends one transaction at a time).
func TestConcurrentConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a validator")
	}
	info, err := cometbft.Testnet(t.TempDir(), 1, cometbft.TestnetOptions{GenesisTime: genesisTime})
	if err != nil {
		t.Fatal(err)
	}
	quiet, err := cometbft.NewLogger(nil, "none")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := cometbft.Start(ctx, info.Homes[0].Dir, kvstore.NewInMemoryApplication(),
		cometbft.StartOptions{Logger: quiet, ConcurrentConnections: true})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer func() {
		if err := n.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	}()
	res, err := n.BroadcastTxCommit(ctx, []byte("a=b"))
	if err != nil || res.Height == 0 || res.Result.Code != abci.CodeTypeOK {
		t.Fatalf("BroadcastTxCommit: %+v, %v", res, err)
	}
}
