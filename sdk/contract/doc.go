// Package contract is what a meshledger contract imports: the guest side of
// the contract ABI (docs/abi.md) for Go compiled with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath
//
// A contract is a main package whose init functions register methods:
//
//	func init() {
//		contract.Method("create", createLoan)
//	}
//
//	func createLoan(ctx *contract.Context, req CreateRequest) (Loan, error)
//
// main is never called: Go's reactor runs package initialisation once in
// _initialize, the host snapshots the result, and every call then enters
// through the exported mesh_call, which this package implements. Arguments
// and results are JSON. The method registry is package-level because a
// module is exactly one contract and init is the only time methods can be
// declared; it is never written after initialisation.
//
// Identity: Context.CallerOrg, HasRole and Participant answer from the
// network's participant registry at the state the call runs against;
// EmitTo addresses an event to accounts, organisations, roles or every
// member (Emit's events go to the contract's organisation); ReadPolicy
// registers the rule by which a node lets a reader read the contract's
// raw state keys (docs/abi.md, "Identity", "Events and their audience",
// "Read policy").
//
// Cross-contract calls: Context.Call runs another contract's method
// synchronously with this call's gas (less a reserve for handling its
// failure), as this contract: the callee's Caller is this contract's
// address. A failed callee is a *CallError the caller may handle; its
// writes and events are discarded, this call's stay. At most 8 contracts
// are on a call stack and none twice (docs/abi.md, "Cross-contract
// calls"). In native tests contracttest's Host.OnCall answers the calls.
//
// Guarantees: a method returning an error fails the call with status
// error and that message; a panic is recovered into status panic with the
// panic value as message; undecodable arguments give bad_args; a name not
// registered gives unknown_method. In every failure the host discards the
// call's writes and events. The reserved method init succeeds with no
// result when not registered, and mesh.methods lists the registered names
// in ascending order.
//
// Performance: in Wasm every call starts from the post-initialisation
// memory image, so work done during init is free for calls. The SDK
// prepares the Go heap there; Method decides once which fast paths its
// argument and result types can take, warms encoding/json's caches for
// them, and asserts the SDK's interfaces once so that the runtime's
// interface tables are filled in the image (an assertion that first meets
// its type during a call costs thousands of instructions); Warm does the
// same for other types. mesh.methods answers with bytes built at
// registration, and dispatch is a binary search over the sorted names.
//
// Arguments, results, events, state read and written with GetJSON and
// SetJSON, and cross-contract call arguments and results go through the
// SDK's JSON codec (MarshalJSON, UnmarshalJSON) when their type is made of
// strings, booleans, integers, Addresses, structs, fixed-size arrays,
// slices and pointers of those: it encodes the bytes encoding/json writes
// and decodes canonical input as encoding/json would, through field
// offsets computed once per type. Anything else (and every input whose
// meaning under encoding/json is not certain) goes through encoding/json,
// so the codec changes cost, never results. A type's codec is built when
// the type is first met: Method, State, Event and Warm meet theirs during
// initialisation; a type first met during a call costs a build in every
// such call (hundreds of thousands of instructions for a dozen fields), so
// warm the types a contract only sends to other contracts. A contract
// can instead generate its types' codecs with a go:generate line
//
//	//go:generate go run github.com/meshledger/meshledger/sdk/build/cmd/gencodec -type Loan,Payment
//
// (sdk/build/gencodec): the generated AppendJSON, DecodeJSON and
// DecodeJSONFast (JSONAppender, JSONDecoder, FastJSONDecoder) need no
// reflection at all and are what the SDK then uses everywhere.
//
// # Where a call's instructions go
//
// Gas counts executed Wasm instructions, so the cost of a call is the
// instruction count of the Go code it runs. The entry itself is not the
// floor: Go's //go:wasmexport wrapper and meshCall execute 81
// instructions together; there is no goroutine switch, no GC work and no
// scheduler work in a call that does not block. What is left for an empty
// call (about 9,500 gas for an unknown method, 13,800 for a trivial
// method with a one-field argument, against 43,900 and 78,700 before the
// fast paths) is allocation (every small allocation executes about a
// thousand instructions in mallocgc) and control flow.
//
// Control flow is the hidden cost. Go compiles each function to one Wasm
// loop around a br_table with one nested block per jump target and call
// site, and every taken jump between basic blocks goes back through that
// loop: it re-executes all of the function's block instructions, each
// charged as an instruction. A jump in a function with 40 targets costs
// about 43 gas; in one with 360, about 360. For the loan contract's pay
// these structural instructions are about half of the gas (154k metered,
// 76k if block, loop and end were free). Code on a hot path should
// therefore keep loops in small functions, avoid bounds checks in them
// (each panic call is a call site), and avoid Go's division by a constant,
// which becomes a long emulated 128-bit multiplication in Wasm.
//
// Outside Wasm the same API runs against a host written in Go, which is
// how contracttest's mock host executes contracts under plain go test.
//
// The package must never reach for anything non-deterministic (clocks,
// randomness, map order) on behalf of a contract: everything it offers is
// derived from the block and the state.
package contract
