package node

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshledger/meshledger/internal/atomicfile"
	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node/cometbft"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/node/mempool"
	"github.com/meshledger/meshledger/runtime"
)

// Files in the data directory.
const (
	GenesisFile = "genesis.json"
	ChainDir    = "chain"
	// WasmCacheDir holds the runtime's on-disk module caches.
	WasmCacheDir = "wasm-cache"
)

// The API reads the ledger only through this interface.
var _ httpapi.Ledger = (*ledger.Ledger)(nil)

// The node is the API's mempool.
var _ httpapi.Pool = (*Node)(nil)

// Node is a running (or ready to run) meshledger node.
type Node struct {
	cfg      Config
	log      *slog.Logger
	ledger   *ledger.Ledger
	rt       *runtime.Runtime // runs the ledger's contracts and the precompiler's loads; closed after the ledger
	signer   *KeySigner
	pool     *mempool.Pool[*tx.Tx]
	commits  *commits
	registry *prometheus.Registry
	metrics  *nodeMetrics
	api      *httpapi.Server
	compiler *precompiler   // nil with Config.CompileWorkers < 0
	comet    *cometbft.Node // the consensus engine on a BFT chain, once started
	cometApp *cometbft.App  // the ABCI application comet runs (broadcast seeds its decode cache)

	devGenesis bool // a development genesis was created by this New
	keyCreated bool

	produceMu   sync.Mutex // one ProduceBlock at a time
	lastBlockMs int64      // written only by afterBlock, one block at a time (the pipeline's commit goroutine, or ProduceBlock under the ledger's writer lock)

	startOnce sync.Once
	closeOnce sync.Once
	closeErr  error
	ln        net.Listener
	srv       *http.Server
	silent    *silentConns
	srvDone   chan error
	stop      context.CancelFunc
	prodDone  chan struct{}
}

// New opens (or creates) the data directory, the key, the genesis and the
// ledger, and builds the mempool and the API. Nothing runs until Start.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	n := &Node{cfg: cfg, log: cfg.Logger, commits: newCommits(), registry: prometheus.NewRegistry()}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("node: data dir: %w", err)
	}
	keyPath := cfg.KeyFile
	if keyPath == "" {
		keyPath = filepath.Join(cfg.DataDir, KeyFile)
	}
	key, created, err := LoadOrCreateKey(keyPath)
	if err != nil {
		return nil, err
	}
	n.signer, n.keyCreated = NewKeySigner(key), created
	g, err := n.genesis()
	if err != nil {
		return nil, err
	}
	if err := checkConsensusMode(cfg, g.BFT()); err != nil {
		return nil, err
	}
	// Instrumented modules, their compiled code and post-initialisation
	// snapshots live beside the chain, so a restart never recompiles.
	rtCfg := runtime.NewConfig().WithCacheDir(filepath.Join(cfg.DataDir, WasmCacheDir)).WithMemoryBudget(cfg.WasmMemoryBudget)
	if cfg.CompiledCacheDir != "" {
		rtCfg = rtCfg.WithCompiledCacheDir(cfg.CompiledCacheDir)
	}
	rt, err := runtime.New(ctx, rtCfg)
	if err != nil {
		return nil, fmt.Errorf("node: start runtime: %w", err)
	}
	l, err := ledger.Open(ctx, ledger.Config{
		Dir: filepath.Join(cfg.DataDir, ChainDir), Genesis: g, QueryGasCap: cfg.QueryGasCap,
		Engine: ledger.NewRuntimeEngine(rt),
	})
	if err != nil {
		_ = rt.Close(ctx)
		return nil, fmt.Errorf("node: open ledger: %w", err)
	}
	n.ledger, n.rt = l, rt
	n.pool = mempool.New[*tx.Tx](cfg.Mempool, nil)
	if cfg.CompileWorkers > 0 {
		n.compiler = newPrecompiler(n.precompile, cfg.CompileQueue)
	}
	n.metrics, err = newNodeMetrics(n.registry,
		func() float64 { return float64(n.pool.Len()) },
		func() float64 { return float64(n.pool.Bytes()) },
		func() float64 { return float64(n.pool.Gapped()) })
	if err == nil {
		n.metrics.height.Set(float64(l.Latest().Header.Height))
		n.registry.MustRegister(prometheus.NewGoCollector(), wasmMemoryGauge(rt), readPolicyCounter(l))
		deps := httpapi.Deps{
			Ledger: l, Pool: n, Commits: n.commits, NodeAddress: n.signer.Address(), Registry: n.registry,
			Refused: n.metrics.rejected.MustCurryWith(prometheus.Labels{"stage": "admission"}),
		}
		if g.BFT() {
			deps.Consensus = consensusView{n}
		}
		n.api, err = httpapi.New(cfg.API, deps)
	}
	if err != nil {
		_ = l.Close(ctx)
		_ = rt.Close(ctx)
		return nil, fmt.Errorf("node: %w", err)
	}
	n.lastBlockMs = l.Latest().Header.TimeMs
	if n.keyCreated {
		n.log.Info("created node key", "file", keyPath, "address", n.signer.Address())
	}
	if n.devGenesis {
		n.log.Warn("created a development genesis: the node key is its admin",
			"chain_id", g.ChainID, "admin", n.signer.Address(), "key_file", keyPath)
	}
	return n, nil
}

// genesis picks the genesis: the configured file, else the data dir's,
// else a new development genesis saved there.
func (n *Node) genesis() (*block.Genesis, error) {
	if n.cfg.GenesisFile != "" {
		g, err := block.LoadGenesis(n.cfg.GenesisFile)
		if err != nil {
			return nil, fmt.Errorf("node: %w", err)
		}
		return g, nil
	}
	path := filepath.Join(n.cfg.DataDir, GenesisFile)
	g, err := block.LoadGenesis(path)
	if err == nil {
		return g, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("node: %w", err)
	}
	g = block.DevGenesis(n.cfg.DevChainID, n.cfg.Now().UnixMilli(), n.signer.Address())
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("node: encode genesis: %w", err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("node: save genesis: %w", err)
	}
	n.devGenesis = true
	return g, nil
}

// Start runs the block producer and, unless Config.NoHTTP, the HTTP
// server. It returns once both run; errors are from binding the listener.
func (n *Node) Start() error {
	err := errors.New("node: already started")
	n.startOnce.Do(func() { err = n.start() })
	return err
}

func (n *Node) start() error {
	// Consensus runs before the API serves, so that every transaction
	// the API admits reaches CometBFT's mempool.
	if n.ledger.Genesis().BFT() {
		if err := n.startConsensus(context.Background()); err != nil {
			return err
		}
	}
	if !n.cfg.NoHTTP {
		ln := n.cfg.Listener
		if ln == nil {
			var err error
			if ln, err = net.Listen("tcp", n.cfg.Listen); err != nil {
				return fmt.Errorf("node: listen: %w", err)
			}
		}
		// Header limits come from the API (Config.API), which also
		// answers net/http's own early errors with its JSON body.
		n.ln = httpapi.JSONErrorListener(ln)
		n.srv = n.api.HTTPServer()
		n.srv.ReadTimeout = n.cfg.ReadTimeout
		n.srv.IdleTimeout = 2 * time.Minute
		n.silent = newSilentConns()
		n.srv.ConnState = n.silent.track
		// No WriteTimeout: event streams and waits are long-lived;
		// they bound themselves (Config.API).
		n.srvDone = make(chan error, 1)
		go func() { n.srvDone <- n.srv.Serve(n.ln) }()
		n.log.Info("HTTP API listening", "addr", ln.Addr().String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.stop = cancel
	n.prodDone = make(chan struct{})
	if n.compiler != nil {
		n.compiler.start(n.cfg.CompileWorkers)
	}
	if n.comet != nil {
		close(n.prodDone) // blocks come from consensus
		return nil
	}
	go func() {
		defer close(n.prodDone)
		n.produce(ctx)
	}()
	return nil
}

// Close shuts down gracefully: HTTP waits and streams end, the server
// drains (bounded by ShutdownTimeout and ctx), the producer finishes the
// block it is applying, and the ledger closes. Safe to call more than
// once.
func (n *Node) Close(ctx context.Context) error {
	n.closeOnce.Do(func() { n.closeErr = n.close(ctx) })
	return n.closeErr
}

func (n *Node) close(ctx context.Context) error {
	var errs []error
	n.api.Close()
	if n.srv != nil {
		n.silent.closeAll()
		sctx, cancel := context.WithTimeout(ctx, n.cfg.ShutdownTimeout)
		if err := n.srv.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("node: http shutdown: %w", err))
			_ = n.srv.Close()
		}
		cancel()
		if err := <-n.srvDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("node: http: %w", err))
		}
	}
	if n.comet != nil {
		// CometBFT stops between blocks' commits: nothing it committed is
		// lost, and what it had not is replayed on restart.
		if err := n.comet.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("node: stop cometbft: %w", err))
		}
	}
	if n.stop != nil {
		n.stop()
		<-n.prodDone
	}
	if n.compiler != nil {
		n.compiler.stop()
	}
	// Wake anyone still waiting on a commit.
	n.commits.notify()
	if err := n.ledger.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("node: close ledger: %w", err))
	}
	if err := n.rt.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("node: close runtime: %w", err))
	}
	return errors.Join(errs...)
}

// Run starts a node and serves until ctx is cancelled (SIGINT/SIGTERM in
// the CLI), then closes it gracefully.
func Run(ctx context.Context, cfg Config) error {
	n, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		return errors.Join(err, n.Close(context.WithoutCancel(ctx)))
	}
	if cfg.OnStart != nil {
		cfg.OnStart(n)
	}
	<-ctx.Done()
	return n.Close(context.WithoutCancel(ctx))
}

// Addr is the HTTP listener's address (nil without HTTP or before Start).
func (n *Node) Addr() net.Addr {
	if n.ln == nil {
		return nil
	}
	return n.ln.Addr()
}

// URL is the API's base URL, e.g. "http://127.0.0.1:8080" ("" without
// HTTP or before Start).
func (n *Node) URL() string {
	if n.ln == nil {
		return ""
	}
	return "http://" + n.ln.Addr().String()
}

// Handler is the HTTP API, for serving it elsewhere or in tests.
func (n *Node) Handler() http.Handler { return n.api }

// API is the HTTP API server.
func (n *Node) API() *httpapi.Server { return n.api }

// Ledger is the node's ledger (read it; never apply blocks to it
// directly while the producer runs).
func (n *Node) Ledger() *ledger.Ledger { return n.ledger }

// Runtime is the Wasm runtime the node's ledger runs contracts in (for
// its counters and configuration; the node closes it).
func (n *Node) Runtime() *runtime.Runtime { return n.rt }

// ChainID is the chain's id.
func (n *Node) ChainID() uint64 { return n.ledger.ChainID() }

// Address is the node key's address: the block signer, and the admin of a
// development genesis.
func (n *Node) Address() common.Address { return n.signer.Address() }

// Key is the node's private key. With a development genesis it is the
// admin account developers sign with.
func (n *Node) Key() *ecdsa.PrivateKey { return n.signer.Key() }

// KeyHex is the node key as 0x-hex, for printing in development.
func (n *Node) KeyHex() string { return fmt.Sprintf("0x%x", crypto.FromECDSA(n.signer.Key())) }

// DevGenesisCreated reports whether this New created a development
// genesis (first run without a genesis).
func (n *Node) DevGenesisCreated() bool { return n.devGenesis }

// Registry is the node's private Prometheus registry.
func (n *Node) Registry() *prometheus.Registry { return n.registry }

// Pool is the mempool.
func (n *Node) Pool() *mempool.Pool[*tx.Tx] { return n.pool }
