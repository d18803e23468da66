package buildtest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/meshledger/meshledger/sdk/build"
)

func TestWasmBuildsOncePerProcess(t *testing.T) {
	const pkg = "sdk/build/testdata/ok"
	var wg sync.WaitGroup
	results := make([][]byte, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = Wasm(t, pkg)
		}()
	}
	wg.Wait()
	for _, r := range results {
		if !bytes.HasPrefix(r, []byte("\x00asm")) || &r[0] != &results[0][0] {
			t.Fatal("parallel callers did not share one build")
		}
	}
	dir, err := cacheDir()
	if err != nil {
		t.Fatal(err)
	}
	cached, err := os.ReadFile(filepath.Join(dir, "sdk_build_testdata_ok.wasm"))
	if err != nil || !bytes.Equal(cached, results[0]) {
		t.Fatalf("cache file differs (%v)", err)
	}
}

func TestBuildError(t *testing.T) {
	_, err := Build("sdk/build/testdata/broken")
	var be *build.Error
	if !errors.As(err, &be) {
		t.Fatalf("err %v, want *build.Error", err)
	}
	// The failure is remembered, not retried.
	if _, err2 := Build("sdk/build/testdata/broken"); err2 != err {
		t.Fatalf("second Build returned %v", err2)
	}
}

func TestModuleRoot(t *testing.T) {
	wd, _ := os.Getwd()
	root, err := ModuleRoot(wd)
	if err != nil || root != filepath.Dir(filepath.Dir(filepath.Dir(wd))) {
		t.Fatalf("ModuleRoot(%s) = %s, %v; want three levels up", wd, root, err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
	if _, err := ModuleRoot(t.TempDir()); !errors.Is(err, ErrNoModule) {
		t.Fatalf("ModuleRoot(tempdir) err %v, want ErrNoModule", err)
	}
}

func TestCompiledCacheDirNamesWazeroVersion(t *testing.T) {
	dir := CompiledCacheDir()
	if !strings.Contains(filepath.Base(dir), "meshledger-test-wazero-v") {
		t.Fatalf("CompiledCacheDir() = %q, want a directory named for the wazero version", dir)
	}
	if again := CompiledCacheDir(); again != dir {
		t.Fatalf("CompiledCacheDir changed: %q then %q", dir, again)
	}
}
