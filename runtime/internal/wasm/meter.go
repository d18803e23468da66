package wasm

import "slices"

// Gas costs; docs/abi.md "Gas" is the normative table. Each is calibrated
// with the runtime's BenchmarkGasSchedule so that it buys about as much
// time as ordinary integer code (docs/design.md, "Gas schedule").
const (
	costInstr = 1
	// A call and its return, with the depth check the instrumentation
	// adds, take about as long as 15 ordinary instructions.
	costCallExtra = 15
	// Integer division and remainder are one slow hardware instruction
	// behind the engine's zero and overflow checks.
	costDivExtra = 24
	// Float division and square root are the slowest float instructions
	// by an order of magnitude.
	costFloatSlowExtra = 50
	// costGrowPerPage pays for a 64 KiB page the host maps and zeroes as
	// the guest first touches it (16 page faults), not for the grow
	// itself, which only extends a reserved mapping.
	costGrowPerPage = 16384
	// memory.copy and memory.fill cost costBulkBase plus 1 gas per byte:
	// large lengths run at memory bandwidth, about 10 bytes per ns, the
	// same time per gas as ordinary instructions, and the base covers the
	// compiler's fill, which doubles its filled prefix with up to 13
	// calls into the engine's memmove before it pays per byte.
	costBulkBase = 128
)

// maxUnchecked bounds the gas a function may charge past its last check
// along any path: a segment that would take the bound above it is checked
// even where no loop or function entry demands it. It bounds the work a
// call can do after its counter went negative and before a check sees it:
// at most maxUnchecked per frame on the stack (a return resumes the caller
// at most maxUnchecked past the caller's own last check), so at most
// MaxCallDepth * maxUnchecked in all. Go code rarely comes near it
// outside very long functions.
const maxUnchecked = 1000

// frame is one open construct of the body being instrumented; the function
// body itself is the outermost block.
type frame struct {
	op byte // opBlock, opLoop, opIf, or opElse once the if reached its else
	// entry is the exposure where an if's branches start.
	entry int64
	// exit is the largest exposure of a branch to the construct's end seen
	// so far, -1 while none. Branches to a loop go to its checked header
	// and are not recorded.
	exit int64
	// deferred is the cost of the segment that ended with this if, charged
	// at the start of each branch instead (see flush).
	deferred int64

	// Loops only. A hoisted loop's header segment is charged by the
	// segments that lead to it: the one ending with the loop instruction
	// and every one ending with a br to the loop (see scanLoops).
	hoisted bool
	header  int64 // cost of the header segment, -1 until known
	// The charge of the segment that entered the loop: where it is in the
	// body, its length (0: none) and its amount.
	enterAt, enterLen int
	enterCost         int64
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
	// observed: the segment calls a function or charges dynamically, so
	// code outside it reads the counter before the segment ends.
	observed bool
	header   int      // index in ctl of the loop whose header is this segment, -1 if none
	targets  []uint32 // frames (by index in ctl) a live branch in the segment goes to
}

// charge adds an instruction's static cost to the pending segment.
func (m *meter) charge(n int64) {
	if !m.dead {
		m.cost += n
	}
}

// reset starts a new segment at the given exposure.
func (m *meter) reset(exposure int64) {
	*m = meter{exposure: exposure, header: -1, targets: m.targets[:0]}
}

// branch records the targets of a live br, br_if or br_table (raw is the
// whole instruction) in the pending segment, by frame index: the segment
// may open blocks before it ends, which shifts label depths. Depths beyond
// the open constructs are left to the engine's validator.
func (in *instrumenter) branch(ctl []frame, raw []byte) {
	mt := &in.meter
	if mt.dead {
		return
	}
	r := &reader{b: raw, pos: 1}
	n := 1
	if raw[0] == opBrTable {
		c, _ := r.u32("br_table label count") // decoded before
		n = int(c) + 1
	}
	for range n {
		d, _ := r.u32("label")
		if int64(d) < int64(len(ctl)) {
			mt.targets = append(mt.targets, uint32(len(ctl)-1-int(d)))
		}
	}
}

// flush ends the pending segment, whose last instruction is op. The
// segment is charged at its start, in advance, with its own cost, except
// that
//   - a hoisted loop's header segment is charged by the segments leading
//     to it, so it pays only for the branches back to the loop it contains;
//   - a segment ending with a br to a hoisted loop also pays for the
//     loop's header;
//   - a segment ending with an if is charged at the start of each branch
//     (it returns that cost as deferred), if nothing observes the counter
//     in between: the branches start segments charged anyway, so the
//     condition costs no charge of its own.
//
// It is checked where it must be (function entry, loop header) and where
// its exposure would exceed maxUnchecked.
func (in *instrumenter) flush(ctl []frame, op byte) (deferred int64) {
	mt := &in.meter
	own := mt.cost
	hoistedHeader := mt.header >= 0 && ctl[mt.header].hoisted
	amount := own
	if hoistedHeader {
		amount = 0
	}
	for _, i := range mt.targets {
		if f := &ctl[i]; f.op == opLoop && f.hoisted {
			if f.header >= 0 {
				amount += f.header
			} else {
				amount += own // a branch back from the header segment itself
			}
		}
	}
	check := mt.mustCheck || mt.exposure+amount > maxUnchecked || in.reference
	if check && mt.mustCheck && op == opLoop && !mt.observed && mt.exposure+amount <= maxUnchecked && !in.reference {
		// The loop header's check follows at once and nothing in between
		// can start unbounded work, so it stands in for this one. Go
		// bodies start with their dispatch loop, which makes this the
		// common function entry.
		check = false
	}
	if op == opIf && !check && !mt.observed && !mt.dead && !hoistedHeader {
		deferred, amount = amount, 0
	}
	if hoistedHeader {
		f := &ctl[mt.header]
		f.header = own
		in.recharge(f.enterAt, f.enterLen, f.enterCost+own)
	}
	in.lastAt, in.lastLen, in.lastCost = len(in.body), 0, amount
	if in.metered {
		if amount > 0 {
			in.body = in.gasSub(in.body, amount)
			in.lastLen = len(in.body) - in.lastAt
		}
		if check {
			in.body = in.gasCheck(in.body)
		}
	}
	in.body = append(in.body, in.seg...)
	in.seg = in.seg[:0]
	after := mt.exposure + amount + deferred
	if check {
		// The charge at the start covered the whole segment and the check
		// found it paid.
		after = 0
	}
	for _, i := range mt.targets {
		if ctl[i].op != opLoop {
			ctl[i].exit = max(ctl[i].exit, after)
		}
	}
	mt.reset(after)
	return deferred
}

// recharge replaces the charge of length n at body[at:] by one of amount,
// or inserts it there if n is 0. It only ever rewrites the segment that
// entered the loop being flushed, which is at the end of the body.
func (in *instrumenter) recharge(at, n int, amount int64) {
	if !in.metered {
		return
	}
	ch := in.gasSub(nil, amount)
	in.body = slices.Replace(in.body, at, at+n, ch...)
}

// scanLoops finds, before a body is rewritten, the loops whose header can
// be charged by the segments leading to it: those no br_if or br_table
// targets, so that every way into the header is either falling into the
// loop or an unconditional br, each of which ends a segment that can pay
// for the header in advance. Go's compiler enters its dispatch loop only
// that way. Errors are left to the rewrite, which decodes the same bytes.
func (in *instrumenter) scanLoops(body []byte) {
	in.hoist = in.hoist[:0]
	stack := append(in.scan[:0], -1) // loop number per open construct, -1 if not a loop
	defer func() { in.scan = stack[:0] }()
	r := &reader{b: body}
	for !r.eof() && len(stack) > 0 {
		start := r.pos
		op, err := decodeInstr(r, in.numTypes)
		if err != nil {
			return
		}
		switch op {
		case opBlock, opIf:
			stack = append(stack, -1)
		case opLoop:
			stack = append(stack, int32(len(in.hoist)))
			in.hoist = append(in.hoist, true)
		case opEnd:
			stack = stack[:len(stack)-1]
		case opBrIf, opBrTable:
			lr := &reader{b: body[start:r.pos], pos: 1}
			n := 1
			if op == opBrTable {
				c, _ := lr.u32("br_table label count")
				n = int(c) + 1
			}
			for range n {
				d, _ := lr.u32("label")
				if int64(d) < int64(len(stack)) {
					if k := stack[len(stack)-1-int(d)]; k >= 0 {
						in.hoist[k] = false
					}
				}
			}
		}
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
	if !perBytes { // 1 gas per byte needs no arithmetic
		b = append(b, opI64Const)
		b = appendSLEB(b, costGrowPerPage)
		b = append(b, opI64Mul)
	}
	b = append(b, opI64Sub)
	b = append(b, in.gasSet...)
	return in.gasCheck(b)
}
