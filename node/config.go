package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/node/mempool"
	"github.com/meshledger/meshledger/runtime"
)

// Config configures a node. Zero fields take their defaults
// (WithDefaults), so a caller sets only what it changes; New rejects a
// Config that Validate rejects.
type Config struct {
	// DataDir holds the chain store (DataDir/chain), the node key
	// (DataDir/node.key) and the genesis in use (DataDir/genesis.json).
	// Default "./data"; created if missing.
	DataDir string
	// GenesisFile is a genesis to start a new chain from (and to check an
	// existing one against). Empty: DataDir/genesis.json if present, else a
	// development genesis is created there, with the node key as admin.
	GenesisFile string
	// DevChainID is the chain id of a created development genesis
	// (default 1337).
	DevChainID uint64
	// KeyFile is the block signing key (default DataDir/node.key, created
	// if missing).
	KeyFile string

	// Listen is the HTTP address (default "127.0.0.1:8080"). Listener,
	// when set, is used instead (tests pass one on 127.0.0.1:0).
	Listen   string
	Listener net.Listener
	// NoHTTP disables the HTTP server (the API is still available as
	// Node.Handler).
	NoHTTP bool

	// BlockInterval is the longest a pending transaction waits for a block
	// (default 2ms): the next block starts this long after the previous
	// one started, or at once if that is past, and no sooner; BlockMaxTxs
	// cuts a block early when that many transactions are ready (default
	// 1000).
	BlockInterval time.Duration
	BlockMaxTxs   int
	// BlockTimeBudget bounds the execution time of one block (default
	// 500ms): once a block has run that long, the producer leaves the
	// remaining ready transactions for the next block. Gas bounds a
	// block's time only as well as prices match the machine; this holds
	// it whatever the transactions do, so other senders wait at most
	// this plus one transaction (docs/design.md, "Block time budget").
	BlockTimeBudget time.Duration
	// CompileWorkers compile admitted deploys' code in the background
	// (default 1; negative: none, blocks compile it), so that a large
	// module never holds up other senders' transactions: the producer
	// leaves a deploy pending until its code is compiled. CompileQueue
	// bounds the code waiting for a worker (default 16); a deploy beyond
	// it is compiled by its block.
	CompileWorkers int
	CompileQueue   int

	Mempool mempool.Config
	API     httpapi.Config
	// QueryGasCap bounds read-only queries (default
	// ledger.DefaultQueryGasCap, 100,000,000 gas).
	QueryGasCap uint64
	// CompiledCacheDir, when set, keeps the engine's compiled contract code
	// there instead of under DataDir/wasm-cache, so several data
	// directories (test nodes, say) compile each contract once.
	CompiledCacheDir string
	// WasmMemoryBudget bounds the bytes loaded contracts keep in memory
	// between calls (compiled code, snapshots, idle instances); beyond it
	// the least recently used are evicted and reloaded from the disk cache
	// when next called. Default runtime.DefaultMemoryBudget (2 GiB).
	WasmMemoryBudget uint64

	// Consensus is how the chain makes blocks, and must be what its
	// genesis names: ConsensusSolo (default; the node's producer signs
	// every block) or ConsensusCometBFT (CometBFT runs in process with the
	// node as its application; docs/consensus.md).
	Consensus string
	// CometHome is the CometBFT home (config/ and data/, as written by
	// `meshledger testnet` or `meshledger init`); default DataDir/cometbft.
	CometHome string
	// CometLogLevel is CometBFT's log level: "error" (default), "info",
	// "debug" or "none". Its lines go to Logger.
	CometLogLevel string
	// CometMetricsNamespace, when set, serves CometBFT's metrics under that
	// namespace at /metrics beside the node's. CometBFT registers them
	// globally, so only one node per process may set it.
	CometMetricsNamespace string

	// OnStart, when set, is called by Run once the node serves: the CLI
	// prints the URL, the node address and, on a first development run,
	// the development key (Node.KeyHex).
	OnStart func(*Node)

	// ReadTimeout bounds reading a whole request, headers and body
	// (default 60s): a client sending a body slowly is cut off.
	ReadTimeout time.Duration
	// ShutdownTimeout bounds the HTTP drain in Close (default 10s).
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
	// Now is the clock for block times (time.Now when nil). Block time is
	// max(Now, parent+1ms), so a clock that steps back never stalls the
	// chain.
	Now func() time.Time
}

// Defaults, each written once: DefaultConfig returns them and
// WithDefaults fills zero fields from DefaultConfig.
const (
	DefaultDataDir    = "./data"
	DefaultListen     = "127.0.0.1:8080"
	DefaultDevChainID = 1337
	// DefaultBlockInterval is BlockInterval's default. A block takes a few
	// milliseconds to execute and write, so at moderate load a longer
	// interval only made transactions wait for the tick: at half the
	// maximum rate 10 ms left a ready transaction 8-13 ms (p50) in the
	// mempool before its block started, 2 ms 1.3-5 ms. At full load the
	// interval is past before the previous block is written, so blocks
	// grow by themselves as before (docs/design.md, "Node").
	DefaultBlockInterval = 2 * time.Millisecond
	DefaultBlockMaxTxs   = 1000
	// DefaultBlockTimeBudget is BlockTimeBudget's default: half a second
	// keeps a full block of loan payments (about 0.2 s on two cores)
	// whole while bounding hostile ones.
	DefaultBlockTimeBudget = 500 * time.Millisecond
	// DefaultCompileWorkers and DefaultCompileQueue size the background
	// compilation of admitted deploys (Config.CompileWorkers).
	DefaultCompileWorkers  = 1
	DefaultCompileQueue    = 16
	DefaultReadTimeout     = 60 * time.Second
	DefaultShutdownTimeout = 10 * time.Second
)

// DefaultConfig returns the node's defaults, every value set, the
// mempool's and the API's included (Logger and Now, which are not values,
// are left nil: WithDefaults sets them). Whatever shows defaults (the
// CLI's flag help) reads them here.
func DefaultConfig() Config {
	return Config{
		DataDir:          DefaultDataDir,
		DevChainID:       DefaultDevChainID,
		Listen:           DefaultListen,
		BlockInterval:    DefaultBlockInterval,
		BlockMaxTxs:      DefaultBlockMaxTxs,
		BlockTimeBudget:  DefaultBlockTimeBudget,
		CompileWorkers:   DefaultCompileWorkers,
		CompileQueue:     DefaultCompileQueue,
		Mempool:          mempool.DefaultConfig(),
		API:              httpapi.DefaultConfig(),
		QueryGasCap:      ledger.DefaultQueryGasCap,
		WasmMemoryBudget: runtime.DefaultMemoryBudget,
		ReadTimeout:      DefaultReadTimeout,
		ShutdownTimeout:  DefaultShutdownTimeout,
		Consensus:        ConsensusSolo,
		CometLogLevel:    DefaultCometLogLevel,
	}
}

// DefaultCometLogLevel keeps CometBFT's logs to errors: at "info" it
// writes several lines per block.
const DefaultCometLogLevel = "error"

// WithDefaults returns c as New runs it: each zero field takes its
// DefaultConfig value, the mempool's and the API's included; the API's
// query cap and logger default to the node's own; Logger to slog.Default()
// and Now to time.Now. It never fails: a negative value, which Validate
// rejects, is treated as unset, as New always has.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.DataDir == "" {
		c.DataDir = d.DataDir
	}
	if c.Consensus == "" {
		c.Consensus = d.Consensus
	}
	if c.CometLogLevel == "" {
		c.CometLogLevel = d.CometLogLevel
	}
	if c.DevChainID == 0 {
		c.DevChainID = d.DevChainID
	}
	if c.Listen == "" {
		c.Listen = d.Listen
	}
	if c.BlockInterval <= 0 {
		c.BlockInterval = d.BlockInterval
	}
	if c.BlockMaxTxs <= 0 {
		c.BlockMaxTxs = d.BlockMaxTxs
	}
	if c.BlockTimeBudget <= 0 {
		c.BlockTimeBudget = d.BlockTimeBudget
	}
	if c.CompileWorkers == 0 { // negative means none
		c.CompileWorkers = d.CompileWorkers
	}
	if c.CompileQueue <= 0 {
		c.CompileQueue = d.CompileQueue
	}
	if c.WasmMemoryBudget == 0 {
		c.WasmMemoryBudget = d.WasmMemoryBudget
	}
	if c.QueryGasCap == 0 {
		c.QueryGasCap = d.QueryGasCap
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = d.ReadTimeout
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = d.ShutdownTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	// The parts take the node's query cap and logger before their own
	// defaults.
	if c.API.QueryGasCap == 0 {
		c.API.QueryGasCap = c.QueryGasCap
	}
	if c.API.Logger == nil {
		c.API.Logger = c.Logger
	}
	c.API = c.API.WithDefaults()
	c.Mempool = c.Mempool.WithDefaults()
	return c
}

// ErrBadConfig reports a Config that no default can mend.
var ErrBadConfig = errors.New("node: bad config")

// Validate reports every field of c that cannot run a node: a negative
// duration, count or size, the mempool's and the API's included. Zero is
// valid everywhere (it means the default), and a negative CompileWorkers
// means no background compilation.
func (c Config) Validate() error {
	errs := []error{
		notNegative("BlockInterval", c.BlockInterval),
		notNegative("BlockMaxTxs", c.BlockMaxTxs),
		notNegative("BlockTimeBudget", c.BlockTimeBudget),
		notNegative("CompileQueue", c.CompileQueue),
		notNegative("ReadTimeout", c.ReadTimeout),
		notNegative("ShutdownTimeout", c.ShutdownTimeout),
	}
	if err := c.Mempool.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%w: Mempool: %w", ErrBadConfig, err))
	}
	if err := c.API.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%w: API: %w", ErrBadConfig, err))
	}
	switch c.Consensus {
	case "", ConsensusSolo, ConsensusCometBFT:
	default:
		errs = append(errs, fmt.Errorf("%w: Consensus %q: want %q or %q", ErrBadConfig, c.Consensus, ConsensusSolo, ConsensusCometBFT))
	}
	switch c.CometLogLevel {
	case "", "error", "info", "debug", "none":
	default:
		errs = append(errs, fmt.Errorf("%w: CometLogLevel %q: want error, info, debug or none", ErrBadConfig, c.CometLogLevel))
	}
	return errors.Join(errs...)
}

func notNegative[T int | time.Duration](name string, v T) error {
	if v < 0 {
		return fmt.Errorf("%w: %s is %v; it must not be negative (zero means the default)", ErrBadConfig, name, v)
	}
	return nil
}
