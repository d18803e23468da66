package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

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
)

// maxMessage caps error and panic messages so that a failure report can
// never itself breach the host's return-data limit.
const maxMessage = 4 << 10

// handler runs one decoded call and reports its status; the return data or
// failure message is already set on the host.
type handler func(c *Context, args []byte) int32

// registry is package-level by necessity: one Wasm module is one contract,
// and Go's reactor runs package init functions exactly once before the
// host snapshots memory, so init is the only place methods can be declared
// (as net/http's DefaultServeMux is for a default server). It is written
// only during package initialisation and read-only afterwards.
var registry = map[string]handler{}

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
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("contract: method %q registered twice", name))
	}
	if fn == nil {
		panic(fmt.Sprintf("contract: method %q has a nil function", name))
	}
	resultIsPtr := reflect.TypeFor[R]().Kind() == reflect.Pointer
	registry[name] = func(c *Context, args []byte) int32 {
		var a A
		if fd, ok := any(&a).(FastJSONDecoder); ok && len(args) > 0 && fd.DecodeJSONFast(args) {
			// Decoded without reflection.
		} else if len(args) > 0 {
			var zero A
			a = zero // a failed fast decode may have written to it
			if err := decodeArgs(args, &a); err != nil {
				c.setMessage("bad args for " + name + ": " + err.Error())
				return statusBadArgs
			}
		}
		r, err := fn(c, a)
		if err != nil {
			c.setMessage(err.Error())
			return statusError
		}
		if ap, ok := any(r).(JSONAppender); ok && !(resultIsPtr && reflect.ValueOf(r).IsNil()) {
			// The host copies the return data, so the scratch buffer
			// can hold it.
			c.h.SetReturn(ap.AppendJSON(c.scratch[:0]))
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
	var a A
	var r R
	Warm(a, r)
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

// JSONAppender is implemented by result and event types that encode
// themselves without reflection, which matters on hot paths in Wasm.
// AppendJSON must append one valid JSON value to b and return the extended
// slice; it should produce exactly what encoding/json would, so that
// switching encoders never changes a receipt.
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

// Warm fills encoding/json's per-type caches for the types of values.
// Every call starts from the memory image taken right after initialisation,
// so work done here is done once per module instead of once per call. Call
// it from init for the types a contract stores or emits; Method already
// warms its argument and result types.
func Warm(values ...any) {
	for _, v := range values {
		if v == nil {
			continue
		}
		_, _ = json.Marshal(v)
		p := reflect.New(reflect.TypeOf(v))
		_ = json.Unmarshal([]byte(`{}`), p.Interface())
	}
}

// methodNames returns the registered names in ascending order.
func methodNames() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// dispatch runs one call against h and returns its mesh_call status.
func dispatch(h hostAPI) (status int32) {
	c := &Context{h: h}
	c.scratch = c.buf[:]
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
		c.setMessage(fmt.Sprint(r))
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
	fn, ok := registry[string(name)]
	if !ok {
		switch string(name) {
		case InitMethod:
			return statusOK
		case MethodsMethod:
			out, err := json.Marshal(methodNames())
			if err != nil {
				panic(err)
			}
			h.SetReturn(out)
			return statusOK
		}
		c.setMessage(fmt.Sprintf("unknown method %q", name))
		return statusUnknownMethod
	}

	var args []byte
	if n := h.ArgsLen(); n > 0 {
		if n <= len(c.scratch) {
			args = c.scratch[:n]
		} else {
			args = make([]byte, n)
		}
		h.ArgsRead(args)
	}
	return fn(c, args)
}

// setMessage sets a failure message as the return data, truncated to a
// prefix of at most maxMessage bytes with invalid UTF-8 replaced.
func (c *Context) setMessage(msg string) {
	if len(msg) > maxMessage {
		msg = msg[:maxMessage]
	}
	if !utf8.ValidString(msg) {
		msg = strings.ToValidUTF8(msg, "\uFFFD")
	}
	c.h.SetReturn([]byte(msg))
}
