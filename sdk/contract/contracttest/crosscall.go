package contracttest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/meshledger/meshledger/sdk/contract"
)

// Cross-contract call limits and codes of docs/abi.md, "Cross-contract
// calls" (runtime.MaxCallDepth, runtime.MaxCallMethodBytes and the default
// runtime.Limits.MaxCallArgsBytes).
const (
	MaxCallDepth       = 8
	MaxCallMethodBytes = 256
	MaxCallArgsBytes   = 256 << 10

	CodeCallDepth       = "call_depth"
	CodeReentrancy      = "reentrancy"
	CodeUnknownContract = "unknown_contract"
	CodeBadCall         = "bad_call"
	CodeOutOfGas        = "out_of_gas"
)

// CallRequest is a cross-contract call the contract under test made, as a
// CallHandler sees it.
type CallRequest struct {
	From     contract.Address // the calling contract: the callee's caller
	To       contract.Address
	Method   string
	Args     []byte
	Gas      uint64 // requested gas; 0 for as much as the caller may give
	ReadOnly bool   // a query's call: the callee must not write
	Depth    int    // the callee's depth: the caller's plus one

	// stack is the contracts on the call stack, the caller last, so that
	// a chain of Hosts (Callee) refuses reentrancy as a node does; tx is
	// the transaction the call belongs to.
	stack []contract.Address
	tx    *mockTx
}

// CallHandler answers the cross-contract calls to one address. It returns
// the callee's JSON result, or an error: a *contract.CallError gives the
// caller that code and message, any other error code "error" and its
// text. A handler runs while the Host is busy with the call, so it must
// not use that Host (another Host, as Callee gives, is fine).
type CallHandler func(req CallRequest) ([]byte, error)

// CallRecord is one cross-contract call the contract made and its outcome.
type CallRecord struct {
	CallRequest
	Code    string
	Message string
	Return  []byte
}

// OnCall makes fn answer the contract's calls to addr, replacing any
// earlier handler; nil removes it. A call to an address without a handler
// fails with unknown_contract, and a call to the contract's own address
// with reentrancy, as on a node.
func (h *Host) OnCall(addr contract.Address, fn CallHandler) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if fn == nil {
		delete(h.callees, addr)
		return
	}
	h.callees[addr] = fn
}

// Callee returns a handler that runs the calls on h, as another instance
// of the contract under test with h's own state. As on a node, a callee's
// writes and events are visible to later calls in the same transaction,
// undone if the callee fails, and all undone if the transaction's own
// call fails. Mount it on another Host with OnCall.
func (h *Host) Callee() CallHandler {
	return func(req CallRequest) ([]byte, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		tx := req.tx
		if tx == nil { // called directly rather than by a Host
			tx = &mockTx{}
		}
		tx.join(h)
		save := tx.savepoint()
		depth, stack, prev := h.depth, h.stack, h.tx
		h.depth, h.stack, h.tx = req.Depth, req.stack, tx
		defer func() { h.depth, h.stack, h.tx = depth, stack, prev }()
		o := h.run(req.From, req.Method, req.Args, req.ReadOnly)
		if o.Code != CodeOK {
			tx.rollback(save)
			return nil, &contract.CallError{Code: o.Code, Message: o.Message}
		}
		return o.Return, nil
	}
}

// mockTx is the cross-Host transaction of one top-level call: the Hosts
// its callees ran on and what they held before, so a failure can undo
// them. The Hosts involved are all busy with this call (their mutexes are
// held up the call chain), so it reads and replaces their state freely.
type mockTx struct {
	hosts []*Host
	start txState
}

// txState is the state and event count of each Host of a transaction.
type txState map[*Host]hostState

type hostState struct {
	state  map[string][]byte
	events int
}

func (tx *mockTx) join(h *Host) {
	if slices.Contains(tx.hosts, h) {
		return
	}
	tx.hosts = append(tx.hosts, h)
	if tx.start == nil {
		tx.start = txState{}
	}
	tx.start[h] = hostState{state: maps.Clone(h.state), events: len(h.events)}
}

func (tx *mockTx) savepoint() txState {
	s := txState{}
	for _, h := range tx.hosts {
		s[h] = hostState{state: maps.Clone(h.state), events: len(h.events)}
	}
	return s
}

// rollback returns every Host of the transaction to what s holds, and
// those that joined after s was taken to what they held before.
func (tx *mockTx) rollback(s txState) {
	for _, h := range tx.hosts {
		st, ok := s[h]
		if !ok {
			st = tx.start[h]
		}
		h.state = maps.Clone(st.state)
		h.events = h.events[:st.events]
	}
}

// SetDepth sets how many contract calls are below the contract's calls,
// so a test can reach the depth limit: at MaxCallDepth-1 every call the
// contract makes fails with call_depth.
func (h *Host) SetDepth(depth int) { h.mu.Lock(); h.depth = depth; h.mu.Unlock() }

// Calls returns every cross-contract call made so far, including those of
// calls that failed afterwards, in order.
func (h *Host) Calls() []CallRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := slices.Clone(h.calls)
	for i := range out {
		out[i].Args = slices.Clone(out[i].Args)
		out[i].Return = slices.Clone(out[i].Return)
	}
	return out
}

// Call implements the call import: the checks a node makes, then the
// handler. h.mu is held by the running call.
func (c *call) Call(to [20]byte, method string, args []byte, gas uint64, buf []byte) int {
	req := CallRequest{
		From: c.host.self, To: to, Method: method, Args: slices.Clone(args),
		Gas: gas, ReadOnly: c.readOnly, Depth: c.host.depth + 1,
		stack: append(slices.Clone(c.host.stack), c.host.self),
		tx:    c.host.tx,
	}
	code, data := c.runCall(req)
	c.host.calls = append(c.host.calls, CallRecord{CallRequest: req, Code: code, Message: msgIfFailed(code, data), Return: retIfOK(code, data)})
	enc := binary.LittleEndian.AppendUint32(nil, uint32(len(code)))
	enc = append(enc, code...)
	enc = append(enc, data...)
	c.callOut = enc
	if len(enc) <= len(buf) {
		copy(buf, enc)
	}
	return len(enc)
}

// CallResult copies the last call's outcome.
func (c *call) CallResult(buf []byte) { copy(buf, c.callOut) }

func (c *call) runCall(req CallRequest) (code string, data []byte) {
	switch {
	case len(req.Method) > MaxCallMethodBytes:
		return CodeBadCall, fmt.Appendf(nil, "method name of %d bytes exceeds %d", len(req.Method), MaxCallMethodBytes)
	case len(req.Args) > MaxCallArgsBytes:
		return CodeBadCall, fmt.Appendf(nil, "call arguments of %d bytes exceed %d", len(req.Args), MaxCallArgsBytes)
	case req.Depth >= MaxCallDepth:
		return CodeCallDepth, fmt.Appendf(nil, "contract call depth exceeds %d", MaxCallDepth)
	case slices.Contains(req.stack, req.To):
		return CodeReentrancy, fmt.Appendf(nil, "contract %s is already on the call stack", contract.Address(req.To).Hex())
	}
	fn, ok := c.host.callees[req.To]
	if !ok {
		return CodeUnknownContract, fmt.Appendf(nil, "no contract at %s", contract.Address(req.To).Hex())
	}
	ret, err := fn(req)
	var ce *contract.CallError
	switch {
	case errors.As(err, &ce):
		return ce.Code, []byte(ce.Message)
	case err != nil:
		return CodeError, []byte(err.Error())
	case len(ret) > MaxReturnSize:
		return CodeReturnTooLarge, fmt.Appendf(nil, "return data of %d bytes exceeds %d", len(ret), MaxReturnSize)
	}
	return CodeOK, slices.Clone(ret)
}

func msgIfFailed(code string, data []byte) string {
	if code == CodeOK {
		return ""
	}
	return string(data)
}

func retIfOK(code string, data []byte) []byte {
	if code != CodeOK {
		return nil
	}
	return slices.Clone(data)
}
