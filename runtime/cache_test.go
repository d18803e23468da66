package runtime

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// listFiles maps every file under dirs to its size and modification time.
func listFiles(t *testing.T, dirs ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			out[p] = info.ModTime().Format(time.RFC3339Nano) + " " + fmt.Sprint(info.Size())
			return nil
		})
	}
	return out
}

// TestRestartUsesDiskCaches restarts a runtime over a warm disk cache: it
// must neither instrument, compile nor initialise again, and its module
// must behave as before. Both engines must also take byte-identical
// snapshots.
func TestRestartUsesDiskCaches(t *testing.T) {
	code := rawGuest(t)
	var snaps []*snapshot
	for _, eng := range []Engine{EngineCompiler, EngineInterpreter} {
		t.Run(fmt.Sprintf("engine=%d", eng), func(t *testing.T) {
			cfg := NewConfig().WithEngine(eng)
			first := newTestRuntime(t, cfg)
			loaded := mustLoad(t, first, code)
			want := mustCall(t, loaded, testEnv(), "json", "10", nil)
			// A copy: the snapshot's memory is unmapped when its runtime closes.
			snaps = append(snaps, &snapshot{mem: bytes.Clone(loaded.snap.mem), globals: loaded.snap.globals})

			before := listFiles(t, testCacheDir, testCompiledDir)
			restarted := newTestRuntime(t, cfg)
			m, ok, err := restarted.LoadCached(context.Background(), CodeHash(code))
			if err != nil || !ok {
				t.Fatalf("LoadCached after restart = %v, %v", ok, err)
			}
			if st := restarted.Stats(); st.Prepared != 0 || st.DiskHits != 1 || st.Initialised != 0 || st.SnapshotHits != 1 {
				t.Fatalf("restarted runtime stats = %+v, want no instrumentation or initialisation, one disk and one snapshot hit", st)
			}
			after := listFiles(t, testCacheDir, testCompiledDir)
			for p, v := range after {
				if before[p] != v {
					t.Fatalf("cache file %s written on restart: the module was recompiled, re-instrumented or initialised", p)
				}
			}
			for i := range 3 { // the first call runs on a new instance, later ones on a reset one
				if got := mustCall(t, m, testEnv(), "json", "10", nil); digest(got) != digest(want) {
					t.Fatalf("call %d after restart %s, before %s", i, digest(got), digest(want))
				}
				if got := mustCall(t, m, testEnv(), "counter", "", nil); string(got.Return) != "1" {
					t.Fatalf("counter after restart = %q, want 1", got.Return)
				}
			}
		})
	}
	if len(snaps) == 2 && (!bytes.Equal(snaps[0].mem, snaps[1].mem) || !slices.Equal(snaps[0].globals, snaps[1].globals)) {
		t.Fatal("the engines took different snapshots")
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
	if st := rt.Stats(); st.Initialised != 2 || st.SnapshotHits != 1 {
		t.Fatalf("stats = %+v, want two initialisations and the reload's snapshot from disk", st)
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
