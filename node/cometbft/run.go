package cometbft

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/mempool"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/proxy"
	sm "github.com/cometbft/cometbft/state"
	"github.com/cometbft/cometbft/types"
	"github.com/prometheus/client_golang/prometheus"
)

// StartOptions tunes Start. The zero value logs errors to stderr and keeps
// CometBFT's metrics off.
type StartOptions struct {
	// Logger receives CometBFT's logs; nil means errors only, to stderr
	// (NewLogger(os.Stderr, "error")).
	Logger log.Logger
	// MetricsNamespace, when set, turns CometBFT's Prometheus metrics on
	// under that namespace (Node.MetricsGatherer). See metrics.go for why
	// only one node per process can.
	MetricsNamespace string
	// ConcurrentConnections gives each ABCI connection (consensus, mempool,
	// query, snapshot) its own lock instead of one for all, so CheckTx and
	// queries run while a block executes. The application must then
	// synchronise its own state.
	ConcurrentConnections bool
}

// NewLogger returns a CometBFT logger writing to w at level "debug",
// "info", "error" or "none".
func NewLogger(w io.Writer, level string) (log.Logger, error) {
	if level == "none" {
		return log.NewNopLogger(), nil
	}
	allow, err := log.AllowLevel(level)
	if err != nil {
		return nil, fmt.Errorf("cometbft log level: %w", err)
	}
	return log.NewFilter(log.NewTMLogger(log.NewSyncWriter(w)), allow), nil
}

// Node is a CometBFT node running in this process with the application
// Start was given.
type Node struct {
	comet      *nm.Node
	guard      *stopGuard
	stateStore sm.Store
	gatherer   prometheus.Gatherer

	// subscribers numbers BroadcastTxCommit's event subscriptions, whose
	// names must be unique on the event bus.
	subscribers atomic.Uint64

	stopOnce sync.Once
	stopErr  error
}

// ErrNoApplication is returned by Start when app is nil.
var ErrNoApplication = errors.New("cometbft: no application")

// Start runs the CometBFT node of home (InitHome, WriteGenesis) in this
// process with app as its ABCI application, and returns once it listens
// and dials its peers. ctx bounds the start (the handshake that replays
// blocks the application lacks); the node runs until Stop. If the genesis
// time is in the future, Start waits for it, as CometBFT does.
func Start(ctx context.Context, home string, app abci.Application, opts StartOptions) (*Node, error) {
	if app == nil {
		return nil, ErrNoApplication
	}
	conf, err := LoadConfig(home)
	if err != nil {
		return nil, err
	}
	nodeKey, err := p2p.LoadNodeKey(conf.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("%w: node key: %v", ErrBadHome, err)
	}
	pv, err := loadFilePV(conf)
	if err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		if logger, err = NewLogger(os.Stderr, "error"); err != nil {
			return nil, err
		}
	}
	guard := &stopGuard{Application: app}
	conf.FilterPeers = true // for the guard; see stopGuard
	clients := proxy.NewLocalClientCreator(guard)
	if opts.ConcurrentConnections {
		clients = proxy.NewConnSyncLocalClientCreator(guard)
	}
	metrics := newMetricsProvider(opts.MetricsNamespace)

	comet, err := nm.NewNodeWithContext(ctx, conf, pv, nodeKey, clients,
		nm.DefaultGenesisDocProviderFunc(conf), stopSafeDBProvider, metrics.provide, logger)
	if err != nil {
		return nil, fmt.Errorf("create cometbft node in %s: %w", home, err)
	}
	n := &Node{comet: comet, guard: guard, gatherer: metrics.gatherer()}
	if metrics.err != nil {
		n.release()
		return nil, metrics.err
	}
	// The RPC environment is the one public handle on the node's state
	// store, which holds the validator set of every height.
	env, err := comet.ConfigureRPC()
	if err != nil {
		n.release()
		return nil, fmt.Errorf("cometbft node in %s: %w", home, err)
	}
	n.stateStore = env.StateStore
	if err := comet.Start(); err != nil {
		n.release()
		return nil, fmt.Errorf("start cometbft node in %s: %w", home, err)
	}
	return n, nil
}

// release undoes NewNode when Start fails after it: NewNode already
// started the event bus and the application connections and opened the
// stores, whose LevelDB locks would refuse the next Start of this home.
// OnStop, unlike Stop, runs on a node that was never started.
func (n *Node) release() {
	n.comet.OnStop()
	_ = n.comet.ProxyApp().Stop()
}

// Stop stops the node gracefully: it leaves consensus, closes its peer
// connections and stores, then its application connections. Blocks the
// node committed stay committed; the application sees no further calls
// once Stop returns. Stop is idempotent.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() {
		n.guard.stopping.Store(true)
		if err := n.comet.Stop(); err != nil {
			n.stopErr = fmt.Errorf("stop cometbft node: %w", err)
			return
		}
		n.comet.Wait()
		// The node does not stop its application connections itself.
		if err := n.comet.ProxyApp().Stop(); err != nil {
			n.stopErr = fmt.Errorf("stop cometbft application connections: %w", err)
		}
	})
	return n.stopErr
}

// Comet returns the CometBFT node, for what this type does not wrap (the
// event bus, the consensus reactor). Do not start or stop it directly.
func (n *Node) Comet() *nm.Node { return n.comet }

// NodeID is the node's P2P identity.
func (n *Node) NodeID() p2p.ID { return n.comet.NodeInfo().ID() }

// ChainID is the network's chain id from genesis.
func (n *Node) ChainID() string { return n.comet.GenesisDoc().ChainID }

// CheckTx submits tx to this node's mempool and returns the application's
// CheckTx answer. An accepted tx (Code == abci.CodeTypeOK) is gossiped to
// peers and proposed by whichever validator's turn it is. A refusal by the
// application is a result, not an error; errors are the mempool's (full,
// tx too large, already seen: mempool.ErrTxInCache).
func (n *Node) CheckTx(ctx context.Context, tx []byte) (*abci.ResponseCheckTx, error) {
	res := make(chan *abci.ResponseCheckTx, 1)
	err := n.comet.Mempool().CheckTx(tx, func(r *abci.ResponseCheckTx) { res <- r }, mempool.TxInfo{})
	if err != nil {
		return nil, fmt.Errorf("check tx: %w", err)
	}
	select {
	case r := <-res:
		return r, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("check tx: %w", ctx.Err())
	}
}

// TxCommit is the outcome of BroadcastTxCommit.
type TxCommit struct {
	// CheckTx is the application's admission answer.
	CheckTx *abci.ResponseCheckTx
	// Height is the block that committed the tx; zero when CheckTx refused it.
	Height int64
	// Index is the tx's position in that block.
	Index uint32
	// Result is FinalizeBlock's result for the tx.
	Result abci.ExecTxResult
}

// ErrStopped is returned when the node stops while a caller waits on it.
var ErrStopped = errors.New("cometbft node stopped")

// BroadcastTxCommit submits tx as CheckTx does and, if the application
// accepts it, waits until this node has committed a block holding it.
// Each waiting call holds one event-bus subscription, which every
// committed tx is matched against; an API serving many concurrent waits
// should rather watch the application's own commits.
func (n *Node) BroadcastTxCommit(ctx context.Context, tx []byte) (*TxCommit, error) {
	bus := n.comet.EventBus()
	subscriber := fmt.Sprintf("broadcast-tx-commit-%d", n.subscribers.Add(1))
	q := types.EventQueryTxFor(tx)
	// Subscribe before submitting: the tx may commit before CheckTx's
	// answer is read.
	sub, err := bus.Subscribe(ctx, subscriber, q)
	if err != nil {
		return nil, fmt.Errorf("broadcast tx: subscribe: %w", err)
	}
	defer func() { _ = bus.Unsubscribe(context.Background(), subscriber, q) }()

	check, err := n.CheckTx(ctx, tx)
	if err != nil {
		return nil, err
	}
	out := &TxCommit{CheckTx: check}
	if check.Code != abci.CodeTypeOK {
		return out, nil
	}
	select {
	case msg := <-sub.Out():
		ev, ok := msg.Data().(types.EventDataTx)
		if !ok {
			return nil, fmt.Errorf("broadcast tx: unexpected event %T", msg.Data())
		}
		out.Height, out.Index, out.Result = ev.Height, ev.Index, ev.Result
		return out, nil
	case <-sub.Canceled():
		return nil, fmt.Errorf("broadcast tx: %w (%v)", ErrStopped, sub.Err())
	case <-ctx.Done():
		return nil, fmt.Errorf("broadcast tx: waiting for commit: %w", ctx.Err())
	}
}

// Height is the height of the latest block this node has committed (zero
// before the first).
func (n *Node) Height() int64 { return n.comet.BlockStore().Height() }

// ErrNoBlock is wrapped when a height is not in this node's block store.
var ErrNoBlock = errors.New("no block at that height")

// SignedHeader returns the header of block height with the commit that
// signed it: the precommits of more than two thirds of the validator power
// over the header's hash. The header's AppHash is the application's state
// after block height-1.
func (n *Node) SignedHeader(height int64) (*types.SignedHeader, error) {
	bs := n.comet.BlockStore()
	latest := bs.Height()
	if height < bs.Base() || height > latest || height < 1 {
		return nil, fmt.Errorf("%w: %d (this node has %d..%d)", ErrNoBlock, height, bs.Base(), latest)
	}
	meta := bs.LoadBlockMeta(height)
	if meta == nil {
		return nil, fmt.Errorf("%w: %d", ErrNoBlock, height)
	}
	// The canonical commit of a block is stored with the next block; the
	// latest block has only the commit this node saw.
	var commit *types.Commit
	if height == latest {
		commit = bs.LoadSeenCommit(height)
	} else {
		commit = bs.LoadBlockCommit(height)
	}
	if commit == nil {
		return nil, fmt.Errorf("%w: no commit for %d", ErrNoBlock, height)
	}
	return &types.SignedHeader{Header: &meta.Header, Commit: commit}, nil
}

// Validators returns the validator set that signs block height (which
// CometBFT knows one height ahead of the last block).
func (n *Node) Validators(height int64) (*types.ValidatorSet, error) {
	vals, err := n.stateStore.LoadValidators(height)
	if err != nil {
		return nil, fmt.Errorf("%w: validators at %d: %v", ErrNoBlock, height, err)
	}
	return vals, nil
}

// LightBlock returns what a light client verifies block height with: its
// signed header and the validator set that signed it.
func (n *Node) LightBlock(height int64) (*types.LightBlock, error) {
	sh, err := n.SignedHeader(height)
	if err != nil {
		return nil, err
	}
	vals, err := n.Validators(height)
	if err != nil {
		return nil, err
	}
	return &types.LightBlock{SignedHeader: sh, ValidatorSet: vals}, nil
}

// Status is the node's view of the network, for an API's chain endpoint.
type Status struct {
	ChainID string
	NodeID  p2p.ID
	Moniker string
	// Height is the last committed block; zero before the first.
	Height int64
	// BlockTime is the time of that block (genesis time before it).
	BlockTime time.Time
	// AppHash is the application's state after block Height: it appears
	// in the header of block Height+1.
	AppHash []byte
	// Validators is the set that signs the next block.
	Validators *types.ValidatorSet
	// CatchingUp is true while the node syncs blocks from peers rather
	// than taking part in consensus.
	CatchingUp bool
	// Peers is the number of connected peers.
	Peers int
}

// Status reads the node's latest committed state.
func (n *Node) Status() (*Status, error) {
	st, err := n.stateStore.Load()
	if err != nil {
		return nil, fmt.Errorf("cometbft status: %w", err)
	}
	return &Status{
		ChainID:    st.ChainID,
		NodeID:     n.NodeID(),
		Moniker:    n.comet.Config().Moniker,
		Height:     st.LastBlockHeight,
		BlockTime:  st.LastBlockTime,
		AppHash:    st.AppHash,
		Validators: st.Validators,
		CatchingUp: n.comet.ConsensusReactor().WaitSync(),
		Peers:      n.comet.Switch().Peers().Size(),
	}, nil
}

// MetricsGatherer returns CometBFT's metrics for an HTTP /metrics handler
// to serve beside the node's own (prometheus.Gatherers{own, this}); nil
// when StartOptions.MetricsNamespace was empty.
func (n *Node) MetricsGatherer() prometheus.Gatherer { return n.gatherer }
