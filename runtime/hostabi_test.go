package runtime

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestHostPointersAndCounts passes host functions guest-controlled
// pointers and counts no Go code would: arrays ending past memory, which
// must trap rather than wrap to address 0, and counts past the caps, which
// must fail with EINVAL before any work. Each runs on both engines, and
// the module must serve the next call.
func TestHostPointersAndCounts(t *testing.T) {
	const oob = "host: out of bounds memory access"
	tests := []struct {
		name       string
		args       string
		wantCode   Code
		wantReturn string // the errno or result, on success
		wantMsg    string
	}{
		{"fd_write iovecs past the cap", "fd_write buf:16 1025", CodeOK, "28", ""},
		{"fd_write a huge iovec count", "fd_write buf:16 4194300", CodeOK, "28", ""},
		{"fd_write iovecs at the cap", "fd_write buf:8192 1024", CodeOK, "0", ""},
		// Two iovecs at 0xFFFFFFF8: the second would wrap to address 0.
		{"fd_write iovecs wrap", "fd_write 0xFFFFFFF8 2", CodeTrap, "", oob},
		{"fd_write iovecs past memory", "fd_write 0x10000000 1", CodeTrap, "", oob},
		{"poll_oneoff no subscriptions", "poll_oneoff buf:48 buf:32 0", CodeOK, "28", ""},
		{"poll_oneoff past the cap", "poll_oneoff buf:48 buf:32 1025", CodeOK, "28", ""},
		{"poll_oneoff subscriptions wrap", "poll_oneoff 0xFFFFFFF0 buf:64 2", CodeTrap, "", oob},
		{"poll_oneoff events wrap", "poll_oneoff buf:96 0xFFFFFFF0 2", CodeTrap, "", oob},
		{"poll_oneoff one clock", "poll_oneoff buf:48 buf:32 1", CodeOK, "0", ""},
		{"state_get key past memory", "state_get 0xFFFFFF00 4 buf:8 8", CodeTrap, "", oob},
		{"state_get key wraps", "state_get 0xFFFFFFFF 2 buf:8 8", CodeTrap, "", oob},
		{"state_get value buffer past memory", "state_get buf:1 1 0xFFFFFFFC 8", CodeOK, "-1", ""},
		{"random_get past memory", "random_get 0xFFFFFFF0 32", CodeTrap, "", oob},
	}
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		m := rawModule(t, e)
		for _, tt := range tests {
			t.Run(engineName(e)+"/"+tt.name, func(t *testing.T) {
				r := mustCall(t, m, testEnv(), "raw", tt.args, newMemState())
				if r.Code != tt.wantCode || r.Message != tt.wantMsg {
					t.Fatalf("%s = %s %q, want %s %q", tt.args, r.Code, r.Message, tt.wantCode, tt.wantMsg)
				}
				if tt.wantReturn != "" && string(r.Return) != tt.wantReturn {
					t.Fatalf("%s returned %q, want %q", tt.args, r.Return, tt.wantReturn)
				}
				if after := mustCall(t, m, testEnv(), "counter", "", nil); !after.OK() || string(after.Return) != "1" {
					t.Fatalf("next call = %s %q", after.Code, after.Return)
				}
			})
		}
	}
}

// TestHostCountsArePaidUpFront checks that per-item work is charged per
// item: 1,024 empty iovecs cost 1,024 iovecs' gas, and random_get pays per
// Keccak block started.
func TestHostCountsArePaidUpFront(t *testing.T) {
	m := rawModule(t, EngineCompiler)
	gas := func(args string) uint64 {
		t.Helper()
		r := mustCall(t, m, testEnv(), "raw", args, nil)
		if !r.OK() || string(r.Return) != "0" {
			t.Fatalf("%s = %s %q %q", args, r.Code, r.Message, r.Return)
		}
		return r.GasUsed
	}
	// The counts have the same number of digits and buffers of one size
	// class, so the guest's own work is identical.
	// The figures are docs/abi.md's schedule: 60 gas per iovec.
	if d := gas("fd_write buf:8192 1024") - gas("fd_write buf:8192 1000"); d != 24*60 {
		t.Errorf("24 more empty iovecs cost %d gas, want %d", d, 24*60)
	}
	// 4,064 bytes are 127 blocks, 4,000 bytes 125: 4,000 gas per block
	// and 1 per 4 bytes.
	if d := gas("random_get buf:4064 4064") - gas("random_get buf:4000 4000"); d != 2*4000+(4064-4000)/4 {
		t.Errorf("2 more random blocks cost %d gas, want %d", d, 2*4000+(4064-4000)/4)
	}
	// Out of gas inside the iovec charge: nothing is read, the call ends
	// out_of_gas with gas_used = gas_limit.
	env := testEnv()
	env.GasLimit = gas("fd_write buf:8192 1024") - 1
	if r := mustCall(t, m, env, "raw", "fd_write buf:8192 1024", nil); r.Code != CodeOutOfGas || r.GasUsed != env.GasLimit {
		t.Fatalf("one gas short: %s, gas %d of %d", r.Code, r.GasUsed, env.GasLimit)
	}
}

// TestTrapMessagesAreEngineIndependent runs every kind of Wasm trap on
// both engines: the messages are this package's fixed strings, identical
// on both, since they go into receipts.
func TestTrapMessagesAreEngineIndependent(t *testing.T) {
	tests := []struct {
		name    string
		code    []byte
		method  string
		args    string
		wantMsg string
	}{
		{"divide by zero", rawModuleSpec{call: bodyDivZero}.bytes(), "x", "", "trap: integer divide by zero"},
		{"integer overflow", rawModuleSpec{call: bodyOverflow}.bytes(), "x", "", "trap: integer overflow"},
		{"unreachable", rawModuleSpec{call: bodyUnreachable}.bytes(), "x", "", "trap: unreachable"},
		{"out of bounds load", rawModuleSpec{call: bodyOOBLoad}.bytes(), "x", "", "trap: out of bounds memory access"},
		{"invalid conversion", rawModuleSpec{call: bodyBadConvert}.bytes(), "x", "", "trap: invalid conversion to integer"},
		{"Go: out of bounds load", nil, "trap", "oob", "trap: out of bounds memory access"},
		{"Go: divide by zero panics", nil, "div", "0", "trap: unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var msgs []string
			for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
				var m *Module
				if tt.code == nil {
					m = rawModule(t, e)
				} else {
					m = mustLoad(t, sharedRuntime(t, e), tt.code)
				}
				r := mustCall(t, m, testEnv(), tt.method, tt.args, nil)
				if r.Code != CodeTrap || r.Message != tt.wantMsg {
					t.Fatalf("%s: %s %q, want trap %q", engineName(e), r.Code, r.Message, tt.wantMsg)
				}
				msgs = append(msgs, digest(r))
			}
			if msgs[0] != msgs[1] {
				t.Fatalf("engines differ:\ncompiler    %s\ninterpreter %s", msgs[0], msgs[1])
			}
		})
	}
}

func TestTrapMessageOfOtherErrors(t *testing.T) {
	if msg, ok := trapKind(errors.New("some engine fault")); ok || msg != trapOther {
		t.Fatalf("trapKind = %q, %v; want %q, false", msg, ok, trapOther)
	}
}

// TestMemoryLimit grows memory past the limit on both engines: the call
// fails with memory_limit, its log holding Go's report, and the module
// serves the next call.
func TestMemoryLimit(t *testing.T) {
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		m := rawModule(t, e)
		env := testEnv()
		env.GasLimit = 500_000_000
		r := mustCall(t, m, env, "alloc", "40", nil)
		if r.Code != CodeMemoryLimit || r.Message != "memory exceeds 512 pages" {
			t.Fatalf("%s: %s %q, want memory_limit", engineName(e), r.Code, r.Message)
		}
		if !strings.Contains(string(r.Log), "out of memory") {
			t.Fatalf("%s: log lacks Go's out of memory report: %q", engineName(e), r.Log)
		}
		if after := mustCall(t, m, testEnv(), "alloc", "2", nil); !after.OK() {
			t.Fatalf("%s: next call = %s %q", engineName(e), after.Code, after.Message)
		}
	}
}

func TestAbortMessageIsValidUTF8(t *testing.T) {
	tests := []struct {
		hex, want string
	}{
		{"6f6b", "ok"},
		{"61ff62", "a\uFFFDb"},
		{"e282", "\uFFFD"}, // a truncated euro sign
		{"e282ac", "€"},
	}
	m := rawModule(t, EngineCompiler)
	for _, tt := range tests {
		r := mustCall(t, m, testEnv(), "raw", "abort "+tt.hex, nil)
		if r.Code != CodeAborted || r.Message != tt.want || !utf8.ValidString(r.Message) {
			t.Errorf("abort %s = %s %q, want aborted %q", tt.hex, r.Code, r.Message, tt.want)
		}
	}
}

func TestNewRejectsBadLimits(t *testing.T) {
	tests := []struct {
		name    string
		limits  func(*Limits)
		wantErr string
	}{
		{"call depth at the interpreter ceiling", func(l *Limits) { l.MaxCallDepth = 2000 }, "MaxCallDepth 2000 must be below"},
		{"call depth zero", func(l *Limits) { l.MaxCallDepth = 0 }, "must be positive"},
		{"memory zero", func(l *Limits) { l.MaxMemoryPages = 0 }, "must be positive"},
		{"memory past 4 GiB", func(l *Limits) { l.MaxMemoryPages = 65537 }, "exceeds the Wasm maximum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := DefaultLimits()
			tt.limits(&l)
			rt, err := New(context.Background(), NewConfig().WithLimits(l))
			if err == nil {
				rt.Close(context.Background())
				t.Fatal("New accepted the limits")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	l := DefaultLimits()
	l.MaxCallDepth = 1999
	rt, err := New(context.Background(), NewConfig().WithLimits(l))
	if err != nil {
		t.Fatalf("New with MaxCallDepth 1999: %v", err)
	}
	rt.Close(context.Background())
}

// TestScanScratchIsReleased: a call that scanned more than maxKeptScratch
// does not leave its buffer on the pooled instance; smaller ones keep it.
func TestScanScratchIsReleased(t *testing.T) {
	for _, size := range []int{4 << 10, maxKeptScratch, maxKeptScratch + 1, 8 << 20} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			cs := newCallState(new(DefaultLimits()))
			cs.begin(context.Background(), testEnv(), "m", nil, nil)
			cs.scan = make([]byte, 0, size)
			cs.end()
			if kept := cs.scan != nil; kept != (size <= maxKeptScratch) {
				t.Fatalf("scratch of %d bytes kept = %v", size, kept)
			}
		})
	}
}

// TestStartFunctionEffectsAreInTheSnapshot: the start function runs once,
// at load, and every call, on a pooled or a fresh instance, sees what it
// wrote to memory.
func TestStartFunctionEffectsAreInTheSnapshot(t *testing.T) {
	code := rawModuleSpec{
		start: []byte{0x41, 0, 0x41, 7, 0x36, 2, 0, 0x0b},       // mem[0] = 7
		call:  []byte{0x41, 0, 0x28, 2, 0, 0x41, 7, 0x6b, 0x0b}, // return mem[0] - 7
	}.bytes()
	for _, iso := range []Isolation{IsolationAuto, IsolationCopy, IsolationFresh} {
		m := mustLoad(t, newTestRuntime(t, NewConfig().WithIsolation(iso)), code)
		for i := range 3 {
			if r := mustCall(t, m, testEnv(), "x", "", nil); !r.OK() {
				t.Fatalf("isolation %d call %d: %s %q", iso, i, r.Code, r.Message)
			}
		}
	}
}
