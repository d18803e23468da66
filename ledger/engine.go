package ledger

import (
	"context"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/runtime"
)

// Engine is the seam between the ledger and the code that runs contracts:
// the ledger loads code through it and calls the contracts it returns,
// and needs nothing else from a Wasm runtime. Keeping the seam this narrow
// lets executor tests run on a scripted engine (ledger/enginetest) without
// compiling contracts, and lets a second engine run beside the first to
// compare them.
//
// An Engine must be safe for concurrent use: blocks execute while queries
// and the node's background precompiler load and call contracts.
type Engine interface {
	// Load validates, prepares and initialises code, or returns the
	// contract already loaded for the same code. Code the engine refuses,
	// or whose initialisation fails, yields a *runtime.DeployError, which
	// the ledger records as a failed deploy receipt; any other error is a
	// host failure and aborts the block. Whether code is refused must
	// depend on the code alone, identically on every node.
	Load(ctx context.Context, code []byte) (Contract, error)
	// LoadCached returns the contract of codeHash if the engine can load
	// it without its code (from memory or a cache of an earlier Load); ok
	// is false when it cannot, and the ledger then reads the code and calls
	// Load. A cache is an optimisation: the contract must behave exactly as
	// Load would make it.
	LoadCached(ctx context.Context, codeHash common.Hash) (c Contract, ok bool, err error)
}

// Contract is loaded code, ready to call.
type Contract interface {
	// Call runs method with args against state. Call must be
	// deterministic: the same code, env, args and state give the same
	// result and gas on every node, since both become part of the block.
	// A contract failure is a *runtime.Result with a non-OK Code (the
	// transaction gets a failed receipt); an error means the host failed
	// (cancelled ctx, unreadable state, an engine fault) and the ledger
	// must not record the call.
	Call(ctx context.Context, env runtime.Env, method string, args []byte, state runtime.State) (*runtime.Result, error)
}

// RuntimeEngine runs contracts in a Wasm runtime.
type RuntimeEngine struct{ rt *runtime.Runtime }

var (
	_ Engine   = (*RuntimeEngine)(nil)
	_ Contract = (*runtime.Module)(nil)
)

// NewRuntimeEngine returns an Engine over rt. The caller keeps ownership:
// the ledger never closes an engine it was given.
func NewRuntimeEngine(rt *runtime.Runtime) *RuntimeEngine { return &RuntimeEngine{rt: rt} }

// Load implements Engine with runtime.Runtime.Load.
func (e *RuntimeEngine) Load(ctx context.Context, code []byte) (Contract, error) {
	m, err := e.rt.Load(ctx, code)
	if err != nil {
		// Not m itself: a nil *runtime.Module in a Contract is not nil.
		return nil, err
	}
	return m, nil
}

// LoadCached implements Engine with runtime.Runtime.LoadCached.
func (e *RuntimeEngine) LoadCached(ctx context.Context, codeHash common.Hash) (Contract, bool, error) {
	m, ok, err := e.rt.LoadCached(ctx, runtime.Hash(codeHash))
	if err != nil || !ok {
		return nil, false, err
	}
	return m, true, nil
}
