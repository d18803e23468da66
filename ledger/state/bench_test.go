package state

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/storage"
)

// Benchmark fixtures: a store preloaded with n keys, built once per process
// and reused by every run of every benchmark that asks for n keys.
const (
	benchContracts = 100
	blockChanges   = 1000
	loadChunk      = 100_000
)

type fixture struct {
	kv   *storage.DB
	db   *DB
	root common.Hash
	next uint64 // next height
	n    int
	rng  *rand.Rand
}

var fixtures = struct {
	sync.Mutex
	byKeys map[int]*fixture
	dirs   []string
}{byKeys: map[int]*fixture{}}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range fixtures.byKeys {
		f.kv.Close()
	}
	for _, d := range fixtures.dirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

func benchKey(i int) (common.Address, []byte) {
	var c common.Address
	c[19] = byte(i % benchContracts)
	c[0] = 0xc0
	return c, []byte(fmt.Sprintf("loan/%08d/balance", i/benchContracts))
}

func benchValue(rng *rand.Rand) []byte {
	v := make([]byte, 24)
	for i := range v {
		v[i] = byte(rng.Uint32())
	}
	return v
}

// loadFixture returns the shared store with n keys, bulk-loaded in large
// unsynced commits, then reopened with sync writes for the measurements.
func loadFixture(b *testing.B, n int) *fixture {
	fixtures.Lock()
	defer fixtures.Unlock()
	if f, ok := fixtures.byKeys[n]; ok {
		return f
	}
	dir, reuse, err := fixtureDir(n)
	if err != nil {
		b.Fatal(err)
	}
	if reuse {
		kv, err := storage.Open(dir, storage.Options{})
		if err != nil {
			b.Fatal(err)
		}
		f := &fixture{kv: kv, db: New(kv, benchOptions()), n: n, rng: rand.New(rand.NewPCG(uint64(n), 7))}
		if f.root, err = f.db.LatestRoot(); err != nil {
			b.Fatal(err)
		}
		// Heights continue from a large offset; they only key history.
		f.next = 1 << 32
		f.warmUp(b)
		fixtures.byKeys[n] = f
		return f
	}
	// Synced from the start: the load is a handful of large batches, so
	// sync costs nothing, and keeping the handle keeps the node cache as
	// warm as a long-running node's.
	kv, err := storage.Open(dir, storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	f := &fixture{kv: kv, db: New(kv, benchOptions()), root: proof.EmptyRoot, n: n, rng: rand.New(rand.NewPCG(uint64(n), 7))}
	for lo := 0; lo < n; lo += loadChunk {
		changes := make([]Change, 0, loadChunk)
		for i := lo; i < min(n, lo+loadChunk); i++ {
			c, k := benchKey(i)
			changes = append(changes, Change{Contract: c, Key: k, Value: benchValue(f.rng), TxIndex: uint32(i - lo)})
		}
		f.commitSized(b, changes, 64<<20)
	}
	f.warmUp(b)
	if err := os.WriteFile(filepath.Join(dir, readyMarker), nil, 0o600); err != nil {
		b.Fatal(err)
	}
	fixtures.byKeys[n] = f
	return f
}

// benchOptions are the state options of the fixtures: the defaults (no
// warming), or with STATE_BENCH_PREFETCH=on read-ahead on every core, to
// weigh it against the default.
func benchOptions() Options {
	if os.Getenv("STATE_BENCH_PREFETCH") == "on" {
		return Options{PrefetchWorkers: -1}
	}
	return Options{}
}

const readyMarker = "BENCH-FIXTURE-READY"

// fixtureDir returns where the n-key fixture lives. By default it is a
// fresh temporary directory removed when the process ends. With
// STATE_BENCH_DIR set, fixtures are kept there between runs and reused
// (reuse=true) when complete, which saves the bulk load when iterating on
// performance.
func fixtureDir(n int) (dir string, reuse bool, err error) {
	if base := os.Getenv("STATE_BENCH_DIR"); base != "" {
		dir = filepath.Join(base, fmt.Sprintf("keys-%d", n))
		if _, err := os.Stat(filepath.Join(dir, readyMarker)); err == nil {
			return dir, true, nil
		}
		return dir, false, os.RemoveAll(dir)
	}
	dir, err = os.MkdirTemp("", "state-bench-")
	if err == nil {
		fixtures.dirs = append(fixtures.dirs, dir)
	}
	return dir, false, err
}

// commitSized commits with a preallocated batch: goleveldb grows large
// batches in small steps, which turns bulk loads quadratic.
func (f *fixture) commitSized(b *testing.B, changes []Change, size int) {
	batch := f.kv.NewBatchWithSize(size)
	root, err := f.db.Commit(f.root, f.next, changes, batch)
	if err != nil {
		b.Fatal(err)
	}
	if err := batch.Write(); err != nil {
		b.Fatal(err)
	}
	f.root, f.next = root, f.next+1
}

// warmUp commits a few blocks so that the node cache holds what a running
// node's would, rather than measuring the first blocks after a restart.
func (f *fixture) warmUp(b *testing.B) {
	for range 20 {
		f.commitSized(b, f.block(), 0)
	}
}

// block is 1,000 changes: 900 updates of existing keys, 100 new keys.
func (f *fixture) block() []Change {
	changes := make([]Change, 0, blockChanges)
	for i := range blockChanges {
		idx := f.rng.IntN(f.n)
		if i%10 == 9 {
			idx = f.n
			f.n++
		}
		c, k := benchKey(idx)
		changes = append(changes, Change{Contract: c, Key: k, Value: benchValue(f.rng), TxIndex: uint32(i / 4)})
	}
	return changes
}

type benchSize struct {
	name string
	keys int
}

// benchSizes is the commit scale series. The 10M-key store takes tens of
// minutes and gigabytes to build, so it joins only when
// MESHLEDGER_BENCH_10M=1 (make bench-scale sets it).
func benchSizes() []benchSize {
	sizes := []benchSize{{"keys=10k", 10_000}, {"keys=1M", 1_000_000}}
	if os.Getenv("MESHLEDGER_BENCH_10M") == "1" {
		sizes = append(sizes, benchSize{"keys=10M", 10_000_000})
	}
	return sizes
}

// BenchmarkCommitBlock: one block of 1,000 changed keys on top of a store
// of 10k or 1M keys, from trie update to the synced batch write.
func BenchmarkCommitBlock(b *testing.B) {
	for _, size := range benchSizes() {
		b.Run(size.name, func(b *testing.B) {
			f := loadFixture(b, size.keys)
			blocks := make([][]Change, b.N)
			for i := range blocks {
				blocks[i] = f.block()
			}
			b.ReportAllocs()
			b.ResetTimer()
			var commitT, writeT time.Duration
			cpu0 := cpuTime()
			for i := range b.N {
				t0 := time.Now()
				batch := f.kv.NewBatch()
				root, err := f.db.Commit(f.root, f.next, blocks[i], batch)
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := batch.Write(); err != nil {
					b.Fatal(err)
				}
				commitT += t1.Sub(t0)
				writeT += time.Since(t1)
				f.root, f.next = root, f.next+1
			}
			// The machine may be shared; CPU time shows the work itself.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			b.ReportMetric(float64(commitT.Microseconds())/float64(b.N), "commit-µs/op")
			b.ReportMetric(float64(writeT.Microseconds())/float64(b.N), "write-µs/op")
		})
	}
}

func proveTargets(f *fixture, count int) [][2]any {
	out := make([][2]any, count)
	for i := range out {
		c, k := benchKey(f.rng.IntN(f.n))
		out[i] = [2]any{c, k}
	}
	return out
}

// BenchmarkProveKey: a proof of one existing key at the latest root of a
// 1M-key state.
func BenchmarkProveKey(b *testing.B) {
	f := loadFixture(b, 1_000_000)
	targets := proveTargets(f, 1024)
	for _, tg := range targets { // warm the node cache as a running node would be
		if _, err := f.db.Prove(f.root, tg[0].(common.Address), tg[1].([]byte)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		tg := targets[i%len(targets)]
		p, err := f.db.Prove(f.root, tg[0].(common.Address), tg[1].([]byte))
		if err != nil || !p.Exists {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyStateProof: client-side verification of one such proof.
func BenchmarkVerifyStateProof(b *testing.B) {
	f := loadFixture(b, 1_000_000)
	targets := proveTargets(f, 1024)
	proofs := make([]*proof.StateProof, len(targets))
	size := 0
	for i, tg := range targets {
		p, err := f.db.Prove(f.root, tg[0].(common.Address), tg[1].([]byte))
		if err != nil {
			b.Fatal(err)
		}
		proofs[i] = p
		for _, n := range p.Nodes {
			size += len(n)
		}
	}
	b.ReportMetric(float64(size)/float64(len(proofs)), "proof-bytes")
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p := proofs[i%len(proofs)]
		if _, ok, err := proof.VerifyStateProof(p.Root, p.Contract, p.Key, p.Nodes); err != nil || !ok {
			b.Fatal(err)
		}
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
