package gencodec

import (
	"bytes"
	"fmt"
	"strconv"
)

// emitter writes one struct's methods; depth names loop variables.
type emitter struct {
	b     *bytes.Buffer
	depth int
}

func (e *emitter) p(format string, args ...any) {
	fmt.Fprintf(e.b, format, args...)
	e.b.WriteByte('\n')
}

// index returns a fresh loop variable name.
func (e *emitter) index() string {
	e.depth++
	return "i" + strconv.Itoa(e.depth)
}

func keysVar(st *structType) string { return "jsonKeys" + st.name }

func emitStruct(b *bytes.Buffer, st *structType) {
	e := &emitter{b: b}
	n := st.name
	e.p("")
	e.p("// AppendJSON appends v's JSON encoding, the bytes json.Marshal(v) writes.")
	e.p("func (v %s) AppendJSON(b []byte) []byte {", n)
	emitAppendStruct(e, st)
	e.p("return b\n}")

	e.p("")
	e.p("// DecodeJSON does what json.Unmarshal(data, v) does, with the same")
	e.p("// result and error: canonical input into a zero value is decoded here,")
	e.p("// anything else by encoding/json.")
	e.p("func (v *%s) DecodeJSON(data []byte) error {", n)
	e.p("if v.decodeJSONFast(data, nil) {\nreturn nil\n}")
	e.p("return json.Unmarshal(data, v)\n}")

	e.p("")
	e.p("// DecodeJSONSharing is DecodeJSON, except that a decoded string equal")
	e.p("// to one of known is set to that string rather than to a copy: an id")
	e.p("// the caller holds, or a constant, then costs no allocation.")
	e.p("func (v *%s) DecodeJSONSharing(data []byte, known ...string) error {", n)
	e.p("if v.decodeJSONFast(data, known) {\nreturn nil\n}")
	e.p("return json.Unmarshal(data, v)\n}")

	e.p("")
	e.p("// DecodeJSONFast decodes canonical input into the zero value v points")
	e.p("// at and reports whether it did; on false v is as it was, for")
	e.p("// encoding/json to decide (contract.FastJSONDecoder).")
	e.p("func (v *%s) DecodeJSONFast(data []byte) bool {", n)
	e.p("return v.decodeJSONFast(data, nil)\n}")

	e.p("")
	e.p("func (v *%s) decodeJSONFast(data []byte, known []string) bool {", n)
	if st.flat {
		// One copy (a single memory.copy in Wasm) is cheaper than
		// testing every field for zero.
		e.p("if v == nil {\nreturn false\n}")
		e.p("saved := *v")
	} else {
		e.p("if v == nil || !v.isZeroJSON() {\nreturn false\n}")
	}
	e.p("s := jsonwire.NewScanner(data, known...)")
	if inOrder(st) {
		// decodeJSONFrom's first try, without its call.
		e.p("if v.decodeJSONInOrder(&s) && s.End() {\nreturn true\n}")
		if !st.flat {
			e.p("v.resetJSON()")
		}
		e.p("s = jsonwire.NewScanner(data, known...)")
		e.p("if v.decodeJSONMembers(&s) && s.End() {\nreturn true\n}")
	} else {
		e.p("if v.decodeJSONFrom(&s) && s.End() {\nreturn true\n}")
	}
	if st.flat {
		e.p("*v = saved")
	} else {
		e.p("v.resetJSON()")
	}
	e.p("return false\n}")

	emitIsZero(e, st)
	emitDecodeStruct(e, st)
}

// emitAppendStruct writes the members in declaration order; with
// omitempty fields a comma depends on what was written before.
func emitAppendStruct(e *emitter, st *structType) {
	dynamic := false
	for _, f := range st.fields {
		dynamic = dynamic || f.omitEmpty
	}
	if len(st.fields) == 0 {
		e.p("b = append(b, \"{}\"...)")
		return
	}
	if !dynamic {
		for i, f := range st.fields {
			sep := ","
			if i == 0 {
				sep = "{"
			}
			e.p("b = append(b, %s...)", strconv.Quote(sep+strconv.Quote(f.jsonName)+":"))
			emitAppend(e, f.t, "v."+f.goName)
		}
		e.p("b = append(b, '}')")
		return
	}
	e.p("b = append(b, '{')")
	e.p("start := len(b)")
	for _, f := range st.fields {
		x := "v." + f.goName
		if f.omitEmpty {
			empty := emptyExpr(f.t, x)
			if empty == "true" {
				continue
			}
			if empty != "false" {
				e.p("if !(%s) {", empty)
			} else {
				e.p("{")
			}
		} else {
			e.p("{")
		}
		e.p("if len(b) > start {\nb = append(b, ',')\n}")
		e.p("b = append(b, %s...)", strconv.Quote(strconv.Quote(f.jsonName)+":"))
		emitAppend(e, f.t, x)
		e.p("}")
	}
	e.p("b = append(b, '}')")
}

// emptyExpr is encoding/json's isEmptyValue of x, for omitempty: "true"
// or "false" when the type decides.
func emptyExpr(t *typ, x string) string {
	switch t.kind {
	case kString:
		return "len(" + x + ") == 0"
	case kBool:
		return "!" + x
	case kInt, kUint:
		return x + " == 0"
	case kSlice:
		return "len(" + x + ") == 0"
	case kPointer:
		return x + " == nil"
	case kArray:
		if t.n == 0 {
			return "true"
		}
	}
	return "false" // structs and non-empty arrays (Address too) never are
}

// emitAppend appends the JSON of x, an addressable expression of type t.
func emitAppend(e *emitter, t *typ, x string) {
	switch t.kind {
	case kString:
		e.p("b = jsonwire.AppendString(b, %s)", conv("string", t, x))
	case kBool:
		e.p("b = jsonwire.AppendBool(b, %s)", conv("bool", t, x))
	case kInt:
		e.p("b = jsonwire.AppendInt(b, %s)", conv("int64", t, x))
	case kUint:
		e.p("b = jsonwire.AppendUint(b, %s)", conv("uint64", t, x))
	case kAddress:
		e.p("b = jsonwire.AppendAddress(b, (*[20]byte)(&%s))", x)
	case kStruct:
		e.p("b = %s.AppendJSON(b)", x)
	case kPointer:
		e.p("if %s == nil {\nb = append(b, \"null\"...)\n} else {", x)
		emitAppend(e, t.elem, "(*"+x+")")
		e.p("}")
	case kSlice:
		e.p("if %s == nil {\nb = append(b, \"null\"...)\n} else {", x)
		emitAppendElems(e, t, x)
		e.p("}")
	case kArray:
		emitAppendElems(e, t, x)
	}
}

func emitAppendElems(e *emitter, t *typ, x string) {
	i := e.index()
	e.p("b = append(b, '[')")
	e.p("for %s := range %s {", i, x)
	e.p("if %s > 0 {\nb = append(b, ',')\n}", i)
	emitAppend(e, t.elem, x+"["+i+"]")
	e.p("}")
	e.p("b = append(b, ']')")
}

// emitIsZero writes isZeroJSON: whether every JSON field is zero, the
// state in which decoding canonical input gives what encoding/json gives
// (which merges into slices, pointees and nested values already there).
func emitIsZero(e *emitter, st *structType) {
	e.p("")
	e.p("func (v *%s) isZeroJSON() bool {", st.name)
	for _, f := range st.fields {
		emitZeroCheck(e, f.t, "v."+f.goName)
	}
	e.p("return true\n}")
}

func emitZeroCheck(e *emitter, t *typ, x string) {
	switch t.kind {
	case kString:
		e.p("if len(%s) != 0 {\nreturn false\n}", x)
	case kBool:
		e.p("if %s {\nreturn false\n}", x)
	case kInt, kUint:
		e.p("if %s != 0 {\nreturn false\n}", x)
	case kAddress:
		e.p("if %s != (%s{}) {\nreturn false\n}", x, t.expr)
	case kStruct:
		e.p("if !%s.isZeroJSON() {\nreturn false\n}", x)
	case kSlice, kPointer:
		e.p("if %s != nil {\nreturn false\n}", x)
	case kArray:
		i := e.index()
		e.p("for %s := range %s {", i, x)
		emitZeroCheck(e, t.elem, x+"["+i+"]")
		e.p("}")
	}
}

// conv converts x of type t to the basic type to, unless it is of it.
func conv(to string, t *typ, x string) string {
	if t.expr == to {
		return x
	}
	return to + "(" + x + ")"
}
