package gencodec

import (
	"strconv"
	"strings"
)

// Decoding a struct takes two paths, in separate functions because in
// Wasm every taken jump costs about as many instructions as its function
// has jump targets and call sites. decodeJSONFrom reads the members in
// field order, exactly as AppendJSON writes them, as one chain of calls
// that takes no jump while the input is canonical; anything else (another
// order, white space, a missing member) starts again in
// decodeJSONMembers, which reads members in any order.

// inOrder reports whether st gets the in-order path: it has members, and
// none that omitempty may leave out.
func inOrder(st *structType) bool {
	for _, f := range st.fields {
		if f.omitEmpty {
			return false
		}
	}
	return len(st.fields) > 0
}

// emitDecodeStruct writes decodeJSONFrom, decodeJSONMembers, the field
// decoders the chain cannot inline, and the table of keys.
func emitDecodeStruct(e *emitter, st *structType) {
	e.p("")
	e.p("func (v *%s) decodeJSONFrom(s *jsonwire.Scanner) bool {", st.name)
	if inOrder(st) {
		var chain []string
		for i, f := range st.fields {
			sep := ","
			if i == 0 {
				sep = "{"
			}
			chain = append(chain, "s.Lit("+strconv.Quote(sep+strconv.Quote(f.jsonName)+":")+")", fieldDecodeExpr(st, f))
		}
		chain = append(chain, "s.Lit(\"}\")")
		e.p("start := s.Pos()")
		e.p("if v.decodeJSONInOrder(s) {\nreturn true\n}")
		if !st.flat {
			e.p("v.resetJSON()")
		}
		e.p("s.Seek(start)")
		e.p("return v.decodeJSONMembers(s)\n}")
		e.p("")
		e.p("func (v *%s) decodeJSONInOrder(s *jsonwire.Scanner) bool {", st.name)
		e.p("return %s\n}", strings.Join(chain, " &&\n"))
	} else {
		e.p("return v.decodeJSONMembers(s)\n}")
	}

	for _, f := range st.fields {
		if !inlineDecode(f.t) {
			e.p("")
			e.p("func (v *%s) decodeJSON%s(s *jsonwire.Scanner) bool {", st.name, f.goName)
			emitDecode(e, f.t, "v."+f.goName)
			e.p("return true\n}")
		}
	}

	if !st.flat {
		e.p("")
		e.p("func (v *%s) resetJSON() {", st.name)
		e.p("var z %s", st.name)
		for _, f := range st.fields {
			e.p("v.%s = z.%s", f.goName, f.goName)
		}
		e.p("}")
	}

	emitDecodeMembers(e, st)
}

// emitDecodeMembers writes decodeJSONMembers and the key table. Any key
// given twice is refused: encoding/json would merge the second value into
// the first, which is its decision to make.
func emitDecodeMembers(e *emitter, st *structType) {
	n := len(st.fields)
	if n > 0 {
		keys := make([]string, n)
		for i, f := range st.fields {
			keys[i] = strconv.Quote(strconv.Quote(f.jsonName) + ":")
		}
		e.p("")
		e.p("// %s holds the object keys of %s, as `\"name\":`, in field order.", keysVar(st), st.name)
		e.p("var %s = [...]string{%s}", keysVar(st), strings.Join(keys, ", "))
	}
	e.p("")
	e.p("func (v *%s) decodeJSONMembers(s *jsonwire.Scanner) bool {", st.name)
	e.p("if !s.Open('{') {\nreturn false\n}")
	e.p("if s.Close('}') {\nreturn true\n}")
	if n == 0 {
		e.p("return false\n}")
		return
	}
	words := (n + 63) / 64
	if words == 1 {
		e.p("var seen uint64")
	} else {
		e.p("var seen [%d]uint64", words)
	}
	e.p("for next := 0; ; {")
	e.p("f := s.Key(%s[:], next)", keysVar(st))
	if words == 1 {
		e.p("if f < 0 || seen>>f&1 != 0 {\nreturn false\n}")
		e.p("seen |= 1 << f")
	} else {
		e.p("if f < 0 || seen[f>>6]>>(f&63)&1 != 0 {\nreturn false\n}")
		e.p("seen[f>>6] |= 1 << (f & 63)")
	}
	e.p("next = f + 1")
	e.p("ok := false")
	e.p("switch f {")
	for i, f := range st.fields {
		e.p("case %d:", i)
		e.p("ok = %s", fieldDecodeExpr(st, f))
	}
	e.p("}")
	e.p("if !ok {\nreturn false\n}")
	e.p("if more, ok := s.Next('}'); !more {\nreturn ok\n}")
	e.p("}\n}")
}

// inlineDecode reports whether a value of t decodes in one call.
func inlineDecode(t *typ) bool {
	switch t.kind {
	case kPointer, kSlice, kArray:
		return false
	}
	return true
}

// fieldDecodeExpr is a call decoding f's value, reporting success.
func fieldDecodeExpr(st *structType, f field) string {
	if inlineDecode(f.t) {
		return valueDecodeExpr(f.t, "v."+f.goName)
	}
	return "v.decodeJSON" + f.goName + "(s)"
}

// valueDecodeExpr is a call decoding into x, of a type inlineDecode
// accepts.
func valueDecodeExpr(t *typ, x string) string {
	switch t.kind {
	case kAddress:
		return "s.Address((*[20]byte)(&" + x + "))"
	case kStruct:
		return x + ".decodeJSONFrom(s)"
	}
	method := strings.ToUpper(t.base[:1]) + t.base[1:]
	if t.expr == t.base {
		return "s." + method + "(&" + x + ")"
	}
	return "s." + method + "((*" + t.base + ")(&" + x + "))"
}

// emitDecode decodes one value into x, an addressable expression of type
// t holding its zero value, returning false from the function on failure.
func emitDecode(e *emitter, t *typ, x string) {
	switch t.kind {
	case kPointer:
		// null leaves the pointer nil, as encoding/json sets it.
		e.p("if !s.Null() {")
		e.depth++
		p := "p" + strconv.Itoa(e.depth)
		e.p("%s := new(%s)", p, t.elem.expr)
		emitDecode(e, t.elem, "(*"+p+")")
		e.p("%s = %s", x, p)
		e.p("}")
	case kSlice:
		// null leaves the slice nil; [] gives an empty one, not nil.
		e.p("if !s.Null() {")
		e.p("if !s.Open('[') {\nreturn false\n}")
		e.p("%s = %s{}", x, t.expr)
		e.p("if !s.Close(']') {")
		e.p("for {")
		e.p("%s = append(%s, *new(%s))", x, x, t.elem.expr)
		emitDecode(e, t.elem, x+"[len("+x+")-1]")
		e.p("if more, ok := s.Next(']'); !ok {\nreturn false\n} else if !more {\nbreak\n}")
		e.p("}\n}\n}")
	case kArray:
		// Elements the input leaves out stay zero, as encoding/json
		// zeroes them; surplus ones are left to encoding/json.
		i := e.index()
		e.p("if !s.Open('[') {\nreturn false\n}")
		e.p("if !s.Close(']') {")
		e.p("for %s := 0; ; %s++ {", i, i)
		e.p("if %s == len(%s) {\nreturn false\n}", i, x)
		emitDecode(e, t.elem, x+"["+i+"]")
		e.p("if more, ok := s.Next(']'); !ok {\nreturn false\n} else if !more {\nbreak\n}")
		e.p("}\n}")
	default:
		e.p("if !%s {\nreturn false\n}", valueDecodeExpr(t, x))
	}
}
