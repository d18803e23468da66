package runtime

// Hand-assembled modules, and the encoders every test and benchmark of
// this package builds Wasm bytes with, for cases a Go build cannot
// produce: validator-level deploy checks, traps, memory limits and
// instruction-class benchmarks.

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

// sleb32 encodes v as a signed LEB128 (an i32.const immediate).
func sleb32(v int32) []byte { return sleb64(int64(v)) }

// sleb64 encodes v as a signed LEB128 (an i64.const immediate).
func sleb64(v int64) []byte {
	var out []byte
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && b&0x40 == 0) || (v == -1 && b&0x40 != 0) {
			return append(out, b)
		}
		out = append(out, b|0x80)
	}
}

func i32c(v int32) []byte { return append([]byte{0x41}, sleb32(v)...) }
func i64c(v int64) []byte { return append([]byte{0x42}, sleb64(v)...) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
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

// rawModule describes a hand-assembled module: one memory (its limits
// bytes as encoded), mesh_call `() -> i32` with body call, and optionally
// a start function `() -> ()` with body start.
type rawModuleSpec struct {
	memory []byte // limits: flags, min[, max]
	call   []byte // body of mesh_call without locals, ending in end (0x0b)
	start  []byte // body of the start function; nil for none
}

func (s rawModuleSpec) bytes() []byte {
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	// types: 0 = () -> i32, 1 = () -> ()
	m = append(m, wasmSection(1, []byte{2, 0x60, 0, 1, 0x7f, 0x60, 0, 0})...)
	funcs, bodies := []byte{1, 0}, [][]byte{s.call}
	if s.start != nil {
		funcs, bodies = []byte{2, 0, 1}, append(bodies, s.start)
	}
	m = append(m, wasmSection(3, funcs)...)
	memory := s.memory
	if memory == nil {
		memory = []byte{0, 1}
	}
	m = append(m, wasmSection(5, append([]byte{1}, memory...))...)
	m = append(m, wasmSection(7, []byte{2}, wasmName("memory"), []byte{2, 0}, wasmName("mesh_call"), []byte{0, 0})...)
	if s.start != nil {
		m = append(m, wasmSection(8, []byte{1})...)
	}
	code := [][]byte{leb(uint32(len(bodies)))}
	for _, b := range bodies {
		body := append([]byte{0}, b...) // no locals
		code = append(code, leb(uint32(len(body))), body)
	}
	return append(m, wasmSection(10, code...)...)
}

// Function bodies for rawModuleSpec.
var (
	bodyReturn0     = []byte{0x41, 0, 0x0b}                                              // i32.const 0
	bodyDivZero     = []byte{0x41, 1, 0x41, 0, 0x6d, 0x0b}                               // 1 / 0
	bodyOverflow    = []byte{0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x41, 0x7f, 0x6d, 0x0b} // MinInt32 / -1
	bodyUnreachable = []byte{0x00, 0x0b}
	bodyOOBLoad     = []byte{0x41, 0x70, 0x28, 0x02, 0x00, 0x0b}             // i32.load at 0xFFFFFFF0
	bodyBadConvert  = []byte{0x44, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 0xaa, 0x0b} // i32.trunc_f64_s(NaN)
	bodyLoopForever = []byte{0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b}             // loop br 0 end
	bodyStartTrap   = []byte{0x00, 0x0b}
)
