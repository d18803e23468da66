package runtime

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// snapshotFiles lists the stored snapshots under a cache directory.
func snapshotFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "prepared", "*", "*.snap"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestDamagedSnapshotIsAMiss damages a stored snapshot in every way the
// loader must notice. A restarted runtime must initialise the module again,
// call it normally and rewrite the snapshot, which the next restart reads.
func TestDamagedSnapshotIsAMiss(t *testing.T) {
	code := tinyModule("", "", true)
	hash := CodeHash(code)
	for _, c := range []struct {
		name   string
		damage func(t *testing.T, file string, snap *snapshot)
	}{
		{"last memory byte flipped", flipByte(-sha256.Size - 1)},
		{"digest byte flipped", flipByte(-1)},
		{"truncated", func(t *testing.T, file string, _ *snapshot) { truncate(t, file, 100) }},
		{"empty", func(t *testing.T, file string, _ *snapshot) { truncate(t, file, 0) }},
		{"another code's", func(t *testing.T, file string, snap *snapshot) {
			writeFile(t, file, encodeSnapshot(snap, Hash{1}))
		}},
		{"other magic", func(t *testing.T, file string, snap *snapshot) {
			b := encodeSnapshot(snap, hash)
			b[0] = 'X'
			writeFile(t, file, encodeRaw(b[:len(b)-sha256.Size]))
		}},
		{"extra global", func(t *testing.T, file string, snap *snapshot) {
			writeFile(t, file, encodeSnapshot(&snapshot{mem: snap.mem, globals: append(snap.globals, 7)}, hash))
		}},
		{"memory not whole pages", func(t *testing.T, file string, snap *snapshot) {
			writeFile(t, file, encodeSnapshot(&snapshot{mem: snap.mem[:100], globals: snap.globals}, hash))
		}},
		{"memory over the limit", func(t *testing.T, file string, snap *snapshot) {
			big := make([]byte, (int(DefaultLimits().MaxMemoryPages)+1)*wasmPageSize)
			writeFile(t, file, encodeSnapshot(&snapshot{mem: big, globals: snap.globals}, hash))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := NewConfig().WithCacheDir(dir)
			snap := mustLoad(t, newTestRuntime(t, cfg), code).snap
			files := snapshotFiles(t, dir)
			if len(files) != 1 {
				t.Fatalf("snapshot files = %v, want one", files)
			}
			c.damage(t, files[0], snap)

			rt := newTestRuntime(t, cfg)
			m, ok, err := rt.LoadCached(context.Background(), hash)
			if err != nil || !ok {
				t.Fatalf("LoadCached = %v, %v", ok, err)
			}
			if st := rt.Stats(); st.SnapshotHits != 0 || st.Initialised != 1 {
				t.Fatalf("stats = %+v, want the damaged snapshot ignored and the module initialised", st)
			}
			if res := mustCall(t, m, testEnv(), "x", "", nil); !res.OK() {
				t.Fatalf("call = %+v", res)
			}
			again := newTestRuntime(t, cfg)
			if _, ok, err := again.LoadCached(context.Background(), hash); err != nil || !ok {
				t.Fatalf("LoadCached = %v, %v", ok, err)
			}
			if st := again.Stats(); st.SnapshotHits != 1 || st.Initialised != 0 {
				t.Fatalf("stats = %+v, want the rewritten snapshot read", st)
			}
		})
	}
}

func flipByte(off int) func(t *testing.T, file string, _ *snapshot) {
	return func(t *testing.T, file string, _ *snapshot) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		i := off
		if i < 0 {
			i += len(b)
		}
		b[i] ^= 1
		writeFile(t, file, b)
	}
}

func truncate(t *testing.T, file string, n int64) {
	t.Helper()
	if err := os.Truncate(file, n); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, file string, b []byte) {
	t.Helper()
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// encodeRaw appends a valid digest to body.
func encodeRaw(body []byte) []byte {
	sum := sha256.Sum256(body)
	return append(append([]byte(nil), body...), sum[:]...)
}

// TestSnapshotIsKeyedByConfig checks that a runtime with another init gas
// budget does not use, or overwrite, another configuration's snapshot.
func TestSnapshotIsKeyedByConfig(t *testing.T) {
	dir := t.TempDir()
	code := tinyModule("", "", true)
	mustLoad(t, newTestRuntime(t, NewConfig().WithCacheDir(dir)), code)
	other := newTestRuntime(t, NewConfig().WithCacheDir(dir).WithInitGas(DefaultInitGas/2))
	mustLoad(t, other, code)
	if st := other.Stats(); st.SnapshotHits != 0 || st.Initialised != 1 {
		t.Fatalf("stats = %+v, want the other configuration's snapshot ignored", st)
	}
	if files := snapshotFiles(t, dir); len(files) != 2 {
		t.Fatalf("snapshot files = %v, want one per configuration", files)
	}
}

// TestSnapshotReadErrorIsAHostError checks that a snapshot that cannot be
// read (here a directory in its place) fails the load with the cause,
// rather than being taken for a miss.
func TestSnapshotReadErrorIsAHostError(t *testing.T) {
	dir := t.TempDir()
	code := tinyModule("", "", true)
	mustLoad(t, newTestRuntime(t, NewConfig().WithCacheDir(dir)), code)
	files := snapshotFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("snapshot files = %v, want one", files)
	}
	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(files[0], 0o755); err != nil {
		t.Fatal(err)
	}
	_, _, err := newTestRuntime(t, NewConfig().WithCacheDir(dir)).LoadCached(context.Background(), CodeHash(code))
	if !errors.Is(err, syscall.EISDIR) {
		t.Fatalf("LoadCached error = %v, want EISDIR", err)
	}
}
