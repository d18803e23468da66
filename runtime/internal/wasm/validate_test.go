package wasm

import (
	"errors"
	"strings"
	"testing"
)

// oneFunc is a module with memory and one exported function ()->() whose
// body (with final end) is given.
func oneFunc(body ...any) []byte {
	m := newTMod()
	m.fn("f", typeVoid, nil, body...)
	return m.bytes()
}

func oneFuncLocals(locals []LocalDecl, body ...any) []byte {
	m := newTMod()
	m.fn("f", typeVoid, locals, body...)
	return m.bytes()
}

func modWith(edit func(m *tmod)) []byte {
	m := newTMod()
	m.fn("f", typeVoid, nil, opEnd)
	edit(m)
	return m.bytes()
}

func TestPrepareRejects(t *testing.T) {
	valid := oneFunc(opEnd)
	header := valid[:8]
	tests := []struct {
		name    string
		bin     []byte
		policy  func(p *Policy)
		kind    ErrKind
		msgPart string
	}{
		{"empty", nil, nil, KindMalformed, "shorter than the 8-byte header"},
		{"bad magic", code(0, 'a', 's', 'x', 1, 0, 0, 0), nil, KindMalformed, "bad magic"},
		{"bad version", code(0, 'a', 's', 'm', 2, 0, 0, 0), nil, KindMalformed, "unsupported binary version"},
		{"truncated section", code(header, secType, 10, 1), nil, KindMalformed, "size 10 exceeds"},
		{"truncated module", valid[:len(valid)-3], nil, KindMalformed, "exceeds"},
		{"bad section size LEB", code(header, secType, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00), nil, KindMalformed, "bad LEB128 section size"},
		{"over-long LEB with high bits", code(header, secType, 0xff, 0xff, 0xff, 0xff, 0x7f), nil, KindMalformed, "bad LEB128"},
		{"unknown section", code(header, 14, 0), nil, KindMalformed, "unknown section id 14"},
		{"section order", code(header, section(secFunction, vec()), section(secType, vec())), nil, KindMalformed, "type section at offset 11 is out of order"},
		{"duplicate section", code(header, section(secType, vec()), section(secType, vec())), nil, KindMalformed, "out of order or duplicated"},
		{"section size mismatch", code(header, section(secType, code(vec(), 0x00))), nil, KindMalformed, "1 bytes left over"},
		{"bad type form", code(header, section(secType, vec(code(0x5f, 0, 0)))), nil, KindMalformed, "form 0x5f"},
		{"bad value type", code(header, section(secType, vec(code(0x60, 1, 0x55, 0)))), nil, KindMalformed, "bad parameter value type 0x55"},
		{"function without body", code(header, section(secType, vec(functype(nil, nil))), section(secFunction, vec(uleb(0)))), nil, KindMalformed, "declares 1 functions but code section has 0"},
		{"unknown opcode", oneFunc(0xff, opEnd), nil, KindMalformed, "function 0: unknown opcode 0xff"},
		{"unknown 0xfc opcode", oneFunc(0xfc, 30, opEnd), nil, KindMalformed, "unknown opcode 0xfc 30"},
		{"missing final end", oneFunc(opNop), nil, KindMalformed, "without its final end"},
		{"bytes after end", oneFunc(opEnd, opNop), nil, KindMalformed, "1 bytes after the final end"},
		{"else without if", oneFunc(opBlock, 0x40, opElse, opEnd, opEnd), nil, KindMalformed, "else at offset"},
		{"block type out of range", oneFunc(opBlock, 5, opEnd, opEnd), nil, KindMalformed, "block type index 5"},
		{"truncated immediate", oneFunc(opI32Const, 0x80), nil, KindMalformed, "bad LEB128 i32.const immediate"},
		{"bad data flags", modWith(func(m *tmod) { m.datas = vec(code(7, 0)) }), nil, KindMalformed, "bad flags 7"},
		{"type index out of range", modWith(func(m *tmod) { m.funcs[0].typ = 9 }), nil, KindMalformed, "function 0 has type index 9"},
		{"memory min above max", modWith(func(m *tmod) { m.mems = [][]byte{{1, 3, 2}} }), nil, KindMalformed, "minimum 3 above maximum 2"},

		{"code too large", valid, func(p *Policy) { p.Limits.MaxCodeBytes = 20 }, KindCodeTooLarge, "exceeds the limit of 20"},

		{"unknown import", modWith(func(m *tmod) { m.imports = [][]byte{funcImport("env", "g", 0)} }), nil, KindForbiddenImport, `import "env"."g" is not provided`},
		{"import with wrong type", modWith(func(m *tmod) { m.imports = [][]byte{funcImport("env", "f", 0)} }), nil, KindForbiddenImport, `"env"."f" has type () -> (), want () -> (i32)`},
		{"imported memory", modWith(func(m *tmod) { m.imports = [][]byte{code("env", "mem", 2, 0, 1)} }), nil, KindForbiddenImport, `"env"."mem" is a memory`},
		{"imported table", modWith(func(m *tmod) { m.imports = [][]byte{code("env", "tab", 1, 0x70, 0, 1)} }), nil, KindForbiddenImport, "is a table"},
		{"imported global", modWith(func(m *tmod) { m.imports = [][]byte{code("env", "g", 3, I32, 0)} }), nil, KindForbiddenImport, "is a global"},

		{"no memory", modWith(func(m *tmod) { m.mems = nil; m.exports = m.exports[1:] }), nil, KindMissingExport, "defines no memory"},
		{"memory not exported", modWith(func(m *tmod) { m.exports[0].name = "mem" }), nil, KindMissingExport, `no export named "memory"`},
		{"memory export is a function", modWith(func(m *tmod) { m.exports[0] = texport{"memory", ExternFunc, 0} }), nil, KindMissingExport, `export "memory" is a function 0`},
		{"required export missing", valid, func(p *Policy) { p.RequiredExports["mesh_call"] = typeI32 }, KindMissingExport, `no export named "mesh_call"`},
		{"required export wrong type", valid, func(p *Policy) { p.RequiredExports["f"] = typeI32 }, KindMissingExport, `export "f" has type () -> (), want () -> (i32)`},
		{"required export is memory", valid, func(p *Policy) { p.RequiredExports["memory"] = typeI32 }, KindMissingExport, `export "memory" is a memory`},
		{"_initialize wrong type", modWith(func(m *tmod) { m.fn("_initialize", typeI32, nil, opI32Const, 0, opEnd) }), nil, KindMissingExport, `export "_initialize" has type () -> (i32)`},

		{"memory too large", modWith(func(m *tmod) { m.mems = [][]byte{code(0, uleb(513))} }), nil, KindLimit, "memory minimum of 513 pages exceeds the limit of 512"},
		{"too many tables", modWith(func(m *tmod) { m.tables = [][]byte{{0x70, 0, 1}, {0x70, 0, 1}} }), nil, KindLimit, "2 tables exceed the limit of 1"},
		{"table min too large", modWith(func(m *tmod) { m.tables = [][]byte{code(0x70, 0, uleb(65537))} }), nil, KindLimit, "table 0 minimum size 65537"},
		{"table max too large", modWith(func(m *tmod) { m.tables = [][]byte{code(0x70, 1, 1, uleb(70000))} }), nil, KindLimit, "table 0 maximum size 70000"},
		{"too many functions", modWith(func(m *tmod) { m.fn("", typeVoid, nil, opEnd) }), func(p *Policy) { p.Limits.MaxFunctions = 1 }, KindLimit, "2 functions exceed the limit of 1"},
		{"too many globals", modWith(func(m *tmod) { m.globals = [][]byte{code(I32, 0, opI32Const, 0, opEnd)} }), func(p *Policy) { p.Limits.MaxGlobals = 0 }, KindLimit, "1 globals exceed the limit of 0"},
		{"too many imports", modWith(func(m *tmod) { m.types = append(m.types, typeI32); m.imports = [][]byte{funcImport("env", "f", 1)} }), func(p *Policy) { p.Limits.MaxImports = 0 }, KindLimit, "1 imports exceed the limit of 0"},
		{"too many locals", oneFuncLocals([]LocalDecl{{60000, I32}}, opEnd), nil, KindLimit, "function 0: 60000 locals exceed"},

		{"shared memory", modWith(func(m *tmod) { m.mems = [][]byte{{3, 1, 1}} }), nil, KindForbiddenFeature, "shared memory"},
		{"memory64", modWith(func(m *tmod) { m.mems = [][]byte{{4, 1}} }), nil, KindForbiddenFeature, "memory64"},
		{"two memories", modWith(func(m *tmod) { m.mems = append(m.mems, []byte{0, 1}) }), nil, KindForbiddenFeature, "2 memories"},
		{"reserved export name", modWith(func(m *tmod) { m.exports = append(m.exports, texport{"mesh_g3", ExternFunc, 0}) }), nil, KindForbiddenFeature, `"mesh_g3" is reserved`},
		{"reserved start export", modWith(func(m *tmod) { m.exports = append(m.exports, texport{"mesh_start", ExternFunc, 0}) }), nil, KindForbiddenFeature, `"mesh_start" is reserved`},
		{"reserved refusal export", modWith(func(m *tmod) { m.exports = append(m.exports, texport{"mesh_grow_refused", ExternFunc, 0}) }), nil, KindForbiddenFeature, `"mesh_grow_refused" is reserved`},
		{"externref table", modWith(func(m *tmod) { m.tables = [][]byte{{0x6f, 0, 1}} }), nil, KindForbiddenFeature, "externref table"},
		{"v128 local", oneFuncLocals([]LocalDecl{{1, 0x7b}}, opEnd), nil, KindForbiddenFeature, "v128 (SIMD)"},
		{"passive data", modWith(func(m *tmod) { m.datas = vec(code(1, 0)) }), nil, KindForbiddenFeature, "passive"},
		{"passive element", modWith(func(m *tmod) { m.elems = vec(code(1, 0, 0)) }), nil, KindForbiddenFeature, "element segment 0"},
		{"SIMD", oneFunc(0xfd, 12, make([]byte, 16), opDrop, opEnd), nil, KindForbiddenFeature, "function 0: SIMD instruction (opcode 0xfd)"},
		{"atomics", oneFunc(0xfe, 3, 0, opEnd), nil, KindForbiddenFeature, "atomic instruction"},
		{"ref.null", oneFunc(0xd0, 0x70, opDrop, opEnd), nil, KindForbiddenFeature, "ref.null"},
		{"ref.is_null", oneFunc(0xd1, opEnd), nil, KindForbiddenFeature, "ref.is_null"},
		{"ref.func", oneFunc(0xd2, 0, opDrop, opEnd), nil, KindForbiddenFeature, "ref.func"},
		{"table.get", oneFunc(opI32Const, 0, 0x25, 0, opDrop, opEnd), nil, KindForbiddenFeature, "table.get"},
		{"table.set", oneFunc(0x26, 0, opEnd), nil, KindForbiddenFeature, "table.set"},
		{"memory.init", oneFunc(0xfc, 8, 0, 0, opEnd), nil, KindForbiddenFeature, "memory.init (0xfc 8)"},
		{"data.drop", oneFunc(0xfc, 9, 0, opEnd), nil, KindForbiddenFeature, "data.drop"},
		{"table.init", oneFunc(0xfc, 12, 0, 0, opEnd), nil, KindForbiddenFeature, "table.init"},
		{"elem.drop", oneFunc(0xfc, 13, 0, opEnd), nil, KindForbiddenFeature, "elem.drop"},
		{"table.copy", oneFunc(0xfc, 14, 0, 0, opEnd), nil, KindForbiddenFeature, "table.copy"},
		{"table.grow", oneFunc(0xfc, 15, 0, opEnd), nil, KindForbiddenFeature, "table.grow"},
		{"table.size", oneFunc(0xfc, 16, 0, opEnd), nil, KindForbiddenFeature, "table.size"},
		{"table.fill", oneFunc(0xfc, 17, 0, opEnd), nil, KindForbiddenFeature, "table.fill"},
		{"return_call", oneFunc(0x12, 0, opEnd), nil, KindForbiddenFeature, "return_call (tail calls)"},
		{"reference select", oneFunc(opSelectT, 1, 0x70, opEnd), nil, KindForbiddenFeature, "select of reference type"},
		{"reference block type", oneFunc(opBlock, 0x6f, opUnreachable, opEnd, opEnd), nil, KindForbiddenFeature, "block result of reference type"},
		{"multi-memory memarg", oneFunc(opI32Const, 0, 0x28, 0x40, 0, 0, opDrop, opEnd), nil, KindForbiddenFeature, "multi-memory"},
		{"memory.grow memory 1", oneFunc(opI32Const, 0, opMemoryGrow, 1, opDrop, opEnd), nil, KindForbiddenFeature, "names memory 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testPolicy()
			if tc.policy != nil {
				tc.policy(&p)
			}
			prep, err := Prepare(tc.bin, p)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Prepare = %v, %v; want a *ValidationError", prep, err)
			}
			if ve.Kind != tc.kind {
				t.Errorf("Kind = %q, want %q (%v)", ve.Kind, tc.kind, err)
			}
			if !strings.Contains(ve.Msg, tc.msgPart) {
				t.Errorf("Msg = %q, want it to contain %q", ve.Msg, tc.msgPart)
			}
		})
	}
}

func TestPrepareAccepts(t *testing.T) {
	multi := FuncType{Params: []ValType{I32}, Results: []ValType{I32, I64}}
	tests := []struct {
		name string
		bin  []byte
	}{
		{"empty function", oneFunc(opEnd)},
		{"sign extension", oneFunc(opI32Const, 0x7f, 0xc0, 0xc1, opDrop, opI64Const, 1, 0xc2, 0xc3, 0xc4, opDrop, opEnd)},
		{"non-trapping float-to-int", oneFunc(opF32Const, 0, 0, 0, 0, 0xfc, 0, opDrop, opF64Const, make([]byte, 8), 0xfc, 7, opDrop, opEnd)},
		{"memory.copy and fill", oneFunc(opI32Const, 0, opI32Const, 0, opI32Const, 8, 0xfc, 10, 0, 0, opI32Const, 0, opI32Const, 0, opI32Const, 8, 0xfc, 11, 0, opEnd)},
		{"typed select", oneFunc(opI32Const, 1, opI32Const, 2, opI32Const, 0, opSelectT, 1, I32, opDrop, opEnd)},
		{"padded LEB immediates", oneFunc(opI32Const, 0x81, 0x80, 0x80, 0x80, 0x00, opDrop, opEnd)},
		{"multi-value block type", func() []byte {
			m := newTMod()
			m.types = append(m.types, multi)
			m.fn("f", typeVoid, nil, opI32Const, 1, opBlock, 0, opDrop, opDrop, opEnd, opEnd)
			m.funcs[0].body = code(opI32Const, 1, opBlock, 0, opI64Const, 2, opEnd, opDrop, opDrop, opEnd)
			return m.bytes()
		}()},
		{"custom sections", modWith(func(m *tmod) { m.customs = [][]byte{code("name", 0, 0)} })},
		{"table and elements", modWith(func(m *tmod) {
			m.tables = [][]byte{{0x70, 1, 1, 1}}
			m.elems = vec(code(0, opI32Const, 0, opEnd, vec(uleb(0))))
		})},
		{"data", modWith(func(m *tmod) {
			m.datas = vec(code(0, opI32Const, 0, opEnd, "hi"), code(2, 0, opI32Const, 8, opEnd, "yo"))
		})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prep := mustPrepare(t, tc.bin, testPolicy())
			for _, e := range engines {
				compileOK(t, e.cfg(), prep.Code)
			}
		})
	}
}

func TestPrepareInvalidPolicy(t *testing.T) {
	tests := []struct {
		name string
		edit func(p *Policy)
	}{
		{"zero depth", func(p *Policy) { p.MaxCallDepth = 0 }},
		{"huge depth", func(p *Policy) { p.MaxCallDepth = 1 << 31 }},
		{"negative start gas", func(p *Policy) { p.StartGas = -1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testPolicy()
			tc.edit(&p)
			_, err := Prepare(oneFunc(opEnd), p)
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("err = %v, want ErrInvalidPolicy", err)
			}
		})
	}
}

// TestPrepareExportsStart: the start section becomes the export
// StartExportName of the same function, so no engine runs it at
// instantiation.
func TestPrepareExportsStart(t *testing.T) {
	idx := uint32(0)
	prep := mustPrepare(t, modWith(func(m *tmod) { m.start = &idx }), testPolicy())
	if !prep.HasStart {
		t.Fatal("HasStart = false")
	}
	out, err := Decode(prep.Code)
	if err != nil {
		t.Fatal(err)
	}
	if out.HasStart {
		t.Fatal("the prepared module still has a start section")
	}
	found := false
	for _, e := range out.Exports {
		if e.Name == StartExportName {
			found = e.Kind == ExternFunc && e.Index == idx
		}
	}
	if !found {
		t.Fatalf("exports %+v lack %s = function %d", out.Exports, StartExportName, idx)
	}
	for _, e := range engines {
		compileOK(t, e.cfg(), prep.Code)
	}
}
