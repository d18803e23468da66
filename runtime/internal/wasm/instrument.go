package wasm

import "fmt"

var (
	canonF32 = [4]byte{0x00, 0x00, 0xc0, 0x7f}                         // 0x7fc00000
	canonF64 = [8]byte{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x7f} // 0x7ff8000000000000
)

// instrumenter rewrites function bodies. One instance serves one module;
// its buffers are reused across functions.
type instrumenter struct {
	m        *Module
	numTypes int // types the original bodies may reference
	types    []FuncType
	gasGet   []byte // "global.get gas", pre-encoded
	gasSet   []byte
	depthGet []byte
	depthSet []byte
	maxDepth uint32
	// refusedSet is "global.set" of the global a refused memory.grow
	// sets to 1; memLimit is the page limit it enforces (see growGuard).
	refusedSet []byte
	memLimit   uint32

	// metered is false under Policy.NoMetering: segments are tracked but
	// neither charged nor checked.
	metered bool
	// reference selects the plain schedule the optimisations must match
	// (tests only): every segment charged in advance and checked.
	reference bool
	meter     meter
	ctl       []frame // open constructs of the current function
	hoist     []bool  // per loop of the current function, in order: see scanLoops
	scan      []int32 // scanLoops' construct stack
	// The charge flush emitted last: where, its length (0: none), amount.
	lastAt, lastLen int
	lastCost        int64

	body []byte // the function being built
	seg  []byte // the pending metered segment, not yet charged

	// Scratch locals of the current function, assigned on first use.
	nLocals uint32
	extra   []LocalDecl
	scratch [3]int32 // local index per scratch kind, -1 if unassigned
	funcIdx int
}

const (
	scratchI32 = iota
	scratchF32
	scratchF64
)

var scratchTypes = [3]ValType{I32, F32, F64}

func newInstrumenter(m *Module, gasIdx, depthIdx, refusedIdx, maxDepth, memLimit uint32, metered bool) *instrumenter {
	in := &instrumenter{
		m:        m,
		metered:  metered,
		numTypes: len(m.Types),
		types:    append([]FuncType(nil), m.Types...),
		maxDepth: maxDepth,
		memLimit: memLimit,
	}
	in.gasGet = appendULEB([]byte{opGlobalGet}, uint64(gasIdx))
	in.gasSet = appendULEB([]byte{opGlobalSet}, uint64(gasIdx))
	in.depthGet = appendULEB([]byte{opGlobalGet}, uint64(depthIdx))
	in.depthSet = appendULEB([]byte{opGlobalSet}, uint64(depthIdx))
	in.refusedSet = appendULEB([]byte{opGlobalSet}, uint64(refusedIdx))
	return in
}

// codeSection rewrites every body and returns the new code section payload.
func (in *instrumenter) codeSection() ([]byte, error) {
	m := in.m
	size := 16
	for i := range m.Codes {
		size += len(m.Codes[i].Body)*5/4 + 64
	}
	out := make([]byte, 0, size)
	out = appendULEB(out, uint64(len(m.Codes)))
	nImported := m.NumImportedFuncs()
	for i := range m.Codes {
		in.funcIdx = nImported + i
		if err := in.function(&m.Codes[i], m.Types[m.Funcs[i]]); err != nil {
			if ve, ok := err.(*ValidationError); ok {
				ve.Msg = fmt.Sprintf("function %d: %s", in.funcIdx, ve.Msg)
			}
			return nil, err
		}
		out = appendCode(out, m.Codes[i].Locals, in.extra, in.body)
	}
	return out, nil
}

// blockTypeFor returns the block type encoding of () -> results, adding a
// type when a multi-value signature has no existing match.
func (in *instrumenter) blockTypeFor(results []ValType) []byte {
	switch len(results) {
	case 0:
		return []byte{0x40}
	case 1:
		return []byte{byte(results[0])}
	}
	want := FuncType{Results: results}
	for i, t := range in.types {
		if t.Equal(want) {
			return appendSLEB(nil, int64(i))
		}
	}
	in.types = append(in.types, FuncType{Results: append([]ValType(nil), results...)})
	return appendSLEB(nil, int64(len(in.types)-1))
}

func (in *instrumenter) function(c *Code, ft FuncType) error {
	n := uint64(len(ft.Params))
	for _, l := range c.Locals {
		n += uint64(l.Count)
	}
	if n > maxLocals {
		return errorf(KindLimit, "%d locals exceed the limit of %d", n, maxLocals)
	}
	in.nLocals = uint32(n)
	in.extra = in.extra[:0]
	in.scratch = [3]int32{-1, -1, -1}
	in.body = in.body[:0]
	in.seg = in.seg[:0]
	in.scanLoops(c.Body)

	in.body = in.depthPrologue(in.body)
	in.body = append(in.body, opBlock)
	in.body = append(in.body, in.blockTypeFor(ft.Results)...)

	r := &reader{b: c.Body, base: c.BodyOffset}
	ctl := append(in.ctl[:0], frame{op: opBlock, exit: -1})
	defer func() { in.ctl = ctl[:0] }()
	loops := 0
	mt := &in.meter
	mt.reset(0)
	mt.mustCheck = true
	for {
		if r.eof() {
			return malformed("body ends at offset %d without its final end", r.off())
		}
		start := r.pos
		op, err := decodeInstr(r, in.numTypes)
		if err != nil {
			return err
		}
		raw := c.Body[start:r.pos]
		switch op {
		case opBlock:
			ctl = append(ctl, frame{op: opBlock, exit: -1})
			mt.charge(costInstr)
			in.seg = append(in.seg, raw...)
		case opLoop:
			mt.charge(costInstr)
			in.seg = append(in.seg, raw...)
			// Only a loop that is fallen into can be paid for by the
			// segment before it; one after a br is unreachable anyway.
			live := !mt.dead
			in.flush(ctl, opLoop)
			f := frame{op: opLoop, exit: -1, header: -1, enterAt: in.lastAt, enterLen: in.lastLen, enterCost: in.lastCost}
			f.hoisted = live && in.metered && loops < len(in.hoist) && in.hoist[loops] && !in.reference
			loops++
			ctl = append(ctl, f)
			mt.mustCheck = true
			mt.header = len(ctl) - 1
		case opIf:
			mt.charge(costInstr)
			in.seg = append(in.seg, raw...)
			deferred := in.flush(ctl, opIf)
			// A deferred cost is counted in each branch's first segment.
			mt.exposure -= deferred
			ctl = append(ctl, frame{op: opIf, entry: mt.exposure, exit: -1, deferred: deferred})
			mt.cost = deferred
		case opElse:
			f := &ctl[len(ctl)-1]
			if f.op != opIf {
				return malformed("else at offset %d without a matching if", r.off()-1)
			}
			mt.charge(costInstr)
			in.seg = append(in.seg, raw...)
			live := !mt.dead
			in.flush(ctl, opElse)
			if live {
				f.exit = max(f.exit, mt.exposure)
			}
			f.op = opElse
			mt.exposure = f.entry
			mt.cost = f.deferred
		case opEnd:
			mt.charge(costInstr)
			if f := ctl[len(ctl)-1]; f.op == opIf && f.deferred > 0 && in.metered {
				// The path skipping the then-branch still owes the
				// condition's cost: it gets an else that charges it.
				in.seg = append(in.seg, opElse)
				in.seg = in.gasSub(in.seg, f.deferred)
			}
			in.seg = append(in.seg, raw...)
			live := !mt.dead
			in.flush(ctl, opEnd)
			f := ctl[len(ctl)-1]
			ctl = ctl[:len(ctl)-1]
			// Paths reaching the end: branches to it, the fall-through,
			// and for an if without else, the skipped then-branch.
			e := f.exit
			if live {
				e = max(e, mt.exposure)
			}
			if f.op == opIf {
				e = max(e, f.entry+f.deferred)
			}
			mt.exposure = max(e, 0)
			if len(ctl) == 0 {
				if !r.eof() {
					return malformed("%d bytes after the final end at offset %d", r.remaining(), r.off())
				}
				in.body = in.depthEpilogue(in.body)
				in.body = append(in.body, opEnd)
				return nil
			}
		case opBrIf:
			mt.charge(costInstr)
			in.seg = append(in.seg, raw...)
			in.branch(ctl, raw)
			in.flush(ctl, opBrIf)
		case opBr, opBrTable:
			mt.charge(costInstr)
			in.seg = append(in.seg, raw...)
			in.branch(ctl, raw)
			mt.dead = true
		case opUnreachable:
			mt.charge(costInstr)
			in.seg = append(in.seg, raw...)
			mt.dead = true
		case opReturn:
			mt.charge(costInstr)
			in.seg = in.depthEpilogue(in.seg)
			in.seg = append(in.seg, raw...)
			mt.dead = true
		case opCall, opCallIndirect:
			mt.charge(costInstr + costCallExtra)
			mt.observed = mt.observed || !mt.dead
			in.seg = append(in.seg, raw...)
		case 0x6d, 0x6e, 0x6f, 0x70, 0x7f, 0x80, 0x81, 0x82: // i32/i64 div_s div_u rem_s rem_u
			mt.charge(costInstr + costDivExtra)
			in.seg = append(in.seg, raw...)
		case 0x91, 0x95: // f32.sqrt f32.div
			mt.charge(costInstr + costFloatSlowExtra)
			in.seg = append(in.seg, raw...)
			in.seg = in.canonNaN(in.seg, scratchF32)
		case 0x9f, 0xa3: // f64.sqrt f64.div
			mt.charge(costInstr + costFloatSlowExtra)
			in.seg = append(in.seg, raw...)
			in.seg = in.canonNaN(in.seg, scratchF64)
		case opMemoryGrow, opMemoryCopy, opMemoryFill:
			cost := int64(costInstr)
			if op != opMemoryGrow {
				cost += costBulkBase
			}
			mt.charge(cost)
			mt.observed = mt.observed || !mt.dead
			if in.metered {
				in.seg = in.dynamicCharge(in.seg, op != opMemoryGrow)
			}
			if op == opMemoryGrow {
				in.seg = in.growGuard(in.seg, raw)
			} else {
				in.seg = append(in.seg, raw...)
			}
		case 0x8d, 0x8e, 0x8f, 0x90, 0x92, 0x93, 0x94, 0x96, 0x97, 0xb6:
			// f32 ceil floor trunc nearest add sub mul min max, f32.demote_f64
			mt.charge(costInstr)
			in.seg = append(in.seg, raw...)
			in.seg = in.canonNaN(in.seg, scratchF32)
		case 0x9b, 0x9c, 0x9d, 0x9e, 0xa0, 0xa1, 0xa2, 0xa4, 0xa5, 0xbb:
			// f64 ceil floor trunc nearest add sub mul min max, f64.promote_f32
			mt.charge(costInstr)
			in.seg = append(in.seg, raw...)
			in.seg = in.canonNaN(in.seg, scratchF64)
		default:
			mt.charge(costInstr)
			in.seg = append(in.seg, raw...)
		}
	}
}

// local returns the index of a scratch local, declaring it on first use.
// Scratch locals follow the original locals in order of first use.
func (in *instrumenter) local(kind int) uint64 {
	if in.scratch[kind] < 0 {
		in.scratch[kind] = int32(in.nLocals) + int32(len(in.extra))
		in.extra = append(in.extra, LocalDecl{Count: 1, Type: scratchTypes[kind]})
	}
	return uint64(in.scratch[kind])
}

// canonNaN replaces a NaN on top of the stack with the canonical quiet NaN:
// local.tee t; const canon; local.get t; local.get t; eq; select.
func (in *instrumenter) canonNaN(b []byte, kind int) []byte {
	t := in.local(kind)
	b = append(b, opLocalTee)
	b = appendULEB(b, t)
	if kind == scratchF32 {
		b = append(b, opF32Const)
		b = append(b, canonF32[:]...)
	} else {
		b = append(b, opF64Const)
		b = append(b, canonF64[:]...)
	}
	b = append(b, opLocalGet)
	b = appendULEB(b, t)
	b = append(b, opLocalGet)
	b = appendULEB(b, t)
	if kind == scratchF32 {
		b = append(b, opF32Eq)
	} else {
		b = append(b, opF64Eq)
	}
	return append(b, opSelect)
}

// depthPrologue: depth++; trap if depth > max.
func (in *instrumenter) depthPrologue(b []byte) []byte {
	b = append(b, in.depthGet...)
	b = append(b, opI32Const, 1, opI32Add)
	b = append(b, in.depthSet...)
	b = append(b, in.depthGet...)
	b = append(b, opI32Const)
	b = appendSLEB(b, int64(int32(in.maxDepth)))
	return append(b, opI32GtU, opIf, 0x40, opUnreachable, opEnd)
}

// depthEpilogue: depth--.
func (in *instrumenter) depthEpilogue(b []byte) []byte {
	b = append(b, in.depthGet...)
	b = append(b, opI32Const, 1, opI32Sub)
	return append(b, in.depthSet...)
}

// growGuard replaces memory.grow (raw) with a grow that refuses, without
// asking the engine, any grow past the module's page limit: it sets the
// refusal global to 1 and yields -1, as a refused grow does, so that the
// host can tell a call that trapped after a refused grow (Go throws "out
// of memory") from any other trap. The engine itself would refuse a grow
// past the declared or the Wasm maximum without telling the host. The
// pages to grow are on top of the stack; the sum is formed in i64, where
// two u32 cannot overflow:
//
//	local.set s
//	local.get s; i64.extend_i32_u; memory.size; i64.extend_i32_u; i64.add
//	i64.const limit; i64.gt_u
//	if (result i32) i32.const 1; global.set refused; i32.const -1
//	else local.get s; memory.grow end
//
// It is part of memory.grow's cost: the check charges no gas of its own.
func (in *instrumenter) growGuard(b, raw []byte) []byte {
	s := in.local(scratchI32)
	b = append(b, opLocalSet)
	b = appendULEB(b, s)
	b = append(b, opLocalGet)
	b = appendULEB(b, s)
	b = append(b, opI64ExtendI32U, opMemorySize, 0, opI64ExtendI32U, opI64Add, opI64Const)
	b = appendSLEB(b, int64(in.memLimit))
	b = append(b, opI64GtU, opIf, byte(I32), opI32Const, 1)
	b = append(b, in.refusedSet...)
	b = append(b, opI32Const, 0x7f, opElse, opLocalGet)
	b = appendULEB(b, s)
	b = append(b, raw...)
	return append(b, opEnd)
}
