package contract

import (
	"encoding/json"
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"
)

// MarshalJSON returns exactly what json.Marshal(v) returns, byte for byte,
// usually much faster in Wasm: a type with a generated codec (a
// JSONAppender, see sdk/build/gencodec) appends itself; values whose type
// the SDK's reflection codec handles (see jsonCodec) are encoded through
// field offsets; everything else by encoding/json. Contract state and
// events are consensus data, so the encoders must never differ;
// TestMarshalJSONMatchesEncodingJSON and FuzzUnmarshalJSON check that they
// do not, and the generated codecs have their own differential tests.
//
// The codec of a type is built the first time the type is met and kept:
// types declared with State, Event or Method get theirs during
// initialisation, which every call starts from, so calls pay nothing for
// them. A type first met during a call has its codec built then, which in
// Wasm costs hundreds of thousands of gas for a struct of a dozen fields,
// and again in every later call, since calls do not keep memory; declare
// the type with State or Event, or call Warm, to avoid that. Generated
// codecs need no building.
func MarshalJSON(v any) ([]byte, error) {
	return AppendJSON(nil, v)
}

// AppendJSON appends what json.Marshal(v) would return to b. On an error
// b is returned unchanged.
func AppendJSON(b []byte, v any) ([]byte, error) {
	e, ok := entryOf(v)
	if !ok {
		return appendByEncodingJSON(b, v)
	}
	p := efaceData(v)
	if e.appends && (p != nil || !e.isPtr) {
		ap, _ := asAppender(v)
		return ap.AppendJSON(b), nil
	}
	c := e.c
	if c == nil {
		return appendByEncodingJSON(b, v)
	}
	if e.isPtr {
		if p == nil {
			return append(b, "null"...), nil
		}
	} else if c.hasRef && c.size == unsafe.Sizeof(p) {
		// The data word of a non-pointer v points at a copy of the value,
		// unless the value is itself one pointer word (a struct or array
		// of one pointer), which the interface then holds directly.
		return appendByEncodingJSON(b, v)
	}
	if b == nil {
		// Growing from nothing would take several allocations, each
		// about a thousand instructions in Wasm.
		b = make([]byte, 0, c.sizeHint)
	}
	return c.append(b, p), nil
}

func appendByEncodingJSON(b []byte, v any) ([]byte, error) {
	out, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, out...), nil
}

// UnmarshalJSON does exactly what json.Unmarshal(data, v) does, with the
// same result and the same error, usually much faster in Wasm. A type with
// a generated codec (a JSONDecoder, see sdk/build/gencodec) decodes
// itself. Otherwise the reflection codec decodes only canonical input
// into a zero value of a type it handles (strings of printable ASCII
// without escapes, integers without fractions, exponents or leading
// zeros, keys spelt exactly as the field names, each slice-holding field
// at most once) and hands anything else, from the start and into the
// value as it was, to encoding/json, which decides and words the error.
// Codecs are built as MarshalJSON describes.
func UnmarshalJSON(data []byte, v any) error {
	if e, ok := entryOf(v); ok && e.isPtr {
		p := efaceData(v)
		if e.decodes && p != nil {
			d, _ := asDecoder(v)
			return d.DecodeJSON(data)
		}
		if c := e.c; c != nil && p != nil && c.isZeroAt(p) {
			if c.decodeAll(data, p) {
				return nil
			}
			// A failed decode may have written part of the value;
			// encoding/json starts from the value the caller gave.
			reflect.ValueOf(v).Elem().SetZero()
		}
	}
	return json.Unmarshal(data, v)
}

// JSONDecoder is implemented (on the pointer) by types with a generated
// codec (sdk/build/gencodec). DecodeJSON must do exactly what
// json.Unmarshal(data, v) does, with the same result and error; the SDK's
// UnmarshalJSON, and so GetJSON and cross-contract call results, then
// call it instead of reflecting over the type.
type JSONDecoder interface {
	DecodeJSON(data []byte) error
}

//go:noinline
func asDecoder(v any) (JSONDecoder, bool) {
	d, ok := v.(JSONDecoder)
	return d, ok
}

// efaceData is the data word of an interface value: the pointer itself
// for a pointer, the address of the value otherwise.
func efaceData(v any) unsafe.Pointer {
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1]
}

// isZeroAt reports whether the value at p is all zero bytes, which for
// the types the codec handles is the zero value.
func (c *jsonCodec) isZeroAt(p unsafe.Pointer) bool {
	n, i := c.size, uintptr(0)
	if c.align8 {
		for ; i+8 <= n; i += 8 {
			if *(*uint64)(unsafe.Add(p, i)) != 0 {
				return false
			}
		}
	}
	for ; i < n; i++ {
		if *(*byte)(unsafe.Add(p, i)) != 0 {
			return false
		}
	}
	return true
}

// codecEntry maps a type, by the type word of interface values holding
// it, to the codec of the type or, for a pointer type, of its element,
// and records whether the type has a generated codec: appends when it is
// a JSONAppender, decodes when it is a JSONDecoder. The assertions are
// made once, when the type is first met, so that a call asserts only
// interfaces the type is known to satisfy, from the runtime's filled
// interface tables.
type codecEntry struct {
	typ     unsafe.Pointer
	c       *jsonCodec // nil: a generated codec or encoding/json handles the type
	isPtr   bool
	appends bool
	decodes bool
}

// codecs caches codecs, as encoding/json caches its per-type encoders:
// an immutable list replaced whole on every addition, so that a lookup is
// an atomic load and a scan comparing pointers. A contract declares a few
// dozen types; in Wasm a hash map lookup of a reflect.Type costs more
// than that scan. The cache is filled during initialisation in Wasm and
// read in calls; natively, tests may run contracts in parallel.
var codecs struct {
	list atomic.Pointer[[]codecEntry]
	mu   sync.Mutex // serialises additions
}

// lookupCodec is kept a leaf: inlined, its loop's jumps would each cost
// in proportion to the caller's call sites in Wasm.
//
//go:noinline
func lookupCodec(typ unsafe.Pointer) (codecEntry, bool) {
	if l := codecs.list.Load(); l != nil {
		for _, e := range *l {
			if e.typ == typ {
				return e, true
			}
		}
	}
	return codecEntry{}, false
}

func storeCodec(e codecEntry) {
	codecs.mu.Lock()
	defer codecs.mu.Unlock()
	if _, ok := lookupCodec(e.typ); ok {
		return
	}
	var l []codecEntry
	if old := codecs.list.Load(); old != nil {
		l = append(l, *old...)
	}
	l = append(l, e)
	codecs.list.Store(&l)
}

// typeWord is the type word interface values holding t carry: the
// *rtype a reflect.Type holds.
func typeWord(t reflect.Type) unsafe.Pointer {
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&t))[1]
}

// entryOf returns the cache entry of v's dynamic type, creating it on
// first use; ok is false for a nil v.
func entryOf(v any) (e codecEntry, ok bool) {
	w := (*[2]unsafe.Pointer)(unsafe.Pointer(&v))[0]
	if w == nil {
		return codecEntry{}, false
	}
	if e, ok := lookupCodec(w); ok {
		return e, true
	}
	t := reflect.TypeOf(v)
	e = codecEntry{typ: w, isPtr: t.Kind() == reflect.Pointer}
	_, e.appends = asAppender(v)
	if e.isPtr {
		_, e.decodes = asDecoder(v)
	}
	// A generated codec needs no reflection codec: a value type is only
	// ever encoded, a pointer type encoded and decoded.
	if !e.appends || (e.isPtr && !e.decodes) {
		if e.isPtr {
			e.c = codecFor(t.Elem())
		} else {
			e.c = codecFor(t)
		}
	}
	storeCodec(e)
	return e, true
}

// codecFor returns t's codec, building and caching it on first use.
func codecFor(t reflect.Type) *jsonCodec {
	w := typeWord(t)
	// An entry of a type with a generated codec holds no reflection
	// codec; build one if asked (a field of a type without one).
	if e, ok := lookupCodec(w); ok && !e.isPtr && (e.c != nil || !e.appends) {
		return e.c
	}
	c := buildCodec(t, map[reflect.Type]bool{})
	if c != nil {
		c.sizeHint = min(c.estimate(), 4<<10)
	}
	if t.Kind() != reflect.Pointer {
		storeCodec(codecEntry{typ: w, c: c})
	}
	return c
}

// Composite kinds of a jsonCodec, after the scalar fastKinds.
const (
	kStruct fastKind = iota + 64
	kArray
	kSlice
	kPointer
)

// jsonCodec encodes and decodes one type: a scalar fastKind, a struct of
// codec-handled fields, a fixed-size array, a slice or a pointer of a
// codec-handled element. Slices of bytes (base64 in encoding/json), maps,
// interfaces, floats, embedded fields, field options other than omitempty
// and types with their own JSON or text methods (but Address) are left to
// encoding/json, as is any type that refers to itself.
type jsonCodec struct {
	kind fastKind
	// fields of a struct, in declaration order (encoding/json's order).
	fields []codecField
	// repeatMask has bit i set when fields[i] holds a slice or pointer:
	// a repeated key would make encoding/json decode into the slice or
	// pointee decoded before, so the codec refuses such a key twice.
	repeatMask uint64
	// elem of an array, slice or pointer, n the array's length, elemSize
	// the element's size and typ the type itself (to zero or allocate).
	elem     *jsonCodec
	n        int
	elemSize uintptr
	typ      reflect.Type
	hasRef   bool
	// sizeHint estimates the length of an encoding, to size the buffer.
	sizeHint int
	// size is the type's size; align8 whether it is aligned to 8 bytes.
	size   uintptr
	align8 bool
}

type codecField struct {
	name      string
	key       string // `"name":`
	off       uintptr
	omitEmpty bool
	c         *jsonCodec
}

// buildCodec returns t's codec or nil; building lists the types being
// built so that a type referring to itself is left to encoding/json.
func buildCodec(t reflect.Type, building map[reflect.Type]bool) *jsonCodec {
	c := buildCodecOf(t, building)
	if c != nil {
		c.size, c.align8 = t.Size(), t.Align() >= 8
	}
	return c
}

func buildCodecOf(t reflect.Type, building map[reflect.Type]bool) *jsonCodec {
	if k := kindOf(t); k != 0 {
		return &jsonCodec{kind: k}
	}
	if building[t] || hasJSONMethods(t) {
		return nil
	}
	building[t] = true
	defer delete(building, t)
	switch t.Kind() {
	case reflect.Struct:
		return buildStructCodec(t, building)
	case reflect.Array:
		e := buildCodec(t.Elem(), building)
		if e == nil {
			return nil
		}
		return &jsonCodec{kind: kArray, elem: e, n: t.Len(), elemSize: t.Elem().Size(), typ: t, hasRef: e.hasRef}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil // base64
		}
		e := buildCodec(t.Elem(), building)
		if e == nil {
			return nil
		}
		return &jsonCodec{kind: kSlice, elem: e, elemSize: t.Elem().Size(), typ: t, hasRef: true}
	case reflect.Pointer:
		e := buildCodec(t.Elem(), building)
		if e == nil || e.kind == kPointer {
			return nil
		}
		return &jsonCodec{kind: kPointer, elem: e, typ: t, hasRef: true}
	}
	return nil
}

func buildStructCodec(t reflect.Type, building map[reflect.Type]bool) *jsonCodec {
	c := &jsonCodec{kind: kStruct}
	seen := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return nil // embedding has its own visibility rules
		}
		if !f.IsExported() {
			continue
		}
		name, omit, ok := fieldName(f)
		if !ok {
			return nil
		}
		if name == "" {
			continue // json:"-"
		}
		if seen[name] {
			return nil // encoding/json drops both; leave that to it
		}
		seen[name] = true
		fc := buildCodec(f.Type, building)
		if fc == nil {
			return nil
		}
		if fc.hasRef {
			if len(c.fields) >= 64 {
				return nil
			}
			c.repeatMask |= 1 << len(c.fields)
			c.hasRef = true
		}
		c.fields = append(c.fields, codecField{
			name: name, key: `"` + name + `":`, off: f.Offset, omitEmpty: omit, c: fc,
		})
	}
	return c
}

// estimate is a rough length of c's encodings.
func (c *jsonCodec) estimate() int {
	switch c.kind {
	case kStruct:
		n := 2
		for i := range c.fields {
			n += len(c.fields[i].key) + 1 + c.fields[i].c.estimate()
		}
		return n
	case kArray:
		return 2 + c.n*(c.elem.estimate()+1)
	case kSlice:
		return 16
	case kPointer:
		return c.elem.estimate()
	case kAddress:
		return 44
	case kString:
		return 16
	}
	return 6
}

// hasJSONMethods reports whether values of t or *t encode or decode
// themselves, which encoding/json would call.
func hasJSONMethods(t reflect.Type) bool {
	// Predeclared types (int64, string: no package path) and unnamed
	// ones have no methods of their own, and the codec refuses the
	// embedded fields an unnamed struct could promote methods from.
	// Asking reflection costs far more in Wasm than the answer is worth
	// when a type is first met during a call.
	if t.Name() == "" || t.PkgPath() == "" {
		return false
	}
	pt := reflect.PointerTo(t)
	return pt.Implements(jsonUnmarshalerType) || pt.Implements(textUnmarshalerType) ||
		pt.Implements(jsonMarshalerType) || pt.Implements(textMarshalerType)
}

// sliceHeader is the layout of every Go slice.
type sliceHeader struct {
	data unsafe.Pointer
	len  int
	cap  int
}

// append appends the JSON of the value at p as json.Marshal writes it.
func (c *jsonCodec) append(b []byte, p unsafe.Pointer) []byte {
	switch c.kind {
	case kInt64:
		return appendInt64(b, *(*int64)(p)) // the commonest field
	case kStruct:
		b = append(b, '{')
		first := true
		for i := range c.fields {
			f := &c.fields[i]
			fp := unsafe.Add(p, f.off)
			if f.omitEmpty && f.c.isEmpty(fp) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, f.key...)
			b = f.c.append(b, fp)
		}
		return append(b, '}')
	case kArray:
		return c.appendElems(b, p, c.n)
	case kSlice:
		h := (*sliceHeader)(p)
		if h.data == nil {
			return append(b, "null"...)
		}
		return c.appendElems(b, h.data, h.len)
	case kPointer:
		if q := *(*unsafe.Pointer)(p); q != nil {
			return c.elem.append(b, q)
		}
		return append(b, "null"...)
	}
	return appendValue(b, c.kind, p)
}

// appendResult appends the JSON of the method result at p, which is a
// pointer to c's type when isPtr. Kept apart from the method handler: in
// Wasm every jump in a function costs in proportion to its call sites.
func (c *jsonCodec) appendResult(b []byte, p unsafe.Pointer, isPtr bool) []byte {
	if isPtr {
		if p = *(*unsafe.Pointer)(p); p == nil {
			return append(b, "null"...)
		}
	}
	return c.append(b, p)
}

func (c *jsonCodec) appendElems(b []byte, p unsafe.Pointer, n int) []byte {
	b = append(b, '[')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = c.elem.append(b, unsafe.Add(p, uintptr(i)*c.elemSize))
	}
	return append(b, ']')
}

// isEmpty is encoding/json's isEmptyValue, for omitempty.
func (c *jsonCodec) isEmpty(p unsafe.Pointer) bool {
	switch c.kind {
	case kStruct:
		return false
	case kArray:
		return c.n == 0
	case kSlice:
		return (*sliceHeader)(p).len == 0
	case kPointer:
		return *(*unsafe.Pointer)(p) == nil
	}
	return isEmpty(c.kind, p)
}

// decodeAll decodes data, one value with optional surrounding white
// space, into the zero value at p, and reports whether it could; on false
// p may hold partial data.
func (c *jsonCodec) decodeAll(data []byte, p unsafe.Pointer) bool {
	s := scanner{data: data}
	s.ws()
	if !c.decode(&s, p) {
		return false
	}
	s.ws()
	return s.i == len(s.data)
}

// decode decodes one value into p as encoding/json would into the value
// there, which holds no slice or pointer that the input has not just set.
func (c *jsonCodec) decode(s *scanner, p unsafe.Pointer) bool {
	if c.kind == kInt64 {
		return s.int64Value(p) // the commonest field, in one leaf call
	}
	if s.i < len(s.data) && s.data[s.i] == 'n' {
		// encoding/json leaves a value alone on null, but sets a slice
		// or pointer to nil and hands an Address its own null.
		if c.kind == kAddress || !s.literal("null") {
			return false
		}
		switch c.kind {
		case kSlice:
			*(*[]struct{})(p) = nil
		case kPointer:
			*(**struct{})(p) = nil
		}
		return true
	}
	switch c.kind {
	case kStruct:
		return c.decodeObject(s, p)
	case kArray:
		return c.decodeArray(s, p)
	case kSlice:
		return c.decodeSlice(s, p)
	case kPointer:
		// The pointer is nil (the value was zero, and no key repeats):
		// encoding/json allocates, as here.
		v := reflect.New(c.typ.Elem())
		reflect.NewAt(c.typ, p).Elem().Set(v)
		return c.elem.decode(s, v.UnsafePointer())
	}
	return s.value(c.kind, p)
}

func (c *jsonCodec) decodeObject(s *scanner, p unsafe.Pointer) bool {
	if !s.byte('{') {
		return false
	}
	s.ws()
	if s.byte('}') {
		return true
	}
	var seen uint64
	next := 0 // canonical input has the keys in field order
	for {
		i := c.key(s, next)
		if i < 0 {
			return false
		}
		if bit := uint64(1) << i & c.repeatMask; bit != 0 {
			if seen&bit != 0 {
				return false
			}
			seen |= bit
		}
		next = i + 1
		f := &c.fields[i]
		if !f.c.decode(s, unsafe.Add(p, f.off)) {
			return false
		}
		switch s.separator() {
		case '}':
			return true
		case ',':
		default:
			return false
		}
	}
}

// key reads a key and its colon and returns the field's index, or -1 for
// a key that is unknown or not plain (encoding/json may match it
// case-insensitively). Canonical input names the hint field as written,
// which one comparison settles; in Wasm every call and every jump in a
// function with many call sites costs, so the usual case makes few.
func (c *jsonCodec) key(s *scanner, hint int) int {
	if hint < len(c.fields) {
		k := c.fields[hint].key
		if end := s.i + len(k); end <= len(s.data) && string(s.data[s.i:end]) == k {
			s.i = end
			s.ws()
			return hint
		}
	}
	key, ok := s.plainString()
	if !ok {
		return -1
	}
	i := c.field(key, hint)
	s.ws()
	if i < 0 || !s.byte(':') {
		return -1
	}
	s.ws()
	return i
}

// separator skips white space, reads ',' or '}' and the white space after
// it, and returns what it read (0 for anything else).
func (s *scanner) separator() byte {
	s.ws()
	if s.i < len(s.data) {
		if c := s.data[s.i]; c == ',' || c == '}' || c == ']' {
			s.i++
			s.ws()
			return c
		}
	}
	return 0
}

// field returns the index of the field named key, trying hint first, or -1.
func (c *jsonCodec) field(key []byte, hint int) int {
	if hint < len(c.fields) && c.fields[hint].name == string(key) {
		return hint
	}
	for i := range c.fields {
		if c.fields[i].name == string(key) {
			return i
		}
	}
	return -1
}

// decodeArray fills the array at p; like encoding/json it zeroes the
// elements the input leaves out, but leaves surplus elements to it.
func (c *jsonCodec) decodeArray(s *scanner, p unsafe.Pointer) bool {
	if !s.byte('[') {
		return false
	}
	s.ws()
	i := 0
	if !s.byte(']') {
		for {
			if i == c.n {
				return false
			}
			if !c.elem.decode(s, unsafe.Add(p, uintptr(i)*c.elemSize)) {
				return false
			}
			i++
			s.ws()
			if s.byte(']') {
				break
			}
			if !s.byte(',') {
				return false
			}
			s.ws()
		}
	}
	if i < c.n {
		v := reflect.NewAt(c.typ, p).Elem()
		for ; i < c.n; i++ {
			v.Index(i).SetZero()
		}
	}
	return true
}

// decodeSlice decodes into the slice at p, which is nil, a new slice
// grown as encoding/json grows it; [] gives an empty, non-nil slice.
func (c *jsonCodec) decodeSlice(s *scanner, p unsafe.Pointer) bool {
	if !s.byte('[') {
		return false
	}
	v := reflect.NewAt(c.typ, p).Elem()
	s.ws()
	if s.byte(']') {
		v.Set(reflect.MakeSlice(c.typ, 0, 0))
		return true
	}
	for i := 0; ; i++ {
		if i >= v.Cap() {
			v.Grow(1)
		}
		v.SetLen(i + 1)
		h := (*sliceHeader)(p)
		if !c.elem.decode(s, unsafe.Add(h.data, uintptr(i)*c.elemSize)) {
			return false
		}
		s.ws()
		if s.byte(']') {
			return true
		}
		if !s.byte(',') {
			return false
		}
		s.ws()
	}
}

// int64Value decodes an integer into the int64 at p, as integer and
// storeInt do together, without their calls; anything else (null too) is
// refused.
func (s *scanner) int64Value(p unsafe.Pointer) bool {
	d, i := s.data, s.i
	neg := i < len(d) && d[i] == '-'
	if neg {
		i++
	}
	start := i
	var v uint64
	for ; i < len(d); i++ {
		c := d[i]
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + uint64(c-'0')
	}
	n := i - start
	if n == 0 || n > 19 || (n > 1 && d[start] == '0') || v > 1<<63 || (!neg && v == 1<<63) {
		return false
	}
	if i < len(d) {
		if c := d[i]; c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	x := int64(v)
	if neg {
		x = -x
	}
	*(*int64)(p) = x
	s.i = i
	return true
}

// ten is a variable so that the compiler divides by it: Go turns division
// by a constant into a multiplication that Wasm, lacking a 128-bit
// product, emulates at several times the cost of one i64.div_u.
var ten uint64 = 10

// appendInt64 is strconv.AppendInt(b, x, 10), cheaper in Wasm.
func appendInt64(b []byte, x int64) []byte {
	if 0 <= x && x < 10 {
		return append(b, byte('0'+x))
	}
	var buf [20]byte
	u := uint64(x)
	if x < 0 {
		u = -u
	}
	i := len(buf)
	for u >= 10 {
		q := u / ten
		i--
		buf[i] = byte('0' + u - q*10)
		u = q
	}
	i--
	buf[i] = byte('0' + u)
	if x < 0 {
		i--
		buf[i] = '-'
	}
	return append(b, buf[i:]...)
}
