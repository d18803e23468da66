package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestHostFunctions(t *testing.T) {
	m := rawModule(t, EngineCompiler)
	seeded := func() *memState {
		s := newMemState()
		s.m["a1"], s.m["a3"], s.m["b1"], s.m["long"] = []byte("x1"), []byte("x3"), []byte("y"), []byte("0123456789")
		return s
	}
	env := testEnv()
	tests := []struct {
		name       string
		env        func(Env) Env
		method     string
		args       string
		wantCode   Code
		wantReturn string
		wantMsg    string
		check      func(t *testing.T, r *Result)
	}{
		{name: "echo", method: "echo", args: "hi", wantCode: CodeOK, wantReturn: "hi"},
		{name: "caller", method: "caller", wantCode: CodeOK, wantReturn: string(env.Caller[:])},
		{name: "height", method: "height", wantCode: CodeOK, wantReturn: "42"},
		{name: "get present, larger than buffer", method: "get", args: "long", wantCode: CodeOK, wantReturn: "0123456789",
			check: func(t *testing.T, r *Result) {
				if len(r.Reads) != 1 || string(r.Reads[0]) != "long" {
					t.Errorf("Reads = %q", r.Reads)
				}
			}},
		{name: "get absent", method: "get", args: "nope", wantCode: CodeOK, wantReturn: "absent"},
		{name: "reads own write", method: "setget", args: "k=v1", wantCode: CodeOK, wantReturn: "v1"},
		{name: "writes sorted, last wins, deletes", method: "set", args: "z=1;a=2;z=3;-b1;e=", wantCode: CodeOK,
			check: func(t *testing.T, r *Result) {
				got := fmt.Sprint(r.Writes)
				want := fmt.Sprint([]Write{{Key: []byte("a"), Value: []byte("2")}, {Key: []byte("b1"), Delete: true}, {Key: []byte("e"), Value: []byte{}}, {Key: []byte("z"), Value: []byte("3")}})
				if got != want {
					t.Errorf("Writes = %s, want %s", got, want)
				}
			}},
		{name: "scan", method: "scan", args: "a||10", wantCode: CodeOK, wantReturn: "a1=x1,a3=x3,"},
		{name: "scan start and limit", method: "scan", args: "a|a2|1", wantCode: CodeOK, wantReturn: "a3=x3,"},
		{name: "read-only write", env: func(e Env) Env { e.ReadOnly = true; return e }, method: "set", args: "k=v", wantCode: CodeReadOnly},
		{name: "read-only read is fine", env: func(e Env) Env { e.ReadOnly = true; return e }, method: "get", args: "a1", wantCode: CodeOK, wantReturn: "x1"},
		{name: "key too long", method: "bigkey", args: "1025", wantCode: CodeBadKey},
		{name: "key at limit", method: "bigkey", args: "1024", wantCode: CodeOK},
		{name: "value too large", method: "bigvalue", args: fmt.Sprint(256<<10 + 1), wantCode: CodeValueTooLarge},
		{name: "events", method: "emit", args: "3", wantCode: CodeOK,
			check: func(t *testing.T, r *Result) {
				if len(r.Events) != 3 || r.Events[2].Name != "ev" || string(r.Events[2].Data) != "2" {
					t.Errorf("Events = %+v", r.Events)
				}
			}},
		{name: "event flood", method: "emit", args: "257", wantCode: CodeEventLimit},
		{name: "event bytes", method: "bigevent", args: fmt.Sprint(64 << 10), wantCode: CodeEventLimit},
		{name: "huge return", method: "bigreturn", args: fmt.Sprint(64<<10 + 1), wantCode: CodeReturnTooLarge},
		{name: "return at limit", method: "bigreturn", args: fmt.Sprint(64 << 10), wantCode: CodeOK},
		{name: "log", method: "print", args: "2", wantCode: CodeOK,
			check: func(t *testing.T, r *Result) {
				if string(r.Log) != "line 0\nline 1\n" {
					t.Errorf("Log = %q", r.Log)
				}
			}},
		{name: "log flood", env: func(e Env) Env { e.GasLimit = 1 << 30; return e }, method: "print", args: "20000", wantCode: CodeLogLimit},
		{name: "abort", method: "abort", args: "no way", wantCode: CodeAborted, wantMsg: "no way"},
		{name: "exit", method: "exit", args: "3", wantCode: CodeExit, wantMsg: "exit code 3"},
		// Go's runtime ends a fatal error in the library build mode with the
		// unreachable instruction, after printing it to the log.
		{name: "uncaught panic", method: "panic", wantCode: CodeTrap, wantMsg: "trap: unreachable",
			check: func(t *testing.T, r *Result) {
				if !strings.Contains(string(r.Log), "panic: boom") {
					t.Errorf("Log = %q", r.Log)
				}
			}},
		{name: "status error", method: "status", args: "1", wantCode: CodeError, wantMsg: "status message"},
		{name: "status unknown", method: "nosuch", wantCode: CodeUnknownMethod, wantMsg: "unknown method nosuch"},
		{name: "status bad args", method: "status", args: "3", wantCode: CodeBadArgs},
		{name: "status panic", method: "status", args: "4", wantCode: CodePanic},
		{name: "status other", method: "status", args: "9", wantCode: CodeBadStatus},
		{name: "virtual clock", method: "time", args: "1500", wantCode: CodeOK, wantReturn: "1700000000000 1500"},
		{name: "json and GC", method: "json", args: "200", wantCode: CodeOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env
			if tt.env != nil {
				e = tt.env(e)
			}
			r := mustCall(t, m, e, tt.method, tt.args, seeded())
			if r.Code != tt.wantCode {
				t.Fatalf("Code = %s (%q), want %s", r.Code, r.Message, tt.wantCode)
			}
			if tt.wantReturn != "" && string(r.Return) != tt.wantReturn {
				t.Errorf("Return = %q, want %q", r.Return, tt.wantReturn)
			}
			if !strings.Contains(r.Message, tt.wantMsg) {
				t.Errorf("Message = %q, want it to contain %q", r.Message, tt.wantMsg)
			}
			if r.Code != CodeOK && (r.Writes != nil || r.Events != nil || r.Return != nil) {
				t.Errorf("failed call kept effects: %+v", r)
			}
			if r.GasUsed == 0 || r.GasUsed > e.GasLimit {
				t.Errorf("GasUsed = %d", r.GasUsed)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
			// The module is unharmed by whatever happened.
			if after := mustCall(t, m, env, "counter", "", newMemState()); !after.OK() || string(after.Return) != "1" {
				t.Fatalf("next call = %s %q", after.Code, after.Return)
			}
		})
	}
}

func TestRandomIsDeterministicPerTx(t *testing.T) {
	m := rawModule(t, EngineCompiler)
	env := testEnv()
	a := mustCall(t, m, env, "rand", "", nil)
	b := mustCall(t, m, env, "rand", "", nil)
	env.TxHash = Hash{8}
	c := mustCall(t, m, env, "rand", "", nil)
	if !a.OK() || string(a.Return) != string(b.Return) {
		t.Fatalf("same tx gave %q and %q", a.Return, b.Return)
	}
	if string(a.Return) == string(c.Return) {
		t.Fatal("different tx hashes gave the same randomness")
	}
}

func TestOutOfGas(t *testing.T) {
	m := rawModule(t, EngineCompiler)
	tests := []struct {
		name   string
		method string
		args   string
		limit  uint64
	}{
		{"infinite loop", "loop", "", 5_000_000},
		{"exhausted in host call", "emit", "100", 10_000},
		{"zero gas", "echo", "x", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv()
			env.GasLimit = tt.limit
			r := mustCall(t, m, env, tt.method, tt.args, nil)
			if r.Code != CodeOutOfGas || r.GasUsed != tt.limit {
				t.Fatalf("got %s gas %d, want out_of_gas with gas == limit %d", r.Code, r.GasUsed, tt.limit)
			}
			if after := mustCall(t, m, testEnv(), "echo", "ok", nil); !after.OK() {
				t.Fatalf("next call = %+v", after)
			}
		})
	}
}

func TestCallDepthAndMemory(t *testing.T) {
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		m := rawModule(t, e)
		env := testEnv()
		env.GasLimit = 500_000_000
		tests := []struct {
			method, args string
			want         Code
			wantMsg      string
		}{
			// Unbounded recursion stops at MaxCallDepth, before Go's own
			// stack check (goroutine stacks may grow to far more frames)
			// and before either engine's native limit.
			{"recurse", "", CodeCallDepth, "1500"},
			// Growing past the memory cap makes memory.grow return -1; Go's
			// allocator then throws "out of memory" (see TestMemoryLimit).
			{"alloc", "40", CodeMemoryLimit, "memory exceeds 512 pages"},
			{"alloc", "2", CodeOK, ""},
		}
		for _, tt := range tests {
			r := mustCall(t, m, env, tt.method, tt.args, nil)
			if r.Code != tt.want || !strings.Contains(r.Message, tt.wantMsg) {
				t.Fatalf("engine %d %s: %s %q, want %s %q", e, tt.method, r.Code, r.Message, tt.want, tt.wantMsg)
			}
			if after := mustCall(t, m, testEnv(), "counter", "", nil); string(after.Return) != "1" {
				t.Fatalf("next call = %+v", after)
			}
		}
	}
}

func TestStateErrorIsHostError(t *testing.T) {
	m := rawModule(t, EngineCompiler)
	boom := errors.New("disk gone")
	_, err := m.Call(context.Background(), testEnv(), "get", []byte("k"), &memState{err: boom})
	if !errors.Is(err, boom) {
		t.Fatalf("Call error = %v, want wrapped store error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Call(ctx, testEnv(), "echo", nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Call with cancelled ctx = %v", err)
	}
}
