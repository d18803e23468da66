package runtime

import (
	"context"
	"testing"
	"time"
)

// BenchmarkCrossContractCall compares a call that makes one cross-contract
// call with the calls it replaces, run on their own. isolated is the raw
// guest's echo as a transaction's call. xcall writes a key and calls echo
// of another contract through the call import; stub is the same xcall to
// an address the ContractCaller refuses at once (unknown_contract), so
// cross (xcall less stub) is what the cross-call itself adds: the import,
// the callee's instance and run. The bound is that the cross-call
// costs no more than one extra isolated call: cross_ns against
// isolated_ns, and the same in gas.
func BenchmarkCrossContractCall(b *testing.B) {
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		b.Run(engineName(e), func(b *testing.B) {
			m := rawModule(b, e)
			d := newDispatcher(m, addrB)
			env := callEnv(d)
			ctx := context.Background()
			xargs := []byte(xcallArgs(addrB, "echo", 0, 64, "hello"))
			stubArgs := []byte(xcallArgs(addrC, "echo", 0, 64, "hello"))
			run := func(method string, args []byte) (time.Duration, uint64) {
				st := newMemState()
				start := time.Now()
				res, err := m.Call(ctx, env, method, args, st)
				dur := time.Since(start)
				if err != nil || !res.OK() {
					b.Fatalf("%s: %v %+v", method, err, res)
				}
				return dur, res.GasUsed
			}
			var isoNs, xNs, stubNs time.Duration
			var isoGas, xGas, stubGas uint64
			for b.Loop() {
				t0, g0 := run("echo", []byte("hello"))
				t1, g1 := run("xcall", xargs)
				t2, g2 := run("xcall", stubArgs)
				isoNs, xNs, stubNs = isoNs+t0, xNs+t1, stubNs+t2
				isoGas, xGas, stubGas = isoGas+g0, xGas+g1, stubGas+g2
				d.requests, d.results = d.requests[:0], d.results[:0]
			}
			n := float64(b.N)
			b.ReportMetric(float64(isoNs.Nanoseconds())/n, "isolated_ns")
			b.ReportMetric(float64((xNs-stubNs).Nanoseconds())/n, "cross_ns")
			b.ReportMetric(float64(isoGas)/n, "isolated_gas")
			b.ReportMetric(float64(xGas-stubGas)/n, "cross_gas")
		})
	}
}
