package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestLoadRejectsBadModules(t *testing.T) {
	rt := sharedRuntime(t, EngineCompiler)
	// The interpreter compiles quickly; the loop only needs to exceed a
	// budget a little above the raw guest's own initialisation.
	interp := newTestRuntime(t, NewConfig().WithInterpreter().WithInitGas(5_000_000))
	small := newTestRuntime(t, NewConfig().WithLimits(func() Limits { l := DefaultLimits(); l.MaxCodeBytes = 1 << 20; return l }()))
	tests := []struct {
		name    string
		rt      *Runtime
		code    func(t *testing.T) []byte
		want    Code
		wantMsg string
	}{
		{"malformed", rt, func(*testing.T) []byte { return []byte("\x00asm\x01\x00\x00\x00garbage") }, DeployMalformed, ""},
		{"not wasm", rt, func(*testing.T) []byte { return []byte("hello") }, DeployMalformed, ""},
		{"forbidden import", rt, func(*testing.T) []byte { return tinyModule("env", "now", true) }, DeployForbiddenImport, "env"},
		{"real wasi import", rt, func(*testing.T) []byte { return tinyModule("wasi_snapshot_preview1", "path_open", true) }, DeployForbiddenImport, "path_open"},
		{"missing export", rt, func(*testing.T) []byte { return tinyModule("", "", false) }, DeployMissingExport, "mesh_call"},
		{"too large", small, func(t *testing.T) []byte { return rawGuest(t) }, DeployCodeTooLarge, ""},
		{"init loops forever", interp, func(t *testing.T) []byte { return buildGuest(t, "runtime/testdata/rawinitloop") }, DeployInitOutOfGas, ""},
		{"start loops forever", interp, func(*testing.T) []byte {
			return rawModuleSpec{call: bodyReturn0, start: bodyLoopForever}.bytes()
		}, DeployInitOutOfGas, "start function"},
		{"start traps", rt, func(*testing.T) []byte {
			return rawModuleSpec{call: bodyReturn0, start: bodyStartTrap}.bytes()
		}, DeployInitFailed, "start function: trap: unreachable"},
		{"memory minimum over the limit", rt, func(*testing.T) []byte {
			return rawModuleSpec{memory: []byte{0, 0xe8, 0x07}, call: bodyReturn0}.bytes() // 1,000 pages
		}, DeployLimit, "memory minimum of 1000 pages"},
		{"shared memory", rt, func(*testing.T) []byte {
			return rawModuleSpec{memory: []byte{3, 1, 1}, call: bodyReturn0}.bytes()
		}, DeployForbiddenFeature, "shared memory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.rt.Load(context.Background(), tt.code(t))
			var de *DeployError
			if !errors.As(err, &de) {
				t.Fatalf("Load error = %v, want *DeployError", err)
			}
			if de.Code != tt.want || !strings.Contains(de.Msg, tt.wantMsg) {
				t.Fatalf("DeployError = %s %q, want %s containing %q", de.Code, de.Msg, tt.want, tt.wantMsg)
			}
			// The runtime that rejected the module is unharmed: a good
			// module (small enough for every runtime here) loads and runs.
			m := mustLoad(t, tt.rt, rawModuleSpec{call: bodyReturn0}.bytes())
			if res := mustCall(t, m, testEnv(), "anything", "", newMemState()); !res.OK() {
				t.Fatalf("call after rejected deploy = %+v", res)
			}
		})
	}
}

func TestLoadIsCachedAndLoadCachedFindsIt(t *testing.T) {
	rt := newTestRuntime(t, NewConfig())
	code := rawGuest(t)
	a := mustLoad(t, rt, code)
	b := mustLoad(t, rt, code)
	if a != b {
		t.Fatal("second Load of the same code returned another module")
	}
	if a.Hash() != CodeHash(code) {
		t.Fatal("module hash is not CodeHash(code)")
	}
	c, ok, err := rt.LoadCached(context.Background(), CodeHash(code))
	if err != nil || !ok || c != a {
		t.Fatalf("LoadCached = %v, %v, %v", c, ok, err)
	}
	if _, ok, err := rt.LoadCached(context.Background(), Hash{1}); ok || err != nil {
		t.Fatalf("LoadCached(unknown) = %v, %v", ok, err)
	}
	// The shared disk cache may hold the snapshot from an earlier test.
	if st := rt.Stats(); st.Initialised+st.SnapshotHits != 1 {
		t.Fatalf("stats = %+v, want one initialisation or snapshot read", st)
	}
}

func TestClosedRuntime(t *testing.T) {
	rt := newTestRuntime(t, NewConfig())
	m := mustLoad(t, rt, rawGuest(t))
	if err := rt.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Call(context.Background(), testEnv(), "echo", nil, newMemState()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Call after Close = %v, want ErrClosed", err)
	}
	if _, err := rt.Load(context.Background(), rawGuest(t)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Load after Close = %v, want ErrClosed", err)
	}
}
