package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshledger/meshledger/sdk/build/buildtest"
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

// bigMemoryModule declares (memory 512 512), 32 MiB it never touches; n
// makes its bytes, and so its code hash, distinct.
func bigMemoryModule(n int) []byte {
	call := append(append([]byte{0x41}, sleb32(int32(n))...), 0x1a, 0x41, 0, 0x0b) // i32.const n; drop; i32.const 0
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
	var peak int64
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
		if rss, ok := residentBytes(); haveRSS && ok {
			if rss-base > budget+rssSlack {
				t.Fatalf("after module %d: resident memory grew by %d MiB, over the budget of %d MiB plus %d MiB",
					i, (rss-base)>>20, budget>>20, rssSlack>>20)
			}
			peak = max(peak, rss-base)
		}
	}
	t.Logf("resident memory grew by at most %d MiB", peak>>20)
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

// blockingState is a State whose reads wait until release is closed,
// holding the call that reads in flight.
type blockingState struct {
	entered chan struct{}
	release chan struct{}
}

func (s *blockingState) Get([]byte) ([]byte, bool, error) {
	close(s.entered)
	<-s.release
	return []byte("v"), true, nil
}

func (s *blockingState) Iterate(_, _ []byte, _ func(k, v []byte) bool) error { return nil }

func (c *moduleCore) state() (retired error, freed bool, idle int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.retired, c.freed, len(c.idle)
}

// TestEvictedModuleIsFreedWhenItsLastCallEnds evicts a module while a call
// runs on it: the call completes normally, the module's resources are
// freed as it ends and not before, and the module handle keeps working.
func TestEvictedModuleIsFreedWhenItsLastCallEnds(t *testing.T) {
	// A one-byte budget keeps only the most recently loaded module.
	rt := newTestRuntime(t, NewConfig().WithCacheDir(t.TempDir()).WithCompiledCacheDir(testCompiledDir).WithMemoryBudget(1))
	m := mustLoad(t, rt, rawGuest(t))
	st := &blockingState{entered: make(chan struct{}), release: make(chan struct{})}
	done := make(chan *Result)
	go func() {
		res, err := m.Call(context.Background(), testEnv(), "get", []byte("k1"), st)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	select {
	case <-st.entered:
	case res := <-done:
		t.Fatalf("call ended without reading state: %+v", res)
	case <-time.After(time.Minute):
		t.Fatal("call never read state")
	}
	mustLoad(t, rt, bigMemoryModule(-1))
	if retired, freed, _ := m.state(); retired != ErrEvicted || freed {
		t.Fatalf("while its call runs: retired %v, freed %v; want evicted, not freed", retired, freed)
	}
	close(st.release)
	if res := <-done; res == nil || !res.OK() || string(res.Return) != "v" {
		t.Fatalf("call across the eviction = %+v", res)
	}
	if _, freed, idle := m.state(); !freed || idle != 0 {
		t.Fatalf("after its last call: freed %v with %d idle instances, want freed and none", freed, idle)
	}
	if st := rt.Stats(); st.Evictions != 1 {
		t.Fatalf("stats = %+v, want one eviction", st)
	}
	// The handle reloads the module from the disk cache.
	if res := mustCall(t, m, testEnv(), "echo", "hi", nil); !res.OK() || string(res.Return) != "hi" {
		t.Fatalf("call through the evicted handle = %s %q", res.Code, res.Return)
	}
	if st := rt.Stats(); st.DiskHits != 1 {
		t.Fatalf("stats = %+v, want one disk reload", st)
	}
}

// TestIdleInstancesGoBeforeModules: over budget only by pooled instances,
// the runtime closes them and evicts no module.
func TestIdleInstancesGoBeforeModules(t *testing.T) {
	rt := newTestRuntime(t, NewConfig().WithCacheDir(t.TempDir()).WithCompiledCacheDir(testCompiledDir))
	a, b := mustLoad(t, rt, bigMemoryModule(1)), mustLoad(t, rt, bigMemoryModule(2))
	fixed := rt.Stats().MemoryBytes
	mustCall(t, a, testEnv(), "x", "", nil)
	if _, _, idle := a.state(); idle != 1 || rt.Stats().MemoryBytes <= fixed {
		t.Fatalf("without a budget: %d idle instances, %d bytes (modules alone %d)", idle, rt.Stats().MemoryBytes, fixed)
	}

	tight := newTestRuntime(t, NewConfig().WithCacheDir(t.TempDir()).WithCompiledCacheDir(testCompiledDir).WithMemoryBudget(fixed))
	a, b = mustLoad(t, tight, bigMemoryModule(1)), mustLoad(t, tight, bigMemoryModule(2))
	for _, m := range []*Module{a, b, a} {
		if r := mustCall(t, m, testEnv(), "x", "", nil); !r.OK() {
			t.Fatalf("call: %s %q", r.Code, r.Message)
		}
	}
	st := tight.Stats()
	if st.Evictions != 0 || st.MemoryBytes != fixed {
		t.Fatalf("stats = %+v, want no eviction and %d bytes, the modules alone", st, fixed)
	}
	for _, m := range []*Module{a, b} {
		if retired, _, idle := m.state(); retired != nil || idle != 0 {
			t.Fatalf("module retired %v with %d idle instances, want live with none", retired, idle)
		}
	}
}

// TestConcurrentCallsUnderEviction runs calls on several goroutines over
// more modules than the budget holds, so that modules are evicted, freed
// and reloaded while other calls run on them (run with -race).
func TestConcurrentCallsUnderEviction(t *testing.T) {
	rt := newTestRuntime(t, NewConfig().WithCacheDir(t.TempDir()).WithCompiledCacheDir(testCompiledDir).WithMemoryBudget(1<<20))
	const modules, workers, calls = 12, 4, 40
	handles := make([]*Module, modules)
	for i := range handles {
		handles[i] = mustLoad(t, rt, bigMemoryModule(1000+i))
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range calls {
				i := (w*7 + c*5) % modules
				m := handles[i]
				if c%3 == 0 { // through the runtime, as the ledger does
					var ok bool
					var err error
					if m, ok, err = rt.LoadCached(context.Background(), CodeHash(bigMemoryModule(1000+i))); err != nil || !ok {
						t.Errorf("LoadCached = %v, %v", ok, err)
						return
					}
				}
				res, err := m.Call(context.Background(), testEnv(), "x", nil, nil)
				if err != nil || !res.OK() {
					t.Errorf("call of module %d: %v %+v", i, err, res)
					return
				}
			}
		}()
	}
	wg.Wait()
	if st := rt.Stats(); st.Evictions == 0 || st.MemoryBytes > 1<<20 {
		t.Fatalf("stats = %+v, want evictions within a budget of 1 MiB", st)
	}
}

// BenchmarkCallAlternatingContracts calls two contracts in turn, looked up
// as the ledger does (LoadCached), with room for both ("kept") and with a
// budget that holds only one ("evicted"), so that every call reloads its
// module from the disk caches: the price of a budget set too small.
func BenchmarkCallAlternatingContracts(b *testing.B) {
	codes := [][]byte{buildtest.Wasm(b, "contracts/loan"), rawGuest(b)}
	for _, c := range []struct {
		name   string
		budget uint64
	}{{"kept", DefaultMemoryBudget}, {"evicted", 1}} {
		b.Run(c.name, func(b *testing.B) {
			rt := newTestRuntime(b, NewConfig().WithCacheDir(b.TempDir()).WithCompiledCacheDir(testCompiledDir).WithMemoryBudget(c.budget))
			hashes := make([]Hash, len(codes))
			for i, code := range codes {
				hashes[i] = mustLoad(b, rt, code).Hash()
			}
			ctx := context.Background()
			i := 0
			for b.Loop() {
				m, ok, err := rt.LoadCached(ctx, hashes[i%2])
				if err != nil || !ok {
					b.Fatalf("LoadCached = %v, %v", ok, err)
				}
				if _, err := m.Call(ctx, testEnv(), "get", []byte(`{"id":"x"}`), newMemState()); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(rt.Stats().Evictions)/float64(b.N), "evictions/op")
		})
	}
}

// TestEvictedModuleReloads: a held module that was evicted reloads from
// the code it kept when there is no disk cache, and fails with ErrEvicted
// when its disk cache entry is gone.
func TestEvictedModuleReloads(t *testing.T) {
	ctx := context.Background()
	t.Run("without a disk cache", func(t *testing.T) {
		rt, err := New(ctx, NewConfig().WithMemoryBudget(1))
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close(ctx)
		a := mustLoad(t, rt, bigMemoryModule(7))
		mustLoad(t, rt, bigMemoryModule(8))
		if retired, _, _ := a.state(); retired != ErrEvicted {
			t.Fatalf("first module retired = %v, want evicted", retired)
		}
		if r := mustCall(t, a, testEnv(), "x", "", nil); !r.OK() {
			t.Fatalf("call of the evicted module: %s %q", r.Code, r.Message)
		}
		if st := rt.Stats(); st.Compiled != 3 || st.Prepared != 2 {
			t.Fatalf("stats = %+v, want the kept code compiled again, not prepared", st)
		}
	})
	t.Run("disk cache entry gone", func(t *testing.T) {
		dir := t.TempDir()
		rt := newTestRuntime(t, NewConfig().WithCacheDir(dir).WithCompiledCacheDir(testCompiledDir).WithMemoryBudget(1))
		a := mustLoad(t, rt, bigMemoryModule(9))
		mustLoad(t, rt, bigMemoryModule(10))
		if err := os.RemoveAll(filepath.Join(dir, "prepared")); err != nil {
			t.Fatal(err)
		}
		_, err := a.Call(ctx, testEnv(), "x", nil, nil)
		if !errors.Is(err, ErrEvicted) {
			t.Fatalf("call = %v, want ErrEvicted", err)
		}
		// Loading the code again brings it back.
		if r := mustCall(t, mustLoad(t, rt, bigMemoryModule(9)), testEnv(), "x", "", nil); !r.OK() {
			t.Fatalf("after Load: %s %q", r.Code, r.Message)
		}
	})
}

// TestEvictionDoesNotChangeResults runs a mix of calls on a module that is
// evicted and reloaded before every call, and on one that stays loaded:
// the results are identical.
func TestEvictionDoesNotChangeResults(t *testing.T) {
	steps := randomSteps(12)
	want := runSteps(t, rawModule(t, EngineCompiler), steps)
	rt := newTestRuntime(t, NewConfig().WithCacheDir(t.TempDir()).WithCompiledCacheDir(testCompiledDir).WithMemoryBudget(1))
	m := mustLoad(t, rt, rawGuest(t))
	st := newMemState()
	for i, s := range steps {
		mustLoad(t, rt, bigMemoryModule(2000+i)) // evicts m
		r, err := m.Call(context.Background(), s.env, s.method, []byte(s.args), st)
		if err != nil {
			t.Fatalf("step %d %s: %v", i, s.method, err)
		}
		if r.OK() {
			st.apply(r.Writes)
		}
		if got := digest(r); got != want[i] {
			t.Fatalf("step %d (%s %q) after a reload: %s, want %s", i, s.method, s.args, got, want[i])
		}
	}
	if st := rt.Stats(); st.Evictions < uint64(len(steps)) {
		t.Fatalf("stats = %+v, want an eviction per step", st)
	}
}

// filledMemoryModule declares 32 MiB and fills the first 4 MiB with ones
// in its start function, so that its snapshot holds 4 MiB of data; n
// makes its code distinct.
func filledMemoryModule(n int) []byte {
	fill := append([]byte{0x41, 0, 0x41, 1, 0x41}, sleb32(4<<20)...) // dest 0, value 1, length 4 MiB
	fill = append(fill, 0xfc, 0x0b, 0x00, 0x0b)                      // memory.fill; end
	call := append(append([]byte{0x41}, sleb32(int32(n))...), 0x1a, 0x41, 0, 0x0b)
	return rawModuleSpec{memory: []byte{1, 0x80, 0x04, 0x80, 0x04}, call: call, start: fill}.bytes()
}

// TestEvictionReturnsMemory loads 40 modules whose snapshots hold 4 MiB of
// data each (twice: the snapshot and its image), 320 MiB in all, under a
// 24 MiB budget: evicted modules' memory must go back to the system, so
// the resident set stays within the budget plus rssSlack.
func TestEvictionReturnsMemory(t *testing.T) {
	const budget, modules = 24 << 20, 40
	rt := newTestRuntime(t, NewConfig().WithCacheDir(t.TempDir()).WithCompiledCacheDir(t.TempDir()).WithMemoryBudget(budget))
	goruntime.GC()
	base, ok := residentBytes()
	if !ok {
		t.Skip("no /proc/self/statm")
	}
	var peak int64
	for i := range modules {
		m := mustLoad(t, rt, filledMemoryModule(i))
		if r := mustCall(t, m, testEnv(), "x", "", nil); !r.OK() {
			t.Fatalf("module %d: %s %q", i, r.Code, r.Message)
		}
		rss, _ := residentBytes()
		if rss-base > budget+rssSlack {
			t.Fatalf("after module %d: resident memory grew by %d MiB, over the budget of %d MiB plus %d MiB (%+v)",
				i, (rss-base)>>20, budget>>20, rssSlack>>20, rt.Stats())
		}
		peak = max(peak, rss-base)
	}
	if st := rt.Stats(); st.Evictions == 0 || st.MemoryBytes > budget {
		t.Fatalf("stats = %+v, want evictions within the budget", st)
	}
	t.Logf("resident memory grew by at most %d MiB", peak>>20)
}
