package enginetest

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/runtime"
)

// Engine is a ledger.Engine whose methods call its func fields. A nil
// LoadFn fails every Load with a host error (a test that did not expect
// one learns of it from the aborted block); a nil LoadCachedFn is an
// engine with no cache, so every load goes through LoadFn.
//
// Set the fields before the ledger uses the engine; the engine itself
// holds no other state, so it is as safe for concurrent use as they are.
type Engine struct {
	LoadFn       func(ctx context.Context, code []byte) (ledger.Contract, error)
	LoadCachedFn func(ctx context.Context, codeHash common.Hash) (ledger.Contract, bool, error)
}

var _ ledger.Engine = (*Engine)(nil)

// Load implements ledger.Engine.
func (e *Engine) Load(ctx context.Context, code []byte) (ledger.Contract, error) {
	if e.LoadFn == nil {
		return nil, fmt.Errorf("enginetest: unexpected Load of %d bytes", len(code))
	}
	return e.LoadFn(ctx, code)
}

// LoadCached implements ledger.Engine.
func (e *Engine) LoadCached(ctx context.Context, codeHash common.Hash) (ledger.Contract, bool, error) {
	if e.LoadCachedFn == nil {
		return nil, false, nil
	}
	return e.LoadCachedFn(ctx, codeHash)
}

// Loading returns an Engine whose every Load gives c, whatever the code.
func Loading(c ledger.Contract) *Engine {
	return &Engine{LoadFn: func(context.Context, []byte) (ledger.Contract, error) { return c, nil }}
}

// Contract is a ledger.Contract whose Call calls CallFn. A nil CallFn
// fails every call with a host error.
type Contract struct {
	CallFn func(ctx context.Context, env runtime.Env, method string, args []byte, state runtime.State) (*runtime.Result, error)
}

var _ ledger.Contract = (*Contract)(nil)

// Call implements ledger.Contract.
func (c *Contract) Call(ctx context.Context, env runtime.Env, method string, args []byte, state runtime.State) (*runtime.Result, error) {
	if c.CallFn == nil {
		return nil, fmt.Errorf("enginetest: unexpected call of %q", method)
	}
	return c.CallFn(ctx, env, method, args, state)
}

// Methods returns a Contract that answers each method with the function
// of that name; init succeeds by default and any other method fails with
// runtime.CodeUnknownMethod, as a real contract's dispatcher would. The
// functions receive what Call received.
func Methods(fns map[string]func(env runtime.Env, args []byte, state runtime.State) (*runtime.Result, error)) *Contract {
	return &Contract{CallFn: func(_ context.Context, env runtime.Env, method string, args []byte, state runtime.State) (*runtime.Result, error) {
		if fn, ok := fns[method]; ok {
			return fn(env, args, state)
		}
		if method == "init" {
			return &runtime.Result{Code: runtime.CodeOK}, nil
		}
		return &runtime.Result{Code: runtime.CodeUnknownMethod, Message: fmt.Sprintf("no method %q", method)}, nil
	}}
}
