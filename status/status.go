package status

// Code is the machine-readable outcome of a transaction or a query. OK is
// the only success.
type Code string

// OK reports whether c is success.
func (c Code) OK() bool { return c == OK }

// Outcomes of a contract call, reported by the runtime.
const (
	OK             Code = "ok"
	OutOfGas       Code = "out_of_gas"
	CallDepth      Code = "call_depth"
	Aborted        Code = "aborted"
	Error          Code = "error"
	UnknownMethod  Code = "unknown_method"
	BadArgs        Code = "bad_args"
	Panic          Code = "panic"
	Exit           Code = "exit"
	Trap           Code = "trap"
	ReadOnly       Code = "read_only"
	ReturnTooLarge Code = "return_too_large"
	EventLimit     Code = "event_limit"
	LogLimit       Code = "log_limit"
	BadKey         Code = "bad_key"
	ValueTooLarge  Code = "value_too_large"
	BadStatus      Code = "bad_status"
	// MemoryLimit: memory.grow was refused at the memory limit and the
	// call then trapped (Go's allocator throws "out of memory").
	MemoryLimit Code = "memory_limit"
	// BadAudience: an event's audience (emit_to) has a malformed entry or
	// too many entries (docs/abi.md, "Events and their audience").
	BadAudience Code = "bad_audience"
	// NoCalls: a contract called another where cross-contract calls are
	// unavailable (the runtime was given no caller).
	NoCalls Code = "call_unavailable"
	// Reentrancy: a cross-contract call targeted a contract already on
	// the call stack (docs/abi.md, "Cross-contract calls").
	Reentrancy Code = "reentrancy"
	// BadCall: a cross-contract call's request was malformed: a method
	// name or arguments beyond their limits.
	BadCall Code = "bad_call"
)

// Reasons the runtime refuses a module: a failed deploy's receipt carries
// one.
const (
	DeployMalformed        Code = "malformed"
	DeployCodeTooLarge     Code = "code_too_large"
	DeployForbiddenImport  Code = "forbidden_import"
	DeployMissingExport    Code = "missing_export"
	DeployLimit            Code = "limit"
	DeployForbiddenFeature Code = "forbidden_feature"
	DeployInitOutOfGas     Code = "init_out_of_gas"
	DeployInitFailed       Code = "init_failed"
)

// The ledger's own outcomes, for failures decided before or around the
// contract.
const (
	// UnknownContract: the called address holds no contract.
	UnknownContract Code = "unknown_contract"
	// DeployFailed: the runtime reported a deploy failure without a code.
	DeployFailed Code = "deploy_failed"
	// AddressInUse: a deploy derived an address that already holds a
	// contract (only reachable by a keccak collision or a replayed nonce).
	AddressInUse Code = "address_in_use"
	// BadManifest: a deploy or upgrade carried a mesh.manifest section
	// that is not a valid manifest (docs/abi.md, "Manifest").
	BadManifest Code = "bad_manifest"
	// InvalidArgs: a call's arguments do not satisfy the argument schema
	// of the method in the contract's manifest.
	InvalidArgs Code = "invalid_args"
)
