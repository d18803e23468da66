package wasm

import "math/bits"

// Shape is what deploying a module costs the host, in the module's own
// terms: validation, instrumentation and compilation are linear in its
// code bytes, functions and locals, except that the engine's compiler
// takes time quadratic in the control flow of each function, and
// instantiation and the snapshot take time in the memory it declares. It
// is a pure function of the bytes.
type Shape struct {
	CodeBytes int    // the whole module
	Functions int    // defined functions
	Locals    uint64 // declared locals over all functions (parameters not included)
	// Branches counts the control instructions (block, loop, if, br_if,
	// br_table) over all functions, and BranchesSquared sums the square
	// of each function's count (saturating): wazero's compiler is
	// quadratic in them per function.
	Branches        uint64
	BranchesSquared uint64
	// MemoryPages is the declared initial size of the memory: what every
	// instance maps and the snapshot holds from the start.
	MemoryPages uint32
}

// MeasureShape decodes code, including every instruction, and returns its
// shape. A module that does not decode yields what was measured before the
// error (at least its byte count) and the error, so a caller can still
// charge for the bytes.
func MeasureShape(code []byte) (Shape, error) {
	s := Shape{CodeBytes: len(code)}
	m, err := Decode(code)
	if err != nil {
		return s, err
	}
	s.Functions = len(m.Codes)
	for _, mem := range m.Memories {
		s.MemoryPages = max(s.MemoryPages, mem.Min)
	}
	for _, im := range m.Imports {
		if im.Kind == ExternMemory {
			s.MemoryPages = max(s.MemoryPages, im.Memory.Min)
		}
	}
	for i := range m.Codes {
		c := &m.Codes[i]
		for _, l := range c.Locals {
			s.Locals += uint64(l.Count)
		}
		n, err := countBranches(c, len(m.Types))
		s.Branches += n
		s.BranchesSquared = SatAdd(s.BranchesSquared, SatMul(n, n))
		if err != nil {
			return s, err
		}
	}
	return s, nil
}

// countBranches counts a body's control instructions up to the first one
// that does not decode.
func countBranches(c *Code, numTypes int) (uint64, error) {
	r := &reader{b: c.Body, base: c.BodyOffset}
	var n uint64
	for !r.eof() {
		op, err := decodeInstr(r, numTypes)
		if err != nil {
			return n, err
		}
		switch op {
		case opBlock, opLoop, opIf, opBrIf, opBrTable:
			n++
		}
	}
	return n, nil
}

// SatAdd is a+b, or the largest uint64 if that overflows.
func SatAdd(a, b uint64) uint64 {
	s, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return ^uint64(0)
	}
	return s
}

// SatMul is a*b, or the largest uint64 if that overflows.
func SatMul(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return ^uint64(0)
	}
	return lo
}
