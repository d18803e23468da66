package runtime

import (
	"context"
	"errors"

	"github.com/meshledger/meshledger/status"
)

// Address is a 20-byte account or contract address.
type Address [20]byte

// Hash is a 32-byte Keccak-256 hash.
type Hash [32]byte

// Env is what a call knows about the world it runs in. Every field must be
// derived from the block being executed, never from the local machine.
type Env struct {
	// Caller is the transaction's signer or, in a cross-contract call,
	// the calling contract (CallRequest.From).
	Caller   Address
	Contract Address
	TxHash   Hash
	Height   uint64
	TimeMs   int64 // block time, Unix milliseconds
	GasLimit uint64
	ReadOnly bool // queries: any write fails the call with CodeReadOnly
	// Directory answers who an address is (participant host import), at
	// the state this call runs against. Nil: nobody is a participant.
	Directory Directory
	// Calls runs the cross-contract calls this call makes (the call host
	// import). Nil: every cross-contract call fails with CodeNoCalls.
	Calls ContractCaller
	// Depth is how many contract calls are below this one on the call
	// stack: 0 for a transaction's or a query's own call. A call at
	// MaxCallDepth-1 or deeper cannot call further (CodeCallDepth).
	Depth int
}

// MaxCallDepth bounds the contract call stack: a transaction's own call
// plus at most MaxCallDepth-1 nested cross-contract calls.
const MaxCallDepth = 8

// CallRequest is one cross-contract call as the runtime hands it to a
// ContractCaller. Method and Args are the guest's bytes, copied out of its
// memory (the request may be retained).
type CallRequest struct {
	From, To Address // From: the calling contract, the callee's Caller
	Method   string
	Args     []byte
	// GasLimit is the callee's whole budget: at most what the caller had
	// left minus a reserve so the caller can still handle a failure.
	GasLimit uint64
	// Depth is the callee's Env.Depth: the caller's plus one.
	Depth int
	// ReadOnly is inherited from the caller: a query's callees cannot
	// write either.
	ReadOnly bool
}

// ContractCaller runs cross-contract calls for the runtime. The ledger
// implements it over its contracts, state and pending writes; tests may
// dispatch to modules they loaded.
//
// CallContract must be deterministic: the same request at the same state
// gives the same Result on every node and with either engine. A contract
// outcome, failed or not, is a Result (its Code tells); a non-nil error
// means the host itself failed (a store error, a cancelled context), and
// it aborts the whole call tree. Result.GasUsed must not exceed
// req.GasLimit; the runtime charges it to the caller.
type ContractCaller interface {
	CallContract(ctx context.Context, req CallRequest) (*Result, error)
}

// Participant is an address's place in the network's participant
// registry: its organisation and roles (ascending, unique).
type Participant struct {
	Org   string
	Roles []string
}

// Directory looks addresses up in the participant registry. It must be
// deterministic: the same state gives the same answer on every node,
// including the registry changes made earlier in the same block.
type Directory interface {
	Participant(addr Address) (p Participant, ok bool, err error)
}

// State is the committed contract storage a call reads, already scoped to
// one contract. The runtime never writes to it: writes go to a per-call
// buffer returned in Result.Writes, which the caller applies only if it
// accepts the result.
//
// Implementations must be deterministic: the same keys give the same values
// on every node, and Iterate visits keys in ascending byte order.
type State interface {
	// Get returns the value of key, or ok=false if absent.
	Get(key []byte) (value []byte, ok bool, err error)
	// Iterate calls fn for each key with the prefix and >= start, in
	// ascending order, until fn returns false.
	Iterate(prefix, start []byte, fn func(key, value []byte) bool) error
}

// Code is the machine-readable outcome of a call: the receipt status
// vocabulary of package status, which the ledger and the wire types share.
// It is part of receipts and so of consensus: never rename one.
type Code = status.Code

// Result codes under the names the runtime has always used; each is the
// status constant of the same meaning. CodeOK is the only success.
const (
	CodeOK             = status.OK
	CodeOutOfGas       = status.OutOfGas
	CodeCallDepth      = status.CallDepth
	CodeAborted        = status.Aborted
	CodeError          = status.Error
	CodeUnknownMethod  = status.UnknownMethod
	CodeBadArgs        = status.BadArgs
	CodePanic          = status.Panic
	CodeExit           = status.Exit
	CodeTrap           = status.Trap
	CodeReadOnly       = status.ReadOnly
	CodeReturnTooLarge = status.ReturnTooLarge
	CodeEventLimit     = status.EventLimit
	CodeLogLimit       = status.LogLimit
	CodeBadKey         = status.BadKey
	CodeValueTooLarge  = status.ValueTooLarge
	CodeBadStatus      = status.BadStatus
	// CodeMemoryLimit: memory.grow was refused at Limits.MaxMemoryPages
	// and the call then trapped (Go's allocator throws "out of memory").
	CodeMemoryLimit = status.MemoryLimit
	// CodeBadAudience: emit_to was given a malformed audience.
	CodeBadAudience = status.BadAudience
	// CodeNoCalls: a cross-contract call was made where no ContractCaller
	// is available (Env.Calls is nil).
	CodeNoCalls = status.NoCalls
	// CodeReentrancy: the callee is already on the call stack.
	CodeReentrancy = status.Reentrancy
	// CodeBadCall: the call import was given a malformed request (method
	// name or arguments beyond their limits).
	CodeBadCall = status.BadCall
)

// Event is one event a call emitted.
type Event struct {
	Name string
	Data []byte
	// Audience says who may read the event (docs/access.md): entries
	// "0x<address>", "org:<id>", "role:<role>" or "members". Empty: the
	// contract's organisation and auditors.
	Audience []string
}

// Write is one state change of a call. Writes are reported in ascending
// key order, one per key (the last write of the call wins).
type Write struct {
	Key    []byte
	Value  []byte // nil when Delete
	Delete bool
}

// Result is the deterministic outcome of one call. A failed call has no
// Writes and no Events, but its GasUsed is still charged.
type Result struct {
	Code    Code
	Message string // failure reason; empty on success
	Return  []byte
	GasUsed uint64
	Events  []Event
	Writes  []Write
	Reads   [][]byte // keys read from State, ascending, unique (for query proofs)
	Log     []byte   // stdout+stderr of the call (not part of consensus)
}

// OK reports whether the call succeeded.
func (r *Result) OK() bool { return r.Code == CodeOK }

// ErrClosed is returned when the runtime or a module is used after Close.
var ErrClosed = errors.New("runtime: closed")
