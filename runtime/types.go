package runtime

import "errors"

// Address is a 20-byte account or contract address.
type Address [20]byte

// Hash is a 32-byte Keccak-256 hash.
type Hash [32]byte

// Env is what a call knows about the world it runs in. Every field must be
// derived from the block being executed, never from the local machine.
type Env struct {
	Caller   Address
	Contract Address
	TxHash   Hash
	Height   uint64
	TimeMs   int64 // block time, Unix milliseconds
	GasLimit uint64
	ReadOnly bool // queries: any write fails the call with CodeReadOnly
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

// Code is the machine-readable reason of a failed call. It is part of
// receipts and so of consensus: never rename one.
type Code string

// Result codes. CodeOK is the only success.
const (
	CodeOK             Code = "ok"
	CodeOutOfGas       Code = "out_of_gas"
	CodeCallDepth      Code = "call_depth"
	CodeAborted        Code = "aborted"
	CodeError          Code = "error"
	CodeUnknownMethod  Code = "unknown_method"
	CodeBadArgs        Code = "bad_args"
	CodePanic          Code = "panic"
	CodeExit           Code = "exit"
	CodeTrap           Code = "trap"
	CodeReadOnly       Code = "read_only"
	CodeReturnTooLarge Code = "return_too_large"
	CodeEventLimit     Code = "event_limit"
	CodeLogLimit       Code = "log_limit"
	CodeBadKey         Code = "bad_key"
	CodeValueTooLarge  Code = "value_too_large"
	CodeBadStatus      Code = "bad_status"
	// CodeMemoryLimit: memory.grow was refused at Limits.MaxMemoryPages
	// and the call then trapped (Go's allocator throws "out of memory").
	CodeMemoryLimit Code = "memory_limit"
)

// Event is one event a call emitted.
type Event struct {
	Name string
	Data []byte
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
