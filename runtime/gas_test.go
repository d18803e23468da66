package runtime

import (
	"testing"

	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

// TestGasBoundary calls with the exact gas a call needs and with less.
// Checks run only at function entries and loop headers, so a call one gas
// short usually returns with its counter below zero rather than trapping;
// either way it must end out_of_gas with gas_used = gas_limit, without
// effects, on both engines.
func TestGasBoundary(t *testing.T) {
	spin := buildtest.Wasm(t, "runtime/testdata/contracts/spin")
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		mods := []struct {
			name         string
			m            *Module
			method, args string
		}{
			{"raw echo", rawModule(t, e), "echo", "hello"},
			{"raw emit", rawModule(t, e), "emit", "3"},
			{"sdk compute", mustLoad(t, sharedRuntime(t, e), spin), "compute", `{"n":1000}`},
		}
		for _, mc := range mods {
			env := testEnv()
			env.GasLimit = 1 << 40
			full := mustCall(t, mc.m, env, mc.method, mc.args, nil)
			if !full.OK() {
				t.Fatalf("%s: %s %s", mc.name, full.Code, full.Message)
			}
			need := full.GasUsed
			for _, limit := range []uint64{need, need - 1, need / 2, 1} {
				t.Run(engineName(e)+"/"+mc.name, func(t *testing.T) {
					env := testEnv()
					env.GasLimit = limit
					r := mustCall(t, mc.m, env, mc.method, mc.args, nil)
					switch {
					case limit == need:
						if !r.OK() || r.GasUsed != need {
							t.Fatalf("with exactly %d gas: %s %q, gas %d", need, r.Code, r.Message, r.GasUsed)
						}
					case r.Code != CodeOutOfGas || r.GasUsed != limit || len(r.Writes) != 0 || len(r.Events) != 0:
						t.Fatalf("with %d of %d gas: %s %q, gas %d, %d writes, %d events; want out_of_gas using the limit",
							limit, need, r.Code, r.Message, r.GasUsed, len(r.Writes), len(r.Events))
					}
				})
			}
		}
	}
}

func engineName(e Engine) string {
	if e == EngineInterpreter {
		return "interpreter"
	}
	return "compiler"
}

// TestBulkMemoryGasIsPerByte: memory.fill and memory.copy of a large
// region cost 1 gas per byte on top of their fixed cost, exactly and on
// both engines, since their time is proportional to the bytes (1 gas per
// 64 bytes bought over ten times the time per gas of plain code).
func TestBulkMemoryGasIsPerByte(t *testing.T) {
	const n = 16 << 20
	var gas [2][2]uint64 // engine, fill/copy
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		rt := sharedRuntime(t, e)
		for i, op := range []func(int32) []byte{fillOp, copyOp} {
			run := func(size int32) uint64 {
				m := mustLoad(t, rt, loopModuleSpec{minPages: 512, iters: 1, op: op(size)}.bytes())
				env := testEnv()
				env.GasLimit = 1 << 40
				r := mustCall(t, m, env, "run", "", nil)
				if !r.OK() {
					t.Fatalf("%s of %d bytes: %s %s", engineName(e), size, r.Code, r.Message)
				}
				return r.GasUsed
			}
			empty, full := run(0), run(n)
			if full-empty != n {
				t.Fatalf("%s: %d bytes cost %d gas more than none, want %d", engineName(e), n, full-empty, n)
			}
			gas[e][i] = full
		}
	}
	if gas[EngineCompiler] != gas[EngineInterpreter] {
		t.Fatalf("engines disagree: %v", gas)
	}
}
