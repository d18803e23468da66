package wasm

// Gas costs; docs/abi.md "Gas" is the normative table.
const (
	costInstr        = 1
	costCallExtra    = 2
	costDivExtra     = 3
	costGrowPerPage  = 1024
	bytesPerCopyUnit = 64 // memory.copy/fill: 1 gas per 64 bytes or part
)

// maxUnchecked bounds the gas a function may charge past its last check
// along any path: a segment that would take the bound above it is checked
// even where no loop or function entry demands it. It bounds the work a
// call can do after its counter went negative and before the next check
// sees it: at most maxUnchecked per frame on the stack (each return
// resumes a caller at most maxUnchecked past its own last check), so at
// most MaxCallDepth * maxUnchecked in all. Smaller values check more
// often; Go code rarely comes near it outside very long functions.
const maxUnchecked = 1000

// frame is one open construct of the body being instrumented; the function
// body itself is the outermost block.
type frame struct {
	op byte // opBlock, opLoop, opIf, or opElse once the if reached its else
	// entry is the exposure where the construct's body starts; for an if,
	// also where its (possibly implicit) else branch starts.
	entry int64
	// exit is the largest exposure of a branch to the construct's end seen
	// so far, -1 while none. Branches to a loop go to its checked header
	// and are not recorded.
	exit int64
}

// meter tracks the pending segment and its exposure: an upper bound on the
// gas charged since the last check that passed, over every path reaching
// the segment's start. Exposure is what a path could spend beyond its
// budget before a check notices, so the instrumenter keeps it at most
// maxUnchecked everywhere.
type meter struct {
	exposure  int64
	cost      int64 // static cost of the pending segment
	dead      bool  // the rest of the segment cannot run
	mustCheck bool  // the segment starts at a function entry or a loop header
	hasCall   bool  // the segment calls a function
	targets   []uint32
}

// charge adds an instruction's static cost to the pending segment.
func (m *meter) charge(n int64) {
	if !m.dead {
		m.cost += n
	}
}

// exposureAfter returns the exposure at the end of the pending segment,
// given whether it is checked at its start.
func (m *meter) exposureAfter(checked bool) int64 {
	if checked {
		// The charge at the start covered the whole segment and the check
		// found it paid.
		return 0
	}
	return m.exposure + m.cost
}

// needsCheck decides whether the pending segment is checked at its start.
func (m *meter) needsCheck() bool {
	return m.mustCheck || m.exposure+m.cost > maxUnchecked
}

// reset starts a new segment at the given exposure.
func (m *meter) reset(exposure int64) {
	m.exposure = exposure
	m.cost = 0
	m.dead = false
	m.mustCheck = false
	m.hasCall = false
	m.targets = m.targets[:0]
}

// branchTo records that a branch to label depth d leaves with exposure e.
// Depths beyond the open constructs are left to the engine's validator.
func branchTo(ctl []frame, d uint32, e int64) {
	if int(d) >= len(ctl) {
		return
	}
	f := &ctl[len(ctl)-1-int(d)]
	if f.op != opLoop && e > f.exit {
		f.exit = e
	}
}

// gasSub subtracts a static cost: global.get gas; i64.const c; i64.sub;
// global.set gas.
func (in *instrumenter) gasSub(b []byte, cost int64) []byte {
	b = append(b, in.gasGet...)
	b = append(b, opI64Const)
	b = appendSLEB(b, cost)
	b = append(b, opI64Sub)
	return append(b, in.gasSet...)
}

// gasCheck traps when the counter is negative. Together with the host,
// which checks at host calls and at the end of every call, it is what
// ends a call out of gas.
func (in *instrumenter) gasCheck(b []byte) []byte {
	b = append(b, in.gasGet...)
	return append(b, opI64Const, 0, opI64LtS, opIf, 0x40, opUnreachable, opEnd)
}

// dynamicCharge charges for the i32 operand on top of the stack (pages to
// grow, or bytes to copy/fill), leaves it in place, and checks: the
// operand is unbounded, so the work must not start unpaid.
func (in *instrumenter) dynamicCharge(b []byte, perBytes bool) []byte {
	s := in.local(scratchI32)
	b = append(b, opLocalTee)
	b = appendULEB(b, s)
	b = append(b, in.gasGet...)
	b = append(b, opLocalGet)
	b = appendULEB(b, s)
	b = append(b, opI64ExtendI32U)
	if perBytes {
		b = append(b, opI64Const, bytesPerCopyUnit-1, opI64Add, opI64Const, 6, opI64ShrU)
	} else {
		b = append(b, opI64Const)
		b = appendSLEB(b, costGrowPerPage)
		b = append(b, opI64Mul)
	}
	b = append(b, opI64Sub)
	b = append(b, in.gasSet...)
	return in.gasCheck(b)
}
