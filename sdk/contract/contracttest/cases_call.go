package contracttest

import (
	"encoding/json"
	"strings"

	"github.com/meshledger/meshledger/sdk/contract/contracttest/probe"
)

// CallInvoker is an Invoker whose contract can call other contracts.
// AddCallee deploys another instance of the conformance contract at addr,
// with its own empty state and the same block context. Calls to it must
// behave as on a node (docs/abi.md, "Cross-contract calls"): the calling
// contract is the callee's caller; a callee's writes are visible to later
// calls in the same transaction, undone if the callee fails, and all
// undone if the transaction's own call fails; a query's callees cannot
// write; a call to a contract already on the call stack fails with
// reentrancy and one to an address without a contract with
// unknown_contract. Optional: the suite's call cases are skipped for an
// Invoker without it.
type CallInvoker interface {
	Invoker
	AddCallee(addr [20]byte)
}

// Callees the call cases deploy.
var (
	dave = [20]byte{0xda, 0x7e}
	erin = [20]byte{0xe7, 0x10}
)

// callees returns the invoker with dave and erin deployed, skipping the
// case for an invoker that cannot call.
func (c conformance) callees() CallInvoker {
	c.t.Helper()
	ci, ok := c.inv.(CallInvoker)
	if !ok {
		c.t.Skip("the invoker has no cross-contract calls")
	}
	ci.AddCallee(dave)
	ci.AddCallee(erin)
	return ci
}

// callOp calls method of to with args (a script for run).
func callOp(to [20]byte, method string, args any) op {
	raw, _ := json.Marshal(args)
	return op{Op: "call", Address: hexAddr(to), Method: method, Data: raw}
}

// callResult encodes a call op's expected result.
func callResult(code, message, ret string) string {
	b, _ := json.Marshal(probe.CallResult{Code: code, Message: message, Return: json.RawMessage(ret)})
	return string(b)
}

// self asks the contract under test for its own address.
func (c conformance) self() string {
	c.t.Helper()
	o := c.inv.Call(alice, "env", []byte(`{}`))
	var env struct {
		Self string `json:"self"`
	}
	if o.Code != CodeOK || json.Unmarshal(o.Return, &env) != nil {
		c.t.Fatalf("env: %s %s %s", o.Code, o.Message, o.Return)
	}
	return env.Self
}

// callResults runs s, requires success, and returns the call ops' results.
func (c conformance) callResults(s script) []probe.CallResult {
	c.t.Helper()
	o := c.ok(s, "")
	var rs []json.RawMessage
	if err := json.Unmarshal(o.Return, &rs); err != nil {
		c.t.Fatalf("run return %s: %v", o.Return, err)
	}
	var out []probe.CallResult
	for i, r := range rs {
		if s.Ops[i].Op != "call" {
			continue
		}
		var cr probe.CallResult
		if err := json.Unmarshal(r, &cr); err != nil {
			c.t.Fatalf("call result %s: %v", r, err)
		}
		out = append(out, cr)
	}
	return out
}

var callCases = []conformanceCase{
	{"CallCalleeSeesTheCallingContract", func(c conformance) {
		c.callees()
		self := c.self()
		r := c.callResults(script{Ops: []op{callOp(dave, "env", struct{}{})}})
		var env struct {
			Caller string `json:"caller"`
			Self   string `json:"self"`
		}
		if r[0].Code != CodeOK || json.Unmarshal(r[0].Return, &env) != nil {
			c.t.Fatalf("call env: %+v", r[0])
		}
		if env.Caller != self || env.Self != hexAddr(dave) {
			c.t.Fatalf("callee saw caller %s and self %s, want %s and %s", env.Caller, env.Self, self, hexAddr(dave))
		}
	}},
	{"CallWritesCommitWithTheTransaction", func(c conformance) {
		c.callees()
		o := c.ok(script{Ops: []op{
			callOp(dave, "run", script{Ops: []op{set("a", "1")}}),
			// A later call in the same transaction sees the write.
			callOp(dave, "run", script{Ops: []op{get("a")}}),
		}}, list(callResult(CodeOK, "", "[null]"), callResult(CodeOK, "", list(found("1")))))
		// The caller's own writes are its own: the callee's are not among them.
		c.writes(o)
		c.ok(script{Ops: []op{callOp(dave, "run", script{Ops: []op{get("a")}})}}, list(callResult(CodeOK, "", list(found("1")))))
	}},
	{"CallFailureHandledByTheCaller", func(c conformance) {
		c.callees()
		o := c.ok(script{Ops: []op{
			set("mine", "1"),
			callOp(dave, "run", script{Ops: []op{set("b", "2")}, Then: "error", Message: "no"}),
			callOp(dave, "run", script{Ops: []op{get("b")}}),
		}}, list("null", callResult(CodeError, "no", ""), callResult(CodeOK, "", list(absent))))
		c.writes(o, put("mine", "1"))
	}},
	{"CallUndoneWhenTheCallerFails", func(c conformance) {
		c.callees()
		c.fails(script{Ops: []op{callOp(dave, "run", script{Ops: []op{set("c", "3")}})}, Then: "abort", Message: "changed my mind"}, CodeAborted)
		c.ok(script{Ops: []op{callOp(dave, "run", script{Ops: []op{get("c")}})}}, list(callResult(CodeOK, "", list(absent))))
	}},
	{"CallNestedFailureUndoesItsCallees", func(c conformance) {
		c.callees()
		// dave calls erin, which writes, then dave fails: erin's write
		// goes with dave's failure.
		r := c.callResults(script{Ops: []op{callOp(dave, "run", script{
			Ops:  []op{callOp(erin, "run", script{Ops: []op{set("x", "1")}})},
			Then: "error", Message: "dave failed",
		})}})
		if r[0].Code != CodeError || r[0].Message != "dave failed" {
			c.t.Fatalf("call: %+v", r[0])
		}
		c.ok(script{Ops: []op{callOp(erin, "run", script{Ops: []op{get("x")}})}}, list(callResult(CodeOK, "", list(absent))))
	}},
	{"CallLargeResult", func(c conformance) {
		c.callees()
		// Larger than the SDK's scratch buffer: read with call_result.
		r := c.callResults(script{Ops: []op{callOp(dave, "run", script{ReturnSize: 5000})}})
		if r[0].Code != CodeOK || string(r[0].Return) != `"`+strings.Repeat("r", 4998)+`"` {
			c.t.Fatalf("call: %s, %d bytes", r[0].Code, len(r[0].Return))
		}
	}},
	{"CallRefusals", func(c conformance) {
		c.callees()
		self := c.self()
		selfAddr, _ := parseHexAddr(self)
		r := c.callResults(script{Ops: []op{
			callOp(selfAddr, "env", struct{}{}),
			// dave calling back the contract under test.
			callOp(dave, "run", script{Ops: []op{callOp(selfAddr, "env", struct{}{})}}),
			callOp([20]byte{0xfe}, "env", struct{}{}),
			callOp(dave, strings.Repeat("m", MaxCallMethodBytes+1), nil),
		}})
		want := []string{CodeReentrancy, CodeOK, CodeUnknownContract, CodeBadCall}
		for i, w := range want {
			if r[i].Code != w {
				c.t.Errorf("call %d: %+v, want %s", i, r[i], w)
			}
		}
		var inner []probe.CallResult
		if err := json.Unmarshal(r[1].Return, &inner); err != nil || len(inner) != 1 || inner[0].Code != CodeReentrancy {
			c.t.Errorf("dave calling back: %s", r[1].Return)
		}
	}},
	{"CallInAQueryIsReadOnly", func(c conformance) {
		ci := c.callees()
		q, ok := ci.(QueryInvoker)
		if !ok {
			c.t.Skip("the invoker has no queries")
		}
		raw, _ := json.Marshal(script{Ops: []op{callOp(dave, "run", script{Ops: []op{set("d", "4")}})}})
		o := q.Query(alice, "run", raw)
		var rs []probe.CallResult
		if o.Code != CodeOK || json.Unmarshal(o.Return, &rs) != nil || len(rs) != 1 || rs[0].Code != CodeReadOnly {
			c.t.Fatalf("query: %s %s %s, want ok with the callee's read_only", o.Code, o.Message, o.Return)
		}
		c.ok(script{Ops: []op{callOp(dave, "run", script{Ops: []op{get("d")}})}}, list(callResult(CodeOK, "", list(absent))))
	}},
}

func parseHexAddr(s string) ([20]byte, bool) {
	var a [20]byte
	s = strings.TrimPrefix(s, "0x")
	if len(s) != 40 {
		return a, false
	}
	for i := range a {
		var v byte
		for _, ch := range s[2*i : 2*i+2] {
			v <<= 4
			switch {
			case ch >= '0' && ch <= '9':
				v |= byte(ch - '0')
			case ch >= 'a' && ch <= 'f':
				v |= byte(ch-'a') + 10
			default:
				return a, false
			}
		}
		a[i] = v
	}
	return a, true
}
