package node

import (
	"log/slog"
	"net"
	"time"

	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/node/mempool"
	"github.com/meshledger/meshledger/runtime"
)

// Config configures a node. Zero fields take the defaults below.
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
	// (default 10ms); BlockMaxTxs cuts a block early when that many
	// transactions are ready (default 1000).
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
	// QueryGasCap bounds read-only queries (default 100,000,000 gas).
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

// Defaults.
const (
	DefaultDataDir       = "./data"
	DefaultListen        = "127.0.0.1:8080"
	DefaultDevChainID    = 1337
	DefaultBlockInterval = 10 * time.Millisecond
	DefaultBlockMaxTxs   = 1000
	// DefaultBlockTimeBudget is BlockTimeBudget's default: half a second
	// keeps a full block of loan payments (about 0.2 s on two cores)
	// whole while bounding hostile ones.
	DefaultBlockTimeBudget = 500 * time.Millisecond
	DefaultReadTimeout     = 60 * time.Second
)

func (c Config) withDefaults() Config {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.DevChainID == 0 {
		c.DevChainID = DefaultDevChainID
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.BlockInterval <= 0 {
		c.BlockInterval = DefaultBlockInterval
	}
	if c.BlockMaxTxs <= 0 {
		c.BlockMaxTxs = DefaultBlockMaxTxs
	}
	if c.BlockTimeBudget <= 0 {
		c.BlockTimeBudget = DefaultBlockTimeBudget
	}
	if c.CompileWorkers == 0 {
		c.CompileWorkers = 1
	}
	if c.CompileQueue <= 0 {
		c.CompileQueue = 16
	}
	if c.WasmMemoryBudget == 0 {
		c.WasmMemoryBudget = runtime.DefaultMemoryBudget
	}
	if c.QueryGasCap == 0 {
		c.QueryGasCap = 100_000_000
	}
	if c.API.QueryGasCap == 0 {
		c.API.QueryGasCap = c.QueryGasCap
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.API.Logger == nil {
		c.API.Logger = c.Logger
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}
