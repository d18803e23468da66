package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/meshledger/meshledger/sdk/contract/internal/hostlink"
)

// mesh_call statuses of docs/abi.md.
const (
	statusOK            int32 = 0
	statusError         int32 = 1
	statusUnknownMethod int32 = 2
	statusBadArgs       int32 = 3
	statusPanic         int32 = 4
)

// Reserved method names handled by the SDK.
const (
	// InitMethod is called once at deploy. Registering it is optional.
	InitMethod = "init"
	// MethodsMethod lists the registered methods; it cannot be registered.
	MethodsMethod = "mesh.methods"
	// CanReadMethod answers a node's question whether the caller may read
	// one of the contract's raw state keys (docs/abi.md, "Read policy").
	// Register it with ReadPolicy; mesh.methods lists it once registered.
	CanReadMethod = "mesh.canRead"
)

// maxMessage caps error and panic messages so that a failure report can
// never itself breach the host's return-data limit.
const maxMessage = 4 << 10

// handler runs one decoded call and reports its status; the return data or
// failure message is already set on the host.
type handler func(c *Context, args []byte) int32

// method is one registered method.
type method struct {
	name string
	run  handler
}

// registry is package-level by necessity: one Wasm module is one contract,
// and Go's reactor runs package init functions exactly once before the
// host snapshots memory, so init is the only place methods can be declared
// (as net/http's DefaultServeMux is for a default server). It is written
// only during package initialisation and read-only afterwards.
var registry struct {
	// methods is sorted by name: a binary search over a few names costs
	// less than hashing the name for a map.
	methods []method
	// namesJSON is the reply to mesh.methods, built as methods are
	// registered, since the list never changes after initialisation.
	namesJSON []byte
	// readPolicy answers mesh.canRead; nil: the contract has none.
	readPolicy func(c *Context, key []byte) bool
}

// ReadPolicy registers fn as the contract's read policy: a node asks it,
// in a read-only call whose Caller is the reader, whether that reader may
// read a raw state key of the contract (its value, history and proofs).
// Call it at most once, from an init function.
//
// fn gets the key's raw bytes (not JSON) and may read state and the
// registry like any query; true allows the read. A panic, a host failure
// or running out of gas denies it. Members with the network role auditor
// read everything without asking. Without a read policy the node lets the
// members of the contract's organisation read its keys, and nobody else.
//
// The answer must depend only on the reader, the key and the state: a
// node may cache it for the block.
func ReadPolicy(fn func(c *Context, key []byte) bool) {
	if fn == nil {
		panic("contract: ReadPolicy with a nil function")
	}
	if registry.readPolicy != nil {
		panic("contract: ReadPolicy registered twice")
	}
	registry.readPolicy = fn
	listMethods()
}

// runReadPolicy answers mesh.canRead with JSON true or false.
func runReadPolicy(c *Context, h hostAPI) int32 {
	// The key is the policy's to keep: copied, not lent from scratch,
	// which the policy's own reads use.
	key := make([]byte, h.ArgsLen())
	if len(key) > 0 {
		h.ArgsRead(key)
	}
	if registry.readPolicy(c, key) {
		h.SetReturn([]byte("true"))
	} else {
		h.SetReturn([]byte("false"))
	}
	return statusOK
}

// Method registers fn as the contract method name. Call it from an init
// function of the contract's main package.
//
// The call's arguments are JSON-decoded into A (unknown fields are rejected;
// empty arguments leave A at its zero value; a FastJSONDecoder is tried
// first); a decoding failure fails the call as bad_args. A non-nil error fails the call with the error's text as
// its message, discarding the call's writes and events. Otherwise R is
// JSON-encoded as the call's return data.
//
// Method panics on an empty or duplicate name or a reserved one; those are
// programming errors caught the first time the module is loaded.
func Method[A, R any](name string, fn func(*Context, A) (R, error)) {
	if name == "" || name == MethodsMethod || strings.HasPrefix(name, "mesh.") {
		panic(fmt.Sprintf("contract: method name %q is empty or reserved", name))
	}
	i, dup := findMethod(name)
	if dup {
		panic(fmt.Sprintf("contract: method %q registered twice", name))
	}
	if fn == nil {
		panic(fmt.Sprintf("contract: method %q has a nil function", name))
	}
	registry.methods = slices.Insert(registry.methods, i, method{name: name, run: handler(newHandler(name, fn))})
	listMethods()
	recordMethodTypes(name, reflect.TypeFor[A](), reflect.TypeFor[R]())
}

// listMethods rebuilds the reply to mesh.methods: the registered methods
// and, when there is a read policy, CanReadMethod, in ascending order. The
// node reads the list at deploy to know whether to ask the contract
// before serving its raw keys.
func listMethods() {
	names := make([]string, 0, len(registry.methods)+1)
	for _, m := range registry.methods {
		names = append(names, m.name)
	}
	if registry.readPolicy != nil {
		names = append(names, CanReadMethod)
		slices.Sort(names)
	}
	out, err := json.Marshal(names)
	if err != nil {
		panic(err) // a []string always encodes
	}
	registry.namesJSON = out
}

// newHandler binds fn to the SDK's decoding and encoding. Everything that
// can be decided from the types alone is decided here, during
// initialisation, so that a call pays for none of it: which fast paths
// apply, and (by asserting once) the interface tables the call's own
// assertions will find in the runtime's cache.
func newHandler[A, R any](name string, fn func(*Context, A) (R, error)) handler {
	resultIsPtr := reflect.TypeFor[R]().Kind() == reflect.Pointer
	_, fastDecoder := asFastDecoder(new(A))
	var argCodec *jsonCodec
	if !fastDecoder {
		argCodec = codecFor(reflect.TypeFor[A]())
	}
	var zr R
	_, appender := asAppender(zr)
	var resCodec *jsonCodec
	if !appender {
		if rt := reflect.TypeFor[R](); resultIsPtr {
			resCodec = codecFor(rt.Elem())
		} else {
			resCodec = codecFor(rt)
		}
	}
	var a A
	Warm(a, zr)
	// The argument, and a result encoded by its own AppendJSON, live in
	// memory the handler keeps when the call's Context is reusable (see
	// callState.reuse): taking their address for an interface would
	// otherwise move them to the heap, an allocation per call for each.
	// Asserting on the result's pointer here fills the interface table
	// the call's assertion uses.
	argSlot, resSlot := new(A), new(R)
	_, _ = asAppender(resSlot)
	resultBoxes := appender && !resultIsPtr

	return func(c *Context, args []byte) int32 {
		ap := argSlot
		if c.reuse {
			var zero A
			*ap = zero
		} else {
			ap = new(A)
		}
		if len(args) > 0 {
			ok := false
			switch {
			case fastDecoder:
				fd, _ := asFastDecoder(ap)
				ok = fd.DecodeJSONFast(args)
			case argCodec != nil:
				ok = argCodec.decodeAll(args, unsafe.Pointer(ap))
			}
			if !ok {
				var zero A
				*ap = zero // a failed fast decode may have written to it
				if err := decodeArgs(args, ap); err != nil {
					c.setMessage("bad args for " + name + ": " + err.Error())
					return statusBadArgs
				}
			}
		}
		r, err := fn(c, *ap)
		if err != nil {
			c.setMessage(err.Error())
			return statusError
		}
		switch {
		case resultBoxes:
			rp := resSlot
			if !c.reuse {
				rp = new(R)
			}
			*rp = r
			enc, _ := asAppender(rp)
			// The host copies the return data, so the scratch buffer
			// can hold it.
			c.h.SetReturn(enc.AppendJSON(c.scratch[:0]))
			return statusOK
		case appender && !(resultIsPtr && *(*unsafe.Pointer)(unsafe.Pointer(&r)) == nil):
			enc, _ := asAppender(r)
			c.h.SetReturn(enc.AppendJSON(c.scratch[:0]))
			return statusOK
		case resCodec != nil:
			c.h.SetReturn(resCodec.appendResult(c.scratch[:0], unsafe.Pointer(&r), resultIsPtr))
			return statusOK
		}
		out, err := json.Marshal(r)
		if err != nil {
			c.setMessage("contract: encode result of " + name + ": " + err.Error())
			return statusError
		}
		c.h.SetReturn(out)
		return statusOK
	}
}

// asFastDecoder and asAppender are the only places the SDK asserts these
// interfaces. Registration runs them once per type during initialisation,
// which leaves the runtime's interface tables and these call sites' caches
// filled in the memory image every call starts from; an assertion that
// first meets its type during a call costs thousands of instructions.
//
//go:noinline
func asFastDecoder(v any) (FastJSONDecoder, bool) {
	d, ok := v.(FastJSONDecoder)
	return d, ok
}

//go:noinline
func asAppender(v any) (JSONAppender, bool) {
	ap, ok := v.(JSONAppender)
	return ap, ok
}

// findMethod returns name's index in the registry, or where it belongs.
func findMethod(name string) (int, bool) {
	ms := registry.methods
	lo, hi := 0, len(ms)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ms[m].name < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(ms) && ms[lo].name == name
}

// FastJSONDecoder is implemented (on the pointer) by argument types that
// decode their usual JSON shape without reflection, which in Wasm costs a
// fraction of encoding/json. DecodeJSONFast must return true only if it
// decoded data exactly as the SDK's strict encoding/json decoding would
// have; on false the SDK decodes with encoding/json instead, so a fast
// decoder may accept just the canonical shape and leave the rest.
type FastJSONDecoder interface {
	DecodeJSONFast(data []byte) bool
}

// JSONAppender is implemented by types that encode themselves without
// reflection, which matters on hot paths in Wasm: generated codecs
// (sdk/build/gencodec) implement it. AppendJSON must append exactly what
// json.Marshal would write for the value to b and return the extended
// slice, so that switching encoders never changes a receipt or a state
// record: results, events and MarshalJSON (so SetJSON) use it.
type JSONAppender interface {
	AppendJSON(b []byte) []byte
}

func decodeArgs(args []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(args))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data after JSON value")
	}
	return nil
}

// Warm builds the SDK's JSON codec (see MarshalJSON) and fills
// encoding/json's per-type caches for the types of values. Every call
// starts from the memory image taken right after initialisation, so work
// done here is done once per module instead of once per call. Call it from
// init for the types a contract stores or emits; Method, State and Event
// already warm theirs.
func Warm(values ...any) {
	for _, v := range values {
		if v == nil {
			continue
		}
		_, _ = json.Marshal(v)
		p := reflect.New(reflect.TypeOf(v))
		_ = json.Unmarshal([]byte(`{}`), p.Interface())
		// The codec cache is looked up by the type of the value passed,
		// so enter both the type and its pointer, as GetJSON receives.
		entryOf(v)
		entryOf(p.Interface())
		// Fill the interface caches Emit's assertion uses, for the value
		// and its pointer.
		_, _ = asAppender(v)
		_, _ = asAppender(p.Interface())
		_, _ = asDecoder(p.Interface())
	}
}

// dispatch runs one call against h and returns its mesh_call status.
func dispatch(h hostAPI) int32 {
	c := takeContext(h)
	defer giveContext(c)
	return runCall(c)
}

// runCall runs the call c was taken for.
func runCall(c *Context) (status int32) {
	h := c.h
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if f, ok := r.(*hostlink.Failure); ok {
			// The host ended the call; in Wasm it would have trapped and
			// no guest code would run, so neither may ours.
			panic(f)
		}
		c.setMessage(panicMessage(r))
		status = statusPanic
	}()

	var name []byte
	if n := h.MethodLen(); n <= len(c.scratch) {
		name = c.scratch[:n]
	} else {
		name = make([]byte, n)
	}
	if len(name) > 0 {
		h.MethodRead(name)
	}
	// The name is only compared, never kept, so it may alias the buffer.
	i, ok := findMethod(unsafe.String(unsafe.SliceData(name), len(name)))
	if !ok {
		switch string(name) {
		case InitMethod:
			return statusOK
		case MethodsMethod:
			h.SetReturn(registry.namesJSON)
			return statusOK
		case CanReadMethod:
			if registry.readPolicy != nil {
				return runReadPolicy(c, h)
			}
		}
		c.setMessage(unknownMethod(name))
		return statusUnknownMethod
	}
	run := registry.methods[i].run

	var args []byte
	if n := h.ArgsLen(); n > 0 {
		if n <= len(c.scratch) {
			args = c.scratch[:n]
		} else {
			args = make([]byte, n)
		}
		h.ArgsRead(args)
	}
	return run(c, args)
}

// panicMessage is fmt.Sprint(v), without fmt for the usual values.
func panicMessage(v any) (msg string) {
	switch v := v.(type) {
	case string:
		return v
	case error:
		defer func() {
			// An Error method that panics is fmt's business: it reports
			// the panic in the message.
			if recover() != nil {
				msg = fmt.Sprint(v)
			}
		}()
		return v.Error()
	}
	return fmt.Sprint(v)
}

// unknownMethod is the message `unknown method "name"`, quoted as %q
// would; fmt is left to names that need escaping.
func unknownMethod(name []byte) string {
	for _, c := range name {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return "unknown method " + strconv.Quote(string(name))
		}
	}
	return `unknown method "` + string(name) + `"`
}

// setMessage sets a failure message as the return data, truncated to a
// prefix of at most maxMessage bytes with invalid UTF-8 replaced.
func (c *Context) setMessage(msg string) {
	if len(msg) > maxMessage {
		msg = msg[:maxMessage]
	}
	if !isASCII(msg) && !utf8.ValidString(msg) {
		msg = strings.ToValidUTF8(msg, "\uFFFD")
	}
	// The host copies the data before returning.
	c.h.SetReturn(unsafe.Slice(unsafe.StringData(msg), len(msg)))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
