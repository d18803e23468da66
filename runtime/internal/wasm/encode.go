package wasm

// Encode writes the module from m.Sections, reproducing each section's
// original size encoding, so Encode(Decode(b)) == b for every module Decode
// accepts. Prepare builds its output the same way after replacing the
// payloads of the sections it rewrites.
func (m *Module) Encode() []byte {
	n := len(magicVersion)
	for _, s := range m.Sections {
		n += 1 + 10 + len(s.Payload)
	}
	out := make([]byte, 0, n)
	out = append(out, magicVersion...)
	for _, s := range m.Sections {
		out = append(out, s.ID)
		out = appendULEBWidth(out, uint64(len(s.Payload)), s.SizeWidth)
		out = append(out, s.Payload...)
	}
	return out
}

// EncodeCanonical writes the module from its parsed fields alone, with
// minimal LEB128 encodings, sections in canonical order and custom sections
// last. Decoding the result yields the same parsed fields; tests use it to
// prove that the parsed model loses nothing.
func (m *Module) EncodeCanonical() []byte {
	c := &Module{}
	add := func(id byte, payload []byte) {
		c.Sections = append(c.Sections, Section{ID: id, Payload: payload})
	}
	if len(m.Types) > 0 {
		add(secType, encodeTypes(m.Types))
	}
	if len(m.Imports) > 0 {
		add(secImport, encodeImports(m.Imports))
	}
	if len(m.Funcs) > 0 {
		p := appendULEB(nil, uint64(len(m.Funcs)))
		for _, f := range m.Funcs {
			p = appendULEB(p, uint64(f))
		}
		add(secFunction, p)
	}
	if len(m.Tables) > 0 {
		p := appendULEB(nil, uint64(len(m.Tables)))
		for _, t := range m.Tables {
			p = appendTable(p, t)
		}
		add(secTable, p)
	}
	if len(m.Memories) > 0 {
		p := appendULEB(nil, uint64(len(m.Memories)))
		for _, mem := range m.Memories {
			p = appendMemory(p, mem)
		}
		add(secMemory, p)
	}
	if len(m.Globals) > 0 {
		add(secGlobal, encodeGlobals(m.Globals))
	}
	if len(m.Exports) > 0 {
		add(secExport, encodeExports(m.Exports))
	}
	if m.HasStart {
		add(secStart, appendULEB(nil, uint64(m.Start)))
	}
	if len(m.Elements) > 0 {
		p := appendULEB(nil, uint64(len(m.Elements)))
		for _, e := range m.Elements {
			p = appendULEB(p, uint64(e.Flags))
			if e.Flags == 2 {
				p = appendULEB(p, uint64(e.Table))
			}
			p = append(p, e.Offset...)
			if e.Flags == 2 {
				p = append(p, 0) // elemkind funcref
			}
			p = appendULEB(p, uint64(len(e.Funcs)))
			for _, f := range e.Funcs {
				p = appendULEB(p, uint64(f))
			}
		}
		add(secElement, p)
	}
	if m.HasDataCount {
		add(secDataCount, appendULEB(nil, uint64(m.DataCount)))
	}
	if len(m.Codes) > 0 {
		var p []byte
		p = appendULEB(p, uint64(len(m.Codes)))
		for i := range m.Codes {
			p = appendCode(p, m.Codes[i].Locals, nil, m.Codes[i].Body)
		}
		add(secCode, p)
	}
	if len(m.Datas) > 0 {
		p := appendULEB(nil, uint64(len(m.Datas)))
		for _, d := range m.Datas {
			p = appendULEB(p, uint64(d.Flags))
			if d.Flags == 2 {
				p = appendULEB(p, uint64(d.Memory))
			}
			p = append(p, d.Offset...)
			p = appendULEB(p, uint64(len(d.Init)))
			p = append(p, d.Init...)
		}
		add(secData, p)
	}
	for _, cs := range m.Customs {
		p := appendName(nil, cs.Name)
		add(secCustom, append(p, cs.Data...))
	}
	return c.Encode()
}

func appendName(b []byte, s string) []byte {
	b = appendULEB(b, uint64(len(s)))
	return append(b, s...)
}

func appendValTypes(b []byte, vs []ValType) []byte {
	b = appendULEB(b, uint64(len(vs)))
	for _, v := range vs {
		b = append(b, byte(v))
	}
	return b
}

func encodeTypes(ts []FuncType) []byte {
	p := appendULEB(nil, uint64(len(ts)))
	for _, t := range ts {
		p = append(p, 0x60)
		p = appendValTypes(p, t.Params)
		p = appendValTypes(p, t.Results)
	}
	return p
}

func encodeImports(is []Import) []byte {
	p := appendULEB(nil, uint64(len(is)))
	for _, im := range is {
		p = appendName(p, im.Module)
		p = appendName(p, im.Name)
		p = append(p, byte(im.Kind))
		switch im.Kind {
		case ExternFunc:
			p = appendULEB(p, uint64(im.TypeIndex))
		case ExternTable:
			p = appendTable(p, im.Table)
		case ExternMemory:
			p = appendMemory(p, im.Memory)
		case ExternGlobal:
			p = append(p, byte(im.Global.Type), boolByte(im.Global.Mutable))
		}
	}
	return p
}

func appendTable(b []byte, t Table) []byte {
	b = append(b, t.ElemType, boolByte(t.HasMax))
	b = appendULEB(b, uint64(t.Min))
	if t.HasMax {
		b = appendULEB(b, uint64(t.Max))
	}
	return b
}

func appendMemory(b []byte, m Memory) []byte {
	b = append(b, m.Flags)
	b = appendULEB(b, uint64(m.Min))
	if m.HasMax() {
		b = appendULEB(b, uint64(m.Max))
	}
	return b
}

func encodeGlobals(gs []Global) []byte {
	p := appendULEB(nil, uint64(len(gs)))
	for _, g := range gs {
		p = append(p, byte(g.Type), boolByte(g.Mutable))
		p = append(p, g.Init...)
	}
	return p
}

func encodeExports(es []Export) []byte {
	p := appendULEB(nil, uint64(len(es)))
	for _, e := range es {
		p = appendName(p, e.Name)
		p = append(p, byte(e.Kind))
		p = appendULEB(p, uint64(e.Index))
	}
	return p
}

// appendCode writes one code entry: size, local declarations (original ones
// then extra), body.
func appendCode(b []byte, locals, extra []LocalDecl, body []byte) []byte {
	var hdr [64]byte
	h := appendULEB(hdr[:0], uint64(len(locals)+len(extra)))
	for _, l := range locals {
		h = appendULEB(h, uint64(l.Count))
		h = append(h, byte(l.Type))
	}
	for _, l := range extra {
		h = appendULEB(h, uint64(l.Count))
		h = append(h, byte(l.Type))
	}
	b = appendULEB(b, uint64(len(h)+len(body)))
	b = append(b, h...)
	return append(b, body...)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}
