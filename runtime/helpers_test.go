package runtime

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

// guests builds Go packages to Wasm once per test process.
var guests sync.Map // package path -> func() ([]byte, error)

// buildGuest compiles a Go package (relative to the repository root) with
// the contract toolchain flags.
func buildGuest(tb testing.TB, pkg string) []byte {
	tb.Helper()
	f, _ := guests.LoadOrStore(pkg, sync.OnceValues(func() ([]byte, error) {
		dir, err := os.MkdirTemp("", "meshguest")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "c.wasm")
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", out, "./"+pkg)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, &buildError{pkg: pkg, out: string(b), err: err}
		}
		return os.ReadFile(out)
	}))
	code, err := f.(func() ([]byte, error))()
	if err != nil {
		tb.Fatal(err)
	}
	return code
}

type buildError struct {
	pkg, out string
	err      error
}

func (e *buildError) Error() string { return "build " + e.pkg + ": " + e.err.Error() + "\n" + e.out }

func rawGuest(tb testing.TB) []byte { return buildGuest(tb, "runtime/testdata/rawguest") }

// memState is an in-memory State.
type memState struct {
	m   map[string][]byte
	err error
}

func newMemState() *memState { return &memState{m: map[string][]byte{}} }

func (s *memState) Get(key []byte) ([]byte, bool, error) {
	if s.err != nil {
		return nil, false, s.err
	}
	v, ok := s.m[string(key)]
	return v, ok, nil
}

func (s *memState) Iterate(prefix, start []byte, fn func(k, v []byte) bool) error {
	if s.err != nil {
		return s.err
	}
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		if bytes.HasPrefix([]byte(k), prefix) && k >= string(start) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !fn([]byte(k), s.m[k]) {
			break
		}
	}
	return nil
}

func (s *memState) apply(ws []Write) {
	for _, w := range ws {
		if w.Delete {
			delete(s.m, string(w.Key))
		} else {
			s.m[string(w.Key)] = w.Value
		}
	}
}

// testCacheDir is a disk cache shared by the tests of one process, so each
// module is instrumented and initialised once per process rather than once
// per test. It is not kept across processes: its entries depend on this
// package's code, which changes between test runs.
var testCacheDir string

// testCompiledDir holds compiled code for every test process, across runs
// (see WithCompiledCacheDir): compiling a contract takes seconds, and its
// compiled code depends only on its bytes, the wazero version and the CPU.
// Without a known wazero version it is per process, like testCacheDir.
var testCompiledDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "meshledger-runtime-test")
	if err != nil {
		panic(err)
	}
	testCacheDir = dir
	testCompiledDir = filepath.Join(dir, "compiled")
	if shared := buildtest.CompiledCacheDir(); shared != "" {
		testCompiledDir = shared
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// newTestRuntime creates a runtime closed at the end of the test. Unless
// cfg names its own cache directory it uses the process's disk cache and
// the shared compiled code.
func newTestRuntime(tb testing.TB, cfg Config) *Runtime {
	tb.Helper()
	if cfg.CacheDir() == "" {
		cfg = cfg.WithCacheDir(testCacheDir).WithCompiledCacheDir(testCompiledDir)
	}
	rt, err := New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

// shared runtimes live for the whole test process, so that each module is
// compiled and initialised once.
var shared struct {
	once [2]sync.Once
	rt   [2]*Runtime
	err  [2]error
}

// sharedRuntime returns the process-wide runtime of the engine with the
// default config (plus the shared disk cache).
func sharedRuntime(tb testing.TB, e Engine) *Runtime {
	tb.Helper()
	shared.once[e].Do(func() {
		shared.rt[e], shared.err[e] = New(context.Background(), NewConfig().WithEngine(e).WithCacheDir(testCacheDir).WithCompiledCacheDir(testCompiledDir))
	})
	if shared.err[e] != nil {
		tb.Fatal(shared.err[e])
	}
	return shared.rt[e]
}

// rawModule is the raw guest on the shared runtime of e.
func rawModule(tb testing.TB, e Engine) *Module {
	tb.Helper()
	return mustLoad(tb, sharedRuntime(tb, e), rawGuest(tb))
}

func mustLoad(tb testing.TB, rt *Runtime, code []byte) *Module {
	tb.Helper()
	m, err := rt.Load(context.Background(), code)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func testEnv() Env {
	return Env{Caller: Address{1, 2, 3}, Contract: Address{9}, TxHash: Hash{7}, Height: 42, TimeMs: 1_700_000_000_000, GasLimit: 50_000_000}
}

func mustCall(tb testing.TB, m *Module, env Env, method string, args string, st State) *Result {
	tb.Helper()
	res, err := m.Call(context.Background(), env, method, []byte(args), st)
	if err != nil {
		tb.Fatalf("%s: host error: %v", method, err)
	}
	return res
}
