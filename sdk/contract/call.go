package contract

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// CallError is a cross-contract call that failed: the callee failed (its
// writes and events are discarded) or the host refused the call. Code is
// the runtime's result code ("aborted", "out_of_gas", "call_depth",
// "reentrancy", "unknown_contract", ...), Message the callee's failure
// message or the refusal's reason. The caller may handle it and go on: its
// own writes stay unless it fails too.
type CallError struct {
	Code    string
	Message string
}

func (e *CallError) Error() string { return "contract: call failed: " + e.Code + ": " + e.Message }

// Call runs method of the contract at addr with args and decodes its
// result into out, sharing this call's gas: the callee may use all of it
// but a reserve the host keeps so this call can handle a failure
// (docs/abi.md, "Cross-contract calls"). The callee sees this contract as
// its Caller, runs in its own state, and in a query cannot write either.
//
// args is JSON-encoded like a method's result (JSONAppender honoured),
// except that []byte and json.RawMessage are sent as they are and nil
// sends no arguments. out may be nil to ignore the result, a *[]byte or
// *json.RawMessage to take it raw, or anything encoding/json decodes into.
//
// A failed callee gives a *CallError. Other errors are this side's: args
// that do not encode or a result that does not decode into out.
func (c *Context) Call(addr Address, method string, args, out any) error {
	return c.CallWithGas(addr, method, 0, args, out)
}

// CallWithGas is Call with the callee's gas bounded by gas (0: as much as
// Call gives), so one callee cannot spend what later work needs.
func (c *Context) CallWithGas(addr Address, method string, gas uint64, args, out any) error {
	raw, err := encodeCallArgs(args)
	if err != nil {
		return fmt.Errorf("contract: call %s: encode args: %w", method, err)
	}
	// The outcome is copied out before any other use of the scratch
	// buffer, so it is lent only for the call itself.
	buf := c.scratch
	c.scratch = nil
	n := c.h.Call(addr, method, raw, gas, buf)
	var enc []byte
	if n <= len(buf) {
		enc = buf[:n]
	} else {
		enc = make([]byte, n)
		c.h.CallResult(enc)
	}
	code, data, ok := decodeCallOutcome(enc)
	if !ok {
		c.scratch = buf
		panic(ErrCallEncoding)
	}
	if code != "ok" {
		e := &CallError{Code: code, Message: string(data)}
		c.scratch = buf
		return e
	}
	err = decodeCallResult(data, out)
	c.scratch = buf
	if err != nil {
		return fmt.Errorf("contract: call %s: decode result: %w", method, err)
	}
	return nil
}

// ErrCallEncoding means the host returned a malformed call outcome.
var ErrCallEncoding = fmt.Errorf("contract: malformed call outcome from host")

func encodeCallArgs(args any) ([]byte, error) {
	switch a := args.(type) {
	case nil:
		return nil, nil
	case []byte:
		return a, nil
	case json.RawMessage:
		return a, nil
	}
	if ap, ok := asAppender(args); ok && !isNilPointer(args) {
		return ap.AppendJSON(nil), nil
	}
	return MarshalJSON(args)
}

// decodeCallResult decodes a callee's return data, which the caller's
// buffer may alias: raw results are copied.
func decodeCallResult(data []byte, out any) error {
	switch o := out.(type) {
	case nil:
		return nil
	case *[]byte:
		*o = append([]byte(nil), data...)
		return nil
	case *json.RawMessage:
		*o = append(json.RawMessage(nil), data...)
		return nil
	}
	if d, ok := asFastDecoder(out); ok && d.DecodeJSONFast(data) {
		return nil
	}
	return UnmarshalJSON(data, out)
}

// decodeCallOutcome parses the call import's encoding: u32 code_len
// (little-endian), code, then the return data or failure message.
func decodeCallOutcome(enc []byte) (code string, data []byte, ok bool) {
	if len(enc) < 4 {
		return "", nil, false
	}
	n := binary.LittleEndian.Uint32(enc)
	if uint64(n) > uint64(len(enc)-4) || n == 0 {
		return "", nil, false
	}
	return string(enc[4 : 4+n]), enc[4+n:], true
}
