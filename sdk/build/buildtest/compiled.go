package buildtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
)

// compiledDir is computed once per process; a cache location, not
// behaviour, so it may be package-level.
var compiledDir = sync.OnceValue(func() string {
	v := wazeroVersion()
	if v == "" {
		return ""
	}
	dir := filepath.Join(os.TempDir(), "meshledger-test-wazero-"+v)
	pruneOlderThan(dir, 3*24*time.Hour)
	return dir
})

// CompiledCacheDir is a directory for wazero's compiled code shared by every
// test process of this machine (runtime.Config.WithCompiledCacheDir), or ""
// when the wazero version is unknown. Compiling a Go-built contract takes
// seconds; its compiled code depends only on the module bytes, the wazero
// version and the CPU, and wazero writes its cache safely from several
// processes at once, so sharing it across test binaries is sound.
func CompiledCacheDir() string { return compiledDir() }

// wazeroVersion is the version of the wazero module this binary was built
// with, or "" if unknown. Test binaries carry no dependency versions in
// their build information (and wazero then calls itself "dev", which would
// let its cache mix versions), but the source path of wazero's code names
// its module version.
func wazeroVersion() string {
	pc := reflect.ValueOf(wazero.NewRuntime).Pointer()
	file, _ := runtime.FuncForPC(pc).FileLine(pc)
	_, rest, ok := strings.Cut(filepath.ToSlash(file), "github.com/tetratelabs/wazero@")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, "/")
	return v
}

// pruneOlderThan removes files not written for maxAge, so the shared
// directory does not grow with every version of every contract. A removed
// entry still in use is compiled again once.
func pruneOlderThan(dir string, maxAge time.Duration) {
	cutoff := time.Now().Add(-maxAge)
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil && info.ModTime().Before(cutoff) {
			os.Remove(p)
		}
		return nil
	})
}
