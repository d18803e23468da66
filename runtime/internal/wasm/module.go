package wasm

import (
	"fmt"
	"strings"
)

// ValType is a WebAssembly value type. Only the four numeric types exist
// here: v128 and reference types are rejected at decode.
type ValType byte

// Numeric value types, by their binary encoding.
const (
	I32 ValType = 0x7f
	I64 ValType = 0x7e
	F32 ValType = 0x7d
	F64 ValType = 0x7c
)

func (v ValType) String() string {
	switch v {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	}
	return fmt.Sprintf("valtype(0x%02x)", byte(v))
}

// FuncType is a function signature.
type FuncType struct{ Params, Results []ValType }

// Equal reports whether two signatures are identical.
func (t FuncType) Equal(o FuncType) bool {
	return valTypesEqual(t.Params, o.Params) && valTypesEqual(t.Results, o.Results)
}

func (t FuncType) String() string {
	return "(" + joinValTypes(t.Params) + ") -> (" + joinValTypes(t.Results) + ")"
}

func valTypesEqual(a, b []ValType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func joinValTypes(vs []ValType) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	return strings.Join(s, ", ")
}

// ExternKind is the kind of an import or export.
type ExternKind byte

// Extern kinds, by their binary encoding.
const (
	ExternFunc   ExternKind = 0
	ExternTable  ExternKind = 1
	ExternMemory ExternKind = 2
	ExternGlobal ExternKind = 3
)

func (k ExternKind) String() string {
	switch k {
	case ExternFunc:
		return "function"
	case ExternTable:
		return "table"
	case ExternMemory:
		return "memory"
	case ExternGlobal:
		return "global"
	}
	return fmt.Sprintf("extern(0x%02x)", byte(k))
}

// Import is one entry of the import section. Exactly one of the descriptor
// fields is meaningful, chosen by Kind.
type Import struct {
	Module, Name string
	Kind         ExternKind
	TypeIndex    uint32     // ExternFunc
	Table        Table      // ExternTable
	Memory       Memory     // ExternMemory
	Global       GlobalType // ExternGlobal
}

// Table is a table type. ElemType is 0x70 (funcref) after validation.
type Table struct {
	ElemType byte
	Min, Max uint32
	HasMax   bool
}

// Memory is a memory type. Flags is the original limits flag byte (bit 0:
// has max, bit 1: shared).
type Memory struct {
	Flags    byte
	Min, Max uint32
}

// HasMax reports whether the memory declares a maximum.
func (m Memory) HasMax() bool { return m.Flags&1 != 0 }

// Shared reports whether the memory is declared shared (threads proposal).
func (m Memory) Shared() bool { return m.Flags&2 != 0 }

// GlobalType is the type of a global.
type GlobalType struct {
	Type    ValType
	Mutable bool
}

// Global is a defined global. Init is the constant expression, verbatim,
// including its terminating end.
type Global struct {
	GlobalType
	Init []byte
}

// Export is one entry of the export section.
type Export struct {
	Name  string
	Kind  ExternKind
	Index uint32
}

// Element is an element segment. Only the active function-index forms
// (flags 0 and 2) survive decoding; Offset is the verbatim constant
// expression.
type Element struct {
	Flags  uint32
	Table  uint32
	Offset []byte
	Funcs  []uint32
}

// Data is a data segment. Only active forms (flags 0 and 2) survive
// decoding; Offset is the verbatim constant expression.
type Data struct {
	Flags  uint32
	Memory uint32
	Offset []byte
	Init   []byte
}

// LocalDecl declares Count locals of one type.
type LocalDecl struct {
	Count uint32
	Type  ValType
}

// Code is a function body. Body holds the instructions verbatim, including
// the final end, so immediates keep their original (possibly padded)
// encodings.
type Code struct {
	Locals []LocalDecl
	Body   []byte
	// BodyOffset is where Body starts in the module, for error messages.
	BodyOffset int
}

// Custom is a custom section.
type Custom struct {
	Name string
	Data []byte
}

// Section is one section as it appeared in the binary. Encode writes these,
// which is what makes decode→encode byte-exact even for padded LEB128
// sizes.
type Section struct {
	ID        byte
	SizeWidth int // bytes the size field took; reproduced when it fits
	Payload   []byte
}

// Section ids.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
)

// sectionOrder gives each known non-custom section its required position.
var sectionOrder = [...]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5,
	secGlobal: 6, secExport: 7, secStart: 8, secElement: 9, secDataCount: 10,
	secCode: 11, secData: 12,
}

var sectionNames = [...]string{
	"custom", "type", "import", "function", "table", "memory", "global",
	"export", "start", "element", "code", "data", "data count",
}

// Module is a decoded module. The parsed fields describe it completely;
// Sections additionally keeps the original framing.
type Module struct {
	Types        []FuncType
	Imports      []Import
	Funcs        []uint32 // type index of each defined function
	Tables       []Table
	Memories     []Memory
	Globals      []Global
	Exports      []Export
	HasStart     bool
	Start        uint32
	Elements     []Element
	HasDataCount bool
	DataCount    uint32
	Codes        []Code
	Datas        []Data
	Customs      []Custom

	Sections []Section
}

// NumImportedFuncs counts function imports, which precede defined
// functions in the function index space.
func (m *Module) NumImportedFuncs() int {
	n := 0
	for i := range m.Imports {
		if m.Imports[i].Kind == ExternFunc {
			n++
		}
	}
	return n
}

// FuncTypeOf returns the type of function index idx, or false if idx or
// its type index is out of range.
func (m *Module) FuncTypeOf(idx uint32) (FuncType, bool) {
	var ti uint32
	n := uint32(0)
	found := false
	for i := range m.Imports {
		if m.Imports[i].Kind != ExternFunc {
			continue
		}
		if n == idx {
			ti, found = m.Imports[i].TypeIndex, true
			break
		}
		n++
	}
	if !found {
		d := uint64(idx) - uint64(n)
		if uint64(idx) < uint64(n) || d >= uint64(len(m.Funcs)) {
			return FuncType{}, false
		}
		ti = m.Funcs[d]
	}
	if uint64(ti) >= uint64(len(m.Types)) {
		return FuncType{}, false
	}
	return m.Types[ti], true
}
