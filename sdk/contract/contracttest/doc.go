// Package contracttest runs meshledger contracts natively under plain
// go test, and proves that doing so is faithful.
//
// New returns a mock host that executes the methods the contract under
// test registered with package contract, with the real host's state
// semantics, limits and result codes (docs/abi.md) but no gas and no Wasm:
//
//	h := contracttest.New()
//	h.SetCaller(owner)
//	res := h.Call("create", CreateRequest{...})
//
// SetParticipant fills the mock participant registry that
// Context.Participant, CallerOrg and HasRole read; each Event reports its
// audience; CanRead asks the contract's read policy as a node does.
//
// Cross-contract calls (Context.Call) go to handlers: OnCall answers an
// address with a Go function, or with Callee, another Host running the
// same contract under the node's transaction rules; Calls lists what the
// contract called, SetDepth places it deeper on the call stack. The mock
// refuses depth, reentrancy and oversized requests as a node does, but
// has no gas, so a callee never runs out of it here.
//
// RunConformance is one suite, driving contracts/conformance, that any host
// can run through an Invoker; the mock runs it in contracts/conformance and
// the Wasm runtime runs it in its own tests, so the two cannot drift apart.
//
// The mock must never be more permissive than the real host: a contract
// that passes here and fails on the node is a bug in this package.
package contracttest
