package runtime

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/meshledger/meshledger/status"
)

// Addresses of the call tests' dispatcher: the caller and its callees are
// all the raw guest, deployed at several addresses.
var (
	addrA = Address{0x0a}
	addrB = Address{0x0b}
	addrC = Address{0x0c}
)

// dispatcher is a ContractCaller over modules the test loaded, as the
// ledger's is over deployed contracts: the callee runs with the calling
// contract as its caller, the request's gas, depth and read-only flag, and
// the same dispatcher for its own calls. Writes are not applied: the tests
// look at the results.
type dispatcher struct {
	mods map[Address]*Module
	// before, if set, runs before each callee and may replace its outcome.
	before func(ctx context.Context, req CallRequest) (*Result, error)

	mu       sync.Mutex
	requests []CallRequest
	results  []*Result
}

func newDispatcher(m *Module, addrs ...Address) *dispatcher {
	d := &dispatcher{mods: map[Address]*Module{}}
	for _, a := range addrs {
		d.mods[a] = m
	}
	return d
}

func (d *dispatcher) CallContract(ctx context.Context, req CallRequest) (*Result, error) {
	d.mu.Lock()
	d.requests = append(d.requests, req)
	d.mu.Unlock()
	if d.before != nil {
		if res, err := d.before(ctx, req); res != nil || err != nil {
			return res, err
		}
	}
	m, ok := d.mods[req.To]
	if !ok {
		return &Result{Code: status.UnknownContract, Message: fmt.Sprintf("no contract at 0x%x", req.To)}, nil
	}
	env := Env{
		Caller: req.From, Contract: req.To, TxHash: Hash{7}, Height: 42, TimeMs: 1_700_000_000_000,
		GasLimit: req.GasLimit, ReadOnly: req.ReadOnly, Depth: req.Depth, Calls: d,
	}
	res, err := m.Call(ctx, env, req.Method, req.Args, newMemState())
	if err == nil {
		d.mu.Lock()
		d.results = append(d.results, res)
		d.mu.Unlock()
	}
	return res, err
}

// callerFunc is a ContractCaller answering every call itself.
type callerFunc func(ctx context.Context, req CallRequest) (*Result, error)

func (f callerFunc) CallContract(ctx context.Context, req CallRequest) (*Result, error) {
	return f(ctx, req)
}

// xcallArgs are the raw guest's xcall arguments.
func xcallArgs(to Address, method string, gas int64, outCap int, args string) string {
	s := fmt.Sprintf("%s %s %d %d", hex.EncodeToString(to[:]), method, gas, outCap)
	if args != "" {
		s += " " + args
	}
	return s
}

// callEnv is testEnv for contract A with d for its calls.
func callEnv(d *dispatcher) Env {
	env := testEnv()
	env.Contract = addrA
	if d != nil {
		env.Calls = d
	}
	return env
}

// callOutcome is what one xcall test observed.
type callOutcome struct {
	Code    Code
	Return  string
	GasUsed uint64
	Writes  int
}

func TestCrossContractCall(t *testing.T) {
	long := strings.Repeat("x", 200)
	cases := []struct {
		name   string
		env    func(d *dispatcher) Env
		args   string
		want   string // the caller's return: "<code>|<callee return or message>"
		callee Code   // the callee's own code, "" when it did not run
		method string // the caller's method: xcall unless set
		check  func(t *testing.T, d *dispatcher, res *Result)
	}{
		{name: "success", args: xcallArgs(addrB, "echo", 0, 64, "hello"), want: "ok|hello", callee: CodeOK},
		{name: "outcome larger than the buffer", args: xcallArgs(addrB, "echo", 0, 4, long), want: "ok|" + long, callee: CodeOK},
		{name: "no buffer", args: xcallArgs(addrB, "echo", 0, -1, "hi"), want: "ok|hi", callee: CodeOK},
		{name: "callee sees the calling contract", args: xcallArgs(addrB, "caller", 0, 64, ""), want: "ok|" + string(addrA[:]), callee: CodeOK},
		{name: "callee failure handled", args: xcallArgs(addrB, "abort", 0, 64, "not today"), want: "aborted|not today", callee: CodeAborted},
		{name: "callee status error", args: xcallArgs(addrB, "status", 0, 64, "1"), want: "error|status message", callee: CodeError},
		{name: "callee unknown method", args: xcallArgs(addrB, "nope", 0, 64, ""), want: "unknown_method|unknown method nope", callee: CodeUnknownMethod},
		{name: "unknown contract", args: xcallArgs(Address{0xee}, "echo", 0, 64, ""), want: "unknown_contract|no contract at 0xee00000000000000000000000000000000000000"},
		{
			name: "callee out of its gas", args: xcallArgs(addrB, "loop", 1_000_000, 64, ""), want: "out_of_gas|out of gas", callee: CodeOutOfGas,
			check: func(t *testing.T, d *dispatcher, res *Result) {
				if got := d.results[0].GasUsed; got != 1_000_000 {
					t.Errorf("callee used %d gas, want its whole limit 1000000", got)
				}
			},
		},
		{
			name: "callee takes all it may", args: xcallArgs(addrB, "loop", 0, 64, ""), want: "out_of_gas|out of gas", callee: CodeOutOfGas,
			check: func(t *testing.T, d *dispatcher, res *Result) {
				if left := 50_000_000 - res.GasUsed; left > CallGasReserve {
					t.Errorf("caller finished with %d gas left, more than the reserve %d", left, CallGasReserve)
				}
			},
		},
		{
			name: "read-only is inherited", env: func(d *dispatcher) Env { e := callEnv(d); e.ReadOnly = true; return e },
			method: "xcall_nowrite", args: xcallArgs(addrB, "set", 0, 64, "k=v"), want: "read_only|state write in a read-only call", callee: CodeReadOnly,
		},
		{
			name: "depth limit", env: func(d *dispatcher) Env { e := callEnv(d); e.Depth = MaxCallDepth - 1; return e },
			args: xcallArgs(addrB, "echo", 0, 64, "x"), want: "call_depth|contract call depth exceeds 8",
		},
		{name: "no caller", env: func(*dispatcher) Env { return callEnv(nil) }, args: xcallArgs(addrB, "echo", 0, 64, "x"), want: "call_unavailable|cross-contract calls are unavailable here"},
		{name: "method name too long", args: xcallArgs(addrB, strings.Repeat("m", MaxCallMethodBytes+1), 0, 64, ""), want: "bad_call|method name of 257 bytes exceeds 256"},
		{name: "arguments too large", args: xcallArgs(addrB, "echo", 0, 64, strings.Repeat("a", 256<<10+1)), want: "bad_call|call arguments of 262145 bytes exceed 262144"},
	}
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		m := rawModule(t, e)
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%s", engineName(e), c.name), func(t *testing.T) {
				d := newDispatcher(m, addrA, addrB, addrC)
				env := callEnv(d)
				if c.env != nil {
					env = c.env(d)
				}
				method := "xcall"
				if c.method != "" {
					method = c.method
				}
				res := mustCall(t, m, env, method, c.args, newMemState())
				if res.Code != CodeOK || string(res.Return) != c.want {
					t.Fatalf("caller %s %q (%s), want ok %q", res.Code, res.Return, res.Message, c.want)
				}
				// The caller's own write stays whatever the callee did.
				if method == "xcall" && (len(res.Writes) != 1 || string(res.Writes[0].Key) != "mine") {
					t.Errorf("caller writes %v, want its own write of mine", res.Writes)
				}
				if c.callee == "" && len(d.results) != 0 {
					t.Errorf("callee ran: %+v", d.results)
				}
				if c.callee != "" && (len(d.results) != 1 || d.results[0].Code != c.callee) {
					t.Errorf("callee results %+v, want one %s", d.results, c.callee)
				}
				if c.check != nil {
					c.check(t, d, res)
				}
			})
		}
	}
}

// TestCrossContractCallRequest checks what the ContractCaller is asked:
// the calling contract as From, the callee's depth, the requested gas, and
// the caller's gas minus the reserve when none is requested.
func TestCrossContractCallRequest(t *testing.T) {
	m := rawModule(t, EngineCompiler)
	d := newDispatcher(m, addrB)
	env := callEnv(d)
	env.Depth = 3
	mustCall(t, m, env, "xcall", xcallArgs(addrB, "echo", 12345, 64, "a b"), newMemState())
	mustCall(t, m, env, "xcall", xcallArgs(addrB, "echo", 0, 64, ""), newMemState())
	mustCall(t, m, env, "xcall", xcallArgs(addrB, "echo", 1<<62, 64, ""), newMemState())
	if len(d.requests) != 3 {
		t.Fatalf("%d requests, want 3", len(d.requests))
	}
	r := d.requests[0]
	if r.From != addrA || r.To != addrB || r.Method != "echo" || string(r.Args) != "a b" || r.GasLimit != 12345 || r.Depth != 4 || r.ReadOnly {
		t.Errorf("request %+v", r)
	}
	for _, r := range d.requests[1:] {
		// All the caller may give: its limit less what it used before the
		// call, less the reserve.
		if r.GasLimit >= env.GasLimit-CallGasReserve || r.GasLimit < env.GasLimit-CallGasReserve-400_000 {
			t.Errorf("unrequested or excessive gas: limit %d of %d", r.GasLimit, env.GasLimit)
		}
	}
}

// TestCrossContractCallGasExact checks that the callee's GasUsed is charged
// to the caller exactly: two calls whose callee reports different usage
// differ in the caller's gas by that difference and nothing else.
func TestCrossContractCallGasExact(t *testing.T) {
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		m := rawModule(t, e)
		used := func(calleeGas uint64) uint64 {
			d := newDispatcher(m)
			d.before = func(context.Context, CallRequest) (*Result, error) {
				return &Result{Code: CodeOK, Return: []byte("r"), GasUsed: calleeGas}, nil
			}
			res := mustCall(t, m, callEnv(d), "xcall", xcallArgs(addrB, "echo", 0, 64, ""), newMemState())
			if !res.OK() || string(res.Return) != "ok|r" {
				t.Fatalf("%s: %s %q %s", engineName(e), res.Code, res.Return, res.Message)
			}
			return res.GasUsed
		}
		if g0, g1 := used(0), used(777_777); g1-g0 != 777_777 {
			t.Errorf("%s: caller gas %d and %d differ by %d, want 777777", engineName(e), g0, g1, g1-g0)
		}
	}
}

// TestCrossContractCallEnginesAgree runs a chain of nested calls down to
// the depth limit, and a failing callee, on both engines: every result and
// every callee's gas must be identical.
func TestCrossContractCallEnginesAgree(t *testing.T) {
	// A calls B calls A ... as deep as the limit allows; the dispatcher
	// does not refuse reentrancy (the ledger does), so the chain reaches
	// the runtime's depth limit.
	args := xcallArgs(addrB, "echo", 0, 64, "bottom")
	for i := 0; i < MaxCallDepth; i++ {
		to := addrA
		if i%2 == 0 {
			to = addrB
		}
		args = xcallArgs(to, "xcall", 0, 16, args)
	}
	runs := map[Engine][]callOutcome{}
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		m := rawModule(t, e)
		for _, a := range []string{args, xcallArgs(addrB, "loop", 2_000_000, 64, ""), xcallArgs(addrB, "panic", 0, 64, "")} {
			d := newDispatcher(m, addrA, addrB)
			res := mustCall(t, m, callEnv(d), "xcall", a, newMemState())
			runs[e] = append(runs[e], callOutcome{res.Code, string(res.Return), res.GasUsed, len(res.Writes)})
			for _, r := range d.results {
				runs[e] = append(runs[e], callOutcome{r.Code, string(r.Return) + r.Message, r.GasUsed, len(r.Writes)})
			}
		}
	}
	c, i := runs[EngineCompiler], runs[EngineInterpreter]
	if fmt.Sprint(c) != fmt.Sprint(i) {
		t.Fatalf("engines differ:\ncompiler    %v\ninterpreter %v", c, i)
	}
	// The deepest call is refused: seven nested callers each report ok
	// around the refusal, the outermost one included.
	want := strings.Repeat("ok|", MaxCallDepth-1) + "call_depth|contract call depth exceeds 8"
	if c[0].Return != want {
		t.Errorf("nested return %q, want %q", c[0].Return, want)
	}
}

// TestCrossContractCallHostFailure checks that a host error of the callee
// (a cancelled context, a failing ContractCaller) aborts the whole call as
// a host failure rather than becoming an outcome, and that a ContractCaller
// breaking its contract is one too.
func TestCrossContractCallHostFailure(t *testing.T) {
	m := rawModule(t, EngineCompiler)
	errStore := errors.New("store unreadable")
	cases := []struct {
		name   string
		before callerFunc
		want   error
		msg    string
	}{
		{name: "caller error", before: func(context.Context, CallRequest) (*Result, error) { return nil, errStore }, want: errStore},
		{name: "no result", before: func(context.Context, CallRequest) (*Result, error) { return nil, nil }, msg: "returned no result"},
		{name: "no code", before: func(context.Context, CallRequest) (*Result, error) { return &Result{}, nil }, msg: "result without a code"},
		{name: "gas beyond the limit", before: func(_ context.Context, req CallRequest) (*Result, error) {
			return &Result{Code: CodeOK, GasUsed: req.GasLimit + 1}, nil
		}, msg: "gas of a"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := callEnv(nil)
			env.Calls = c.before
			res, err := m.Call(context.Background(), env, "xcall", []byte(xcallArgs(addrB, "echo", 0, 64, "")), newMemState())
			if err == nil {
				t.Fatalf("no host error; result %+v", res)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
			if c.msg != "" && !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %v, want it to say %q", err, c.msg)
			}
		})
	}
	t.Run("context cancelled during the callee", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		d := newDispatcher(m, addrB)
		d.before = func(context.Context, CallRequest) (*Result, error) {
			cancel() // the client goes away just before the callee runs
			return nil, nil
		}
		_, err := m.Call(ctx, callEnv(d), "xcall", []byte(xcallArgs(addrB, "echo", 0, 64, "")), newMemState())
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	})
	t.Run("callee return beyond the limit", func(t *testing.T) {
		d := newDispatcher(m, addrB)
		d.before = func(context.Context, CallRequest) (*Result, error) {
			return &Result{Code: CodeOK, Return: make([]byte, DefaultLimits().MaxReturnBytes+1)}, nil
		}
		res := mustCall(t, m, callEnv(d), "xcall", xcallArgs(addrB, "echo", 0, 64, ""), newMemState())
		if want := "return_too_large|return data of 65537 bytes exceeds 65536"; string(res.Return) != want {
			t.Errorf("return %q, want %q", res.Return, want)
		}
	})
}

// TestCrossContractCallReserve checks that a caller with no more than the
// reserve left gets out_of_gas from the call without the callee running,
// and can still finish.
func TestCrossContractCallReserve(t *testing.T) {
	m := rawModule(t, EngineCompiler)
	d := newDispatcher(m, addrB)
	probe := mustCall(t, m, callEnv(d), "xcall", xcallArgs(addrB, "echo", 0, 64, ""), newMemState())
	if !probe.OK() || len(d.requests) != 1 {
		t.Fatalf("probe: %+v", probe)
	}
	// Gas before the call: the caller's whole use less what the call gave.
	before := probe.GasUsed - d.results[0].GasUsed
	env := callEnv(d)
	env.GasLimit = before + CallGasReserve - 20_000
	res := mustCall(t, m, env, "xcall", xcallArgs(addrB, "echo", 0, 64, ""), newMemState())
	if !res.OK() || !strings.HasPrefix(string(res.Return), "out_of_gas|") {
		t.Fatalf("caller %s %q %s, want ok with out_of_gas from the call", res.Code, res.Return, res.Message)
	}
	if len(d.requests) != 1 {
		t.Errorf("callee asked again: %d requests", len(d.requests))
	}
}

// TestCrossContractCallBadPointers checks that the call import's pointers
// are bounds-checked like every import's: the call traps, the callee never
// runs.
func TestCrossContractCallBadPointers(t *testing.T) {
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		m := rawModule(t, e)
		for _, args := range []string{
			"call 0xFFFFFFF0 buf:4 4 buf:64 64",  // the address
			"call buf:20 0xFFFFFFFE 4 buf:64 64", // the method
			"call buf:20 buf:4 4 0xFFFFFFF0 64",  // the outcome
		} {
			d := newDispatcher(m, Address{})
			res := mustCall(t, m, callEnv(d), "raw", args, newMemState())
			if res.Code != CodeTrap || res.Message != "host: out of bounds memory access" {
				t.Errorf("%s %s: %s %q, want the trap", engineName(e), args, res.Code, res.Message)
			}
			if strings.Contains(args, "0xFFFFFFF0 64") {
				continue // the callee ran before the outcome was copied
			}
			if len(d.requests) != 0 {
				t.Errorf("%s %s: the callee was asked for", engineName(e), args)
			}
		}
	}
}
