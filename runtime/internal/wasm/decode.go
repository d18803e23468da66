package wasm

import "bytes"

var magicVersion = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

// Decode parses a binary module. It checks the structure of every section
// but not function bodies (their instructions are decoded by Prepare) and
// not types or indices across sections, which Prepare's validation and the
// engine's own validation cover.
func Decode(b []byte) (*Module, error) {
	if len(b) < 8 {
		return nil, malformed("module of %d bytes is shorter than the 8-byte header", len(b))
	}
	if !bytes.Equal(b[:4], magicVersion[:4]) {
		return nil, malformed("bad magic number % x", b[:4])
	}
	if !bytes.Equal(b[4:8], magicVersion[4:]) {
		return nil, malformed("unsupported binary version % x (want 01 00 00 00)", b[4:8])
	}
	m := &Module{}
	r := &reader{b: b, pos: 8}
	lastOrder := 0
	for !r.eof() {
		at := r.off()
		id, _ := r.byte1("section id")
		sizeAt := r.pos
		size, err := r.u32("section size")
		if err != nil {
			return nil, err
		}
		width := r.pos - sizeAt
		payloadAt := r.off()
		payload, err := r.bytesN(int(size), "section payload")
		if err != nil {
			return nil, malformed("section id %d at offset %d: size %d exceeds the %d bytes left", id, at, size, len(b)-payloadAt)
		}
		if id == secTag {
			return nil, errorf(KindForbiddenFeature, "tag section (exception handling) at offset %d", at)
		}
		if int(id) >= len(sectionOrder) {
			return nil, malformed("unknown section id %d at offset %d", id, at)
		}
		if id != secCustom {
			ord := sectionOrder[id]
			if ord <= lastOrder {
				return nil, malformed("%s section at offset %d is out of order or duplicated", sectionNames[id], at)
			}
			lastOrder = ord
		}
		m.Sections = append(m.Sections, Section{ID: id, SizeWidth: width, Payload: payload})
		sr := &reader{b: payload, base: payloadAt}
		if err := m.decodeSection(id, sr); err != nil {
			return nil, err
		}
		if !sr.eof() {
			return nil, malformed("%s section at offset %d: size %d does not match its contents (%d bytes left over)", sectionNames[id], at, size, sr.remaining())
		}
	}
	if len(m.Funcs) != len(m.Codes) {
		return nil, malformed("function section declares %d functions but code section has %d bodies", len(m.Funcs), len(m.Codes))
	}
	if m.HasDataCount && int(m.DataCount) != len(m.Datas) {
		return nil, malformed("data count section says %d segments but data section has %d", m.DataCount, len(m.Datas))
	}
	return m, nil
}

func (m *Module) decodeSection(id byte, r *reader) error {
	switch id {
	case secCustom:
		name, err := r.name("custom section name")
		if err != nil {
			return err
		}
		m.Customs = append(m.Customs, Custom{Name: name, Data: r.b[r.pos:]})
		r.pos = len(r.b)
		return nil
	case secType:
		return m.decodeTypes(r)
	case secImport:
		return m.decodeImports(r)
	case secFunction:
		n, err := r.count("function", 1)
		if err != nil {
			return err
		}
		m.Funcs = makeN[uint32](n)
		for i := range m.Funcs {
			if m.Funcs[i], err = r.u32("function type index"); err != nil {
				return err
			}
		}
		return nil
	case secTable:
		n, err := r.count("table", 2)
		if err != nil {
			return err
		}
		m.Tables = makeN[Table](n)
		for i := range m.Tables {
			if m.Tables[i], err = decodeTable(r); err != nil {
				return err
			}
		}
		return nil
	case secMemory:
		n, err := r.count("memory", 2)
		if err != nil {
			return err
		}
		m.Memories = makeN[Memory](n)
		for i := range m.Memories {
			if m.Memories[i], err = decodeMemory(r); err != nil {
				return err
			}
		}
		return nil
	case secGlobal:
		return m.decodeGlobals(r)
	case secExport:
		return m.decodeExports(r)
	case secStart:
		var err error
		m.HasStart = true
		m.Start, err = r.u32("start function index")
		return err
	case secElement:
		return m.decodeElements(r)
	case secCode:
		return m.decodeCodes(r)
	case secData:
		return m.decodeDatas(r)
	case secDataCount:
		var err error
		m.HasDataCount = true
		m.DataCount, err = r.u32("data count")
		return err
	}
	return malformed("unknown section id %d", id)
}

func (m *Module) decodeTypes(r *reader) error {
	n, err := r.count("type", 3)
	if err != nil {
		return err
	}
	m.Types = makeN[FuncType](n)
	for i := range m.Types {
		at := r.off()
		form, err := r.byte1("type form")
		if err != nil {
			return err
		}
		if form != 0x60 {
			return malformed("type %d at offset %d has form 0x%02x, want 0x60 (func)", i, at, form)
		}
		if m.Types[i].Params, err = decodeValTypes(r, "parameter"); err != nil {
			return err
		}
		if m.Types[i].Results, err = decodeValTypes(r, "result"); err != nil {
			return err
		}
	}
	return nil
}

func decodeValTypes(r *reader, what string) ([]ValType, error) {
	n, err := r.count(what, 1)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	vs := makeN[ValType](n)
	for i := range vs {
		if vs[i], err = decodeValType(r, what); err != nil {
			return nil, err
		}
	}
	return vs, nil
}

func decodeValType(r *reader, what string) (ValType, error) {
	at := r.off()
	c, err := r.byte1(what + " type")
	if err != nil {
		return 0, err
	}
	if err := checkValType(c, what, at); err != nil {
		return 0, err
	}
	return ValType(c), nil
}

func checkValType(c byte, what string, at int) error {
	switch c {
	case byte(I32), byte(I64), byte(F32), byte(F64):
		return nil
	case 0x7b:
		return errorf(KindForbiddenFeature, "%s type v128 (SIMD) at offset %d", what, at)
	case 0x70, 0x6f, 0x64, 0x63:
		return errorf(KindForbiddenFeature, "%s of reference type 0x%02x at offset %d", what, c, at)
	}
	return malformed("bad %s value type 0x%02x at offset %d", what, c, at)
}

func (m *Module) decodeImports(r *reader) error {
	n, err := r.count("import", 4)
	if err != nil {
		return err
	}
	m.Imports = makeN[Import](n)
	for i := range m.Imports {
		im := &m.Imports[i]
		if im.Module, err = r.name("import module name"); err != nil {
			return err
		}
		if im.Name, err = r.name("import name"); err != nil {
			return err
		}
		at := r.off()
		kind, err := r.byte1("import kind")
		if err != nil {
			return err
		}
		im.Kind = ExternKind(kind)
		switch im.Kind {
		case ExternFunc:
			im.TypeIndex, err = r.u32("import type index")
		case ExternTable:
			im.Table, err = decodeTable(r)
		case ExternMemory:
			im.Memory, err = decodeMemory(r)
		case ExternGlobal:
			im.Global, err = decodeGlobalType(r)
		default:
			return malformed("import %q.%q at offset %d has unknown kind 0x%02x", im.Module, im.Name, at, kind)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func decodeTable(r *reader) (Table, error) {
	at := r.off()
	et, err := r.byte1("table element type")
	if err != nil {
		return Table{}, err
	}
	if et != 0x70 {
		if et == 0x6f {
			return Table{}, errorf(KindForbiddenFeature, "externref table at offset %d (reference types)", at)
		}
		return Table{}, malformed("bad table element type 0x%02x at offset %d", et, at)
	}
	t := Table{ElemType: et}
	at = r.off()
	flags, err := r.byte1("table limits")
	if err != nil {
		return t, err
	}
	if flags > 1 {
		return t, malformed("bad table limits flag 0x%02x at offset %d", flags, at)
	}
	if t.Min, err = r.u32("table minimum"); err != nil {
		return t, err
	}
	if flags == 1 {
		t.HasMax = true
		if t.Max, err = r.u32("table maximum"); err != nil {
			return t, err
		}
		if t.Min > t.Max {
			return t, malformed("table at offset %d has minimum %d above maximum %d", at, t.Min, t.Max)
		}
	}
	return t, nil
}

func decodeMemory(r *reader) (Memory, error) {
	at := r.off()
	flags, err := r.byte1("memory limits")
	if err != nil {
		return Memory{}, err
	}
	switch {
	case flags&2 != 0 && flags < 4:
		return Memory{}, errorf(KindForbiddenFeature, "shared memory at offset %d (threads)", at)
	case flags >= 4 && flags < 8:
		return Memory{}, errorf(KindForbiddenFeature, "memory limits flag 0x%02x at offset %d (memory64)", flags, at)
	case flags > 1:
		return Memory{}, malformed("bad memory limits flag 0x%02x at offset %d", flags, at)
	}
	m := Memory{Flags: flags}
	if m.Min, err = r.u32("memory minimum"); err != nil {
		return m, err
	}
	if m.HasMax() {
		if m.Max, err = r.u32("memory maximum"); err != nil {
			return m, err
		}
		if m.Min > m.Max {
			return m, malformed("memory at offset %d has minimum %d above maximum %d", at, m.Min, m.Max)
		}
	}
	const maxPages = 65536
	if m.Min > maxPages || m.Max > maxPages {
		return m, malformed("memory at offset %d exceeds %d pages", at, maxPages)
	}
	return m, nil
}

func decodeGlobalType(r *reader) (GlobalType, error) {
	t, err := decodeValType(r, "global")
	if err != nil {
		return GlobalType{}, err
	}
	at := r.off()
	mut, err := r.byte1("global mutability")
	if err != nil {
		return GlobalType{}, err
	}
	if mut > 1 {
		return GlobalType{}, malformed("bad global mutability 0x%02x at offset %d", mut, at)
	}
	return GlobalType{Type: t, Mutable: mut == 1}, nil
}

func (m *Module) decodeGlobals(r *reader) error {
	n, err := r.count("global", 4)
	if err != nil {
		return err
	}
	m.Globals = makeN[Global](n)
	for i := range m.Globals {
		g := &m.Globals[i]
		if g.GlobalType, err = decodeGlobalType(r); err != nil {
			return err
		}
		if g.Init, err = decodeConstExpr(r, "global initialiser"); err != nil {
			return err
		}
	}
	return nil
}

// decodeConstExpr accepts exactly one MVP constant instruction followed by
// end, which is all a Go module (or any MVP module) uses.
func decodeConstExpr(r *reader, what string) ([]byte, error) {
	start := r.pos
	at := r.off()
	op, err := r.byte1(what)
	if err != nil {
		return nil, err
	}
	switch op {
	case opI32Const:
		_, err = r.s32(what)
	case opI64Const:
		_, err = r.s64(what)
	case opF32Const:
		_, err = r.bytesN(4, what)
	case opF64Const:
		_, err = r.bytesN(8, what)
	case opGlobalGet:
		_, err = r.u32(what)
	case opRefNull, opRefFunc:
		return nil, errorf(KindForbiddenFeature, "%s at offset %d uses reference instruction 0x%02x", what, at, op)
	default:
		return nil, malformed("%s at offset %d: unsupported constant instruction 0x%02x", what, at, op)
	}
	if err != nil {
		return nil, err
	}
	endAt := r.off()
	end, err := r.byte1(what)
	if err != nil {
		return nil, err
	}
	if end != opEnd {
		return nil, malformed("%s at offset %d: expected end, found 0x%02x", what, endAt, end)
	}
	return r.b[start:r.pos], nil
}

func (m *Module) decodeExports(r *reader) error {
	n, err := r.count("export", 3)
	if err != nil {
		return err
	}
	m.Exports = makeN[Export](n)
	for i := range m.Exports {
		e := &m.Exports[i]
		if e.Name, err = r.name("export name"); err != nil {
			return err
		}
		at := r.off()
		kind, err := r.byte1("export kind")
		if err != nil {
			return err
		}
		if kind > byte(ExternGlobal) {
			return malformed("export %q at offset %d has unknown kind 0x%02x", e.Name, at, kind)
		}
		e.Kind = ExternKind(kind)
		if e.Index, err = r.u32("export index"); err != nil {
			return err
		}
	}
	return nil
}

func (m *Module) decodeElements(r *reader) error {
	n, err := r.count("element segment", 3)
	if err != nil {
		return err
	}
	m.Elements = makeN[Element](n)
	for i := range m.Elements {
		e := &m.Elements[i]
		at := r.off()
		if e.Flags, err = r.u32("element segment flags"); err != nil {
			return err
		}
		switch e.Flags {
		case 0:
		case 2:
			if e.Table, err = r.u32("element table index"); err != nil {
				return err
			}
		case 1, 3, 4, 5, 6, 7:
			return errorf(KindForbiddenFeature, "element segment %d at offset %d uses form %d (bulk memory/reference types); only active function-index segments are allowed", i, at, e.Flags)
		default:
			return malformed("element segment %d at offset %d has bad flags %d", i, at, e.Flags)
		}
		if e.Offset, err = decodeConstExpr(r, "element offset"); err != nil {
			return err
		}
		if e.Flags == 2 {
			kat := r.off()
			kind, err := r.byte1("element kind")
			if err != nil {
				return err
			}
			if kind != 0 {
				return malformed("element segment %d at offset %d has bad element kind 0x%02x", i, kat, kind)
			}
		}
		k, err := r.count("element function", 1)
		if err != nil {
			return err
		}
		e.Funcs = makeN[uint32](k)
		for j := range e.Funcs {
			if e.Funcs[j], err = r.u32("element function index"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Module) decodeCodes(r *reader) error {
	n, err := r.count("code", 2)
	if err != nil {
		return err
	}
	m.Codes = makeN[Code](n)
	for i := range m.Codes {
		at := r.off()
		size, err := r.u32("function body size")
		if err != nil {
			return err
		}
		bodyAt := r.off()
		body, err := r.bytesN(int(size), "function body")
		if err != nil {
			return malformed("function body %d at offset %d: size %d runs past the code section", i, at, size)
		}
		br := &reader{b: body, base: bodyAt}
		c := &m.Codes[i]
		k, err := br.count("local declaration", 2)
		if err != nil {
			return err
		}
		var total uint64
		if k > 0 {
			c.Locals = makeN[LocalDecl](k)
		}
		for j := range c.Locals {
			if c.Locals[j].Count, err = br.u32("local count"); err != nil {
				return err
			}
			if c.Locals[j].Type, err = decodeValType(br, "local"); err != nil {
				return err
			}
			total += uint64(c.Locals[j].Count)
		}
		if total > 0xffffffff {
			return malformed("function body %d at offset %d declares %d locals", i, at, total)
		}
		if br.eof() {
			return malformed("function body %d at offset %d has no instructions", i, at)
		}
		c.Body = body[br.pos:]
		c.BodyOffset = br.off()
	}
	return nil
}

func (m *Module) decodeDatas(r *reader) error {
	n, err := r.count("data segment", 2)
	if err != nil {
		return err
	}
	m.Datas = makeN[Data](n)
	for i := range m.Datas {
		d := &m.Datas[i]
		at := r.off()
		if d.Flags, err = r.u32("data segment flags"); err != nil {
			return err
		}
		switch d.Flags {
		case 0:
		case 2:
			if d.Memory, err = r.u32("data memory index"); err != nil {
				return err
			}
		case 1:
			return errorf(KindForbiddenFeature, "data segment %d at offset %d is passive (memory.init is not allowed)", i, at)
		default:
			return malformed("data segment %d at offset %d has bad flags %d", i, at, d.Flags)
		}
		if d.Offset, err = decodeConstExpr(r, "data offset"); err != nil {
			return err
		}
		k, err := r.u32("data segment length")
		if err != nil {
			return err
		}
		if d.Init, err = r.bytesN(int(k), "data segment"); err != nil {
			return err
		}
	}
	return nil
}

// makeN returns nil for n == 0 so that an empty vector and an absent
// section decode to the same parsed module.
func makeN[T any](n int) []T {
	if n == 0 {
		return nil
	}
	return make([]T, n)
}
