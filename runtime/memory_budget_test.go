package runtime

import (
	"context"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"testing"
)

// residentBytes returns the process's resident set size, or false where
// /proc/self/statm does not exist.
func residentBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}

// sleb encodes v as a signed LEB128 (an i32.const immediate).
func sleb(v int32) []byte {
	var out []byte
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && b&0x40 == 0) || (v == -1 && b&0x40 != 0) {
			return append(out, b)
		}
		out = append(out, b|0x80)
	}
}

// bigMemoryModule declares (memory 512 512), 32 MiB it never touches; n
// makes its bytes, and so its code hash, distinct.
func bigMemoryModule(n int) []byte {
	call := append(append([]byte{0x41}, sleb(int32(n))...), 0x1a, 0x41, 0, 0x0b) // i32.const n; drop; i32.const 0
	return rawModuleSpec{memory: []byte{1, 0x80, 0x04, 0x80, 0x04}, call: call}.bytes()
}

// rssSlack is what the process may grow by besides the modules' budget
// while loading hundreds of modules: Go's heap (the engine's compiler
// output, decoded modules awaiting collection) and the test's own
// allocations. It is far below the 32 MiB that one module's memory would
// cost if it were materialised.
const rssSlack = 96 << 20

// TestMemoryBudgetBoundsLoadedModules loads 500 modules that each declare
// 32 MiB of memory under a budget of 16 MiB. The runtime's accounted
// bytes stay within the budget and the process's resident memory within
// the budget plus rssSlack; evicted modules still serve calls, reloaded
// from the disk cache.
func TestMemoryBudgetBoundsLoadedModules(t *testing.T) {
	const budget, modules = 16 << 20, 500
	rt := newTestRuntime(t, NewConfig().WithCacheDir(t.TempDir()).WithCompiledCacheDir(t.TempDir()).
		WithModuleCacheSize(modules).WithMemoryBudget(budget))
	goruntime.GC()
	base, haveRSS := residentBytes()
	ctx := context.Background()
	var handles []*Module
	for i := range modules {
		m := mustLoad(t, rt, bigMemoryModule(i))
		if r := mustCall(t, m, testEnv(), "x", "", nil); !r.OK() {
			t.Fatalf("module %d: %s %q", i, r.Code, r.Message)
		}
		if i < 10 {
			handles = append(handles, m)
		}
		if got := rt.Stats().MemoryBytes; got > budget {
			t.Fatalf("after module %d: accounted %d bytes, over the budget of %d", i, got, budget)
		}
		if rss, ok := residentBytes(); haveRSS && ok && rss-base > budget+rssSlack {
			t.Fatalf("after module %d: resident memory grew by %d MiB, over the budget of %d MiB plus %d MiB",
				i, (rss-base)>>20, budget>>20, rssSlack>>20)
		}
	}
	st := rt.Stats()
	if st.Evictions == 0 || st.MemoryBytes == 0 {
		t.Fatalf("stats = %+v, want evictions and accounted bytes", st)
	}
	t.Logf("after %d modules: %+v", modules, st)

	// The first modules were evicted: each comes back from the disk
	// cache, through the runtime or through a handle held all along.
	for i, h := range handles {
		m, ok, err := rt.LoadCached(ctx, CodeHash(bigMemoryModule(i)))
		if err != nil || !ok {
			t.Fatalf("LoadCached(module %d) = %v, %v", i, ok, err)
		}
		for _, mod := range []*Module{m, h} {
			if r := mustCall(t, mod, testEnv(), "x", "", nil); !r.OK() {
				t.Fatalf("evicted module %d: %s %q", i, r.Code, r.Message)
			}
		}
	}
	if again := rt.Stats(); again.DiskHits < st.DiskHits+uint64(len(handles)) {
		t.Fatalf("disk hits %d after reloading %d evicted modules, %d before", again.DiskHits, len(handles), st.DiskHits)
	}
	if got := rt.Stats().MemoryBytes; got > budget {
		t.Fatalf("after reloads: accounted %d bytes, over the budget of %d", got, budget)
	}
}
