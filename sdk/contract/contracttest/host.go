package contracttest

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"sync"

	"github.com/meshledger/meshledger/sdk/contract"
	"github.com/meshledger/meshledger/sdk/contract/internal/hostlink"
)

// Defaults of a new Host.
var (
	DefaultCaller   = contract.Address{0xca, 0x11, 0xe4}
	DefaultContract = contract.Address{0xc0, 0x47, 0x4a, 0xc7}
)

// DefaultTimeMillis is the block time of a new Host: 2024-01-01T00:00:00Z.
const DefaultTimeMillis int64 = 1_704_067_200_000

// Host is a mock meshledger host: it runs the contract methods registered
// in this test binary (by the contract package under test) natively, with
// the state, limits and result codes of the real host, and no gas. The
// block context is whatever the setters last set. It is safe for
// concurrent use; calls are serialised.
type Host struct {
	mu     sync.Mutex
	caller contract.Address
	self   contract.Address
	height uint64
	timeMs int64
	txHash [32]byte
	gas    uint64
	state  map[string][]byte
	events []Event
	// participants is the mock participant registry.
	participants map[contract.Address]contract.Participant
	// callees answer cross-contract calls (OnCall); depth is the
	// contract's own call depth; calls records every call made.
	callees map[contract.Address]CallHandler
	depth   int
	stack   []contract.Address // contracts below this one, when it is a Callee
	calls   []CallRecord
	tx      *mockTx // the transaction of the running call
}

// New returns a host with empty state, height 1, DefaultTimeMillis,
// DefaultCaller and DefaultContract.
func New() *Host {
	return &Host{
		caller: DefaultCaller,
		self:   DefaultContract,
		height: 1,
		timeMs: DefaultTimeMillis,
		gas:    math.MaxInt64,
		state:  map[string][]byte{},

		participants: map[contract.Address]contract.Participant{},
		callees:      map[contract.Address]CallHandler{},
	}
}

// SetParticipant makes a a member of org with roles in the mock
// participant registry that Context.Participant, CallerOrg and HasRole
// read, replacing any earlier entry. Roles are kept ascending and unique,
// as the registry keeps them. An address never set is not a member.
func (h *Host) SetParticipant(a contract.Address, org string, roles ...string) {
	rs := slices.Clone(roles)
	slices.Sort(rs)
	rs = slices.Compact(rs)
	if len(rs) == 0 {
		rs = nil
	}
	h.mu.Lock()
	h.participants[a] = contract.Participant{Org: org, Roles: rs}
	h.mu.Unlock()
}

// Participant returns a's entry in the mock participant registry.
func (h *Host) Participant(a contract.Address) (contract.Participant, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.participants[a]
	p.Roles = slices.Clone(p.Roles)
	return p, ok
}

// RemoveParticipant removes a from the mock participant registry.
func (h *Host) RemoveParticipant(a contract.Address) {
	h.mu.Lock()
	delete(h.participants, a)
	h.mu.Unlock()
}

// SetCaller sets the signer of later calls.
func (h *Host) SetCaller(a contract.Address) { h.mu.Lock(); h.caller = a; h.mu.Unlock() }

// SetContract sets the contract's own address.
func (h *Host) SetContract(a contract.Address) { h.mu.Lock(); h.self = a; h.mu.Unlock() }

// SetHeight sets the block height.
func (h *Host) SetHeight(height uint64) { h.mu.Lock(); h.height = height; h.mu.Unlock() }

// SetTime sets the block time in Unix seconds.
func (h *Host) SetTime(unix int64) { h.SetTimeMillis(unix * 1000) }

// SetTimeMillis sets the block time in Unix milliseconds.
func (h *Host) SetTimeMillis(ms int64) { h.mu.Lock(); h.timeMs = ms; h.mu.Unlock() }

// SetTxHash sets the transaction hash later calls see.
func (h *Host) SetTxHash(hash [32]byte) { h.mu.Lock(); h.txHash = hash; h.mu.Unlock() }

// SetGasLeft sets what Context.GasLeft reports; the mock never meters.
func (h *Host) SetGasLeft(gas uint64) { h.mu.Lock(); h.gas = gas; h.mu.Unlock() }

// Result is the outcome of a mock call.
type Result struct {
	OK      bool
	Code    string // CodeOK or a failure code of runtime.Code
	Message string // failure message; empty on success
	Return  []byte // JSON result on success
	Events  []Event
	Writes  []Write
}

// Decode JSON-decodes the return data into v; it fails if the call did.
func (r Result) Decode(v any) error {
	if !r.OK {
		return fmt.Errorf("contracttest: call failed: %s: %s", r.Code, r.Message)
	}
	return json.Unmarshal(r.Return, v)
}

// Call runs method as a transaction signed by the current caller. args is
// JSON-encoded, except that []byte and json.RawMessage are sent as they
// are and nil sends no arguments. A successful call's writes are
// committed; a failed call changes nothing.
func (h *Host) Call(method string, args any) Result { return h.do(method, args, false) }

// Query runs method read-only: any write fails it with read_only.
func (h *Host) Query(method string, args any) Result { return h.do(method, args, true) }

func (h *Host) do(method string, args any, readOnly bool) Result {
	raw, err := encodeArgs(args)
	if err != nil {
		return Result{Code: CodeBadArgs, Message: "contracttest: encode args: " + err.Error()}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.run(h.caller, method, raw, readOnly)
	return Result{OK: o.Code == CodeOK, Code: o.Code, Message: o.Message, Return: o.Return, Events: o.Events, Writes: o.Writes}
}

func encodeArgs(args any) ([]byte, error) {
	switch a := args.(type) {
	case nil:
		return nil, nil
	case []byte:
		return a, nil
	case json.RawMessage:
		return a, nil
	default:
		return json.Marshal(a)
	}
}

// run executes one call; h.mu is held. A call that is not itself a
// callee starts a transaction: if it fails, the writes and events its
// callees committed to other Hosts are undone with it.
func (h *Host) run(caller contract.Address, method string, args []byte, readOnly bool) Outcome {
	if h.tx != nil {
		return h.runInTx(caller, method, args, readOnly)
	}
	h.tx = &mockTx{}
	defer func() { h.tx = nil }()
	o := h.runInTx(caller, method, args, readOnly)
	if o.Code != CodeOK {
		h.tx.rollback(h.tx.start)
	}
	return o
}

func (h *Host) runInTx(caller contract.Address, method string, args []byte, readOnly bool) Outcome {
	c := &call{
		host:     h,
		caller:   caller,
		method:   method,
		args:     args,
		readOnly: readOnly,
		writes:   map[string]pending{},
	}
	status, failure := dispatch(c)
	if failure != nil {
		return Outcome{Code: failure.Code, Message: failure.Message}
	}
	if status != 0 {
		code := CodeBadStatus
		switch status {
		case 1:
			code = CodeError
		case 2:
			code = CodeUnknownMethod
		case 3:
			code = CodeBadArgs
		case 4:
			code = CodePanic
		}
		return Outcome{Code: code, Message: string(c.ret)}
	}
	o := Outcome{Code: CodeOK, Return: c.ret, Events: c.events, Writes: c.sortedWrites()}
	for _, w := range o.Writes {
		if w.Delete {
			delete(h.state, string(w.Key))
		} else {
			h.state[string(w.Key)] = w.Value
		}
	}
	h.events = append(h.events, o.Events...)
	return o
}

// dispatch runs the contract, turning a host failure back into a value.
func dispatch(c *call) (status int32, failure *hostlink.Failure) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(*hostlink.Failure)
			if !ok {
				panic(r)
			}
			failure = f
		}
	}()
	return hostlink.Dispatch(c), nil
}

// CanRead asks the contract's read policy (contract.ReadPolicy), as a node
// does, whether reader may read the raw state key: a read-only call of
// mesh.canRead with reader as the caller and the key's bytes as the
// arguments. As in a node, any failure denies; the Result tells why. A
// contract without a read policy fails with unknown_method, which a node
// answers with its default (the contract's organisation and auditors).
func (h *Host) CanRead(reader contract.Address, key []byte) (bool, Result) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.run(reader, contract.CanReadMethod, key, true)
	r := Result{OK: o.Code == CodeOK, Code: o.Code, Message: o.Message, Return: o.Return, Events: o.Events, Writes: o.Writes}
	return r.OK && string(r.Return) == "true", r
}

// Get returns a copy of the committed value of key.
func (h *Host) Get(key string) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.state[key]
	return append([]byte(nil), v...), ok
}

// GetJSON decodes the committed value of key into v; false if absent.
func (h *Host) GetJSON(key string, v any) (bool, error) {
	data, ok := h.Get(key)
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(data, v)
}

// Put sets committed state directly, bypassing the contract, to prepare a
// test.
func (h *Host) Put(key string, value []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.state[key] = append([]byte{}, value...)
}

// Keys returns the committed keys in ascending order.
func (h *Host) Keys() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := make([]string, 0, len(h.state))
	for k := range h.state {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Events returns every event of the successful calls so far, in order.
func (h *Host) Events() []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Event(nil), h.events...)
}

// Invoker adapts h to the conformance suite's Invoker (and its optional
// EnvInvoker, QueryInvoker and DirectoryInvoker); the host's other block
// context still applies.
func (h *Host) Invoker() EnvInvoker { return hostInvoker{h} }

var (
	_ QueryInvoker     = hostInvoker{}
	_ DirectoryInvoker = hostInvoker{}
	_ CallInvoker      = hostInvoker{}
)

// AddCallee mounts another Host at addr running the same contract, with
// h's block context and registry. The Hosts share one table of callees,
// so each can call every other (and a call back down the stack is
// refused as reentrancy).
func (i hostInvoker) AddCallee(addr [20]byte) {
	i.h.mu.Lock()
	defer i.h.mu.Unlock()
	callee := &Host{
		caller: i.h.caller, self: addr, height: i.h.height, timeMs: i.h.timeMs, txHash: i.h.txHash, gas: i.h.gas,
		state: map[string][]byte{}, participants: maps.Clone(i.h.participants), callees: i.h.callees,
	}
	i.h.callees[addr] = callee.Callee()
	i.h.callees[i.h.self] = i.h.Callee()
}

type hostInvoker struct{ h *Host }

func (i hostInvoker) Call(caller [20]byte, method string, args []byte) Outcome {
	i.h.mu.Lock()
	defer i.h.mu.Unlock()
	return i.h.run(caller, method, args, false)
}

func (i hostInvoker) Query(caller [20]byte, method string, args []byte) Outcome {
	i.h.mu.Lock()
	defer i.h.mu.Unlock()
	return i.h.run(caller, method, args, true)
}

func (i hostInvoker) SetParticipant(addr [20]byte, org string, roles []string) {
	i.h.SetParticipant(addr, org, roles...)
}

func (i hostInvoker) Env() Env {
	i.h.mu.Lock()
	defer i.h.mu.Unlock()
	return Env{Self: i.h.self, Height: i.h.height, TimeMs: i.h.timeMs, TxHash: i.h.txHash}
}
