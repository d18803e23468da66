package runtime

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"golang.org/x/crypto/sha3"

	"github.com/meshledger/meshledger/runtime/internal/wasm"
)

// Runtime loads and runs contracts. It is safe for concurrent use.
type Runtime struct {
	cfg    Config
	wz     wazero.Runtime
	cache  wazero.CompilationCache // nil without a cache dir
	policy wasm.Policy
	disk   *preparedCache // nil without a cache dir
	cow    bool

	mu      sync.Mutex
	lru     *moduleLRU
	loading map[Hash]*pendingLoad
	closed  bool

	stats struct {
		prepared, compiled, initialised, diskHits, snapshotHits, evictions atomic.Uint64
		resets, pageMapReads                                               atomic.Uint64
	}
	mem memoryAccount
}

// Stats counts the expensive steps a Runtime performed, so that callers
// and tests can tell cache hits from work.
type Stats struct {
	Prepared     uint64 // modules validated and instrumented
	Compiled     uint64 // modules handed to the engine's compiler (a disk cache hit still counts)
	Initialised  uint64 // _initialize or start runs
	DiskHits     uint64 // instrumented modules read from the disk cache
	SnapshotHits uint64 // post-initialisation snapshots read from the disk cache instead of initialising
	// MemoryBytes is the memory loaded modules hold between calls, as
	// counted against the memory budget (see Config.WithMemoryBudget).
	MemoryBytes uint64
	Evictions   uint64 // modules evicted to stay within the memory budget
	// Resets counts instances returned to their snapshot after a call, and
	// PageMapReads those of them that read the kernel's page map to find
	// the pages the call wrote (the others trusted the pages the previous
	// reset kept; see cowMemory.reset).
	Resets       uint64
	PageMapReads uint64
}

// maxWasmPages is the most pages a 32-bit Wasm memory can have.
const maxWasmPages = 65536

// maxInterpreterDepth is the interpreter's own frame ceiling: MaxCallDepth
// must stay below it so both engines stop recursion at the same point.
const maxInterpreterDepth = 2000

// New creates a Runtime. Close releases it.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	if cfg.limits.MaxCallDepth == 0 || cfg.limits.MaxMemoryPages == 0 {
		return nil, errors.New("runtime: config limits MaxCallDepth and MaxMemoryPages must be positive")
	}
	if cfg.limits.MaxCallDepth >= maxInterpreterDepth {
		return nil, fmt.Errorf("runtime: config limit MaxCallDepth %d must be below the interpreter's frame ceiling of %d", cfg.limits.MaxCallDepth, maxInterpreterDepth)
	}
	if cfg.limits.MaxMemoryPages > maxWasmPages {
		return nil, fmt.Errorf("runtime: config limit MaxMemoryPages %d exceeds the Wasm maximum of %d", cfg.limits.MaxMemoryPages, maxWasmPages)
	}
	var wc wazero.RuntimeConfig
	if cfg.engine == EngineInterpreter {
		wc = wazero.NewRuntimeConfigInterpreter()
	} else {
		wc = wazero.NewRuntimeConfigCompiler()
	}
	wc = wc.WithCoreFeatures(api.CoreFeaturesV2).
		// The page limit is enforced by the instrumented memory.grow,
		// which records a refusal (wasm.Prepared.RefusedGlobal), and
		// again by the instances' memory allocator (limitedMemory).
		WithMemoryLimitPages(maxWasmPages).
		WithDebugInfoEnabled(false).
		WithCloseOnContextDone(false)
	rt := &Runtime{cfg: cfg, policy: policyFor(cfg), lru: newModuleLRU(max(1, cfg.moduleCache)), loading: make(map[Hash]*pendingLoad)}
	switch cfg.isolation {
	case IsolationAuto, IsolationCoW:
		rt.cow = cowSupported
	}
	if dir := cfg.CompiledCacheDir(); dir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			return nil, fmt.Errorf("runtime: open compilation cache: %w", err)
		}
		rt.cache = cache
		wc = wc.WithCompilationCache(cache)
	}
	if cfg.cacheDir != "" {
		rt.disk = newPreparedCache(filepath.Join(cfg.cacheDir, "prepared"), rt.policy, cfg.unmetered)
	}
	rt.wz = wazero.NewRuntimeWithConfig(ctx, wc)
	for _, h := range []struct {
		name  string
		funcs []hostFunc
	}{{hostModule, meshledgerFuncs}, {wasiModule, wasiFuncs}} {
		if err := instantiateHost(ctx, rt.wz, h.name, h.funcs); err != nil {
			rt.wz.Close(ctx)
			return nil, err
		}
	}
	return rt, nil
}

// Config returns the runtime's configuration.
func (r *Runtime) Config() Config { return r.cfg }

// Stats returns the work counters.
func (r *Runtime) Stats() Stats {
	return Stats{
		Prepared:     r.stats.prepared.Load(),
		Compiled:     r.stats.compiled.Load(),
		Initialised:  r.stats.initialised.Load(),
		DiskHits:     r.stats.diskHits.Load(),
		SnapshotHits: r.stats.snapshotHits.Load(),
		MemoryBytes:  uint64(max(r.mem.used.Load(), 0)),
		Evictions:    r.stats.evictions.Load(),
		Resets:       r.stats.resets.Load(),
		PageMapReads: r.stats.pageMapReads.Load(),
	}
}

// Close releases every module and the engine. Modules fail with ErrClosed
// afterwards.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	mods := r.lru.drain()
	r.mu.Unlock()
	for _, m := range mods {
		m.retire(ctx, ErrClosed)
	}
	err := r.wz.Close(ctx)
	if r.cache != nil {
		if cerr := r.cache.Close(ctx); err == nil {
			err = cerr
		}
	}
	return err
}

func (r *Runtime) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// CodeHash is the identity of contract code: keccak256 of its bytes.
func CodeHash(code []byte) Hash {
	var h Hash
	d := sha3.NewLegacyKeccak256()
	d.Write(code)
	d.Sum(h[:0])
	return h
}

// Load validates, instruments, compiles and initialises code, or returns
// the module already loaded for the same code. A module the policy rejects,
// or whose initialisation fails, yields a *DeployError; any other error is a
// host failure.
func (r *Runtime) Load(ctx context.Context, code []byte) (*Module, error) {
	if len(code) > r.cfg.limits.MaxCodeBytes {
		return nil, &DeployError{Code: DeployCodeTooLarge, Msg: fmt.Sprintf("module of %d bytes exceeds the limit of %d", len(code), r.cfg.limits.MaxCodeBytes)}
	}
	hash := CodeHash(code)
	if m, err := r.cached(hash); m != nil || err != nil {
		return m, err
	}
	prep, meta, err := r.disk.load(hash)
	if err != nil {
		return nil, err
	}
	if prep != nil {
		r.stats.diskHits.Add(1)
	} else {
		p, err := wasm.Prepare(code, r.policy)
		if err != nil {
			if de := deployErrorFrom(err); de != nil {
				return nil, de
			}
			return nil, fmt.Errorf("runtime: prepare: %w", err)
		}
		r.stats.prepared.Add(1)
		// Unmetered (benchmarks only), the module has the same shape with
		// no gas charged (wasm.Policy.NoMetering).
		prep, meta = p.Code, metaOf(p)
		if err := r.disk.store(hash, prep, meta); err != nil {
			return nil, err
		}
	}
	return r.finishLoad(ctx, hash, prep, meta)
}

// LoadCached loads the module of codeHash without its code, from memory or
// from the disk cache of an earlier Load. ok is false when neither has it;
// the caller then needs the code and Load.
func (r *Runtime) LoadCached(ctx context.Context, codeHash Hash) (m *Module, ok bool, err error) {
	if m, err := r.cached(codeHash); m != nil || err != nil {
		return m, m != nil, err
	}
	prep, meta, err := r.disk.load(codeHash)
	if err != nil || prep == nil {
		return nil, false, err
	}
	r.stats.diskHits.Add(1)
	m, err = r.finishLoad(ctx, codeHash, prep, meta)
	if err != nil {
		return nil, false, err
	}
	return m, true, nil
}

func (r *Runtime) cached(hash Hash) (*Module, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	return r.lru.get(hash), nil
}

// pendingLoad is a finishLoad in progress, which later loads of the same
// code wait for instead of repeating it.
type pendingLoad struct {
	done chan struct{}
	m    *Module
	err  error
}

// finishLoad compiles and initialises instrumented code and caches the
// module. One load per code runs at a time: the others wait for it and
// share its outcome. Besides saving the work, this matters to the engine,
// which publishes a module it reads from its compilation cache before it
// has finished preparing it, so an instance of a concurrent second load
// could see it half-built.
func (r *Runtime) finishLoad(ctx context.Context, hash Hash, code []byte, meta moduleMeta) (*Module, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, ErrClosed
	}
	if m := r.lru.get(hash); m != nil {
		r.mu.Unlock()
		return m, nil
	}
	if p := r.loading[hash]; p != nil {
		r.mu.Unlock()
		select {
		case <-p.done:
			return p.m, p.err
		case <-ctx.Done():
			return nil, fmt.Errorf("runtime: load: %w", ctx.Err())
		}
	}
	p := &pendingLoad{done: make(chan struct{})}
	r.loading[hash] = p
	r.mu.Unlock()
	p.m, p.err = r.compileAndInitialise(ctx, hash, code, meta)
	r.mu.Lock()
	delete(r.loading, hash)
	r.mu.Unlock()
	close(p.done)
	return p.m, p.err
}

// compileAndInitialise is finishLoad's work.
func (r *Runtime) compileAndInitialise(ctx context.Context, hash Hash, code []byte, meta moduleMeta) (*Module, error) {
	// The stored snapshot is read and verified while the engine decodes
	// and validates the module, which takes far longer.
	var stored chan snapshotRead
	if !r.cfg.unmetered && r.disk != nil {
		stored = make(chan snapshotRead, 1)
		go func() {
			snap, err := r.disk.loadSnapshot(hash, &r.cfg, &meta)
			stored <- snapshotRead{snap, err}
		}()
	}
	r.stats.compiled.Add(1)
	compiled, err := r.wz.CompileModule(experimental.WithCompilationWorkers(ctx, goruntime.GOMAXPROCS(0)), code)
	if err != nil {
		if stored != nil {
			(<-stored).snap.free()
		}
		return nil, &DeployError{Code: DeployMalformed, Msg: fmt.Sprintf("compile: %v", err)}
	}
	m := &Module{rt: r, hash: hash, moduleCore: &moduleCore{compiled: compiled, meta: meta, cow: r.cow, maxIdle: defaultMaxIdle(), acct: &r.mem}}
	if r.disk == nil {
		m.prep = code
	}
	if err := r.initialiseOrRestore(ctx, m, stored); err != nil {
		m.free(ctx)
		return nil, err
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		m.retire(ctx, ErrClosed)
		return nil, ErrClosed
	}
	m.mu.Lock()
	m.addBytesLocked(m.fixedBytes(len(code), len(m.prep)))
	m.mu.Unlock()
	// hash is not cached: finishLoad runs one load per code at a time,
	// after finding none cached, and only a load adds to the cache.
	evicted := r.lru.add(hash, m)
	r.mu.Unlock()
	if evicted != nil {
		r.stats.evictions.Add(1)
		evicted.retire(ctx, ErrEvicted)
	}
	r.enforceBudget(ctx)
	return m, nil
}

// snapshotRead is the outcome of preparedCache.loadSnapshot.
type snapshotRead struct {
	snap *snapshot
	err  error
}

// initialiseOrRestore gives m its snapshot: the one stored in the disk
// cache by an earlier initialisation under the same configuration, which
// stored delivers (nil: no disk cache), or a new one, which it stores.
func (r *Runtime) initialiseOrRestore(ctx context.Context, m *Module, stored <-chan snapshotRead) error {
	if stored == nil {
		// No disk cache, or the unmetered module, which keeps its
		// template instance (see initialise).
		return r.initialise(ctx, m)
	}
	read := <-stored
	if read.err != nil {
		return read.err
	}
	if read.snap != nil {
		r.stats.snapshotHits.Add(1)
		return m.setSnapshot(read.snap)
	}
	if err := r.initialise(ctx, m); err != nil {
		return err
	}
	return r.disk.storeSnapshot(m.hash, &r.cfg, m.snap)
}

// initialise runs the start function and _initialize once, each under the
// init gas budget, and snapshots the result.
func (r *Runtime) initialise(ctx context.Context, m *Module) error {
	r.stats.initialised.Add(1)
	inst := &instance{cs: newCallState(&r.cfg.limits)}
	cs := inst.cs
	cs.begin(ctx, Env{ReadOnly: true, GasLimit: r.cfg.initGas}, "", nil, nil)
	defer cs.end()
	// Host functions called during instantiation find the call state
	// through the context.
	tmpl, err := m.instantiateWith(cs, inst, false)
	if err != nil {
		if cs.hostErr != nil {
			return cs.hostErr
		}
		var de *DeployError
		if errors.As(err, &de) {
			return de
		}
		if cs.fail != "" {
			return &DeployError{Code: DeployInitFailed, Msg: "instantiate: " + initFailure(cs, err)}
		}
		msg, ok := instantiateFailure(err)
		if !ok {
			// Not a failure Wasm defines: nothing says every node would
			// fail the same way, so the deploy must not be recorded.
			return err
		}
		return &DeployError{Code: DeployInitFailed, Msg: "instantiate: " + msg}
	}
	if m.meta.HasStart {
		if err := r.runInit(cs, tmpl, wasm.StartExportName, "start function"); err != nil {
			tmpl.close(ctx)
			return err
		}
	}
	if r.cfg.unmetered {
		// The original module's globals are not exported, so no other
		// instance can be brought to the snapshot: this one is the only
		// instance, reset by memory alone (benchmarks only).
		m.idle = append(m.idle, tmpl)
	} else {
		defer tmpl.close(ctx)
	}
	if m.meta.HasInitialize {
		if err := r.runInit(cs, tmpl, exportInitialize, exportInitialize); err != nil {
			return err
		}
	}
	snap, err := r.warmUp(cs, tmpl)
	if err != nil {
		return err
	}
	return m.setSnapshot(snap)
}

// runInit calls the initialisation export name of tmpl (the start
// function or _initialize) under the init gas budget. A failure is a
// DeployError naming what, or a host error.
func (r *Runtime) runInit(cs *callState, tmpl *instance, name, what string) error {
	if tmpl.gas != nil {
		tmpl.gas.Set(min(r.cfg.initGas, math.MaxInt64))
		tmpl.depth.Set(0)
		tmpl.refused.Set(0)
	}
	fn := tmpl.mod.ExportedFunction(name)
	if fn == nil {
		return fmt.Errorf("runtime: instrumented module lacks export %q", name)
	}
	callErr := fn.CallWithStack(cs, nil)
	switch {
	case cs.hostErr != nil:
		return cs.hostErr
	case cs.fail == CodeOutOfGas || (tmpl.gas != nil && int64(tmpl.gas.Get()) < 0):
		return &DeployError{Code: DeployInitOutOfGas, Msg: fmt.Sprintf("%s used more than %d gas", what, r.cfg.initGas)}
	case cs.fail != "" || callErr != nil:
		return &DeployError{Code: DeployInitFailed, Msg: what + ": " + initFailure(cs, callErr)}
	}
	return nil
}

// warmUpMethod is called once after initialisation, before the snapshot.
const warmUpMethod = "mesh.methods"

// warmUp calls the reserved read-only method mesh.methods once on the
// initialised instance and snapshots after it if it succeeded, or before
// it otherwise. Go's heap is full right after initialisation, so without
// this every call would grow memory, and an instance whose memory grew
// cannot be reused. The warm-up's allocations leave free heap space in the
// snapshot, and it fills the reflection caches every call would otherwise
// rebuild. Both are pure functions of the code, so every node takes the
// same snapshot.
func (r *Runtime) warmUp(cs *callState, tmpl *instance) (*snapshot, error) {
	before, err := tmpl.takeSnapshot()
	if err != nil {
		return nil, err
	}
	cs.begin(cs.Context, Env{ReadOnly: true, GasLimit: r.cfg.initGas}, warmUpMethod, nil, nil)
	if tmpl.gas != nil {
		tmpl.gas.Set(min(r.cfg.initGas, math.MaxInt64))
		tmpl.depth.Set(0)
		tmpl.refused.Set(0)
	}
	tmpl.stack[0] = 0
	callErr := tmpl.call.CallWithStack(cs, tmpl.stack[:])
	if cs.hostErr != nil {
		before.free()
		return nil, cs.hostErr
	}
	outOfGas := tmpl.gas != nil && int64(tmpl.gas.Get()) < 0
	if callErr == nil && cs.fail == "" && tmpl.stack[0] == statusOK && !outOfGas {
		after, err := tmpl.takeSnapshot()
		before.free()
		return after, err
	}
	return before, nil
}

func initFailure(cs *callState, err error) string {
	if cs.fail != "" {
		return fmt.Sprintf("%s: %s", cs.fail, cs.failMsg)
	}
	return trapMessage(err)
}
