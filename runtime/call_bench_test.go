package runtime

import (
	"context"
	"testing"
	"time"
)

// BenchmarkCrossContractCall compares a call that makes one cross-contract
// call with the two calls it replaces, run on their own: the raw guest's
// echo as a transaction's call, and xcall, which writes a key and calls
// echo of another contract through the call import. The bound is
// that the cross-call costs no more than one extra isolated call:
// extra_ns (xcall less echo) against isolated_ns (echo), and the same in
// gas.
func BenchmarkCrossContractCall(b *testing.B) {
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		b.Run(engineName(e), func(b *testing.B) {
			m := rawModule(b, e)
			d := newDispatcher(m, addrB)
			env := callEnv(d)
			ctx := context.Background()
			xargs := []byte(xcallArgs(addrB, "echo", 0, 64, "hello"))
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
			var isoNs, xNs time.Duration
			var isoGas, xGas uint64
			for b.Loop() {
				t0, g0 := run("echo", []byte("hello"))
				t1, g1 := run("xcall", xargs)
				isoNs += t0
				xNs += t1
				isoGas += g0
				xGas += g1
				d.requests, d.results = d.requests[:0], d.results[:0]
			}
			n := float64(b.N)
			b.ReportMetric(float64(isoNs.Nanoseconds())/n, "isolated_ns")
			b.ReportMetric(float64((xNs-isoNs).Nanoseconds())/n, "extra_ns")
			b.ReportMetric(float64(isoGas)/n, "isolated_gas")
			b.ReportMetric(float64(xGas-isoGas)/n, "extra_gas")
		})
	}
}
