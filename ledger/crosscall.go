package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/runtime"
	"github.com/meshledger/meshledger/status"
)

// crossCalls runs the cross-contract calls of one transaction or one
// query: it is the runtime.ContractCaller of every call in that call tree.
//
// Its stack holds one frame per contract call in progress, the
// transaction's (or query's) own call at the bottom. A frame collects
// what its finished callees did: their writes (a pending layer, which
// later calls in the same transaction read) and their writes and events
// in call order (for the receipt). When a callee succeeds its frame is
// merged into its caller's; when it fails it is dropped, so its writes —
// and those of everything it called — are gone while the caller goes on.
// Only the bottom frame reaches the block, and only if the transaction's
// call succeeds (runCall).
//
// Reentrancy is refused: a contract on the stack cannot be called again
// until its call returns. A contract's own writes are buffered by the
// runtime until its call returns, so a reentrant call would read its
// state without them; refusing it keeps every call's view consistent.
//
// Not safe for concurrent use: the runtime calls CallContract
// synchronously while the calling contract is suspended, and each
// transaction and query has its own crossCalls.
type crossCalls struct {
	l *Ledger
	// env is the bottom call's env: the block's (or query's) fields every
	// callee shares (TxHash, Height, TimeMs, Directory, ReadOnly).
	env   runtime.Env
	stack []*callFrame
	// b is the block being executed; nil in a query.
	b *pendingBlock
	// module and state are where the callee's code (and its hash) and
	// committed state come from: the block being executed or the queried
	// height.
	module func(ctx context.Context, addr common.Address) (Contract, common.Hash, bool, error)
	state  func(addr common.Address) (runtime.State, error)
	// reads, in a query, lists the keys each callee read, by contract in
	// the order contracts were first called, for the query's proofs.
	reads *callReads
}

var _ runtime.ContractCaller = (*crossCalls)(nil)

// callFrame is one contract call in progress.
type callFrame struct {
	contract common.Address
	// layer holds the writes of this call's finished, successful callees
	// (and theirs), newest value per key, over the block's state.
	layer map[common.Address]map[string]overlayEntry
	// effects are the same callees' events and writes in call order:
	// each callee's own before those of the calls it made.
	effects []callEffect
}

// callEffect is what one successful call left: its contract's events and
// writes.
type callEffect struct {
	contract common.Address
	events   []runtime.Event
	writes   []runtime.Write
}

// newBlockCalls returns the caller of a transaction's call of contract in
// block b; env is that call's env.
func (l *Ledger) newBlockCalls(b *pendingBlock, contract common.Address, env runtime.Env) *crossCalls {
	cc := &crossCalls{l: l, env: env, b: b, stack: []*callFrame{{contract: contract}}}
	cc.module = func(ctx context.Context, addr common.Address) (Contract, common.Hash, bool, error) {
		rec, err := l.contractRecord(b, addr)
		if err != nil || rec == nil {
			return nil, common.Hash{}, false, err
		}
		mod, err := l.loadModule(ctx, b, rec.CodeHash)
		if err != nil {
			// Stored code loaded once already: failing now is a host problem.
			return nil, common.Hash{}, false, fmt.Errorf("load code %s of %s: %w", rec.CodeHash, addr, err)
		}
		return mod, rec.CodeHash, true, nil
	}
	cc.state = func(addr common.Address) (runtime.State, error) {
		return b.ov.view(addr, l.baseState(b, addr)), nil
	}
	return cc
}

// CallContract implements runtime.ContractCaller: it runs req.Method of
// req.To with req.From as its caller, over the state the transaction has
// written so far. A callee that cannot run (no such contract, a reserved
// method, the depth limit, reentrancy, arguments outside the callee's
// manifest: invalid_args) is a failed Result without gas;
// an error is a host failure.
func (cc *crossCalls) CallContract(ctx context.Context, req runtime.CallRequest) (*runtime.Result, error) {
	to := common.Address(req.To)
	if req.Depth >= runtime.MaxCallDepth {
		// The runtime stops calls at the limit before asking; checked here
		// too so that no engine can nest deeper than the stack allows.
		return failed(runtime.CodeCallDepth, "call depth exceeds %d", runtime.MaxCallDepth-1), nil
	}
	for _, f := range cc.stack {
		if f.contract == to {
			return failed(runtime.CodeReentrancy, "%s is already on the call stack (a contract cannot be re-entered)", to), nil
		}
	}
	switch req.Method {
	case methodInit:
		return failed(runtime.CodeUnknownMethod, "init runs only at deploy"), nil
	case methodMigrate:
		return failed(runtime.CodeUnknownMethod, "migrate runs only at upgrade"), nil
	}
	mod, codeHash, ok, err := cc.module(ctx, to)
	if err != nil {
		return nil, err
	}
	if !ok {
		return failed(status.UnknownContract, "no contract at %s", to), nil
	}
	// A contract's arguments pass its manifest's schema whoever sends
	// them: another contract is held to what a transaction is.
	if err := cc.l.checkArgs(cc.b, codeHash, req.Method, req.Args); err != nil {
		var ae *ArgsError
		if !errors.As(err, &ae) {
			return nil, err
		}
		return failed(status.InvalidArgs, "%s", ae.Error()), nil
	}
	base, err := cc.state(to)
	if err != nil {
		return nil, err
	}
	frame := &callFrame{contract: to}
	cc.stack = append(cc.stack, frame)
	env := cc.env
	env.Caller, env.Contract = req.From, req.To
	env.GasLimit, env.Depth = req.GasLimit, req.Depth
	env.ReadOnly = env.ReadOnly || req.ReadOnly
	env.Calls = cc
	res, err := mod.Call(ctx, env, req.Method, req.Args, &layeredState{cc: cc, contract: to, base: base})
	cc.stack = cc.stack[:len(cc.stack)-1]
	if err != nil {
		return nil, err
	}
	if cc.reads != nil {
		cc.reads.add(to, res.Reads)
	}
	if res.OK() {
		cc.top().merge(frame, res)
	}
	return res, nil
}

func (cc *crossCalls) top() *callFrame { return cc.stack[len(cc.stack)-1] }

// bottom is the transaction's own call's frame: what its callees left.
func (cc *crossCalls) bottom() *callFrame { return cc.stack[0] }

// merge takes a successful callee's frame into f: its own events and
// writes, then those of the calls it made.
func (f *callFrame) merge(callee *callFrame, res *runtime.Result) {
	f.effects = append(f.effects, callEffect{contract: callee.contract, events: res.Events, writes: res.Writes})
	f.effects = append(f.effects, callee.effects...)
	if f.layer == nil {
		f.layer = make(map[common.Address]map[string]overlayEntry)
	}
	// Each contract's entries are copied key by key: the order of the
	// copy cannot matter, since distinct keys land in distinct entries.
	for addr, entries := range callee.layer {
		for k, e := range entries {
			f.set(addr, []byte(k), e)
		}
	}
	for _, w := range res.Writes {
		f.set(callee.contract, w.Key, writeEntry(w))
	}
}

func (f *callFrame) set(contract common.Address, key []byte, e overlayEntry) {
	m := f.layer[contract]
	if m == nil {
		m = make(map[string]overlayEntry)
		f.layer[contract] = m
	}
	m[string(key)] = e
}

// writeEntry is w as an overlay entry (a nil value written is empty, not
// absent, as in applyWrites).
func writeEntry(w runtime.Write) overlayEntry {
	if w.Delete {
		return overlayEntry{deleted: true}
	}
	v := w.Value
	if v == nil {
		v = []byte{}
	}
	return overlayEntry{value: v}
}

// apply records a successful transaction's callees in its receipt, the
// block's overlay and its change list, after the transaction's own call's
// effects (applyResult). Events keep their call order. Writes keep the
// receipt's rule of one per key in ascending key order, per contract, the
// contracts in the order they were first called: a contract called twice
// shows the value its key was left with.
func (f *callFrame) apply(b *pendingBlock, rc *block.Receipt) {
	var order []common.Address
	final := make(map[common.Address]map[string]overlayEntry)
	for _, e := range f.effects {
		b.applyWrites(e.contract, rc, e.events, nil)
		if len(e.writes) == 0 {
			continue
		}
		m := final[e.contract]
		if m == nil {
			m = make(map[string]overlayEntry)
			final[e.contract] = m
			order = append(order, e.contract)
		}
		for _, w := range e.writes {
			m[string(w.Key)] = writeEntry(w)
		}
	}
	for _, c := range order {
		b.applyWrites(c, rc, nil, sortedWrites(final[c]))
	}
}

func failed(code runtime.Code, format string, args ...any) *runtime.Result {
	return &runtime.Result{Code: code, Message: fmt.Sprintf(format, args...)}
}

// layeredState is a callee's view of its contract's state: the writes of
// calls finished earlier in the same transaction (the frames' layers,
// newest first) over the block's state.
type layeredState struct {
	cc       *crossCalls
	contract common.Address
	base     runtime.State
}

var _ runtime.State = (*layeredState)(nil)

func (s *layeredState) Get(key []byte) ([]byte, bool, error) {
	for i := len(s.cc.stack) - 1; i >= 0; i-- {
		if e, ok := s.cc.stack[i].layer[s.contract][string(key)]; ok {
			if e.deleted {
				return nil, false, nil
			}
			return e.value, true, nil
		}
	}
	return s.base.Get(key)
}

// Iterate merges the layers into one overlay (older first, newer
// winning) and iterates it over the base, as the block's overlay does.
func (s *layeredState) Iterate(prefix, start []byte, fn func(key, value []byte) bool) error {
	var merged map[string]overlayEntry
	for _, f := range s.cc.stack {
		for k, e := range f.layer[s.contract] {
			if merged == nil {
				merged = make(map[string]overlayEntry)
			}
			merged[k] = e
		}
	}
	return (&contractState{entries: merged, base: s.base}).Iterate(prefix, start, fn)
}

// callReads collects the keys callees read in a query, by contract.
type callReads struct {
	order []common.Address
	keys  map[common.Address]map[string]bool
}

func (r *callReads) add(contract common.Address, keys [][]byte) {
	if r.keys == nil {
		r.keys = make(map[common.Address]map[string]bool)
	}
	m := r.keys[contract]
	if m == nil {
		m = make(map[string]bool)
		r.keys[contract] = m
		r.order = append(r.order, contract)
	}
	for _, k := range keys {
		m[string(k)] = true
	}
}

// sorted lists the keys contract's calls read, ascending.
func (r *callReads) sorted(contract common.Address) [][]byte {
	keys := make([][]byte, 0, len(r.keys[contract]))
	for k := range r.keys[contract] {
		keys = append(keys, []byte(k))
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 })
	return keys
}
