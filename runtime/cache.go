package runtime

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/meshledger/meshledger/runtime/internal/wasm"
)

// moduleLRU keeps the most recently used modules. Callers hold Runtime.mu.
type moduleLRU struct {
	size  int
	order *list.List // front: most recent; values *Module
	byKey map[Hash]*list.Element
}

func newModuleLRU(size int) *moduleLRU {
	return &moduleLRU{size: size, order: list.New(), byKey: make(map[Hash]*list.Element)}
}

func (l *moduleLRU) get(h Hash) *Module {
	e, ok := l.byKey[h]
	if !ok {
		return nil
	}
	l.order.MoveToFront(e)
	return e.Value.(*Module)
}

// add inserts m and returns the module it evicted, if any.
func (l *moduleLRU) add(h Hash, m *Module) *Module {
	l.byKey[h] = l.order.PushFront(m)
	if l.order.Len() <= l.size {
		return nil
	}
	return l.removeOldest()
}

// removeOldest removes and returns the least recently used module.
func (l *moduleLRU) removeOldest() *Module {
	last := l.order.Back()
	l.order.Remove(last)
	m := last.Value.(*Module)
	delete(l.byKey, m.hash)
	return m
}

func (l *moduleLRU) drain() []*Module {
	out := make([]*Module, 0, l.order.Len())
	for e := l.order.Front(); e != nil; e = e.Next() {
		out = append(out, e.Value.(*Module))
	}
	l.order.Init()
	clear(l.byKey)
	return out
}

// preparedCache stores instrumented modules on disk, keyed by the code hash
// under a directory named for everything else the bytes depend on (the
// instrumentation version and the policy), so a changed policy never reuses
// bytes validated under another. A nil *preparedCache is a disabled cache.
type preparedCache struct {
	dir string
}

func newPreparedCache(root string, p wasm.Policy, unmetered bool) *preparedCache {
	// Imports are fixed by this package's code, so the limits, depth and
	// start gas are what vary between configurations.
	key := fmt.Sprintf("v%d abi1 %+v depth=%d startgas=%d unmetered=%t",
		wasm.InstrumentVersion, p.Limits, p.MaxCallDepth, p.StartGas, unmetered)
	sum := sha256.Sum256([]byte(key))
	return &preparedCache{dir: filepath.Join(root, fmt.Sprintf("v%d-%s", wasm.InstrumentVersion, hex.EncodeToString(sum[:8])))}
}

func (c *preparedCache) paths(h Hash) (code, meta string) {
	name := hex.EncodeToString(h[:])
	return filepath.Join(c.dir, name+".wasm"), filepath.Join(c.dir, name+".json")
}

// load returns the cached bytes and metadata, or nil bytes on a miss. A
// damaged entry is a miss: it is rebuilt from the code by the next Load.
func (c *preparedCache) load(h Hash) ([]byte, moduleMeta, error) {
	var meta moduleMeta
	if c == nil {
		return nil, meta, nil
	}
	codePath, metaPath := c.paths(h)
	mb, err := os.ReadFile(metaPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, meta, nil
	}
	if err != nil {
		return nil, meta, fmt.Errorf("runtime: read prepared cache: %w", err)
	}
	if json.Unmarshal(mb, &meta) != nil {
		return nil, moduleMeta{}, nil
	}
	code, err := os.ReadFile(codePath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, moduleMeta{}, nil
	}
	if err != nil {
		return nil, meta, fmt.Errorf("runtime: read prepared cache: %w", err)
	}
	return code, meta, nil
}

// store writes an entry. The metadata is renamed into place last, so a
// crash leaves either a complete entry or a miss.
func (c *preparedCache) store(h Hash, code []byte, meta moduleMeta) error {
	if c == nil {
		return nil
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("runtime: prepared cache: %w", err)
	}
	mb, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("runtime: prepared cache: %w", err)
	}
	codePath, metaPath := c.paths(h)
	if err := writeFileAtomic(codePath, code); err != nil {
		return err
	}
	return writeFileAtomic(metaPath, mb)
}

func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("runtime: prepared cache: %w", err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("runtime: prepared cache write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("runtime: prepared cache: %w", err)
	}
	return nil
}
