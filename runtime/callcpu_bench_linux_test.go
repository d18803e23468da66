//go:build linux

package runtime

import (
	"context"
	goruntime "runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

// threadCPU is the CPU time of the calling thread, in nanoseconds.
func threadCPU(b *testing.B) int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return ts.Nano()
}

// BenchmarkLoanPaymentCPU is BenchmarkLoanPaymentWasm's payment split into
// the call (entering the instance, the guest's run, its host calls and the
// result: call-cpu-ns/op) and the reset to the snapshot (reset-cpu-ns/op),
// each as CPU time of the thread running it. On a shared machine wall time
// mostly measures the other processes; a thread's CPU time does not count
// the time it waits for a core (docs/design.md, "Where a contract call's
// time goes").
func BenchmarkLoanPaymentCPU(b *testing.B) {
	rt := newTestRuntime(b, NewConfig())
	m := mustLoad(b, rt, buildtest.Wasm(b, "contracts/loan"))
	st := loanState(b, m)
	env := loanEnv(loanServicer)
	args := []byte(`{"id":"L-1","amount":1000}`)
	ctx := context.Background()
	// One thread for the whole loop, so that each interval is read on the
	// thread that ran it.
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	var call, reset int64
	var gas uint64
	b.ReportAllocs()
	for b.Loop() {
		inst, err := m.acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		t0 := threadCPU(b)
		res, err := m.run(ctx, inst, env, "pay", args, st)
		t1 := threadCPU(b)
		if err != nil || !res.OK() {
			b.Fatalf("pay: %v %+v", err, res)
		}
		if err := m.release(ctx, inst); err != nil {
			b.Fatal(err)
		}
		t2 := threadCPU(b)
		call += t1 - t0
		reset += t2 - t1
		gas = res.GasUsed
	}
	b.ReportMetric(float64(call)/float64(b.N), "call-cpu-ns/op")
	b.ReportMetric(float64(reset)/float64(b.N), "reset-cpu-ns/op")
	b.ReportMetric(float64(gas), "gas/op")
}

// BenchmarkLoanPaymentNativeCPU is BenchmarkLoanPaymentNative as CPU time
// of the thread running it (cpu-ns/op), the figure to hold against
// BenchmarkLoanPaymentCPU's call-cpu-ns/op plus reset-cpu-ns/op when the
// machine is shared. The clock is read around batches of 100 payments,
// since reading it costs about as much as a native payment.
func BenchmarkLoanPaymentNativeCPU(b *testing.B) {
	pay := newNativePayment(b)
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	const batch = 100
	var cpu int64
	b.ReportAllocs()
	for b.Loop() {
		t0 := threadCPU(b)
		for range batch {
			pay()
		}
		cpu += threadCPU(b) - t0
	}
	b.ReportMetric(float64(cpu)/float64(b.N*batch), "cpu-ns/op")
}
