package node_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/cometbft"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/client/bft"
)

// rogue is a validator run without the node around it: its own ledger
// and CometBFT over the real application, wrapped to misbehave.
type rogue struct {
	l     *ledger.Ledger
	comet *cometbft.Node
	logs  *lockedBuffer // CometBFT's error log
}

// startBFTNetWithRogue starts a testnet of orgs whose last organisation
// runs wrap(its real application) instead of a node: the others are
// honest nodes (b.nodes[last] stays nil), whose logs, CometBFT's errors
// included, are returned.
func startBFTNetWithRogue(t *testing.T, orgs int, wrap func(*cometbft.App) abci.Application) (*bftNet, *rogue, []*lockedBuffer) {
	t.Helper()
	tn, err := node.WriteTestnet(t.TempDir(), node.TestnetOptions{Orgs: orgs})
	if err != nil {
		t.Fatal(err)
	}
	b := &bftNet{t: t, tn: tn, nodes: make([]*nodetest.Node, orgs), nonces: make([]uint64, orgs)}
	honestLogs := make([]*lockedBuffer, orgs-1)
	for i := range orgs - 1 {
		cfg := tn.Config(i)
		cfg.Listen = ""
		honestLogs[i] = &lockedBuffer{}
		cfg.Logger = slog.New(slog.NewTextHandler(honestLogs[i], nil))
		b.nodes[i] = nodetest.Start(t, cfg)
	}
	org := tn.Orgs[orgs-1]
	g, err := block.LoadGenesis(filepath.Join(org.DataDir, node.GenesisFile))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l, err := ledger.Open(ctx, ledger.Config{Dir: filepath.Join(org.DataDir, node.ChainDir), Genesis: g})
	if err != nil {
		t.Fatal(err)
	}
	app, err := cometbft.NewApp(l, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &rogue{l: l, logs: &lockedBuffer{}}
	logger, err := cometbft.NewLogger(r.logs, "error")
	if err != nil {
		t.Fatal(err)
	}
	r.comet, err = cometbft.Start(ctx, org.DataDir, wrap(app), cometbft.StartOptions{Logger: logger, ConcurrentConnections: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.comet.Stop(); err != nil {
			t.Errorf("stop the rogue validator: %v", err)
		}
		if err := l.Close(context.Background()); err != nil {
			t.Errorf("close the rogue validator's ledger: %v", err)
		}
	})
	return b, r, honestLogs
}

// lockedBuffer is a log sink CometBFT's goroutines may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitFor polls cond until it holds, failing the test after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// garbageProposer proposes, whenever it is its turn, its mempool's
// transactions and one that is not a meshledger transaction, and accepts
// every proposal, its own included.
type garbageProposer struct {
	*cometbft.App
	proposed atomic.Int64
}

var garbageTx = []byte("not a meshledger transaction")

func (g *garbageProposer) PrepareProposal(ctx context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	res, err := g.App.PrepareProposal(ctx, req)
	if err != nil {
		return nil, err
	}
	g.proposed.Add(1)
	res.Txs = append(res.Txs, garbageTx)
	return res, nil
}

func (g *garbageProposer) ProcessProposal(context.Context, *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

// A validator that proposes a malformed transaction is outvoted: the
// honest validators' ProcessProposal rejects its block, they prevote nil,
// and the height is decided in a later round on an honest proposal. The
// chain goes on, no committed block holds the transaction, and every
// ledger — the proposer's too, whose execution is honest — agrees.
func TestBFTNetworkOutvotesInvalidProposal(t *testing.T) {
	skipBFT(t)
	g := &garbageProposer{}
	b, r, honestLogs := startBFTNetWithRogue(t, 4, func(app *cometbft.App) abci.Application { g.App = app; return g })

	// Transactions through the honest nodes until the rogue has had its
	// turn to propose three times.
	deadline := time.Now().Add(60 * time.Second)
	for k := 0; g.proposed.Load() < 3; k++ {
		if time.Now().After(deadline) {
			t.Fatalf("the rogue validator proposed %d times in a minute", g.proposed.Load())
		}
		b.commit(k%3, b.touch(k%3))
	}
	tip := b.nodes[0].Ledger().Latest()
	b.commit(1, b.touch(1)) // decided after the rogue's last proposal
	b.agree()
	waitFor(t, 30*time.Second, "the rogue's ledger reaches the network's tip", func() bool {
		return r.l.Latest().Header.Height >= tip.Header.Height+1
	})
	sameHistory(t, append(b.ledgers(), r.l)...)

	// No block of the chain holds the transaction, and some heights were
	// decided after round 0: the rounds the rogue proposed in failed.
	store := r.comet.Comet().BlockStore()
	laterRounds := 0
	for h := int64(1); h <= store.Height(); h++ {
		blk := store.LoadBlock(h)
		if blk == nil {
			t.Fatalf("no block %d in the rogue's store", h)
		}
		for _, raw := range blk.Txs {
			if bytes.Equal(raw, garbageTx) {
				t.Fatalf("block %d holds the malformed transaction", h)
			}
		}
		if blk.LastCommit != nil && blk.LastCommit.Round > 0 {
			laterRounds++
		}
	}
	// Each honest validator saw a proposal its application rejected (its
	// CometBFT logs it and counts it in
	// consensus_proposal_receive_count{status="rejected"}).
	for i, logs := range honestLogs {
		if !strings.Contains(logs.String(), "state machine rejected a proposed block") {
			t.Errorf("org%d's log does not show a rejected proposal", i+1)
		}
	}
	if laterRounds == 0 {
		t.Fatalf("every one of %d heights was decided in round 0, though the rogue proposed %d times", store.Height(), g.proposed.Load())
	}
	t.Logf("rogue proposals %d, heights decided after round 0: %d of %d", g.proposed.Load(), laterRounds, store.Height())
}

// wrongAppHash answers, once armed, an app hash that is not its state's
// (the true one with its first byte flipped); its ledger still commits the
// true state.
type wrongAppHash struct {
	*cometbft.App
	armed atomic.Bool

	mu              sync.Mutex
	height          int64 // the first height answered wrongly
	trueHash, wrong []byte
}

func (w *wrongAppHash) FinalizeBlock(ctx context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	res, err := w.App.FinalizeBlock(ctx, req)
	if err != nil || !w.armed.Load() {
		return res, err
	}
	wrong := bytes.Clone(res.AppHash)
	wrong[0] ^= 0xff
	w.mu.Lock()
	if w.height == 0 {
		w.height, w.trueHash, w.wrong = req.Height, res.AppHash, wrong
	}
	w.mu.Unlock()
	res.AppHash = wrong
	return res, nil
}

// A validator whose FinalizeBlock answers a wrong app hash is outvoted
// and detected. It cannot put its hash into the chain: the next block's
// header carries the app hash of the validators holding more than two
// thirds of the power, and it proposes with its own, which the others
// refuse. It detects its own divergence — CometBFT finds the committed
// block's app hash is not its state's and halts its consensus ("CONSENSUS
// FAILURE") — while the honest validators go on committing and agreeing.
// Every block and ledger header the rogue holds is the network's.
func TestBFTNetworkDetectsWrongAppHash(t *testing.T) {
	skipBFT(t)
	w := &wrongAppHash{}
	b, r, _ := startBFTNetWithRogue(t, 4, func(app *cometbft.App) abci.Application { w.App = app; return w })
	b.commit(0, b.touch(0))
	tip := b.agree()
	waitFor(t, 30*time.Second, "the rogue's ledger reaches the network's tip", func() bool { return r.l.Latest().Hash() == tip })

	w.armed.Store(true)
	for k := range 3 {
		b.commit(k%3, b.touch(k%3))
	}
	waitFor(t, 30*time.Second, "the rogue halts on the app hash mismatch", func() bool {
		logs := r.logs.String()
		return strings.Contains(logs, "CONSENSUS FAILURE") && strings.Contains(logs, "wrong Block.Header.AppHash")
	})
	halted := r.comet.Height()

	// The honest three go on without it and agree.
	for k := range 3 {
		b.commit(k%3, b.touch(k%3))
	}
	b.agree()
	if got := r.comet.Height(); got != halted {
		t.Fatalf("the rogue committed height %d after halting at %d", got, halted)
	}
	w.mu.Lock()
	bad, trueHash, wrong := w.height, w.trueHash, w.wrong
	w.mu.Unlock()
	if bad == 0 || halted > bad+1 {
		t.Fatalf("first wrong answer at height %d, rogue halted at %d", bad, halted)
	}

	// The header after the wrong answer carries the honest app hash.
	c, err := client.New(b.nodes[0].URL(), client.WithKey(client.NewKey(b.tn.Orgs[0].Key)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lbAt := func(h int64) *cmttypes.LightBlock {
		t.Helper()
		res, err := c.ConsensusLightBlock(ctx, uint64(h))
		if err != nil {
			t.Fatalf("light block %d: %v", h, err)
		}
		lb, err := bft.DecodeLightBlock(res.LightBlock)
		if err != nil {
			t.Fatal(err)
		}
		return lb
	}
	next := lbAt(bad + 1)
	if bytes.Equal(next.AppHash, wrong) || !bytes.Equal(next.AppHash, trueHash) {
		t.Fatalf("header %d carries app hash %X; the honest one is %X, the rogue's %X", bad+1, next.AppHash, trueHash, wrong)
	}
	// The blocks the rogue holds are the network's.
	for h := int64(1); h <= halted; h++ {
		if got, want := r.comet.Comet().BlockStore().LoadBlockMeta(h).BlockID.Hash, lbAt(h).Hash(); !bytes.Equal(got, want) {
			t.Fatalf("the rogue's block %d is %X, the network's %X", h, got, want)
		}
	}
	sameHistory(t, append(b.ledgers(), r.l)...)
	t.Logf("first wrong app hash at height %d; the rogue halted at %d, the network is at %d", bad, halted, consensusHeights(t, b.ledgers())[0])
}
