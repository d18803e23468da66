package runtime

import (
	"context"
	"errors"
	"fmt"
	"math"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
)

// Export names of the contract ABI.
const (
	exportCall       = "mesh_call"
	exportInitialize = "_initialize"
)

// moduleMeta is what the runtime needs to know about an instrumented
// module besides its bytes. It is stored beside the bytes in the disk cache.
type moduleMeta struct {
	GasGlobal      string   `json:"gas_global"`
	DepthGlobal    string   `json:"depth_global"`
	RefusedGlobal  string   `json:"refused_global"`
	Globals        []string `json:"globals"`
	HasInitialize  bool     `json:"has_initialize"`
	HasStart       bool     `json:"has_start"`
	MinMemoryPages uint32   `json:"min_memory_pages"`
	MaxMemoryPages uint32   `json:"max_memory_pages"`
}

// Module is a loaded contract: validated, instrumented, compiled and
// initialised once. Call is safe for concurrent use; each concurrent call
// runs on its own pooled instance. A Module the runtime evicted to stay
// within its memory budget keeps working: its next call reloads it.
type Module struct {
	rt   *Runtime
	hash Hash
	// prep is the instrumented code, kept only without a disk cache, to
	// reload the module after an eviction.
	prep []byte
	*moduleCore
}

// moduleCore holds a Module's resources, which retire releases.
type moduleCore struct {
	compiled wazero.CompiledModule
	meta     moduleMeta
	snap     *snapshot
	cow      bool
	maxIdle  int
	acct     *memoryAccount

	mu     sync.Mutex
	idle   []*instance
	active int // instances out on calls
	// retired is ErrClosed or ErrEvicted once the module takes no new
	// calls; its resources are freed when the last active call ends.
	retired error
	freed   bool
	bytes   int64 // counted against the budget: fixed costs and idle instances
}

// Hash returns the code hash the module was loaded under.
func (m *Module) Hash() Hash { return m.hash }

// acquire returns an instance at the snapshot.
func (m *Module) acquire(ctx context.Context) (*instance, error) {
	m.mu.Lock()
	if m.retired != nil {
		m.mu.Unlock()
		return nil, m.retired
	}
	m.active++
	if n := len(m.idle); n > 0 {
		inst := m.idle[n-1]
		m.idle = m.idle[:n-1]
		m.addBytesLocked(-inst.accounted)
		m.mu.Unlock()
		return inst, nil
	}
	m.mu.Unlock()
	inst, err := m.newInstance(ctx)
	if err != nil {
		m.finishCall(ctx, nil)
		return nil, err
	}
	return inst, nil
}

func (m *Module) newInstance(ctx context.Context) (*instance, error) {
	if m.rt.cfg.unmetered {
		return nil, errors.New("runtime: an unmetered module serves one call at a time")
	}
	inst, err := m.instantiate(ctx, m.cow)
	if err != nil {
		return nil, err
	}
	if err := inst.restore(m.snap); err != nil {
		inst.close(ctx)
		return nil, err
	}
	return inst, nil
}

// release resets inst and returns it to the pool, or discards it.
func (m *Module) release(ctx context.Context, inst *instance) error {
	var err error
	if m.rt.cfg.isolation == IsolationFresh {
		inst.close(ctx)
		inst = nil
	} else {
		reads := inst.cow.pageMapReads()
		ok, rerr := inst.reset(m.snap)
		m.rt.stats.resets.Add(1)
		if inst.cow.pageMapReads() != reads {
			m.rt.stats.pageMapReads.Add(1)
		}
		if rerr != nil || !ok {
			inst.close(ctx)
			inst, err = nil, rerr
		}
	}
	if m.finishCall(ctx, inst) {
		m.rt.enforceBudget(ctx)
	}
	return err
}

// finishCall ends a call that acquired an instance, pooling inst (nil:
// none to pool) if the module is live and its pool has room, closing it
// otherwise, and freeing a retired module's resources after its last
// call. pooled reports that inst was pooled.
func (m *Module) finishCall(ctx context.Context, inst *instance) (pooled bool) {
	m.mu.Lock()
	m.active--
	if inst != nil && m.retired == nil && len(m.idle) < m.maxIdle {
		inst.accounted = inst.residentBytes()
		m.idle = append(m.idle, inst)
		m.addBytesLocked(inst.accounted)
		inst, pooled = nil, true
	}
	free := m.retired != nil && m.active == 0 && !m.freed
	m.freed = m.freed || free
	m.mu.Unlock()
	if inst != nil {
		inst.close(ctx)
	}
	if free {
		m.free(ctx)
	}
	return pooled
}

// addBytesLocked changes the module's accounted bytes. Callers hold mu.
func (c *moduleCore) addBytesLocked(delta int64) {
	c.bytes += delta
	c.acct.used.Add(delta)
}

// takeIdle removes the idle instances from the pool, for the caller to
// close, and stops counting them.
func (c *moduleCore) takeIdle() []*instance {
	c.mu.Lock()
	defer c.mu.Unlock()
	idle := c.idle
	c.idle = nil
	for _, inst := range idle {
		c.addBytesLocked(-inst.accounted)
	}
	return idle
}

// markRetired stops the module from taking new calls and from counting
// against the budget. It returns the idle instances for the caller to
// close and whether the caller must free the module now (no call is
// active; otherwise the last one frees it).
func (c *moduleCore) markRetired(reason error) (idle []*instance, free bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.retired != nil {
		return nil, false
	}
	c.retired = reason
	idle, c.idle = c.idle, nil
	c.addBytesLocked(-c.bytes)
	free = c.active == 0
	c.freed = free
	return idle, free
}

// retire is markRetired followed by the closing it asks for.
func (c *moduleCore) retire(ctx context.Context, reason error) {
	idle, free := c.markRetired(reason)
	for _, inst := range idle {
		inst.close(ctx)
	}
	if free {
		c.free(ctx)
	}
}

// free releases the compiled code and the snapshot: no instance is left.
func (c *moduleCore) free(ctx context.Context) {
	c.compiled.Close(ctx)
	c.snap.free()
}

// Call runs method with JSON args against st. A contract failure is a
// Result with a non-OK Code (deterministic, part of consensus); an error
// means the host failed (cancelled ctx, state read error, engine fault)
// and the call must not be recorded.
func (m *Module) Call(ctx context.Context, env Env, method string, args []byte, st State) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("runtime: call %s: %w", method, err)
	}
	if m.rt.isClosed() {
		return nil, ErrClosed
	}
	inst, err := m.acquire(ctx)
	if errors.Is(err, ErrEvicted) {
		cur, err := m.rt.reload(ctx, m)
		if err != nil {
			return nil, fmt.Errorf("runtime: call %s: %w", method, err)
		}
		return cur.Call(ctx, env, method, args, st)
	}
	if err != nil {
		return nil, fmt.Errorf("runtime: call %s: %w", method, err)
	}
	res, runErr := m.run(ctx, inst, env, method, args, st)
	if err := m.release(ctx, inst); err != nil && runErr == nil {
		runErr = fmt.Errorf("runtime: call %s: %w", method, err)
	}
	return res, runErr
}

func (m *Module) run(ctx context.Context, inst *instance, env Env, method string, args []byte, st State) (*Result, error) {
	cs := inst.cs
	cs.begin(ctx, env, method, args, st)
	defer cs.end()
	limit := min(env.GasLimit, math.MaxInt64)
	if inst.gas != nil {
		inst.gas.Set(limit)
		inst.depth.Set(0)
		inst.refused.Set(0)
	}
	inst.stack[0] = 0
	callErr := inst.callGuest(cs)
	if cs.hostErr != nil {
		return nil, cs.hostErr
	}
	res := &Result{}
	if len(cs.log) > 0 {
		res.Log = append([]byte(nil), cs.log...)
	}
	res.Reads = cs.buf.Reads()
	left := cs.gasLeft()
	switch {
	case cs.fail != "":
		res.Code, res.Message = cs.fail, cs.failMsg
	case callErr != nil:
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("runtime: call %s: %w", method, err)
		}
		var known bool
		if res.Code, res.Message, known = m.classifyTrap(inst, callErr); !known {
			// Not a Wasm trap (a fault in a host function or the engine):
			// nothing says every node would fail the same way.
			return nil, fmt.Errorf("runtime: call %s: %w", method, callErr)
		}
	default:
		res.Code, res.Message = statusResult(uint32(inst.stack[0]), cs.ret)
	}
	if inst.gas == nil || left > int64(limit) {
		left = int64(limit)
	}
	// The counter may run below zero between the checks the instrumented
	// code makes, so a call that returned, or trapped for another reason,
	// with it negative ran out of gas too.
	if res.Code == CodeOutOfGas || left < 0 {
		res.Code = CodeOutOfGas
		if res.Message == "" {
			res.Message = "out of gas"
		}
		res.GasUsed = limit
	} else {
		res.GasUsed = limit - uint64(left)
	}
	if inst.gas == nil {
		res.GasUsed = 0
	}
	if res.Code != CodeOK {
		return res, nil
	}
	if len(cs.ret) > 0 {
		res.Return = append([]byte(nil), cs.ret...)
	}
	res.Events = cs.events
	cs.events = nil
	if ws := cs.buf.Writes(); len(ws) > 0 {
		res.Writes = make([]Write, len(ws))
		for i, w := range ws {
			res.Writes[i] = Write{Key: w.Key, Value: w.Value, Delete: w.Delete}
		}
	}
	return res, nil
}

// classifyTrap maps a Wasm trap to its code. Out of gas and depth are read
// from the instrumentation globals, so the classification does not depend
// on the engine's error text. known is false for an error that is no Wasm
// trap.
func (m *Module) classifyTrap(inst *instance, err error) (code Code, msg string, known bool) {
	if inst.gas != nil {
		if int64(inst.gas.Get()) < 0 {
			return CodeOutOfGas, "out of gas", true
		}
		if uint32(inst.depth.Get()) > m.rt.cfg.limits.MaxCallDepth {
			return CodeCallDepth, fmt.Sprintf("call depth exceeds %d", m.rt.cfg.limits.MaxCallDepth), true
		}
	}
	if inst.cs.memRefused || (inst.refused != nil && uint32(inst.refused.Get()) != 0) {
		// memory.grow returned -1 at the limit during this call, and the
		// call then trapped: Go's allocator throws "out of memory". The
		// instrumented grow refuses past the limit and records it in the
		// refusal global; the allocator's own refusal (limitedMemory) is
		// a second line that should never be reached.
		return CodeMemoryLimit, fmt.Sprintf("memory exceeds %d pages", m.meta.MaxMemoryPages), true
	}
	msg, known = trapKind(err)
	return CodeTrap, msg, known
}

// trapKinds maps the trap kinds of the engine's errors to the messages a
// Result carries. Messages go into receipts, so they are this package's
// own fixed strings rather than the engine's text, which may change
// between versions or differ between engines.
var trapKinds = map[string]string{
	"unreachable":                   "trap: unreachable",
	"integer divide by zero":        "trap: integer divide by zero",
	"integer overflow":              "trap: integer overflow",
	"invalid conversion to integer": "trap: invalid conversion to integer",
	"out of bounds memory access":   "trap: out of bounds memory access",
	"invalid table access":          "trap: invalid table access",
	"indirect call type mismatch":   "trap: indirect call type mismatch",
	"stack overflow":                "trap: stack overflow",
}

// trapOther is the message of an engine error of no known kind.
const trapOther = "trap: engine error"

// trapMessage names the trap kind of an engine error. wazero wraps the
// kind, an error whose text is exactly the kind, in an error that adds a
// stack trace whose format differs between engines.
func trapMessage(err error) string {
	msg, _ := trapKind(err)
	return msg
}

// trapKind is trapMessage, and whether err was a Wasm trap at all.
func trapKind(err error) (string, bool) {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if msg, ok := trapKinds[e.Error()]; ok {
			return msg, true
		}
	}
	return trapOther, false
}

// instantiateFailure names, with a fixed message, a failure that Wasm
// defines for instantiation: an active data segment that does not fit in
// the initial memory (the engine reports "data[N]: out of bounds memory
// access"), or a trap. ok is false for anything else, such as a failure
// to allocate memory, which is a host failure.
func instantiateFailure(err error) (msg string, ok bool) {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if rest, found := strings.CutPrefix(e.Error(), "data["); found {
			if idx, found := strings.CutSuffix(rest, "]: out of bounds memory access"); found {
				if n, err := strconv.ParseUint(idx, 10, 32); err == nil {
					return fmt.Sprintf("data segment %d out of bounds memory", n), true
				}
			}
		}
	}
	return trapKind(err)
}

// Status values of mesh_call.
const (
	statusOK            = 0
	statusError         = 1
	statusUnknownMethod = 2
	statusBadArgs       = 3
	statusPanic         = 4
)

func statusResult(status uint32, ret []byte) (Code, string) {
	switch status {
	case statusOK:
		return CodeOK, ""
	case statusError:
		return CodeError, string(ret)
	case statusUnknownMethod:
		return CodeUnknownMethod, string(ret)
	case statusBadArgs:
		return CodeBadArgs, string(ret)
	case statusPanic:
		return CodePanic, string(ret)
	default:
		return CodeBadStatus, fmt.Sprintf("mesh_call returned status %d", status)
	}
}

func defaultMaxIdle() int { return max(2, goruntime.GOMAXPROCS(0)) }
