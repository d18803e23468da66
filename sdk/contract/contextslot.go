package contract

// contextSlot keeps one Context for reuse, so that a call does not
// allocate and zero its Context (2 KiB with its buffer) each time: in Wasm
// that allocation was a mallocgc and a memory.fill on every call.
//
// A nested take, while the slot's Context is out, gets a Context of its
// own. In Wasm that never happens: an instance runs one call at a time,
// the host refuses reentrancy (docs/abi.md, "Cross-contract calls") and a
// callee always runs in another instance, so a suspended call's Context
// can never be handed out again. The fallback costs one test and keeps
// the slot correct should a host ever run a nested call in one instance.
type contextSlot struct {
	ctx  Context
	busy bool
}

// take returns a Context reset for a call on h.
func (s *contextSlot) take(h hostAPI) *Context {
	if s.busy {
		c := new(Context)
		c.reset(h, false)
		return c
	}
	s.busy = true
	s.ctx.reset(h, true)
	return &s.ctx
}

// give ends the call c was taken for; the next take resets it.
func (s *contextSlot) give(c *Context) {
	if c == &s.ctx {
		s.busy = false
	}
}
