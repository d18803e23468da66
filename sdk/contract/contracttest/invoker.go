package contracttest

// Invoker runs one call of a deployed conformance contract
// (contracts/conformance) and reports its outcome. It is the only thing a
// host must provide to run RunConformance:
//
//   - Call runs method with the raw JSON args, signed by caller, as a
//     state-changing call (not a query), with enough gas for every probe
//     (a few million units suffice).
//   - A successful call's Writes are committed, so the next Call on the same
//     Invoker reads them; a failed call commits nothing.
//   - Outcome.Code is the runtime's result code string ("ok", "error",
//     "bad_key", ...). Message is the failure message (empty on success).
//   - Return is compared only on success. Events are in emission order;
//     Writes are ascending by key, one per key (the last write wins), with
//     Delete set and Value nil for deletions.
//
// Each Invoker returned by the factory given to RunConformance must start
// from empty state.
type Invoker interface {
	Call(caller [20]byte, method string, args []byte) Outcome
}

// EnvInvoker is an Invoker that also reports the block context its calls
// see, so the suite can check the contract observes it exactly. Optional.
type EnvInvoker interface {
	Invoker
	Env() Env
}

// QueryInvoker is an Invoker that also runs read-only calls (queries), as
// a node answers them: any state write fails the call with read_only, and
// nothing is committed. Optional: the suite's query case is skipped for an
// Invoker without it.
type QueryInvoker interface {
	Invoker
	Query(caller [20]byte, method string, args []byte) Outcome
}

// DirectoryInvoker is an Invoker whose calls see a participant registry
// the suite can fill: SetParticipant makes addr a member of org with roles
// (ascending, unique) for every later call. Optional: the suite's identity
// cases are skipped for an Invoker without it.
type DirectoryInvoker interface {
	Invoker
	SetParticipant(addr [20]byte, org string, roles []string)
}

// Env is the block context of an EnvInvoker's calls.
type Env struct {
	Self   [20]byte
	Height uint64
	TimeMs int64
	TxHash [32]byte
}

// Outcome is what a host reports for one call.
type Outcome struct {
	Code    string
	Message string
	Return  []byte
	Events  []Event
	Writes  []Write
}

// Event is one event of a successful call.
type Event struct {
	Name string
	Data []byte
	// Audience is the entries given to EmitTo, in order ("0x<address>",
	// "org:<id>", "role:<role>", "members"); nil for Emit.
	Audience []string
}

// Write is one state change of a successful call.
type Write struct {
	Key    []byte
	Value  []byte
	Delete bool
}
