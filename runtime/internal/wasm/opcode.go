package wasm

// Opcodes the decoder and instrumenter refer to by name. Prefixed
// instructions are represented as prefix<<8 | subopcode.
const (
	opUnreachable   = 0x00
	opNop           = 0x01
	opBlock         = 0x02
	opLoop          = 0x03
	opIf            = 0x04
	opElse          = 0x05
	opEnd           = 0x0b
	opBr            = 0x0c
	opBrIf          = 0x0d
	opBrTable       = 0x0e
	opReturn        = 0x0f
	opCall          = 0x10
	opCallIndirect  = 0x11
	opDrop          = 0x1a
	opSelect        = 0x1b
	opSelectT       = 0x1c
	opLocalGet      = 0x20
	opLocalSet      = 0x21
	opLocalTee      = 0x22
	opGlobalGet     = 0x23
	opGlobalSet     = 0x24
	opMemorySize    = 0x3f
	opMemoryGrow    = 0x40
	opI32Const      = 0x41
	opI64Const      = 0x42
	opF32Const      = 0x43
	opF64Const      = 0x44
	opI32Eqz        = 0x45
	opI32GtU        = 0x4b
	opI64LtS        = 0x53
	opI64GtU        = 0x56
	opF32Eq         = 0x5b
	opF64Eq         = 0x61
	opI32Add        = 0x6a
	opI32Sub        = 0x6b
	opI64Add        = 0x7c
	opI64Sub        = 0x7d
	opI64Mul        = 0x7e
	opI64ShrU       = 0x88
	opI64ExtendI32U = 0xad
	opRefNull       = 0xd0
	opRefFunc       = 0xd2

	prefixMisc   = 0xfc
	opMemoryCopy = prefixMisc<<8 | 10
	opMemoryFill = prefixMisc<<8 | 11
)

// forbiddenOps names single-byte opcodes that belong to proposals a
// contract may not use. They are rejected as forbidden_feature rather than
// malformed so that authors learn which compiler flag to turn off.
var forbiddenOps = map[byte]string{
	0x06: "try (exception handling)", 0x07: "catch (exception handling)",
	0x08: "throw (exception handling)", 0x09: "rethrow (exception handling)",
	0x0a: "throw_ref (exception handling)", 0x18: "delegate (exception handling)",
	0x19: "catch_all (exception handling)", 0x1f: "try_table (exception handling)",
	0x12: "return_call (tail calls)", 0x13: "return_call_indirect (tail calls)",
	0x14: "call_ref (function references)", 0x15: "return_call_ref (function references)",
	0x25: "table.get (reference types)", 0x26: "table.set (reference types)",
	0xd0: "ref.null (reference types)", 0xd1: "ref.is_null (reference types)",
	0xd2: "ref.func (reference types)", 0xd3: "ref.eq (GC)",
	0xd4: "ref.as_non_null (function references)", 0xd5: "br_on_null (function references)",
	0xd6: "br_on_non_null (function references)",
	0xfb: "GC instruction", 0xfd: "SIMD instruction", 0xfe: "atomic instruction (threads)",
}

var forbiddenMiscOps = map[uint32]string{
	8: "memory.init", 9: "data.drop", 12: "table.init", 13: "elem.drop",
	14: "table.copy", 15: "table.grow", 16: "table.size", 17: "table.fill",
}

// decodeInstr decodes the instruction at r.b[r.pos:], advancing r past its
// immediates. It rejects instructions outside the allowed feature set and
// checks the immediates whose misreading would corrupt the rewrite (block
// types, reserved bytes); everything else is left to the engine's
// validator.
func decodeInstr(r *reader, numTypes int) (uint32, error) {
	at := r.off()
	c, err := r.byte1("instruction")
	if err != nil {
		return 0, err
	}
	op := uint32(c)
	switch {
	case c == opUnreachable, c == opNop, c == opElse, c == opEnd, c == opReturn,
		c == opDrop, c == opSelect, c >= 0x45 && c <= 0xc4:
		return op, nil
	case c == opBlock, c == opLoop, c == opIf:
		return op, readBlockType(r, numTypes)
	case c == opBr, c == opBrIf, c == opCall, c >= opLocalGet && c <= opGlobalSet:
		_, err = r.u32("immediate")
		return op, err
	case c == opBrTable:
		n, err := r.count("br_table label", 1)
		if err != nil {
			return 0, err
		}
		for i := 0; i <= n; i++ {
			if _, err := r.u32("br_table label"); err != nil {
				return 0, err
			}
		}
		return op, nil
	case c == opCallIndirect:
		if _, err := r.u32("call_indirect type index"); err != nil {
			return 0, err
		}
		_, err = r.u32("call_indirect table index")
		return op, err
	case c == opSelectT:
		n, err := r.u32("select type count")
		if err != nil {
			return 0, err
		}
		if n != 1 {
			return 0, malformed("select at offset %d has %d types, want 1", at, n)
		}
		_, err = decodeValType(r, "select")
		return op, err
	case c >= 0x28 && c <= 0x3e:
		align, err := r.u32("memarg alignment")
		if err != nil {
			return 0, err
		}
		if align >= 64 {
			return 0, errorf(KindForbiddenFeature, "memory access at offset %d names a memory index (multi-memory)", at)
		}
		_, err = r.u32("memarg offset")
		return op, err
	case c == opMemorySize, c == opMemoryGrow:
		return op, reservedZero(r, at)
	case c == opI32Const:
		_, err = r.s32("i32.const immediate")
		return op, err
	case c == opI64Const:
		_, err = r.s64("i64.const immediate")
		return op, err
	case c == opF32Const:
		_, err = r.bytesN(4, "f32.const immediate")
		return op, err
	case c == opF64Const:
		_, err = r.bytesN(8, "f64.const immediate")
		return op, err
	case c == prefixMisc:
		sub, err := r.u32("0xfc subopcode")
		if err != nil {
			return 0, err
		}
		op = prefixMisc<<8 | sub
		switch {
		case sub <= 7: // non-trapping float-to-int
			return op, nil
		case sub == 10: // memory.copy dst src
			if err := reservedZero(r, at); err != nil {
				return 0, err
			}
			return op, reservedZero(r, at)
		case sub == 11: // memory.fill
			return op, reservedZero(r, at)
		}
		if name, ok := forbiddenMiscOps[sub]; ok {
			return 0, errorf(KindForbiddenFeature, "%s (0xfc %d) at offset %d", name, sub, at)
		}
		return 0, malformed("unknown opcode 0xfc %d at offset %d", sub, at)
	}
	if name, ok := forbiddenOps[c]; ok {
		return 0, errorf(KindForbiddenFeature, "%s (opcode 0x%02x) at offset %d", name, c, at)
	}
	return 0, malformed("unknown opcode 0x%02x at offset %d", c, at)
}

func reservedZero(r *reader, at int) error {
	b, err := r.byte1("memory index")
	if err != nil {
		return err
	}
	if b != 0 {
		return errorf(KindForbiddenFeature, "instruction at offset %d names memory %d (multi-memory)", at, b)
	}
	return nil
}

// readBlockType reads a block type: empty (0x40), one value type, or a
// non-negative type index (multi-value).
func readBlockType(r *reader, numTypes int) error {
	at := r.off()
	if r.eof() {
		return malformed("unexpected end of block type at offset %d", at)
	}
	c := r.b[r.pos]
	if c == 0x40 {
		r.pos++
		return nil
	}
	if c&0x80 == 0 && c&0x40 != 0 {
		// A single-byte negative s33: a value type.
		r.pos++
		return checkValType(c, "block result", at)
	}
	idx, err := r.s33("block type")
	if err != nil {
		return err
	}
	if idx < 0 {
		return malformed("bad block type %d at offset %d", idx, at)
	}
	if idx >= int64(numTypes) {
		return malformed("block type index %d at offset %d is out of range (%d types)", idx, at, numTypes)
	}
	return nil
}
