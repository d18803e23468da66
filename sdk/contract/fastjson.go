package contract

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unsafe"
)

// In Wasm, encoding/json costs tens of thousands of instructions for even
// the smallest value: a decoder, a scanner state machine run twice over
// the input, reflection, a sync.Pool. Method arguments, results, events and
// state records are mostly structs of strings, integers, booleans and
// addresses, nested structs and fixed-size arrays of them, written in the
// canonical way. For those shapes the SDK decodes and encodes directly
// through field offsets computed once per type (jsoncodec.go), during
// initialisation for the types a contract declares, so free for calls.
//
// A fast path accepts only input whose meaning under encoding/json is
// certain and identical: anything else (escapes, non-ASCII strings, null
// for an Address, numbers with fractions or exponents or out of range,
// unknown or differently cased keys, trailing data) is handed to
// encoding/json, which then decides, including the exact error message. A
// fast path therefore changes speed, never results. This file holds the
// scalar kinds and the scanner of that canonical subset.

// fastKind is a field kind the fast paths handle.
type fastKind uint8

const (
	kString fastKind = iota + 1
	kBool
	kInt8
	kInt16
	kInt32
	kInt64
	kInt
	kUint8
	kUint16
	kUint32
	kUint64
	kUint
	kUintptr
	kAddress
)

var (
	addressType         = reflect.TypeFor[Address]()
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonMarshalerType   = reflect.TypeFor[json.Marshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
)

// kindOf returns the fast kind of a type, or 0 when values of t must go
// through encoding/json: any type with its own JSON or text methods
// (except Address, whose JSON method the fast path calls itself), and
// every kind other than strings, booleans and integers.
func kindOf(t reflect.Type) fastKind {
	if t == addressType {
		return kAddress
	}
	if hasJSONMethods(t) {
		return 0
	}
	switch t.Kind() {
	case reflect.String:
		return kString
	case reflect.Bool:
		return kBool
	case reflect.Int8:
		return kInt8
	case reflect.Int16:
		return kInt16
	case reflect.Int32:
		return kInt32
	case reflect.Int64:
		return kInt64
	case reflect.Int:
		return kInt
	case reflect.Uint8:
		return kUint8
	case reflect.Uint16:
		return kUint16
	case reflect.Uint32:
		return kUint32
	case reflect.Uint64:
		return kUint64
	case reflect.Uint:
		return kUint
	case reflect.Uintptr:
		return kUintptr
	}
	return 0
}

// fieldName is the JSON name of f ("" for a skipped field) and whether it
// is omitempty; ok is false for tags the fast paths leave to encoding/json:
// options other than omitempty, and names with characters other than ASCII
// letters, digits and the punctuation encoding/json accepts in a tag name
// and writes unescaped (it escapes <, > and &).
func fieldName(f reflect.StructField) (name string, omitEmpty, ok bool) {
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false, true
	}
	name, opts := tag, ""
	for i := 0; i < len(tag); i++ {
		if tag[i] == ',' {
			name, opts = tag[:i], tag[i+1:]
			break
		}
	}
	if opts != "" && opts != "omitempty" {
		return "", false, false
	}
	if name == "" {
		name = f.Name
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%()*+-./:;=?@[]^_{|}~ ", c) >= 0) {
			return "", false, false
		}
	}
	return name, opts == "omitempty", true
}

// scanner reads the canonical subset of JSON.
type scanner struct {
	data []byte
	i    int
}

func (s *scanner) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) byte(c byte) bool {
	if s.i < len(s.data) && s.data[s.i] == c {
		s.i++
		return true
	}
	return false
}

// plainString reads a string of printable ASCII without escapes and
// returns its contents (aliasing data).
func (s *scanner) plainString() ([]byte, bool) {
	if !s.byte('"') {
		return nil, false
	}
	for j := s.i; j < len(s.data); j++ {
		c := s.data[j]
		if c == '"' {
			v := s.data[s.i:j]
			s.i = j + 1
			return v, true
		}
		if c < 0x20 || c > 0x7e || c == '\\' {
			return nil, false
		}
	}
	return nil, false
}

// value decodes one value of kind k into p.
func (s *scanner) value(k fastKind, p unsafe.Pointer) bool {
	switch k {
	case kString:
		v, ok := s.plainString()
		if ok {
			*(*string)(p) = string(v)
		}
		return ok
	case kAddress:
		start := s.i
		if _, ok := s.plainString(); !ok {
			return false
		}
		// Exactly what encoding/json does for an unescaped string.
		return (*Address)(p).UnmarshalJSON(s.data[start:s.i]) == nil
	case kBool:
		switch {
		case s.literal("true"):
			*(*bool)(p) = true
		case s.literal("false"):
			*(*bool)(p) = false
		default:
			return false
		}
		return true
	case kUint8, kUint16, kUint32, kUint64, kUint, kUintptr:
		neg, v, ok := s.integer()
		if !ok || neg {
			return false
		}
		return storeUint(k, p, v)
	default:
		neg, v, ok := s.integer()
		if !ok || v > 1<<63 || (!neg && v == 1<<63) {
			return false
		}
		n := int64(v) // -1<<63 stays itself when negated
		if neg {
			n = -n
		}
		return storeInt(k, p, n)
	}
}

func (s *scanner) literal(lit string) bool {
	if len(s.data)-s.i < len(lit) || string(s.data[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// integer reads -?(0|[1-9][0-9]*) of at most 19 digits (so that it cannot
// overflow a uint64), followed by something that cannot continue a JSON
// number.
func (s *scanner) integer() (neg bool, v uint64, ok bool) {
	j := s.i
	if j < len(s.data) && s.data[j] == '-' {
		neg = true
		j++
	}
	start := j
	for ; j < len(s.data); j++ {
		c := s.data[j]
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + uint64(c-'0')
	}
	n := j - start
	if n == 0 || n > 19 || (n > 1 && s.data[start] == '0') {
		return false, 0, false
	}
	if j < len(s.data) {
		if c := s.data[j]; c == '.' || c == 'e' || c == 'E' {
			return false, 0, false
		}
	}
	s.i = j
	return neg, v, true
}

func storeInt(k fastKind, p unsafe.Pointer, n int64) bool {
	switch k {
	case kInt8:
		if n != int64(int8(n)) {
			return false
		}
		*(*int8)(p) = int8(n)
	case kInt16:
		if n != int64(int16(n)) {
			return false
		}
		*(*int16)(p) = int16(n)
	case kInt32:
		if n != int64(int32(n)) {
			return false
		}
		*(*int32)(p) = int32(n)
	case kInt:
		if n != int64(int(n)) {
			return false
		}
		*(*int)(p) = int(n)
	case kInt64:
		*(*int64)(p) = n
	default:
		return false
	}
	return true
}

func storeUint(k fastKind, p unsafe.Pointer, v uint64) bool {
	switch k {
	case kUint8:
		if v != uint64(uint8(v)) {
			return false
		}
		*(*uint8)(p) = uint8(v)
	case kUint16:
		if v != uint64(uint16(v)) {
			return false
		}
		*(*uint16)(p) = uint16(v)
	case kUint32:
		if v != uint64(uint32(v)) {
			return false
		}
		*(*uint32)(p) = uint32(v)
	case kUint:
		if v != uint64(uint(v)) {
			return false
		}
		*(*uint)(p) = uint(v)
	case kUintptr:
		if v != uint64(uintptr(v)) {
			return false
		}
		*(*uintptr)(p) = uintptr(v)
	case kUint64:
		*(*uint64)(p) = v
	default:
		return false
	}
	return true
}

func isEmpty(k fastKind, p unsafe.Pointer) bool {
	switch k {
	case kString:
		return *(*string)(p) == ""
	case kBool:
		return !*(*bool)(p)
	case kAddress:
		return false // an array is empty only with length zero
	case kUint8, kUint16, kUint32, kUint64, kUint, kUintptr:
		return loadUint(k, p) == 0
	default:
		return loadInt(k, p) == 0
	}
}

func appendValue(b []byte, k fastKind, p unsafe.Pointer) []byte {
	switch k {
	case kString:
		return appendJSONString(b, *(*string)(p))
	case kBool:
		return strconv.AppendBool(b, *(*bool)(p))
	case kAddress:
		b = append(b, '"')
		b = (*Address)(p).appendHex(b)
		return append(b, '"')
	case kUint8, kUint16, kUint32, kUint64, kUint, kUintptr:
		return strconv.AppendUint(b, loadUint(k, p), 10)
	default:
		return strconv.AppendInt(b, loadInt(k, p), 10)
	}
}

func loadInt(k fastKind, p unsafe.Pointer) int64 {
	switch k {
	case kInt8:
		return int64(*(*int8)(p))
	case kInt16:
		return int64(*(*int16)(p))
	case kInt32:
		return int64(*(*int32)(p))
	case kInt:
		return int64(*(*int)(p))
	default:
		return *(*int64)(p)
	}
}

func loadUint(k fastKind, p unsafe.Pointer) uint64 {
	switch k {
	case kUint8:
		return uint64(*(*uint8)(p))
	case kUint16:
		return uint64(*(*uint16)(p))
	case kUint32:
		return uint64(*(*uint32)(p))
	case kUint:
		return uint64(*(*uint)(p))
	case kUintptr:
		return uint64(*(*uintptr)(p))
	default:
		return *(*uint64)(p)
	}
}

// appendJSONString appends s quoted as json.Marshal quotes it: printable
// ASCII other than the characters encoding/json escapes is copied as is;
// any other string is left to encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
