package wasm

import (
	"bytes"
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// goRun is what one engine observed running the instrumented Go module.
type goRun struct {
	initGas, callGas int64
	result           int32
	depthAfter       int32
}

// runGoContract instantiates the instrumented Go module with a
// deterministic WASI, runs _initialize and mesh_call under gas, and reports
// what it saw.
func runGoContract(t *testing.T, cfg wazero.RuntimeConfig, prep *Prepared) goRun {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	compiled, err := r.CompileModule(ctx, prep.Code)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	mod, err := r.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().
		WithStartFunctions().WithRandSource(zeroReader{}))
	if err != nil {
		t.Fatalf("instantiate: %v", err)
	}
	gas := mod.ExportedGlobal(prep.GasGlobal).(api.MutableGlobal)
	depth := mod.ExportedGlobal(prep.DepthGlobal)
	const budget = 1 << 40
	var run goRun
	gas.Set(uint64(budget))
	if _, err := mod.ExportedFunction("_initialize").Call(ctx); err != nil {
		t.Fatalf("_initialize: %v", err)
	}
	run.initGas = budget - int64(gas.Get())
	gas.Set(uint64(budget))
	res, err := mod.ExportedFunction("mesh_call").Call(ctx)
	if err != nil {
		t.Fatalf("mesh_call: %v", err)
	}
	run.callGas = budget - int64(gas.Get())
	run.result = api.DecodeI32(res[0])
	run.depthAfter = int32(depth.Get())
	return run
}

func TestGoModule(t *testing.T) {
	bin := goContract(t)
	prep := mustPrepare(t, bin, goPolicy())
	if !prep.HasInitialize || prep.HasStart {
		t.Errorf("HasInitialize = %v, HasStart = %v; want true, false", prep.HasInitialize, prep.HasStart)
	}
	if len(prep.Globals) == 0 {
		t.Error("no mutable globals reported; Go modules keep their stack pointer in one")
	}
	if prep.MinMemoryPages == 0 || prep.MaxMemoryPages != 512 {
		t.Errorf("memory pages = [%d, %d]", prep.MinMemoryPages, prep.MaxMemoryPages)
	}
	again := mustPrepare(t, bin, goPolicy())
	if !bytes.Equal(prep.Code, again.Code) {
		t.Error("Prepare is not deterministic")
	}
	out, err := Decode(prep.Code)
	if err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
	for _, g := range prep.Globals {
		found := false
		for _, e := range out.Exports {
			found = found || (e.Name == g.Name && e.Kind == ExternGlobal)
		}
		if !found {
			t.Errorf("global %s is not exported", g.Name)
		}
	}

	// Differential: both engines and both schedules must agree on results
	// and gas.
	ref := mustPrepareReference(t, bin, goPolicy())
	var runs []goRun
	for _, sc := range []struct {
		name string
		prep *Prepared
	}{{"optimised", prep}, {"reference", ref}} {
		for _, e := range engines {
			t.Run(sc.name+"/"+e.name, func(t *testing.T) {
				run := runGoContract(t, e.cfg(), sc.prep)
				if run.initGas <= 0 || run.callGas <= 0 {
					t.Errorf("gas used: init %d, call %d; want positive", run.initGas, run.callGas)
				}
				if run.depthAfter != 0 {
					t.Errorf("mesh_depth = %d after mesh_call, want 0", run.depthAfter)
				}
				t.Logf("init gas %d, call gas %d, result %d", run.initGas, run.callGas, run.result)
				runs = append(runs, run)
			})
		}
	}
	for i := 1; i < len(runs); i++ {
		if runs[i] != runs[0] {
			t.Errorf("runs disagree: %+v (optimised, compiler) vs %+v (run %d)", runs[0], runs[i], i)
		}
	}
	// The optimised schedule exists to check less often.
	checks := func(b []byte) int {
		return bytes.Count(b, []byte{opI64Const, 0, opI64LtS, opIf, 0x40, opUnreachable, opEnd})
	}
	if o, r := checks(prep.Code), checks(ref.Code); o*3 > r {
		t.Errorf("optimised module has %d check sites, reference %d; want under a third", o, r)
	} else {
		t.Logf("check sites: optimised %d, reference %d", o, r)
	}
}
