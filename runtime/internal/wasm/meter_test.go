package wasm

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// progGen writes random structured function bodies that always end: every
// loop header spends one unit of fuel (parameter 0) and leaves the
// function once it is gone, and every branch back to a loop goes through
// its header. Conditions depend on the fuel, so paths vary with it.
type progGen struct {
	rng    *rand.Rand
	b      []byte
	labels int // open constructs, not counting the function's own block
}

func (g *progGen) emit(parts ...any) { g.b = append(g.b, code(parts...)...) }

func (g *progGen) cond() {
	g.emit(opLocalGet, 0, opI32Const, 2+g.rng.IntN(3), 0x70) // fuel % k (i32.rem_u)
}

// label picks a random enclosing construct (the function's block, which
// has a result, is never a target).
func (g *progGen) label() int { return g.rng.IntN(g.labels) }

func (g *progGen) stmts(depth int) {
	for range 1 + g.rng.IntN(4) {
		g.stmt(depth)
	}
}

func (g *progGen) stmt(depth int) {
	k := g.rng.IntN(9)
	switch {
	case depth >= 4:
		k = g.rng.IntN(2)
	case g.labels == 0:
		k = 2 + g.rng.IntN(3) // a block, loop or if: branches need a label
	}
	switch k {
	case 0:
		g.emit(opI32Const, g.rng.IntN(64), opDrop)
	case 1:
		g.emit(opI32Const, 0, opI32Const, 0, opLocalGet, 0, 0xfc, 11, 0) // memory.fill of fuel bytes
	case 2:
		g.emit(opBlock, 0x40)
		g.labels++
		g.stmts(depth + 1)
		g.labels--
		g.emit(opEnd)
	case 3:
		g.emit(opLoop, 0x40)
		g.labels++
		// Fuel: leave the function with it when it is zero, else spend one.
		g.emit(opLocalGet, 0, opLocalGet, 0, opI32Eqz, opBrIf, g.labels, opDrop,
			opLocalGet, 0, opI32Const, 1, opI32Sub, opLocalSet, 0)
		g.stmts(depth + 1)
		switch g.rng.IntN(3) {
		case 0: // Go's way back: an if holding a br
			g.cond()
			g.emit(opIf, 0x40, opBr, 1, opEnd)
		case 1:
			g.cond()
			g.emit(opBrIf, 0)
		}
		g.labels--
		g.emit(opEnd)
	case 4:
		g.cond()
		g.emit(opIf, 0x40)
		g.labels++
		g.stmts(depth + 1)
		if g.rng.IntN(2) == 0 {
			g.emit(opElse)
			g.stmts(depth + 1)
		}
		g.labels--
		g.emit(opEnd)
	case 5:
		g.cond()
		g.emit(opBrIf, g.label())
	case 6:
		g.cond()
		g.emit(opIf, 0x40, opBr, g.label()+1, opEnd)
	case 7:
		g.cond()
		g.emit(opBrTable, 2, g.label(), g.label(), g.label())
	case 8:
		g.emit(opBr, g.label())
	}
}

// randomProgramModule exports n random functions f0..f(n-1) of type
// (fuel i32) -> i32.
func randomProgramModule(seed uint64, n int) []byte {
	m := newTMod()
	g := &progGen{rng: rand.New(rand.NewPCG(seed, 0))}
	for i := range n {
		g.b = g.b[:0]
		g.stmts(0)
		g.emit(opLocalGet, 0, opEnd)
		m.fn(fmt.Sprintf("f%d", i), typeI32I32, nil, append([]byte(nil), g.b...))
	}
	return m.bytes()
}

// outcome is what the host concludes from a call.
type outcome struct {
	outOfGas bool
	result   uint64
	gasUsed  int64
}

func runOutcome(t *testing.T, mod api.Module, name string, fuel uint64, budget int64) outcome {
	t.Helper()
	gas := mod.ExportedGlobal(GasGlobalName).(api.MutableGlobal)
	mod.ExportedGlobal(DepthGlobalName).(api.MutableGlobal).Set(0)
	gas.Set(uint64(budget))
	res, err := mod.ExportedFunction(name).Call(context.Background(), fuel)
	left := int64(gas.Get())
	if left < 0 {
		return outcome{outOfGas: true}
	}
	if err != nil {
		t.Fatalf("%s(%d) with %d gas: %v, counter %d", name, fuel, budget, err, left)
	}
	return outcome{result: res[0], gasUsed: budget - left}
}

// TestScheduleMatchesReference runs random programs under the optimised
// and the reference schedule: with any budget they must agree on whether
// the call ran out of gas, and otherwise on its result and gas.
func TestScheduleMatchesReference(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	const funcs = 40
	seeds := 8
	if testing.Short() {
		seeds = 2
	}
	for seed := range uint64(seeds) {
		bin := randomProgramModule(seed, funcs)
		var mods [2]api.Module
		for i, sc := range schedules {
			prep := sc.prepare(t, bin, testPolicy())
			mod, err := r.InstantiateWithConfig(ctx, prep.Code, wazero.NewModuleConfig().WithName(fmt.Sprintf("%d-%s", seed, sc.name)))
			if err != nil {
				t.Fatalf("seed %d %s: %v", seed, sc.name, err)
			}
			mods[i] = mod
		}
		rng := rand.New(rand.NewPCG(seed, 1))
		for f := range funcs {
			name := fmt.Sprintf("f%d", f)
			for _, fuel := range []uint64{0, 1, 5, 40} {
				full := runOutcome(t, mods[1], name, fuel, 1<<40)
				if got := runOutcome(t, mods[0], name, fuel, 1<<40); got != full {
					t.Fatalf("seed %d %s(%d): optimised %+v, reference %+v", seed, name, fuel, got, full)
				}
				for _, budget := range []int64{full.gasUsed, full.gasUsed - 1, rng.Int64N(full.gasUsed + 1)} {
					want := runOutcome(t, mods[1], name, fuel, budget)
					got := runOutcome(t, mods[0], name, fuel, budget)
					if got != want {
						t.Fatalf("seed %d %s(%d) with %d gas: optimised %+v, reference %+v", seed, name, fuel, budget, got, want)
					}
					if want.outOfGas != (budget < full.gasUsed) {
						t.Fatalf("seed %d %s(%d) with %d of %d gas: out of gas = %v", seed, name, fuel, budget, full.gasUsed, want.outOfGas)
					}
				}
			}
		}
	}
}

// TestNoMetering checks the benchmark-only policy: the module keeps its
// shape (globals, exports, depth limit, NaN canonicalisation) while the
// counter never moves.
func TestNoMetering(t *testing.T) {
	p := testPolicy()
	metered := mustPrepare(t, behaviourModule(), p)
	p.NoMetering = true
	prep := mustPrepare(t, behaviourModule(), p)
	mo, err := Decode(metered.Code)
	if err != nil {
		t.Fatal(err)
	}
	mu, err := Decode(prep.Code)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(mo.Exports, mo.Globals) != fmt.Sprint(mu.Exports, mu.Globals) {
		t.Errorf("exports or globals differ:\nmetered   %v %v\nunmetered %v %v", mo.Exports, mo.Globals, mu.Exports, mu.Globals)
	}
	inst := instantiate(t, wazero.NewRuntimeConfigInterpreter(), prep.Code)
	tests := []struct {
		name string
		fn   string
		args []uint64
		want []uint64
		err  bool
	}{
		{"loop runs free", "loop", []uint64{1000}, []uint64{0}, false},
		{"fill runs free", "fill", []uint64{65536}, nil, false},
		{"NaN canonicalised", "f64_add", []uint64{0xfff0000000000123, f64(1)}, []uint64{canonNaN64}, false},
		{"depth still bounded", "rec", []uint64{8}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inst.t = t
			got, used, err := inst.call(tc.fn, 5, tc.args...)
			if used != 0 {
				t.Errorf("counter moved by %d", used)
			}
			if tc.err {
				if err == nil || inst.depth() != 9 {
					t.Errorf("err = %v, depth %d; want a call-depth trap at 9", err, inst.depth())
				}
				inst.global(DepthGlobalName).(api.MutableGlobal).Set(0)
				return
			}
			if err != nil || !equalU64(got, tc.want) {
				t.Errorf("got %#x, %v; want %#x", got, err, tc.want)
			}
		})
	}
}
