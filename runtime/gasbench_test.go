package runtime

import (
	"context"
	"testing"
	"time"
)

// loopModuleSpec describes a hand-assembled module whose mesh_call runs
// one operation iters times, so a benchmark can price an instruction
// class apart from everything a Go contract does around it. mesh_call has
// locals 0 (i32, the loop counter) and 1 (i64, a value the operation may
// carry from one iteration to the next); function 1 is an empty () -> ()
// for the call case.
type loopModuleSpec struct {
	minPages, maxPages uint32 // maxPages 0: no declared maximum
	iters              uint32
	op                 []byte // one iteration, leaving the stack as it found it
}

func (s loopModuleSpec) bytes() []byte {
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	// types: 0 = () -> i32, 1 = () -> ()
	m = append(m, wasmSection(1, []byte{2, 0x60, 0, 1, 0x7f, 0x60, 0, 0})...)
	m = append(m, wasmSection(3, []byte{2, 0, 1})...)
	mem := append([]byte{1, 0}, leb(s.minPages)...)
	if s.maxPages > 0 {
		mem = append(append([]byte{1, 1}, leb(s.minPages)...), leb(s.maxPages)...)
	}
	m = append(m, wasmSection(5, mem)...)
	m = append(m, wasmSection(7, []byte{2}, wasmName("memory"), []byte{2, 0}, wasmName("mesh_call"), []byte{0, 0})...)
	body := []byte{2, 1, 0x7f, 1, 0x7e}            // locals: 1 i32, 1 i64
	body = append(body, 0x41)                      // i32.const iters
	body = append(body, sleb32(int32(s.iters))...) //
	body = append(body, 0x21, 0, 0x03, 0x40)       // local.set 0; loop
	body = append(body, s.op...)
	body = append(body, 0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0) // counter-1, tee, br_if 0
	body = append(body, 0x0b, 0x41, 0, 0x0b)                      // end; i32.const 0; end
	empty := []byte{0, 0x0b}
	code := [][]byte{{2}, leb(uint32(len(body))), body, leb(uint32(len(empty))), empty}
	return append(m, wasmSection(10, code...)...)
}

// Operations for loopModuleSpec.
var (
	// opALU is an LCG step and an xorshift on local 1: ordinary integer
	// code, the reference rate every other class is compared with.
	opALU = cat([]byte{0x20, 1}, i64c(6364136223846793005), []byte{0x7e}, i64c(1442695040888963407),
		[]byte{0x7c, 0x22, 1, 0x20, 1}, i64c(13), []byte{0x88, 0x85, 0x21, 1})
	// opDiv is a chain of unsigned 64-bit divisions, the slowest integer
	// instruction.
	opDiv = cat([]byte{0x20, 1}, i64c(3), []byte{0x80}, i64c(-1), []byte{0x7c, 0x21, 1})
	// opCall calls the empty function 1.
	opCall = []byte{0x10, 1}
	// opF64 is a chain of float divisions and square roots.
	opF64 = cat([]byte{0x20, 1, 0xb9, 0x44, 0, 0, 0, 0, 0, 0, 0x08, 0x40, 0xa3, 0x9f, 0xb0}, i64c(12345678), []byte{0x7c, 0x21, 1})
	// opLoadMiss chases pseudo-random addresses over 32 MiB, so nearly
	// every load misses the caches.
	opLoadMiss = cat([]byte{0x20, 1}, i64c(6364136223846793005), []byte{0x7e}, i64c(1442695040888963407),
		[]byte{0x7c, 0x22, 1, 0xa7}, i32c(0x1fffff8), []byte{0x71, 0x29, 3, 0, 0x20, 1, 0x7c, 0x21, 1})
)

func fillOp(n int32) []byte {
	return cat(i32c(0), i32c(0), i32c(n), []byte{0xfc, 11, 0})
}

func copyOp(n int32) []byte {
	return cat(i32c(0), i32c(16<<20), i32c(n), []byte{0xfc, 10, 0, 0})
}

// growOp grows memory by one page and writes one byte in each 4 KiB of
// it: the host maps and zeroes the page as the guest touches it.
var growOp = cat(
	i32c(1), []byte{0x40, 0, 0x1a}, // memory.grow 1; drop
	// store at (size-1)*64KiB + k*4096 for k = 0..15
	func() []byte {
		var b []byte
		for k := range int32(16) {
			b = append(b, 0x3f, 0)         // memory.size
			b = append(b, i32c(1)...)      //
			b = append(b, 0x6b)            // size-1
			b = append(b, i32c(16)...)     //
			b = append(b, 0x74)            // << 16
			b = append(b, i32c(k*4096)...) //
			b = append(b, 0x6a)            // +
			b = append(b, i32c(1)...)      //
			b = append(b, 0x3a, 0, 0)      // i32.store8
		}
		return b
	}(),
)

// scheduleCase is one gas class measured by BenchmarkGasSchedule.
type scheduleCase struct {
	name string
	spec loopModuleSpec
}

var scheduleCases = []scheduleCase{
	{"compute/alu", loopModuleSpec{minPages: 1, iters: 1_000_000, op: opALU}},
	{"compute/div_u64", loopModuleSpec{minPages: 1, iters: 200_000, op: opDiv}},
	{"compute/f64_div_sqrt", loopModuleSpec{minPages: 1, iters: 200_000, op: opF64}},
	{"compute/call", loopModuleSpec{minPages: 1, iters: 500_000, op: opCall}},
	{"compute/load_miss_32MiB", loopModuleSpec{minPages: 512, iters: 200_000, op: opLoadMiss}},
	{"fill/1B", loopModuleSpec{minPages: 1, iters: 200_000, op: fillOp(1)}},
	{"fill/64B", loopModuleSpec{minPages: 1, iters: 200_000, op: fillOp(64)}},
	{"fill/4KiB", loopModuleSpec{minPages: 1, iters: 20_000, op: fillOp(4 << 10)}},
	{"fill/16MiB", loopModuleSpec{minPages: 512, iters: 20, op: fillOp(16 << 20)}},
	{"fill/16MiB_first_touch", loopModuleSpec{minPages: 512, iters: 1, op: fillOp(16 << 20)}},
	{"copy/1B", loopModuleSpec{minPages: 512, iters: 200_000, op: copyOp(1)}},
	{"copy/64B", loopModuleSpec{minPages: 512, iters: 200_000, op: copyOp(64)}},
	{"copy/4KiB", loopModuleSpec{minPages: 512, iters: 20_000, op: copyOp(4 << 10)}},
	{"copy/16MiB", loopModuleSpec{minPages: 512, iters: 20, op: copyOp(16 << 20)}},
	{"copy/16MiB_first_touch", loopModuleSpec{minPages: 512, iters: 1, op: copyOp(16 << 20)}},
	{"grow/page_touched", loopModuleSpec{minPages: 1, iters: 500, op: growOp}},
}

// gasClock times calls of a module against the same module with an empty
// loop, so the fixed cost of a call drops out, and interleaves them with
// the reference (compute/alu) so that both see the same machine load.
type gasClock struct {
	m, base *Module
	ns      time.Duration
	gas     uint64
}

func newGasClock(tb testing.TB, rt *Runtime, spec loopModuleSpec) *gasClock {
	empty := loopModuleSpec{minPages: spec.minPages, maxPages: spec.maxPages, iters: 1}
	return &gasClock{m: mustLoad(tb, rt, spec.bytes()), base: mustLoad(tb, rt, empty.bytes())}
}

// tick runs the module and its base once each and adds the difference.
func (c *gasClock) tick(tb testing.TB) {
	g0, t0 := timedCall(tb, c.base)
	g1, t1 := timedCall(tb, c.m)
	c.ns += t1 - t0
	c.gas += g1 - g0
}

func (c *gasClock) nsPerGas() float64 { return float64(c.ns.Nanoseconds()) / float64(c.gas) }

func timedCall(tb testing.TB, m *Module) (uint64, time.Duration) {
	env := testEnv()
	env.GasLimit = 1 << 50
	start := time.Now()
	res, err := m.Call(context.Background(), env, "run", nil, nil)
	d := time.Since(start)
	if err != nil || !res.OK() {
		tb.Fatalf("run: %v %+v", err, res)
	}
	return res.GasUsed, d
}

// referenceSpec is the reference of every calibration: ordinary integer
// code, a little over a millisecond per call.
var referenceSpec = loopModuleSpec{minPages: 1, iters: 1_000_000, op: opALU}

// BenchmarkGasSchedule measures the time per gas of each class of gas on
// hand-assembled modules: ordinary integer code (compute/alu, the
// reference), the slowest instructions, bulk memory of small and large
// lengths, cold and warm, and memory growth. Each case reports its ns/gas
// and x_compute, its ratio to compute/alu measured in the same loop.
// BenchmarkHostFunctions and BenchmarkDeployGas report the same ratio.
// The schedule keeps every class at or below 2x (docs/design.md).
func BenchmarkGasSchedule(b *testing.B) {
	rt := newTestRuntime(b, NewConfig())
	for _, c := range scheduleCases {
		b.Run(c.name, func(b *testing.B) {
			ref, m := newGasClock(b, rt, referenceSpec), newGasClock(b, rt, c.spec)
			for b.Loop() {
				ref.tick(b)
				m.tick(b)
			}
			b.ReportMetric(m.nsPerGas(), "ns/gas")
			b.ReportMetric(m.nsPerGas()/ref.nsPerGas(), "x_compute")
			b.ReportMetric(float64(m.gas)/float64(b.N), "gas/op")
		})
	}
}
