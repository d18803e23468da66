package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
	"github.com/meshledger/meshledger/sdk/contract"
)

// loanState is a state holding one loan large enough never to be paid off
// by the benchmark's payments.
func loanState(b *testing.B, m *Module) *memState {
	st := newMemState()
	res, err := m.Call(context.Background(), loanEnv(loanOwner), "create", []byte(loanCreateArgs(b, loanlogic.MaxPrincipal)), st)
	if err != nil || !res.OK() {
		b.Fatalf("create: %v %+v", err, res)
	}
	st.apply(res.Writes)
	return st
}

func benchLoanPayment(b *testing.B, cfg Config) {
	rt := newTestRuntime(b, cfg)
	m := mustLoad(b, rt, buildtest.Wasm(b, "contracts/loan"))
	st := loanState(b, m)
	env := loanEnv(loanServicer)
	args := []byte(`{"id":"L-1","amount":1000}`)
	ctx := context.Background()
	var gas uint64
	b.ReportAllocs()
	faults := minorFaults()
	for b.Loop() {
		res, err := m.Call(ctx, env, "pay", args, st)
		if err != nil || !res.OK() {
			b.Fatalf("pay: %v %+v", err, res)
		}
		gas = res.GasUsed
	}
	b.ReportMetric(float64(minorFaults()-faults)/float64(b.N), "faults/op")
	b.ReportMetric(float64(gas), "gas/op")
}

// BenchmarkLoanPaymentWasm is one isolated pay call of the loan contract,
// including the reset of the instance to its snapshot.
func BenchmarkLoanPaymentWasm(b *testing.B) { benchLoanPayment(b, NewConfig()) }

// BenchmarkLoanPaymentNative is the same payment as plain Go over an
// in-memory map (see loanlogic.BenchmarkLoanPaymentNative), through the
// same generated codecs the contract uses in Wasm: the arguments decoded
// as the SDK decodes them, the loan read and written, the servicing record
// looked up, the event and the result encoded.
func BenchmarkLoanPaymentNative(b *testing.B) {
	pay := newNativePayment(b)
	b.ReportAllocs()
	for b.Loop() {
		pay()
	}
}

// newNativePayment books the benchmarks' loan in a loanlogic.MapStore and
// returns one native payment on it.
func newNativePayment(b *testing.B) func() {
	s := loanlogic.MapStore{}
	now := int64(loanNow)
	if _, err := loanlogic.Create(s, contract.Address(loanOwner), now, loanlogic.CreateRequest{
		ID: "L-1", Borrower: contract.Address(loanBorrower), Servicer: contract.Address(loanServicer),
		Principal: loanlogic.MaxPrincipal, RateBps: 600, TermMonths: 360, FirstDue: now + 86400,
	}); err != nil {
		b.Fatal(err)
	}
	args := []byte(`{"id":"L-1","amount":1000}`)
	var buf []byte
	return func() {
		var req loanlogic.PayRequest
		if !req.DecodeJSONFast(args) {
			b.Fatal("pay arguments left to encoding/json")
		}
		l, p, err := loanlogic.Pay(s, contract.Address(loanServicer), now, req)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, _, err := loanlogic.RecordServicedPayment(s, l, req.Amount, now); err != nil {
			b.Fatal(err)
		}
		buf = p.AppendJSON(buf[:0]) // the event
		buf = p.AppendJSON(buf[:0]) // the result
	}
}

// BenchmarkIsolation compares the per-call reset strategies on the loan
// payment.
func BenchmarkIsolation(b *testing.B) {
	for _, c := range []struct {
		name string
		iso  Isolation
	}{{"cow", IsolationCoW}, {"copy", IsolationCopy}, {"fresh", IsolationFresh}} {
		b.Run(c.name, func(b *testing.B) { benchLoanPayment(b, NewConfig().WithIsolation(c.iso)) })
	}
}

func benchCompute(b *testing.B, cfg Config) {
	rt := newTestRuntime(b, cfg)
	m := mustLoad(b, rt, buildtest.Wasm(b, "runtime/testdata/contracts/spin"))
	env := testEnv()
	env.GasLimit = 1 << 40
	args := []byte(`{"n":1000000}`)
	ctx := context.Background()
	var gas uint64
	b.ReportAllocs()
	for b.Loop() {
		res, err := m.Call(ctx, env, "compute", args, nil)
		if err != nil || !res.OK() {
			b.Fatalf("compute: %v %+v", err, res)
		}
		gas = res.GasUsed
	}
	b.ReportMetric(float64(gas), "gas/op")
}

// BenchmarkComputeMetered runs CPU-bound contract code with gas metering.
// Both compute benchmarks reset by copying, the only mode the unmetered
// module supports, so that they differ in metering alone.
func BenchmarkComputeMetered(b *testing.B) {
	benchCompute(b, NewConfig().WithIsolation(IsolationCopy))
}

// BenchmarkComputeUnmetered runs the same code without instrumentation.
func BenchmarkComputeUnmetered(b *testing.B) {
	benchCompute(b, NewConfig().WithoutMetering().WithIsolation(IsolationCopy))
}

// BenchmarkColdLoad loads an already deployed contract in a new Runtime
// over a warm disk cache, as a restarted node does. The setup reports the
// first (uncached) compile as first-compile-ms.
func BenchmarkColdLoad(b *testing.B) {
	code := buildtest.Wasm(b, "contracts/loan")
	dir := b.TempDir()
	ctx := context.Background()
	start := time.Now()
	warm, err := New(ctx, NewConfig().WithCacheDir(dir))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := warm.Load(ctx, code); err != nil {
		b.Fatal(err)
	}
	firstCompile := time.Since(start)
	warm.Close(ctx)
	hash := CodeHash(code)
	b.ReportAllocs()
	for b.Loop() {
		rt, err := New(ctx, NewConfig().WithCacheDir(dir))
		if err != nil {
			b.Fatal(err)
		}
		if _, ok, err := rt.LoadCached(ctx, hash); err != nil || !ok {
			b.Fatalf("LoadCached: %v %v", ok, err)
		}
		rt.Close(ctx)
	}
	b.ReportMetric(float64(firstCompile.Milliseconds()), "first-compile-ms")
	b.ReportMetric(float64(len(code))/(1<<20), "code-MiB")
}

// BenchmarkColdLoadEngineFloor is the part of BenchmarkColdLoad that wazero
// owns: compiling the instrumented loan contract in a new Runtime over a
// warm compiled-code cache. wazero decodes and validates the whole module
// before it looks its compiled code up, and offers no way to skip either,
// so no cold load of this contract is faster than this.
func BenchmarkColdLoadEngineFloor(b *testing.B) {
	code := buildtest.Wasm(b, "contracts/loan")
	dir := b.TempDir()
	ctx := context.Background()
	warm, err := New(ctx, NewConfig().WithCacheDir(dir))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := warm.Load(ctx, code); err != nil {
		b.Fatal(err)
	}
	prepared, _, err := warm.disk.load(CodeHash(code))
	warm.Close(ctx)
	if err != nil || prepared == nil {
		b.Fatalf("prepared module missing: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rt, err := New(ctx, NewConfig().WithCacheDir(dir))
		if err != nil {
			b.Fatal(err)
		}
		compiled, err := rt.wz.CompileModule(ctx, prepared)
		if err != nil {
			b.Fatal(err)
		}
		compiled.Close(ctx)
		rt.Close(ctx)
	}
	b.ReportMetric(float64(len(prepared))/(1<<20), "instrumented-MiB")
}
