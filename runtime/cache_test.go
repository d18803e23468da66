package runtime

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// listFiles maps every file under dir to its size and modification time.
func listFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = info.ModTime().Format(time.RFC3339Nano) + " " + string(rune(info.Size()))
		return nil
	})
	return out
}

func TestRestartUsesDiskCaches(t *testing.T) {
	code := rawGuest(t)
	first := newTestRuntime(t, NewConfig())
	want := mustCall(t, mustLoad(t, first, code), testEnv(), "json", "10", nil)

	before := listFiles(t, testCacheDir)
	restarted := newTestRuntime(t, NewConfig())
	m, ok, err := restarted.LoadCached(context.Background(), CodeHash(code))
	if err != nil || !ok {
		t.Fatalf("LoadCached after restart = %v, %v", ok, err)
	}
	if st := restarted.Stats(); st.Prepared != 0 || st.DiskHits != 1 {
		t.Fatalf("restarted runtime stats = %+v, want no instrumentation and one disk hit", st)
	}
	after := listFiles(t, testCacheDir)
	for p, v := range after {
		if before[p] != v {
			t.Fatalf("cache file %s written on restart: the module was recompiled or re-instrumented", p)
		}
	}
	if got := mustCall(t, m, testEnv(), "json", "10", nil); digest(got) != digest(want) {
		t.Fatalf("after restart %s, before %s", digest(got), digest(want))
	}
}

func TestDamagedCacheEntryIsRebuilt(t *testing.T) {
	dir := t.TempDir()
	code := tinyModule("", "", true)
	rt := newTestRuntime(t, NewConfig().WithCacheDir(dir))
	mustLoad(t, rt, code)
	metas, _ := filepath.Glob(filepath.Join(dir, "prepared", "*", "*.json"))
	if len(metas) != 1 {
		t.Fatalf("prepared cache entries = %v", metas)
	}
	if err := os.WriteFile(metas[0], []byte("{broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := newTestRuntime(t, NewConfig().WithCacheDir(dir))
	if _, ok, err := fresh.LoadCached(context.Background(), CodeHash(code)); ok || err != nil {
		t.Fatalf("LoadCached of damaged entry = %v, %v; want a miss", ok, err)
	}
	m := mustLoad(t, fresh, code)
	if res := mustCall(t, m, testEnv(), "anything", "", nil); !res.OK() {
		t.Fatalf("call = %+v", res)
	}
	if st := fresh.Stats(); st.Prepared != 1 {
		t.Fatalf("stats = %+v, want the entry rebuilt", st)
	}
}

func TestModuleLRUEvicts(t *testing.T) {
	rt := newTestRuntime(t, NewConfig().WithModuleCacheSize(1).WithCacheDir(t.TempDir()))
	codeA := tinyModule("", "", true)
	codeB := append(tinyModule("", "", true), wasmSection(0, wasmName("other"))...)
	a := mustLoad(t, rt, codeA)
	mustLoad(t, rt, codeB)
	if again := mustLoad(t, rt, codeA); again == a {
		t.Fatal("module survived eviction from a cache of one")
	}
	if st := rt.Stats(); st.Initialised != 3 {
		t.Fatalf("stats = %+v, want three initialisations", st)
	}
	// A caller still holding the evicted module can keep using it.
	if res := mustCall(t, a, testEnv(), "x", "", nil); !res.OK() {
		t.Fatalf("call on evicted module = %+v", res)
	}
}

func TestConcurrentCalls(t *testing.T) {
	m := rawModule(t, EngineCompiler)
	want := digest(mustCall(t, m, testEnv(), "json", "15", nil))
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				res, err := m.Call(context.Background(), testEnv(), "json", []byte("15"), nil)
				if err != nil {
					errs <- err.Error()
					return
				}
				if got := digest(res); got != want {
					errs <- got
					return
				}
				if res, _ := m.Call(context.Background(), testEnv(), "counter", nil, nil); string(res.Return) != "1" {
					errs <- "counter leaked: " + string(res.Return)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}
