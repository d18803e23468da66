package wasm

// Shape is what deploying a module costs the host, in the module's own
// terms: validation, instrumentation and compilation are linear in its
// code bytes, functions and locals, and instantiation and the snapshot
// in the memory it declares. It is a pure function of the bytes.
type Shape struct {
	CodeBytes int    // the whole module
	Functions int    // defined functions
	Locals    uint64 // declared locals over all functions (parameters not included)
	// MemoryPages is the declared initial size of the memory: what every
	// instance maps and the snapshot holds from the start.
	MemoryPages uint32
}

// MeasureShape decodes code's sections (not its instructions) and returns
// its shape. A module that does not decode yields its byte count alone and
// the decode error, so a caller can still charge for the bytes.
func MeasureShape(code []byte) (Shape, error) {
	s := Shape{CodeBytes: len(code)}
	m, err := Decode(code)
	if err != nil {
		return s, err
	}
	s.Functions = len(m.Codes)
	for i := range m.Codes {
		for _, l := range m.Codes[i].Locals {
			s.Locals += uint64(l.Count)
		}
	}
	for _, mem := range m.Memories {
		s.MemoryPages = max(s.MemoryPages, mem.Min)
	}
	for _, im := range m.Imports {
		if im.Kind == ExternMemory {
			s.MemoryPages = max(s.MemoryPages, im.Memory.Min)
		}
	}
	return s, nil
}
