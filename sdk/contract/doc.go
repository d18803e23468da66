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
// prepares the Go heap there, Method warms encoding/json's caches for its
// argument and result types, and Warm does so for other types. Types on a
// hot path can skip reflection entirely by implementing JSONAppender
// (results, events) and FastJSONDecoder (arguments).
//
// Outside Wasm the same API runs against a host written in Go, which is
// how contracttest's mock host executes contracts under plain go test.
//
// The package must never reach for anything non-deterministic (clocks,
// randomness, map order) on behalf of a contract: everything it offers is
// derived from the block and the state.
package contract
