package runtime

import (
	"context"
	"errors"
	"hash"
	"math"

	"github.com/tetratelabs/wazero/api"

	"github.com/meshledger/meshledger/runtime/internal/overlay"
	"github.com/meshledger/meshledger/runtime/internal/wasm"
)

// callKey finds the callState in a context that wraps it.
type callKey struct{}

// errStopCall is panicked by host functions to unwind the Wasm stack once
// the call's outcome is decided; the outcome itself is in the callState.
var errStopCall = errors.New("runtime: call stopped by host")

// callState is everything one call owns. It is allocated once per pooled
// instance and reset for every call, so the hot path does not allocate it.
// It is also the context.Context the call runs under, which lets host
// functions find it with a type assertion instead of a context lookup.
type callState struct {
	context.Context

	limits  *Limits
	mem     api.Memory
	window  *cowMemory        // the memory whose write window is open, if any
	gas     api.MutableGlobal // nil when unmetered
	env     Env
	method  string
	args    []byte
	buf     *overlay.Buffer
	ret     []byte
	events  []Event
	evBytes int
	log     []byte
	scan    []byte    // state_scan encoding scratch
	ident   []byte    // participant encoding scratch
	callOut []byte    // the last cross-contract call's outcome encoding
	keccak  hash.Hash // random_get's hash, kept across calls
	clockNs int64
	randCtr uint64
	// memRefused is set when the memory allocator refused to grow past
	// the limit during this call (see limitedMemory). The instrumented
	// memory.grow refuses such grows first and records that in the
	// instance's refusal global instead.
	memRefused bool

	fail    Code // set by a host function that ended the call
	failMsg string
	hostErr error // a host failure (store error, cancelled context): not a contract outcome
}

func newCallState(limits *Limits) *callState {
	return &callState{limits: limits, buf: overlay.New()}
}

// Value makes callState a context that answers callKey with itself.
func (cs *callState) Value(key any) any {
	if _, ok := key.(callKey); ok {
		return cs
	}
	return cs.Context.Value(key)
}

func stateFrom(ctx context.Context) *callState {
	if cs, ok := ctx.(*callState); ok {
		return cs
	}
	return ctx.Value(callKey{}).(*callState)
}

// bind attaches the state to a module that is still being instantiated
// (its start function is running), before the host has its handles.
func (cs *callState) bind(mod api.Module) {
	cs.mem = mod.Memory()
	if g, ok := mod.ExportedGlobal(wasm.GasGlobalName).(api.MutableGlobal); ok {
		cs.gas = g
	}
}

// begin prepares the state for a call. st may be nil (init: no storage).
func (cs *callState) begin(ctx context.Context, env Env, method string, args []byte, st State) {
	cs.Context = ctx
	cs.env = env
	cs.method = method
	cs.args = args
	cs.buf.Reset(storeOf(st))
	cs.ret = cs.ret[:0]
	cs.events = nil
	cs.evBytes = 0
	cs.log = cs.log[:0]
	cs.callOut = cs.callOut[:0]
	// Go's runtime refuses a clock that reads zero, which the zero block
	// time of initialisation would give.
	cs.clockNs = max(env.TimeMs*1_000_000, 1)
	cs.randCtr = 0
	cs.memRefused = false
	cs.fail, cs.failMsg, cs.hostErr = "", "", nil
}

// end drops references to caller-owned data so a pooled instance does not
// keep them alive.
func (cs *callState) end() {
	cs.Context = nil
	cs.args = nil
	cs.buf.Reset(nil)
	// One large scan must not pin its buffer to a pooled instance for
	// good; the common small ones keep theirs to avoid reallocating.
	if cap(cs.scan) > maxKeptScratch {
		cs.scan = nil
	}
	if cap(cs.callOut) > maxKeptScratch {
		cs.callOut = nil
	}
}

// maxKeptScratch bounds the state_scan buffer an idle instance keeps.
const maxKeptScratch = 1 << 20

func storeOf(st State) overlay.Store {
	if st == nil {
		return nil
	}
	return st
}

// stop ends the call with a contract failure.
func (cs *callState) stop(code Code, msg string) {
	cs.fail, cs.failMsg = code, msg
	panic(errStopCall)
}

// hostFailure ends the call with a host error (not a contract outcome).
func (cs *callState) hostFailure(err error) {
	cs.hostErr = err
	panic(errStopCall)
}

// gasLeft returns the remaining gas, which is negative after the counter
// ran out.
func (cs *callState) gasLeft() int64 {
	if cs.gas == nil {
		return math.MaxInt64
	}
	return int64(cs.gas.Get())
}

// charge subtracts cost from the Wasm gas counter, ending the call with
// out_of_gas if the counter would go negative.
func (cs *callState) charge(cost uint64) {
	if cs.gas == nil {
		return
	}
	left := int64(cs.gas.Get())
	if cost > uint64(math.MaxInt64) || int64(cost) > left {
		cs.gas.Set(^uint64(0))
		cs.stop(CodeOutOfGas, "out of gas")
	}
	cs.gas.Set(uint64(left - int64(cost)))
}

func (cs *callState) read(ptr, n uint32) []byte {
	b, ok := cs.mem.Read(ptr, n)
	if !ok {
		cs.stop(CodeTrap, "host: out of bounds memory access")
	}
	return b
}

func (cs *callState) write(ptr uint32, b []byte) {
	if !cs.mem.Write(ptr, b) {
		cs.stop(CodeTrap, "host: out of bounds memory access")
	}
}

func (cs *callState) writeU32(ptr, v uint32) {
	if !cs.mem.WriteUint32Le(ptr, v) {
		cs.stop(CodeTrap, "host: out of bounds memory access")
	}
}

func (cs *callState) writeU64(ptr uint32, v uint64) {
	if !cs.mem.WriteUint64Le(ptr, v) {
		cs.stop(CodeTrap, "host: out of bounds memory access")
	}
}
