package contracttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/sdk/contract/contracttest/probe"
)

// The suite writes the conformance contract's run scripts.
type (
	op     = probe.Op
	script = probe.Script
)

func set(k, v string) op     { return op{Op: "set", Key: k, Value: v} }
func del(k string) op        { return op{Op: "delete", Key: k} }
func get(k string) op        { return op{Op: "get", Key: k} }
func has(k string) op        { return op{Op: "has", Key: k} }
func emit(n, data string) op { return op{Op: "emit", Name: n, Data: json.RawMessage(data)} }
func scan(prefix, start string, limit int) op {
	return op{Op: "scan", Prefix: prefix, Start: start, Limit: limit}
}

// Callers the suite signs with.
var (
	alice = [20]byte{0xa1, 0x1c, 0xe0}
	bob   = [20]byte{0xb0, 0xb0}
)

// conformance is one invoker under test plus assertion helpers.
type conformance struct {
	t   *testing.T
	inv Invoker
}

func (c conformance) call(method string, args any) Outcome {
	c.t.Helper()
	raw, ok := args.([]byte)
	if !ok && args != nil {
		var err error
		if raw, err = json.Marshal(args); err != nil {
			c.t.Fatalf("encode args: %v", err)
		}
	}
	return c.inv.Call(alice, method, raw)
}

func (c conformance) run(s script) Outcome {
	c.t.Helper()
	return c.call("run", s)
}

// ok runs s, requires success, and returns the outcome.
func (c conformance) ok(s script, wantReturn string) Outcome {
	c.t.Helper()
	o := c.run(s)
	if o.Code != CodeOK {
		c.t.Fatalf("run: code %q (%s), want ok", o.Code, o.Message)
	}
	if wantReturn != "" && string(o.Return) != wantReturn {
		c.t.Fatalf("run: return\n got %s\nwant %s", o.Return, wantReturn)
	}
	return o
}

// fails runs s and requires the given failure code, and that the failure
// left nothing behind.
func (c conformance) fails(s script, code string) Outcome {
	c.t.Helper()
	o := c.run(s)
	c.failed(o, code)
	return o
}

func (c conformance) failed(o Outcome, code string) {
	c.t.Helper()
	if o.Code != code {
		c.t.Fatalf("code %q (%s), want %q", o.Code, o.Message, code)
	}
	if len(o.Writes) != 0 || len(o.Events) != 0 {
		c.t.Fatalf("failed call reported writes %v / events %v", o.Writes, o.Events)
	}
}

func (c conformance) writes(o Outcome, want ...Write) {
	c.t.Helper()
	if len(o.Writes) != len(want) {
		c.t.Fatalf("writes: got %s, want %s", fmtWrites(o.Writes), fmtWrites(want))
	}
	for i := range want {
		g, w := o.Writes[i], want[i]
		if !bytes.Equal(g.Key, w.Key) || !bytes.Equal(g.Value, w.Value) || g.Delete != w.Delete {
			c.t.Fatalf("writes: got %s, want %s", fmtWrites(o.Writes), fmtWrites(want))
		}
	}
}

func fmtWrites(ws []Write) string {
	var b strings.Builder
	for _, w := range ws {
		if w.Delete {
			fmt.Fprintf(&b, "[del %q]", w.Key)
		} else {
			fmt.Fprintf(&b, "[%q=%q]", w.Key, w.Value)
		}
	}
	return b.String()
}

func put(k, v string) Write { return Write{Key: []byte(k), Value: []byte(v)} }
func gone(k string) Write   { return Write{Key: []byte(k), Delete: true} }

// state checks committed values with a fresh call.
func (c conformance) state(want map[string]*string) {
	c.t.Helper()
	var ops []op
	var exp []any
	for _, k := range sortedKeys(want) {
		ops = append(ops, get(k))
		if v := want[k]; v == nil {
			exp = append(exp, map[string]any{"found": false, "value": ""})
		} else {
			exp = append(exp, map[string]any{"found": true, "value": *v})
		}
	}
	wantJSON, _ := json.Marshal(exp)
	c.ok(script{Ops: ops}, string(wantJSON))
}

func str(s string) *string { return &s }

// RunConformance checks that the host behind newInvoker gives
// contracts/conformance exactly the semantics of docs/abi.md that the mock
// host gives it. Each subtest calls newInvoker once for a fresh, empty
// contract state.
func RunConformance(t *testing.T, newInvoker func(t *testing.T) Invoker) {
	for _, tc := range slices.Concat(conformanceCases, identityCases, callCases) {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(conformance{t: t, inv: newInvoker(t)})
		})
	}
}

type conformanceCase struct {
	name string
	fn   func(c conformance)
}
