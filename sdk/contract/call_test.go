package contract_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/sdk/contract"
	"github.com/meshledger/meshledger/sdk/contract/contracttest"
)

var (
	poolAddr  = contract.Address{0x90, 0x01}
	otherAddr = contract.Address{0x90, 0x02}
)

// xcallArgs asks the xcall method to call To's Method with Args.
type xcallArgs struct {
	To     contract.Address `json:"to"`
	Method string           `json:"method"`
	Args   json.RawMessage  `json:"args,omitempty"`
	Raw    bool             `json:"raw,omitempty"` // take the result as raw bytes
	// NoWrite skips xcall's own write, for queries.
	NoWrite bool `json:"noWrite,omitempty"`
}

// xcallResult is what xcall saw: the decoded result or the call error.
type xcallResult struct {
	Sum     int    `json:"sum"`
	Raw     string `json:"raw,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Err     string `json:"err,omitempty"`
}

type addArgs struct {
	A int `json:"a"`
	B int `json:"b"`
}

func init() {
	contract.Method("xcall", func(ctx *contract.Context, a xcallArgs) (xcallResult, error) {
		// A write of its own, which a failed callee must not undo.
		if !a.NoWrite {
			ctx.Set([]byte("mine"), []byte("1"))
		}
		var args any = a.Args
		if a.Args == nil {
			args = nil
		}
		var r xcallResult
		var err error
		if a.Raw {
			var raw []byte
			err = ctx.Call(a.To, a.Method, args, &raw)
			r.Raw = string(raw)
		} else {
			err = ctx.Call(a.To, a.Method, args, &r.Sum)
		}
		var ce *contract.CallError
		switch {
		case errors.As(err, &ce):
			r.Code, r.Message = ce.Code, ce.Message
		case err != nil:
			r.Err = err.Error()
		}
		return r, nil
	})
	contract.Method("xcall.gas", func(ctx *contract.Context, gas uint64) (bool, error) {
		// A nil out ignores the result.
		return true, ctx.CallWithGas(poolAddr, "add", gas, addArgs{A: 1}, nil)
	})
	contract.Method("xcall.badargs", func(ctx *contract.Context, _ struct{}) (string, error) {
		err := ctx.Call(poolAddr, "add", make(chan int), nil)
		var ce *contract.CallError
		if errors.As(err, &ce) {
			return "", errors.New("a local encoding failure reported as a CallError")
		}
		return err.Error(), nil
	})
	contract.Method("xcall.typed", func(ctx *contract.Context, to contract.Address) (int, error) {
		var sum int
		// Typed arguments, encoded by the SDK; an unhandled failure fails
		// this call too.
		if err := ctx.Call(to, "add", addArgs{A: 2, B: 3}, &sum); err != nil {
			return 0, err
		}
		return sum, nil
	})
}

func addHandler(t *testing.T, self contract.Address) contracttest.CallHandler {
	return func(req contracttest.CallRequest) ([]byte, error) {
		if req.From != self {
			t.Errorf("callee's caller %s, want the calling contract %s", req.From.Hex(), self.Hex())
		}
		switch req.Method {
		case "add":
			var a addArgs
			if err := json.Unmarshal(req.Args, &a); err != nil {
				return nil, &contract.CallError{Code: "bad_args", Message: err.Error()}
			}
			return json.Marshal(a.A + a.B)
		case "big":
			return json.Marshal(strings.Repeat("b", 5000))
		case "fail":
			return nil, &contract.CallError{Code: "aborted", Message: "pool closed"}
		case "plainerr":
			return nil, errors.New("something broke")
		case "huge":
			return make([]byte, contracttest.MaxReturnSize+1), nil
		}
		return nil, &contract.CallError{Code: "unknown_method", Message: "unknown method " + req.Method}
	}
}

func TestCall(t *testing.T) {
	cases := []struct {
		name  string
		args  xcallArgs
		want  xcallResult
		setup func(h *contracttest.Host)
	}{
		{name: "success", args: xcallArgs{To: poolAddr, Method: "add", Args: json.RawMessage(`{"a":1,"b":2}`)}, want: xcallResult{Sum: 3}},
		{name: "raw result larger than the scratch buffer", args: xcallArgs{To: poolAddr, Method: "big", Raw: true}, want: xcallResult{Raw: `"` + strings.Repeat("b", 5000) + `"`}},
		{name: "callee failure", args: xcallArgs{To: poolAddr, Method: "fail"}, want: xcallResult{Code: "aborted", Message: "pool closed"}},
		{name: "callee plain error", args: xcallArgs{To: poolAddr, Method: "plainerr"}, want: xcallResult{Code: "error", Message: "something broke"}},
		{name: "callee bad args", args: xcallArgs{To: poolAddr, Method: "add", Args: json.RawMessage(`"x"`)}, want: xcallResult{Code: "bad_args", Message: "json: cannot unmarshal string into Go value of type contract_test.addArgs"}},
		{name: "callee return too large", args: xcallArgs{To: poolAddr, Method: "huge"}, want: xcallResult{Code: "return_too_large", Message: "return data of 65537 bytes exceeds 65536"}},
		{name: "result that does not decode", args: xcallArgs{To: poolAddr, Method: "big"}, want: xcallResult{Err: "contract: call big: decode result: json: cannot unmarshal string into Go value of type int"}},
		{name: "unknown contract", args: xcallArgs{To: otherAddr, Method: "add"}, want: xcallResult{Code: "unknown_contract", Message: "no contract at " + otherAddr.Hex()}},
		{name: "reentrancy", args: xcallArgs{To: contracttest.DefaultContract, Method: "add"}, want: xcallResult{Code: "reentrancy", Message: "contract " + contracttest.DefaultContract.Hex() + " is already on the call stack"}},
		{name: "method name too long", args: xcallArgs{To: poolAddr, Method: strings.Repeat("m", 257)}, want: xcallResult{Code: "bad_call", Message: "method name of 257 bytes exceeds 256"}},
		{name: "arguments too large", args: xcallArgs{To: poolAddr, Method: "add", Args: json.RawMessage(`"` + strings.Repeat("a", 256<<10) + `"`)}, want: xcallResult{Code: "bad_call", Message: "call arguments of 262146 bytes exceed 262144"}},
		{name: "depth limit", setup: func(h *contracttest.Host) { h.SetDepth(contracttest.MaxCallDepth - 1) }, args: xcallArgs{To: poolAddr, Method: "add", Args: json.RawMessage(`{}`)}, want: xcallResult{Code: "call_depth", Message: "contract call depth exceeds 8"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := contracttest.New()
			h.OnCall(poolAddr, addHandler(t, contracttest.DefaultContract))
			if c.setup != nil {
				c.setup(h)
			}
			res := h.Call("xcall", c.args)
			var got xcallResult
			if err := res.Decode(&got); err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
			// The caller's own write stays, whatever the callee did.
			if v, _ := h.Get("mine"); string(v) != "1" {
				t.Errorf("caller's write lost: %q", v)
			}
			calls := h.Calls()
			if len(calls) != 1 || calls[0].Method != c.args.Method || calls[0].From != contracttest.DefaultContract {
				t.Fatalf("calls %+v", calls)
			}
			wantCode := c.want.Code
			if wantCode == "" {
				wantCode = "ok"
			}
			if calls[0].Code != wantCode {
				t.Errorf("recorded code %q, want %q", calls[0].Code, wantCode)
			}
		})
	}
}

func TestCallTypedAndUnhandled(t *testing.T) {
	h := contracttest.New()
	h.OnCall(poolAddr, addHandler(t, contracttest.DefaultContract))
	var sum int
	if err := h.Call("xcall.typed", poolAddr).Decode(&sum); err != nil || sum != 5 {
		t.Fatalf("sum %d, %v; want 5", sum, err)
	}
	if got := string(h.Calls()[0].Args); got != `{"a":2,"b":3}` {
		t.Errorf("args %s", got)
	}
	// An unhandled callee failure fails the caller with the CallError's
	// text as its message.
	res := h.Call("xcall.typed", otherAddr)
	if res.Code != "error" || res.Message != "contract: call failed: unknown_contract: no contract at "+otherAddr.Hex() {
		t.Fatalf("%s %q", res.Code, res.Message)
	}
}

// TestCallQueryIsReadOnly checks that a query's calls are read-only: the
// handler is told, and a mounted Host callee cannot write.
func TestCallQueryIsReadOnly(t *testing.T) {
	h := contracttest.New()
	callee := contracttest.New()
	callee.SetContract(poolAddr)
	h.OnCall(poolAddr, callee.Callee())
	// The callee is this test binary's contract too: its xcall writes,
	// which fails it, and the caller sees that failure.
	inner, _ := json.Marshal(xcallArgs{To: otherAddr, Method: "add"})
	var got xcallResult
	if err := h.Query("xcall", xcallArgs{To: poolAddr, Method: "xcall", Args: inner, NoWrite: true}).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Code != "read_only" || got.Message != "write in a read-only call" {
		t.Fatalf("got %+v, want the callee's read_only", got)
	}
	if len(callee.Keys()) != 0 {
		t.Errorf("callee state %v after a query", callee.Keys())
	}
	calls := 0
	h.OnCall(otherAddr, func(req contracttest.CallRequest) ([]byte, error) {
		calls++
		if !req.ReadOnly || req.Depth != 1 {
			t.Errorf("request %+v, want read-only at depth 1", req)
		}
		return []byte("7"), nil
	})
	var sum int
	if err := h.Query("xcall.typed", otherAddr).Decode(&sum); err != nil || sum != 7 || calls != 1 {
		t.Fatalf("sum %d, %v, %d calls", sum, err, calls)
	}
}

// TestCallChainOfHosts mounts hosts on each other: the callee sees the
// calling contract as its caller and its depth, commits its writes, and a
// call back to a contract on the stack is refused.
func TestCallChainOfHosts(t *testing.T) {
	a, b := contracttest.New(), contracttest.New()
	b.SetContract(poolAddr)
	a.OnCall(poolAddr, b.Callee())
	b.OnCall(contracttest.DefaultContract, a.Callee())
	b.OnCall(otherAddr, addHandler(t, poolAddr))

	// a calls b, whose xcall calls otherAddr.
	inner, _ := json.Marshal(xcallArgs{To: otherAddr, Method: "add", Args: json.RawMessage(`{"a":4,"b":5}`)})
	var got xcallResult
	if err := a.Call("xcall", xcallArgs{To: poolAddr, Method: "xcall", Args: inner, Raw: true}).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Raw != `{"sum":9}` || got.Code != "" {
		t.Fatalf("got %+v", got)
	}
	if v, _ := b.Get("mine"); string(v) != "1" {
		t.Errorf("callee's write not committed: %q", v)
	}
	if c := b.Calls(); len(c) != 1 || c[0].Depth != 2 || c[0].From != poolAddr {
		t.Errorf("callee's calls %+v, want one at depth 2 from the pool", c)
	}

	// a calls b, which calls a back.
	inner, _ = json.Marshal(xcallArgs{To: contracttest.DefaultContract, Method: "add"})
	if err := a.Call("xcall", xcallArgs{To: poolAddr, Method: "xcall", Args: inner, Raw: true}).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := `{"sum":0,"code":"reentrancy","message":"contract ` + contracttest.DefaultContract.Hex() + ` is already on the call stack"}`
	if got.Raw != want {
		t.Fatalf("got %s\nwant %s", got.Raw, want)
	}
}

func TestCallWithGasAndLocalErrors(t *testing.T) {
	h := contracttest.New()
	h.OnCall(poolAddr, addHandler(t, contracttest.DefaultContract))
	if res := h.Call("xcall.gas", 1234); !res.OK {
		t.Fatalf("%s %s", res.Code, res.Message)
	}
	if c := h.Calls(); len(c) != 1 || c[0].Gas != 1234 || string(c[0].Return) != "1" {
		t.Fatalf("calls %+v", c)
	}
	var msg string
	if err := h.Call("xcall.badargs", nil).Decode(&msg); err != nil {
		t.Fatal(err)
	}
	if want := "contract: call add: encode args: json: unsupported type: chan int"; msg != want {
		t.Errorf("error %q, want %q", msg, want)
	}
	if len(h.Calls()) != 1 {
		t.Errorf("args that do not encode reached the host")
	}
}
