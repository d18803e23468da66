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
