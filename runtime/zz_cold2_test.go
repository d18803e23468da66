package runtime

import (
	"context"
	"testing"

	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

func BenchmarkZZCompileHit(b *testing.B) {
	code := buildtest.Wasm(b, "contracts/loan")
	dir := b.TempDir()
	ctx := context.Background()
	warm, _ := New(ctx, NewConfig().WithCacheDir(dir))
	warm.Load(ctx, code)
	warm.Close(ctx)
	hash := CodeHash(code)
	rt, _ := New(ctx, NewConfig().WithCacheDir(dir))
	prep, _, _ := rt.disk.load(hash)
	for b.Loop() {
		cm, err := rt.wz.CompileModule(ctx, prep)
		if err != nil { b.Fatal(err) }
		cm.Close(ctx)
	}
}
