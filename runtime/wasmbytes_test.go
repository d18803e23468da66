package runtime

// Hand-assembled modules for validator-level deploy checks, where a Go
// build cannot produce the defect.

func leb(v uint32) []byte {
	var out []byte
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			out = append(out, b|0x80)
			continue
		}
		return append(out, b)
	}
}

func wasmName(s string) []byte { return append(leb(uint32(len(s))), s...) }

func wasmSection(id byte, payload ...[]byte) []byte {
	var body []byte
	for _, p := range payload {
		body = append(body, p...)
	}
	return append(append([]byte{id}, leb(uint32(len(body)))...), body...)
}

// tinyModule builds a module with one memory page, a function
// `() -> i32` returning 0, and optionally an import of (importModule,
// importName) typed `() -> ()` and the mesh_call export.
func tinyModule(importModule, importName string, exportCall bool) []byte {
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	// types: 0 = () -> i32, 1 = () -> ()
	m = append(m, wasmSection(1, []byte{2, 0x60, 0, 1, 0x7f, 0x60, 0, 0})...)
	if importModule != "" {
		m = append(m, wasmSection(2, []byte{1}, wasmName(importModule), wasmName(importName), []byte{0, 1})...)
	}
	m = append(m, wasmSection(3, []byte{1, 0})...)    // one function of type 0
	m = append(m, wasmSection(5, []byte{1, 0, 1})...) // memory min 1
	exports := [][]byte{{2}, wasmName("memory"), {2, 0}}
	if exportCall {
		fn := uint32(0)
		if importModule != "" {
			fn = 1
		}
		exports = append(exports, wasmName("mesh_call"), append([]byte{0}, leb(fn)...))
	} else {
		exports[0] = []byte{1}
	}
	m = append(m, wasmSection(7, exports...)...)
	body := []byte{0, 0x41, 0, 0x0b} // no locals; i32.const 0; end
	m = append(m, wasmSection(10, []byte{1}, leb(uint32(len(body))), body)...)
	return m
}
