package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

func TestZZColdBreakdown(t *testing.T) {
	code := buildtest.Wasm(t, "contracts/loan")
	dir := t.TempDir()
	ctx := context.Background()
	warm, _ := New(ctx, NewConfig().WithCacheDir(dir))
	warm.Load(ctx, code)
	warm.Close(ctx)
	hash := CodeHash(code)
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		rt, _ := New(ctx, NewConfig().WithCacheDir(dir))
		t1 := time.Now()
		prep, meta, _ := rt.disk.load(hash)
		t2 := time.Now()
		cm, err := rt.wz.CompileModule(ctx, prep)
		if err != nil { t.Fatal(err) }
		t3 := time.Now()
		m := &Module{rt: rt, hash: hash, moduleCore: &moduleCore{compiled: cm, meta: meta, cow: rt.cow, maxIdle: 2}}
		if err := rt.initialise(ctx, m); err != nil { t.Fatal(err) }
		t4 := time.Now()
		inst, err := m.acquire(ctx)
		if err != nil { t.Fatal(err) }
		t5 := time.Now()
		_ = inst
		// decode-only cost: a runtime without cache
		rt2 := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))
		t6 := time.Now()
		_, err = rt2.CompileModule(ctx, prep)
		t7 := time.Now()
		t.Logf("new=%v diskload=%v compile(cache hit)=%v initialise=%v acquire=%v | interp compile(decode+validate+interp lowering)=%v size=%d", t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3), t5.Sub(t4), t7.Sub(t6), len(prep))
		rt.Close(ctx)
	}
}
