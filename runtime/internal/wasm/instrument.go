package wasm

import (
	"fmt"
	"os"
)

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

	// metered is false under Policy.NoMetering: segments are tracked but
	// neither charged nor checked.
	metered bool
	variant string // EXPERIMENT
	entryPending bool
	meter   meter
	ctl     []frame // open constructs of the current function, reused

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

func newInstrumenter(m *Module, gasIdx, depthIdx, maxDepth uint32, metered bool) *instrumenter {
	in := &instrumenter{
		m:        m,
		metered:  metered,
		numTypes: len(m.Types),
		types:    append([]FuncType(nil), m.Types...),
		maxDepth: maxDepth,
	}
	in.gasGet = appendULEB([]byte{opGlobalGet}, uint64(gasIdx))
	in.gasSet = appendULEB([]byte{opGlobalSet}, uint64(gasIdx))
	in.depthGet = appendULEB([]byte{opGlobalGet}, uint64(depthIdx))
	in.depthSet = appendULEB([]byte{opGlobalSet}, uint64(depthIdx))
	in.variant = os.Getenv("MESHGAS_V") // EXPERIMENT
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

	in.body = in.depthPrologue(in.body)
	in.body = append(in.body, opBlock)
	in.body = append(in.body, in.blockTypeFor(ft.Results)...)

	r := &reader{b: c.Body, base: c.BodyOffset}
	ctl := in.ctl[:0]
	ctl = append(ctl, frame{op: opBlock, exit: -1})
	defer func() { in.ctl = ctl[:0] }()
	mt := &in.meter
	mt.reset(0)
	mt.mustCheck = true
	in.entryPending = true
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
			in.flush(ctl, opLoop)
			ctl = append(ctl, frame{op: opLoop, exit: -1})
			mt.mustCheck = true
		case opIf:
			mt.charge(costInstr)
			in.seg = append(in.seg, raw...)
			in.flush(ctl, opIf)
			ctl = append(ctl, frame{op: opIf, entry: mt.exposure, exit: -1})
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
		case opEnd:
			mt.charge(costInstr)
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
				e = max(e, f.entry)
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
			mt.hasCall = mt.hasCall || !mt.dead
			in.seg = append(in.seg, raw...)
		case 0x6d, 0x6e, 0x6f, 0x70, 0x7f, 0x80, 0x81, 0x82: // i32/i64 div_s div_u rem_s rem_u
			mt.charge(costInstr + costDivExtra)
			in.seg = append(in.seg, raw...)
		case opMemoryGrow:
			mt.charge(costInstr)
			if in.metered {
				in.seg = in.dynamicCharge(in.seg, false)
			}
			in.seg = append(in.seg, raw...)
		case opMemoryCopy, opMemoryFill:
			mt.charge(costInstr)
			if in.metered {
				in.seg = in.dynamicCharge(in.seg, true)
			}
			in.seg = append(in.seg, raw...)
		case 0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0xb6:
			// f32 ceil floor trunc nearest sqrt add sub mul div min max, f32.demote_f64
			mt.charge(costInstr)
			in.seg = append(in.seg, raw...)
			in.seg = in.canonNaN(in.seg, scratchF32)
		case 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xbb:
			// f64 ceil floor trunc nearest sqrt add sub mul div min max, f64.promote_f32
			mt.charge(costInstr)
			in.seg = append(in.seg, raw...)
			in.seg = in.canonNaN(in.seg, scratchF64)
		default:
			mt.charge(costInstr)
			in.seg = append(in.seg, raw...)
		}
	}
}

// branch records the targets of a live br, br_if or br_table (raw is the
// whole instruction) in the pending segment, by frame index: the segment
// may open blocks before it ends, which would shift label depths.
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

// flush ends the pending segment, whose last instruction is op: it is
// charged at its start, and checked there when it must be or when its
// exposure would exceed maxUnchecked.
func (in *instrumenter) flush(ctl []frame, op byte) {
	mt := &in.meter
	check := mt.needsCheck() || in.variant == "old"
	entry := in.entryPending
	in.entryPending = false
	if in.variant == "merge" && entry {
		check = true
	} else if check && mt.mustCheck && op == opLoop && !mt.hasCall && mt.exposure+mt.cost <= maxUnchecked {
		// The loop header's check follows at once and nothing in between
		// can start unbounded work, so it stands in for this one. Go
		// bodies start with their dispatch loop, which makes this the
		// common function entry.
		check = false
	}
	if in.metered {
		if mt.cost > 0 {
			in.body = in.gasSub(in.body, mt.cost)
		}
		if check && in.variant == "merge" && entry {
			in.body = in.gasDepthCheck(in.body)
		} else if check {
			in.body = in.gasCheck(in.body)
		}
	} else if entry && in.variant == "merge" {
		in.body = in.gasDepthCheck(in.body)
	}
	in.body = append(in.body, in.seg...)
	in.seg = in.seg[:0]
	after := mt.exposureAfter(check)
	for _, i := range mt.targets {
		if ctl[i].op != opLoop {
			ctl[i].exit = max(ctl[i].exit, after)
		}
	}
	mt.reset(after)
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

func (in *instrumenter) gasDepthCheck(b []byte) []byte {
	b = append(b, in.gasGet...)
	b = append(b, opI64Const, 0, opI64LtS)
	b = append(b, in.depthGet...)
	b = append(b, opI32Const)
	b = appendSLEB(b, int64(int32(in.maxDepth)))
	b = append(b, opI32GtU, 0x72, opIf, 0x40, opUnreachable, opEnd)
	return b
}

// depthPrologue: depth++; trap if depth > max.
func (in *instrumenter) depthPrologue(b []byte) []byte {
	b = append(b, in.depthGet...)
	b = append(b, opI32Const, 1, opI32Add)
	b = append(b, in.depthSet...)
	if in.variant == "merge" {
		return b
	}
	b = append(b, in.depthGet...)
	b = append(b, opI32Const)
	b = appendSLEB(b, int64(int32(in.maxDepth)))
	b = append(b, opI32GtU, opIf, 0x40, opUnreachable, opEnd)
	return b
}

// depthEpilogue: depth--.
func (in *instrumenter) depthEpilogue(b []byte) []byte {
	b = append(b, in.depthGet...)
	b = append(b, opI32Const, 1, opI32Sub)
	return append(b, in.depthSet...)
}
