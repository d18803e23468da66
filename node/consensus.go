package node

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	cmtmempool "github.com/cometbft/cometbft/mempool"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node/cometbft"
	"github.com/meshledger/meshledger/sdk/api"
)

// Consensus modes (Config.Consensus).
const (
	ConsensusSolo     = api.ConsensusSolo
	ConsensusCometBFT = api.ConsensusCometBFT
)

// CometDir is the CometBFT home under the data directory when
// Config.CometHome is empty.
const CometDir = "cometbft"

// ErrConsensusMode: the configured consensus mode is not the one the
// chain's genesis names. A chain's blocks are made one way for its whole
// life.
var ErrConsensusMode = errors.New("node: consensus mode does not match the genesis")

// ErrConsensusRefused: CometBFT's mempool did not take a transaction the
// node admitted (its own CheckTx refused it, the mempool is full, or the
// transaction is too large for a block).
var ErrConsensusRefused = errors.New("node: the consensus mempool refused the transaction")

// checkConsensusMode refuses a configuration whose mode is not the
// genesis's.
func checkConsensusMode(cfg Config, bft bool) error {
	want := ConsensusSolo
	if bft {
		want = ConsensusCometBFT
	}
	if cfg.Consensus != want {
		return fmt.Errorf("%w: the genesis names %s, the node was started with %s (--consensus %s)", ErrConsensusMode, want, cfg.Consensus, want)
	}
	return nil
}

// cometHome is the CometBFT home directory of this node.
func (n *Node) cometHome() string {
	if n.cfg.CometHome != "" {
		return n.cfg.CometHome
	}
	return filepath.Join(n.cfg.DataDir, CometDir)
}

// startConsensus runs CometBFT in process over the ledger. Blocks come
// from it alone: the producer does not run.
func (n *Node) startConsensus(ctx context.Context) error {
	app, err := cometbft.NewApp(n.ledger, n.afterConsensusBlock)
	if err != nil {
		return err
	}
	logger, err := cometbft.NewLogger(cometLogWriter{n}, n.cfg.CometLogLevel)
	if err != nil {
		return err
	}
	abciApp, err := withFailpoints(app, n.log)
	if err != nil {
		return err
	}
	cn, err := cometbft.Start(ctx, n.cometHome(), abciApp, cometbft.StartOptions{
		Logger: logger, ConcurrentConnections: true, MetricsNamespace: n.cfg.CometMetricsNamespace,
	})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.cometApp = app
	n.comet = cn
	if g := cn.MetricsGatherer(); g != nil {
		n.api.AddGatherer(g)
	}
	n.log.Info("consensus: CometBFT running", "home", n.cometHome(), "node_id", cn.NodeID())
	return nil
}

// afterConsensusBlock is CometBFT's commit hook: the block is durable.
// Transactions left out of it for a reason that may pass later (a full
// block, a nonce gap) were dropped from CometBFT's mempool with the
// block; those this node admitted are offered again.
func (n *Node) afterConsensusBlock(applied *ledger.Applied) {
	n.produceMu.Lock()
	n.afterBlock(applied)
	n.produceMu.Unlock()
	var again []*tx.Tx
	for _, r := range applied.Rejected {
		if r.Tx != nil && ledger.Retryable(r.Err) {
			if _, ok := n.pool.Get(r.Tx.Hash()); ok {
				again = append(again, r.Tx)
			}
		}
	}
	if len(again) > 0 {
		// Not from here: CometBFT holds its mempool's lock while it
		// commits, and CheckTx takes it.
		go func() {
			for _, t := range again {
				if err := n.broadcast(t); err != nil {
					n.log.Info("consensus: re-offering a transaction failed", "hash", t.Hash(), "err", err)
				}
			}
		}()
	}
}

// broadcast hands an admitted transaction to CometBFT's mempool, which
// checks it with the application's CheckTx and gossips it to the other
// validators. A transaction the mempool already holds is not an error.
func (n *Node) broadcast(t *tx.Tx) error {
	raw, err := cometbft.EncodeTx(t)
	if err != nil {
		return err
	}
	// t's sender was recovered at admission: handing t to the
	// application's decode cache spares CheckTx a second recovery. A
	// refusal (raw does not decode to t) only costs that recovery.
	if app := n.cometApp; app != nil {
		if err := app.Remember(raw, t); err != nil {
			n.log.Warn("consensus: transaction does not round-trip its encoding", "hash", t.Hash(), "err", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := n.comet.CheckTx(ctx, raw)
	switch {
	case errors.Is(err, cmtmempool.ErrTxInCache):
		return nil
	case err != nil:
		return fmt.Errorf("%w: %v", ErrConsensusRefused, err)
	case res.Code != cometbft.CodeOK:
		return fmt.Errorf("%w: %s", ErrConsensusRefused, res.Log)
	}
	return nil
}

// cometLogWriter sends CometBFT's log lines to the node's logger.
type cometLogWriter struct{ n *Node }

func (w cometLogWriter) Write(p []byte) (int, error) {
	w.n.log.Info("cometbft", "line", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// consensusView is what GET /v1/chain shows of the CometBFT network.
type consensusView struct{ n *Node }

func (v consensusView) Height() uint64 {
	cs, err := v.n.ledger.ConsensusState()
	if err != nil {
		return 0
	}
	return cs.Height
}

func (v consensusView) Validators() ([]api.Validator, error) {
	if v.n.comet == nil {
		return nil, errors.New("consensus not started")
	}
	st, err := v.n.comet.Status()
	if err != nil {
		return nil, err
	}
	out := make([]api.Validator, 0, len(st.Validators.Validators))
	for _, val := range st.Validators.Validators {
		out = append(out, api.Validator{
			Address: val.Address.String(),
			PubKey:  base64.StdEncoding.EncodeToString(val.PubKey.Bytes()),
			Power:   val.VotingPower,
		})
	}
	return out, nil
}
