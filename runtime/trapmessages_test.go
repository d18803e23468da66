package runtime

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// withDataSegment appends a data section to a module built by
// rawModuleSpec: one active segment of data at offset.
func withDataSegment(module []byte, offset int32, data []byte) []byte {
	seg := append([]byte{0, 0x41}, sleb32(offset)...) // active, memory 0, i32.const offset
	seg = append(seg, 0x0b)
	seg = append(append(seg, leb(uint32(len(data)))...), data...)
	return append(module, wasmSection(11, []byte{1}, seg)...)
}

// growThenTrap is a mesh_call body: memory.grow(pages), drop the result,
// unreachable.
func growThenTrap(pages int32) []byte {
	return append(append([]byte{0x41}, sleb32(pages)...), 0x40, 0, 0x1a, 0x00, 0x0b)
}

// growAndReturn is a mesh_call body that returns memory.grow(pages) + 1:
// 0 (success) when the grow was refused and handled.
func growAndReturn(pages int32) []byte {
	return append(append([]byte{0x41}, sleb32(pages)...), 0x40, 0, 0x41, 1, 0x6a, 0x0b)
}

// TestDataSegmentOutOfBoundsIsAFixedDeployError: a data segment beyond
// the initial memory fails the deploy with init_failed and the fixed
// message of docs/abi.md on both engines.
func TestDataSegmentOutOfBoundsIsAFixedDeployError(t *testing.T) {
	tests := []struct {
		name   string
		offset int32
		data   []byte
	}{
		{"starts past the end", 65536, []byte{1}},
		{"runs past the end", 65535, []byte{1, 2}},
		{"negative offset", -1, []byte{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := withDataSegment(rawModuleSpec{call: bodyReturn0}.bytes(), tt.offset, tt.data)
			for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
				_, err := newTestRuntime(t, NewConfig().WithEngine(e)).Load(context.Background(), code)
				var de *DeployError
				if !errors.As(err, &de) || de.Code != DeployInitFailed || de.Msg != "instantiate: data segment 0 out of bounds memory" {
					t.Fatalf("%s: Load = %v, want init_failed %q", engineName(e), err, "instantiate: data segment 0 out of bounds memory")
				}
			}
		})
	}
	// A segment that ends exactly at the end of memory fits.
	code := withDataSegment(rawModuleSpec{call: bodyReturn0}.bytes(), 65535, []byte{1})
	mustLoad(t, newTestRuntime(t, NewConfig()), code)
}

// TestRefusedGrowIsMemoryLimit: a call that traps after memory.grow was
// refused fails with memory_limit on both engines, whichever limit
// refused it: the configured one, the module's declared maximum, or the
// Wasm maximum of 65,536 pages. One that handles the refusal succeeds.
func TestRefusedGrowIsMemoryLimit(t *testing.T) {
	l := DefaultLimits()
	l.MaxMemoryPages = maxWasmPages
	wasmMax := NewConfig().WithLimits(l)
	tests := []struct {
		name     string
		cfg      Config
		spec     rawModuleSpec
		wantCode Code
		wantMsg  string
	}{
		{"past the configured limit", NewConfig(), rawModuleSpec{call: growThenTrap(600)}, CodeMemoryLimit, "memory exceeds 512 pages"},
		{"past the Wasm maximum", NewConfig(), rawModuleSpec{call: growThenTrap(70_000)}, CodeMemoryLimit, "memory exceeds 512 pages"},
		{"past the declared maximum", NewConfig(), rawModuleSpec{memory: []byte{1, 1, 2}, call: growThenTrap(5)}, CodeMemoryLimit, "memory exceeds 2 pages"},
		{"past the Wasm maximum at that limit", wasmMax, rawModuleSpec{call: growThenTrap(65_536)}, CodeMemoryLimit, "memory exceeds 65536 pages"},
		{"within the limit", NewConfig(), rawModuleSpec{call: growThenTrap(3)}, CodeTrap, "trap: unreachable"},
		{"refusal handled", NewConfig(), rawModuleSpec{call: growAndReturn(70_000)}, CodeOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var digests []string
			for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
				m := mustLoad(t, newTestRuntime(t, tt.cfg.WithEngine(e)), tt.spec.bytes())
				env := testEnv()
				env.GasLimit = 4_000_000_000 // growing 70,000 pages costs over a billion
				r := mustCall(t, m, env, "x", "", nil)
				if r.Code != tt.wantCode || r.Message != tt.wantMsg {
					t.Fatalf("%s: %s %q, want %s %q", engineName(e), r.Code, r.Message, tt.wantCode, tt.wantMsg)
				}
				digests = append(digests, digest(r))
				// The instance whose grow was refused serves the next call
				// with a clean slate.
				if again := mustCall(t, m, env, "x", "", nil); digest(again) != digest(r) {
					t.Fatalf("%s: second call %s, first %s", engineName(e), digest(again), digest(r))
				}
			}
			if digests[0] != digests[1] {
				t.Fatalf("engines differ:\ncompiler    %s\ninterpreter %s", digests[0], digests[1])
			}
		})
	}
}

func TestInstantiateFailureOfOtherErrors(t *testing.T) {
	for _, err := range []error{
		errors.New("some engine fault"),
		errors.New("data[x]: out of bounds memory access"),
		errors.New("data[0]: out of bounds memory access, and more"),
	} {
		if msg, ok := instantiateFailure(err); ok {
			t.Errorf("instantiateFailure(%q) = %q, true; want a host failure", err, msg)
		}
	}
	if msg, ok := instantiateFailure(fmt.Errorf("runtime: instantiate: %w", errors.New("data[3]: out of bounds memory access"))); !ok || msg != "data segment 3 out of bounds memory" {
		t.Errorf("wrapped data segment failure = %q, %v", msg, ok)
	}
}
