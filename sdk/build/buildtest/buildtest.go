// Package buildtest builds contracts to Wasm for tests, once per test
// process and package, so that many tests (and parallel test binaries)
// can share one build.
//
// Builds go to a per-user directory under os.TempDir(); files are written
// to a temporary name and renamed, so a concurrent reader never sees a
// partial module. Each process still builds once, relying on the go build
// cache to make that fast, so a test never runs a stale module.
package buildtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/meshledger/meshledger/sdk/build"
)

type result struct {
	once sync.Once
	wasm []byte
	err  error
}

// builds is per-process memoisation of build results, keyed by package;
// a cache, not behaviour, so it may be package-level.
var builds sync.Map // string -> *result

// Wasm returns the Wasm module of pkg, a package path relative to the
// module root (e.g. "contracts/loan"), building it on first use in this
// process. It fails the test if the build fails.
func Wasm(t testing.TB, pkg string) []byte {
	t.Helper()
	wasm, err := Build(pkg)
	if err != nil {
		t.Fatalf("buildtest: %v", err)
	}
	return wasm
}

// Build is Wasm without a testing.TB, for benchmarks' setup and tools.
func Build(pkg string) ([]byte, error) {
	r, _ := builds.LoadOrStore(pkg, &result{})
	res := r.(*result)
	res.once.Do(func() { res.wasm, res.err = buildOnce(pkg) })
	return res.wasm, res.err
}

func buildOnce(pkg string) ([]byte, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("working directory: %w", err)
	}
	root, err := ModuleRoot(wd)
	if err != nil {
		return nil, err
	}
	dir, err := cacheDir()
	if err != nil {
		return nil, err
	}
	name := strings.NewReplacer("/", "_", "\\", "_", ".", "_").Replace(strings.Trim(pkg, "/")) + ".wasm"
	out := filepath.Join(dir, name)
	tmp, err := os.CreateTemp(dir, name+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("buildtest: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName)
	if err := build.Contract(context.Background(), filepath.Join(root, filepath.FromSlash(pkg)), tmpName); err != nil {
		return nil, err
	}
	wasm, err := os.ReadFile(tmpName)
	if err != nil {
		return nil, fmt.Errorf("buildtest: %w", err)
	}
	if err := os.Rename(tmpName, out); err != nil {
		return nil, fmt.Errorf("buildtest: %w", err)
	}
	return wasm, nil
}

// ErrNoModule means no go.mod was found above the working directory.
var ErrNoModule = errors.New("buildtest: no go.mod above the working directory")

// ModuleRoot returns the nearest directory at or above dir holding go.mod.
func ModuleRoot(dir string) (string, error) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNoModule
		}
		dir = parent
	}
}

func cacheDir() (string, error) {
	owner := strconv.Itoa(os.Getuid())
	if owner == "-1" {
		if u, err := user.Current(); err == nil {
			owner = u.Username
		}
	}
	dir := filepath.Join(os.TempDir(), "meshledger-wasm-"+owner)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("buildtest: cache dir: %w", err)
	}
	return dir, nil
}
