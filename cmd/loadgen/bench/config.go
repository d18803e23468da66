package bench

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/cometbft"
	"github.com/meshledger/meshledger/sdk/client"
)

// Mode is how payments are sent.
type Mode string

// Modes.
const (
	ModeBatch  Mode = "batch"  // POST /v1/txs/batch, BatchSize transactions per request
	ModeSingle Mode = "single" // POST /v1/txs, one transaction per request
)

// Scenario is what the payments exercise.
type Scenario string

// Scenarios.
const (
	// ScenarioCreate pays loans booked with create: one contract call per
	// payment, no cross-contract call.
	ScenarioCreate Scenario = "create"
	// ScenarioPool pays loans boarded into one securitizer's pool with the
	// owner's portfolio: every payment cross-calls the pool and the
	// portfolio contracts in its own transaction.
	ScenarioPool Scenario = "pool"
)

// Config describes one run. Zero fields take their defaults
// (WithDefaults), so a caller sets only what it changes.
type Config struct {
	// NodeURL is the node to drive; ignored with Spawn or Testnet. It is
	// the same as Nodes of one.
	NodeURL string
	// Nodes are the API base URLs of an existing network's nodes: worker i
	// sends to Nodes[i mod len(Nodes)] and waits for its payments to
	// commit on that node. The first also serves the setup and the
	// read-back. Ignored with Spawn or Testnet.
	Nodes []string
	// ApproverKeys vote, one after another, for each deploy AdminKey
	// proposes on a network whose deploy policy is approval: admins of
	// other organisations, approver i through node i+1 (mod the nodes),
	// until the proposal executes. With Testnet the other organisations'
	// node keys are used.
	ApproverKeys []*client.Key
	// Testnet, when positive, starts a BFT network of that many
	// organisations in this process (node.WriteTestnet in a temporary
	// directory, one CometBFT validator per organisation, every API on
	// 127.0.0.1) and drives it as Nodes: org1's node key is the admin,
	// the others approve its deploys.
	Testnet int
	// Comet, with Testnet, is the template of every CometBFT home (nil:
	// the testnet's defaults).
	Comet *cometbft.HomeOptions
	// Spawn starts an in-process node on a temporary directory, listening
	// on 127.0.0.1:0, with BlockInterval and BlockMaxTxs.
	Spawn         bool
	BlockInterval time.Duration
	BlockMaxTxs   int
	// CompiledCacheDir, with Spawn, keeps the spawned node's compiled
	// contract code between runs (node.Config.CompiledCacheDir): a loan
	// module compiles in seconds on an idle machine, tens under load.
	CompiledCacheDir string
	// BookDir, with Spawn and a loan book (ScenarioCreate, Loans > 0),
	// keeps the booked book between runs (bookdir.go): the spawned node's
	// data, the workers' keys and a completion marker live there. A run
	// finding a complete book of the same Loans and Workers (and, if Wasm
	// is given, the same loan module) reopens it and pays without booking;
	// one finding another book is refused; an incomplete one is wiped and
	// booked again. Unless CompiledCacheDir is set, the compiled contract
	// code is kept there too.
	BookDir string
	// AdminKey deploys the contract, adds the senders to its organisation
	// (servicer role) and books the loans: it needs the admin and deployer
	// roles. With Spawn the node's development key is used.
	AdminKey *client.Key
	// Wasm is the loan contract; when nil it is built from ContractDir.
	Wasm        []byte
	ContractDir string

	// Scenario is what the payments exercise. With ScenarioPool the pool
	// and portfolio contracts are deployed too (PoolWasm and
	// PortfolioWasm, or built from PoolDir and PortfolioDir) and Loans
	// loans (DefaultPoolLoans if zero) are boarded into one pool, spread
	// over the workers.
	Scenario Scenario
	// Loans, with ScenarioCreate, is the size of the loan book booked
	// before the clock starts, spread over the workers (each the servicer
	// of its share), every payment paying a loan of its worker's share
	// drawn at random (Seed): state at a real book's scale. Zero books one
	// loan per worker, each paid over and over.
	Loans int
	// Seed seeds the draws of the loans paid, so that a run pays the same
	// loans in the same order when repeated.
	Seed          uint64
	PoolWasm      []byte
	PoolDir       string
	PortfolioWasm []byte
	PortfolioDir  string

	Mode      Mode
	Workers   int
	BatchSize int
	// Window bounds each worker's transactions in flight; it must not
	// exceed the node's nonce window.
	Window int
	// Rate is the target total transactions per second; 0 sends as fast as
	// the node admits them.
	Rate float64
	// Duration bounds the timed phase; Count bounds the transactions sent
	// (and signed ahead). The phase ends at whichever comes first.
	Duration time.Duration
	Count    int
	// DrainTimeout bounds the wait, after the timed phase, for admitted
	// transactions to commit; the wait also ends once none has committed
	// for a few seconds. What is still pending then is reported stuck.
	DrainTimeout time.Duration
	// GasLimit of each payment; zero means DefaultConfig's, or
	// DefaultPoolGasLimit with ScenarioPool.
	GasLimit uint64
	// Log receives progress lines (nil: none).
	Log io.Writer
	// CPUProfile, when set, receives a CPU profile of this process (with
	// Spawn or Testnet, nodes and load generator) from the first send to the end of
	// the drain: the setup (compiling contracts, boarding loans) would
	// otherwise dominate it.
	CPUProfile io.Writer
	// Stages splits the CPU of the profiled window (as CPUProfile) by
	// stage of the node's work (StageReport), per committed transaction.
	// It needs Spawn or Testnet: the node must run in this process.
	Stages bool
}

// DefaultPoolGasLimit is a pool scenario payment's default gas limit: the
// payment and its two cross-calls used about 7.1 million gas when
// measured (a payment on a created loan about 350 thousand).
const DefaultPoolGasLimit = 20_000_000

// DefaultPoolLoans is how many loans the pool scenario boards when
// Config.Loans is zero.
const DefaultPoolLoans = 1000

// DefaultConfig returns the default run, each default written here once
// (the node's block settings are the node's own).
func DefaultConfig() Config {
	return Config{
		BlockInterval: node.DefaultBlockInterval, BlockMaxTxs: node.DefaultBlockMaxTxs,
		ContractDir: "contracts/loan", Scenario: ScenarioCreate, Seed: 1,
		PoolDir: "contracts/pool", PortfolioDir: "contracts/portfolio", Mode: ModeBatch, Workers: 8, BatchSize: 32, Window: 64,
		Duration: 10 * time.Second, Count: 20000, DrainTimeout: 30 * time.Second, GasLimit: 5_000_000,
	}
}

// WithDefaults returns c as Run runs it: each zero field takes its
// DefaultConfig value (Log: io.Discard). A negative value, which Validate
// rejects, is treated as unset.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.BlockInterval <= 0 {
		c.BlockInterval = d.BlockInterval
	}
	if c.BlockMaxTxs <= 0 {
		c.BlockMaxTxs = d.BlockMaxTxs
	}
	if c.ContractDir == "" {
		c.ContractDir = d.ContractDir
	}
	if c.Scenario == "" {
		c.Scenario = d.Scenario
	}
	if c.Loans <= 0 {
		c.Loans = 0
		if c.Scenario == ScenarioPool {
			c.Loans = DefaultPoolLoans
		}
	}
	if c.PoolDir == "" {
		c.PoolDir = d.PoolDir
	}
	if c.PortfolioDir == "" {
		c.PortfolioDir = d.PortfolioDir
	}
	if c.Mode == "" {
		c.Mode = d.Mode
	}
	if c.Workers <= 0 {
		c.Workers = d.Workers
	}
	if c.BatchSize <= 0 {
		c.BatchSize = d.BatchSize
	}
	if c.Window <= 0 {
		c.Window = d.Window
	}
	if c.Duration <= 0 {
		c.Duration = d.Duration
	}
	if c.Count <= 0 {
		c.Count = d.Count
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = d.DrainTimeout
	}
	if c.GasLimit == 0 {
		c.GasLimit = d.GasLimit
		if c.Scenario == ScenarioPool {
			c.GasLimit = DefaultPoolGasLimit
		}
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return c
}

// Errors of a configuration.
var (
	ErrBadMode      = errors.New("bench: mode must be batch or single")
	ErrBadScenario  = errors.New("bench: scenario must be create or pool")
	ErrFewLoans     = errors.New("bench: a loan book (--loans) needs at least one loan per worker")
	ErrNoTarget     = errors.New("bench: give a node URL or spawn one")
	ErrTwoTargets   = errors.New("bench: give one of --spawn, --testnet, --node and --nodes")
	ErrNoKey        = errors.New("bench: a key is needed to deploy the loan contract on an existing node")
	ErrBatchSize    = errors.New("bench: batch size must not exceed the window")
	ErrNegative     = errors.New("bench: must not be negative (zero means the default)")
	ErrStagesLocal  = errors.New("bench: --stages profiles this process: it needs --spawn or --testnet")
	ErrBookDirSpawn = errors.New("bench: --book-dir keeps a spawned node's book: it needs --spawn")
	ErrBookDirLoans = errors.New("bench: --book-dir keeps a loan book: it needs --loans with --scenario create")
)

// targets counts the ways c names what to drive.
func targets(c Config) int {
	n := 0
	for _, set := range []bool{c.Spawn, c.Testnet > 0, c.NodeURL != "", len(c.Nodes) > 0} {
		if set {
			n++
		}
	}
	return n
}

// Validate reports what makes c unrunnable, judged as Run runs it (after
// WithDefaults): a negative setting, an unknown mode, no node to drive or
// no key for one, a batch larger than the window, an unknown scenario, a
// loan book smaller than the workers, or a book directory without a
// spawned node's loan book.
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		neg  bool
	}{
		{"block interval", c.BlockInterval < 0}, {"block max txs", c.BlockMaxTxs < 0},
		{"workers", c.Workers < 0}, {"batch size", c.BatchSize < 0}, {"window", c.Window < 0},
		{"rate", c.Rate < 0}, {"duration", c.Duration < 0}, {"count", c.Count < 0},
		{"drain timeout", c.DrainTimeout < 0}, {"loans", c.Loans < 0}, {"testnet", c.Testnet < 0},
	} {
		if f.neg {
			return fmt.Errorf("%s: %w", f.name, ErrNegative)
		}
	}
	c = c.WithDefaults()
	switch {
	case c.Mode != ModeBatch && c.Mode != ModeSingle:
		return fmt.Errorf("%w: %q", ErrBadMode, c.Mode)
	case c.Scenario != ScenarioCreate && c.Scenario != ScenarioPool:
		return fmt.Errorf("%w: %q", ErrBadScenario, c.Scenario)
	case c.Loans > 0 && c.Loans < c.Workers:
		return fmt.Errorf("%w: %d loans for %d workers", ErrFewLoans, c.Loans, c.Workers)
	case targets(c) > 1:
		return ErrTwoTargets
	case targets(c) == 0:
		return ErrNoTarget
	case !c.Spawn && c.Testnet == 0 && c.AdminKey == nil:
		return ErrNoKey
	case c.Stages && !c.Spawn && c.Testnet == 0:
		return ErrStagesLocal
	case c.BookDir != "" && !c.Spawn:
		return ErrBookDirSpawn
	case c.BookDir != "" && (c.Scenario != ScenarioCreate || c.Loans == 0):
		return ErrBookDirLoans
	case c.Mode == ModeBatch && c.BatchSize > c.Window:
		return fmt.Errorf("%w: %d > %d", ErrBatchSize, c.BatchSize, c.Window)
	}
	return nil
}
