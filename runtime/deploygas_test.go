package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/meshledger/meshledger/runtime/internal/wasm"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

// shapeModule builds a module of funcs functions () -> i32, each declaring
// locals i64 locals (at least one) and running ops multiply steps on local
// 0, with memory of pages initial pages; function 0 is mesh_call.
func shapeModule(funcs, ops, locals int, pages uint32) []byte {
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	m = append(m, wasmSection(1, []byte{1, 0x60, 0, 1, 0x7f})...)
	fs := leb(uint32(funcs))
	for range funcs {
		fs = append(fs, 0)
	}
	m = append(m, wasmSection(3, fs)...)
	m = append(m, wasmSection(5, append([]byte{1, 0}, leb(pages)...))...)
	m = append(m, wasmSection(7, []byte{2}, wasmName("memory"), []byte{2, 0}, wasmName("mesh_call"), []byte{0, 0})...)
	body := append([]byte{1}, leb(uint32(max(locals, 1)))...)
	body = append(body, 0x7e)
	for range ops {
		body = append(body, 0x20, 0, 0x42, 3, 0x7e, 0x21, 0) // local.get 0; i64.const 3; i64.mul; local.set 0
	}
	body = append(body, 0x41, 0, 0x0b)
	code := leb(uint32(funcs))
	for range funcs {
		code = append(code, leb(uint32(len(body)))...)
		code = append(code, body...)
	}
	return append(m, wasmSection(10, code)...)
}

// blocksModule builds a module whose mesh_call is n blocks in a row,
// each holding a br_if out of it: control flow for the compiler's
// quadratic term.
func blocksModule(n int) []byte {
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	m = append(m, wasmSection(1, []byte{1, 0x60, 0, 1, 0x7f})...)
	m = append(m, wasmSection(3, []byte{1, 0})...)
	m = append(m, wasmSection(5, []byte{1, 0, 1})...)
	m = append(m, wasmSection(7, []byte{2}, wasmName("memory"), []byte{2, 0}, wasmName("mesh_call"), []byte{0, 0})...)
	body := []byte{1, 1, 0x7f}
	for range n {
		body = append(body, 0x02, 0x40, 0x20, 0, 0x0d, 0, 0x0b) // block; local.get 0; br_if 0; end
	}
	body = append(body, 0x41, 0, 0x0b)
	code := append(leb(1), leb(uint32(len(body)))...)
	return append(m, wasmSection(10, append(code, body...))...)
}

// deployShapes are the modules BenchmarkDeployGas loads: Go contracts and
// hand-built extremes of each term of DeployGas.
func deployShapes(tb testing.TB) []struct {
	name string
	code []byte
} {
	return []struct {
		name string
		code []byte
	}{
		{"loan_contract", buildtest.Wasm(tb, "contracts/loan")},
		{"rawguest", rawGuest(tb)},
		{"99000_funcs_7MiB", shapeModule(99_000, 10, 1, 1)},
		{"1000_funcs_7KiB_each", shapeModule(1000, 1000, 1, 1)},
		{"one_func_1MiB", shapeModule(1, 150_000, 1, 1)},
		{"1000_funcs_50000_locals", shapeModule(1000, 10, 50_000, 1)},
		{"one_func_8000_blocks", blocksModule(8000)},
		{"memory_512_pages", shapeModule(1, 1, 1, 512)},
		{"tiny", shapeModule(1, 1, 1, 1)},
	}
}

// BenchmarkDeployGas measures a whole deploy of modules of varied shapes
// (validation, instrumentation, compilation, initialisation and snapshot,
// on a new runtime without caches, as a first deploy is) in time per gas
// of DeployGas, and x_compute, its ratio to BenchmarkGasSchedule's
// reference timed in the same loop.
func BenchmarkDeployGas(b *testing.B) {
	ctx := context.Background()
	refRT := newTestRuntime(b, NewConfig())
	for _, s := range deployShapes(b) {
		b.Run(s.name, func(b *testing.B) {
			gas, err := DeployGas(s.code)
			if err != nil {
				b.Fatal(err)
			}
			ref := newGasClock(b, refRT, referenceSpec)
			var elapsed time.Duration
			for b.Loop() {
				for range 10 {
					ref.tick(b)
				}
				rt, err := New(ctx, NewConfig())
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				if _, err := rt.Load(ctx, s.code); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				rt.Close(ctx)
			}
			ns := float64(elapsed.Nanoseconds()) / float64(b.N)
			shape, _ := wasm.MeasureShape(s.code)
			b.ReportMetric(ns/float64(gas), "ns/gas")
			b.ReportMetric(ns/float64(gas)/ref.nsPerGas(), "x_compute")
			b.ReportMetric(ns/1e6, "ms/deploy")
			b.ReportMetric(float64(gas), "gas/deploy")
			b.ReportMetric(float64(shape.CodeBytes)/(1<<20), "MiB")
			b.ReportMetric(float64(shape.Functions), "funcs")
		})
	}
}

// TestDeployGasFollowsTheShape: DeployGas is the schedule's linear
// formula over the module's shape, so a module of many functions costs
// more than a small one by exactly their difference in bytes, functions
// and locals, and the control flow of one function costs quadratically.
func TestDeployGasFollowsTheShape(t *testing.T) {
	small, big := shapeModule(1, 10, 1, 1), shapeModule(99_000, 10, 1, 1)
	gs, err := DeployGas(small)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := DeployGas(big)
	if err != nil {
		t.Fatal(err)
	}
	want := uint64(len(big)-len(small))*deployGasPerByte + 98_999*deployGasPerFunc + 98_999*deployGasPerLocal
	if gb-gs != want {
		t.Fatalf("99,000 functions cost %d more than 1, want %d", gb-gs, want)
	}
	if gs != deployGasBase+uint64(len(small))*deployGasPerByte+deployGasPerFunc+deployGasPerLocal+deployGasPerPage {
		t.Fatalf("small module: %d gas", gs)
	}
	// n blocks with a br_if each: 2n control instructions in one function.
	b1, _ := DeployGas(blocksModule(1000))
	b2, _ := DeployGas(blocksModule(2000))
	quad := uint64(4000*4000-2000*2000) * deployGasPerBranchPair
	if lin := uint64(2000)*deployGasPerBranch + 7000*deployGasPerByte; b2-b1 != lin+quad {
		t.Fatalf("1,000 more blocks cost %d, want %d", b2-b1, lin+quad)
	}
	// Declared memory is paid for: 512 initial pages cost 511 pages more
	// than one.
	m1, _ := DeployGas(shapeModule(1, 1, 1, 1))
	m512, _ := DeployGas(shapeModule(1, 1, 1, 512))
	if m512-m1 != 511*deployGasPerPage+deployGasPerByte { // min 512 takes a 2-byte LEB128
		t.Fatalf("512 pages cost %d more than 1", m512-m1)
	}
}

// TestDeployGasOfBadCode: code that does not decode is still charged for
// its bytes, and the error says why; the figure never wraps.
func TestDeployGasOfBadCode(t *testing.T) {
	bad := []byte("\x00asm\x01\x00\x00\x00garbage")
	g, err := DeployGas(bad)
	if err == nil || g != deployGasBase+uint64(len(bad))*deployGasPerByte {
		t.Fatalf("DeployGas(malformed) = %d, %v", g, err)
	}
	if g, err := DeployGas(nil); err == nil || g != deployGasBase {
		t.Fatalf("DeployGas(nil) = %d, %v", g, err)
	}
	if g := deployGasOf(wasm.Shape{BranchesSquared: ^uint64(0)}); g != ^uint64(0) {
		t.Fatalf("saturated shape costs %d", g)
	}
}

// BenchmarkDeployGasOfLoan measures what pricing a deploy costs the
// executor: one pass over a 3.6 MiB Go contract.
func BenchmarkDeployGasOfLoan(b *testing.B) {
	code := buildtest.Wasm(b, "contracts/loan")
	for b.Loop() {
		if _, err := DeployGas(code); err != nil {
			b.Fatal(err)
		}
	}
}
