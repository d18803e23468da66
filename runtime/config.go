package runtime

import (
	"path/filepath"

	"github.com/meshledger/meshledger/runtime/internal/wasm"
)

// Engine selects how wazero executes contract code.
type Engine int

const (
	// EngineCompiler compiles to native code ahead of time (the default).
	EngineCompiler Engine = iota
	// EngineInterpreter interprets; used to check the compiler differentially.
	EngineInterpreter
)

// Isolation selects how a pooled instance is returned to its post-init
// snapshot after each call. Every mode gives identical results; they differ
// only in cost (see BenchmarkIsolation).
type Isolation int

const (
	// IsolationAuto picks copy-on-write memory where the platform supports
	// it and snapshot copying elsewhere.
	IsolationAuto Isolation = iota
	// IsolationCopy copies the whole memory snapshot back after each call.
	IsolationCopy
	// IsolationCoW maps the snapshot copy-on-write and drops the touched
	// pages after each call (Linux only; falls back to IsolationCopy).
	IsolationCoW
	// IsolationFresh instantiates a new instance for every call.
	IsolationFresh
)

// Limits bounds what a contract may declare at deploy and do in a call.
// Every limit is part of consensus: nodes of one network must agree on them.
type Limits struct {
	MaxCodeBytes   int    // Wasm binary size
	MaxMemoryPages uint32 // 64 KiB pages, initial and maximum; a grow past it fails the call with CodeMemoryLimit
	MaxTables      int
	MaxTableSize   uint32
	MaxFunctions   int
	MaxGlobals     int
	MaxImports     int
	// MaxCallDepth bounds nested Wasm calls. It must stay below the
	// interpreter's own frame ceiling (2,000) so that both engines stop at
	// the same deterministic point with CodeCallDepth; New rejects more.
	MaxCallDepth uint32

	MaxReturnBytes int
	MaxEvents      int
	MaxEventBytes  int // total of names and data per call
	MaxLogBytes    int
	MaxKeyBytes    int
	MaxValueBytes  int
	MaxScanEntries int
	// MaxCallArgsBytes bounds the arguments of a cross-contract call; the
	// default is the ledger's bound on a transaction's arguments, so a
	// contract can forward whatever a transaction may carry.
	MaxCallArgsBytes int
}

// DefaultLimits returns the limits of NewConfig (a function, not a
// variable, so that no caller can change another's defaults). What a
// module may declare takes the validator's documented defaults
// (internal/wasm.DefaultLimits), written there once; the rest bound calls.
func DefaultLimits() Limits {
	w := wasm.DefaultLimits()
	return Limits{
		MaxCodeBytes:   w.MaxCodeBytes,
		MaxMemoryPages: w.MaxMemoryPages,
		MaxTables:      w.MaxTables,
		MaxTableSize:   w.MaxTableSize,
		MaxFunctions:   w.MaxFunctions,
		MaxGlobals:     w.MaxGlobals,
		MaxImports:     w.MaxImports,
		MaxCallDepth:   1500,
		MaxReturnBytes: 64 << 10,
		MaxEvents:      256,
		MaxEventBytes:  64 << 10,
		MaxLogBytes:    64 << 10,
		MaxKeyBytes:    1 << 10,
		MaxValueBytes:  256 << 10,
		MaxScanEntries: 1000,

		MaxCallArgsBytes: 256 << 10,
	}
}

// DefaultInitGas bounds _initialize and the start function. Go's runtime
// and package initialisation of a typical contract costs one to a few million gas.
const DefaultInitGas = 100_000_000

// Config is an immutable runtime configuration: every WithXxx returns a
// modified copy.
type Config struct {
	engine      Engine
	isolation   Isolation
	limits      Limits
	initGas     uint64
	cacheDir    string
	compiledDir string
	moduleCache int
	memBudget   uint64
	unmetered   bool
}

// DefaultMemoryBudget is the memory budget of NewConfig. A Go contract of
// 3 to 4 MB of code holds about 25 MiB (compiled code, mostly), so 2 GiB
// keeps about 80 of them, more than the default module count of 64, while
// a node of 2 cores and 24 GiB keeps over 20 GiB for calls in flight (up
// to MaxMemoryPages each, one per core and pending query), LevelDB and
// the operating system's file cache.
const DefaultMemoryBudget = 2 << 30

// NewConfig returns the defaults: compiler engine, DefaultLimits,
// DefaultInitGas, no disk cache, at most 64 loaded modules and
// DefaultMemoryBudget bytes kept in memory.
func NewConfig() Config {
	return Config{limits: DefaultLimits(), initGas: DefaultInitGas, moduleCache: 64, memBudget: DefaultMemoryBudget}
}

// WithInterpreter selects the interpreter engine.
func (c Config) WithInterpreter() Config { c.engine = EngineInterpreter; return c }

// WithEngine selects an engine.
func (c Config) WithEngine(e Engine) Config { c.engine = e; return c }

// WithLimits replaces the limits.
func (c Config) WithLimits(l Limits) Config { c.limits = l; return c }

// WithInitGas sets the gas budget of _initialize and start.
func (c Config) WithInitGas(gas uint64) Config { c.initGas = gas; return c }

// WithCacheDir keeps compiled code, instrumented modules and
// post-initialisation snapshots under dir so that a restarted node neither
// re-instruments, recompiles nor re-initialises.
func (c Config) WithCacheDir(dir string) Config { c.cacheDir = dir; return c }

// WithCompiledCacheDir keeps the engine's compiled code under dir instead
// of under the cache directory, with or without one. Compiled code is
// keyed by the exact module bytes, the engine version and the CPU, so one
// directory may serve any number of runtimes and processes at once, such
// as test binaries that load the same contracts; the instrumented modules
// and snapshots of WithCacheDir may not be shared that freely, since they
// also depend on this package's code.
func (c Config) WithCompiledCacheDir(dir string) Config { c.compiledDir = dir; return c }

// WithModuleCacheSize bounds how many loaded modules are kept in memory.
func (c Config) WithModuleCacheSize(n int) Config { c.moduleCache = n; return c }

// WithMemoryBudget bounds the bytes that loaded modules keep between
// calls: compiled code (estimated), post-initialisation snapshots and idle
// pooled instances. Over budget, the runtime first closes idle instances
// of the least recently used modules, then evicts whole modules, least
// recently used first, returning their memory to the operating system. An
// evicted module is reloaded from the disk cache by its next call. The
// most recently used module is never evicted, so one module larger than
// the budget still runs; memory of calls in flight is not counted (see
// docs/design.md, "Wasm memory budget"). Zero means no budget.
func (c Config) WithMemoryBudget(bytes uint64) Config { c.memBudget = bytes; return c }

// MemoryBudget returns the memory budget in bytes (0: none).
func (c Config) MemoryBudget() uint64 { return c.memBudget }

// WithIsolation selects the per-call reset strategy.
func (c Config) WithIsolation(i Isolation) Config { c.isolation = i; return c }

// WithoutMetering disables gas accounting in Wasm code. It exists only so
// that benchmarks can measure the cost of metering; a node must never use
// it, because unmetered code can run forever.
func (c Config) WithoutMetering() Config { c.unmetered = true; return c }

// Limits returns the configured limits.
func (c Config) Limits() Limits { return c.limits }

// InitGas returns the init gas budget.
func (c Config) InitGas() uint64 { return c.initGas }

// CacheDir returns the disk cache directory ("" when disabled).
func (c Config) CacheDir() string { return c.cacheDir }

// CompiledCacheDir returns the directory of compiled code: the one of
// WithCompiledCacheDir, else "compiled" under CacheDir, else "".
func (c Config) CompiledCacheDir() string {
	switch {
	case c.compiledDir != "":
		return c.compiledDir
	case c.cacheDir != "":
		return filepath.Join(c.cacheDir, "compiled")
	}
	return ""
}

// Engine returns the configured engine.
func (c Config) Engine() Engine { return c.engine }
