package histlog

import (
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/storage"
)

// benchLeaves is the log size the benchmarks measure at.
const benchLeaves = 1_000_000

// The benchmark log is built once per test process, in a temp LevelDB
// removed by TestMain.
var bench struct {
	once sync.Once
	dir  string
	db   *storage.DB
	log  *Log
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.db != nil {
		bench.db.Close()
	}
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// benchLog returns the shared log of at least benchLeaves leaves.
func benchLog(b *testing.B) *Log {
	b.Helper()
	if testing.Short() {
		b.Skip("builds a log of 10⁶ leaves: not under -short")
	}
	bench.once.Do(func() {
		if bench.dir, bench.err = os.MkdirTemp("", "histlog-bench-"); bench.err != nil {
			return
		}
		if bench.db, bench.err = storage.Open(bench.dir, storage.Options{NoSync: true}); bench.err != nil {
			return
		}
		bench.log, bench.err = Open(bench.db, 0)
		if bench.err != nil {
			return
		}
		// Batches of many leaves: nothing reads the log while it is built.
		batch := bench.db.NewBatch()
		for i := uint64(0); i < benchLeaves; i++ {
			p, err := bench.log.Append(blockHash(i), batch)
			if err != nil {
				bench.err = err
				return
			}
			if err := bench.log.Publish(p); err != nil {
				bench.err = err
				return
			}
			if batch.ValueSize() > 4<<20 || i == benchLeaves-1 {
				if bench.err = batch.Write(); bench.err != nil {
					return
				}
				batch.Reset()
			}
		}
		// Settle the store as a long-running node's would be, so that
		// background compaction does not run during the measurements.
		bench.err = bench.db.Compact(nil, nil)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.log
}

// BenchmarkLogAppend is a block's commit of its leaf: the nodes into the
// block's batch (written with it, here every 1024 leaves) and the publish.
func BenchmarkLogAppend(b *testing.B) {
	l := benchLog(b)
	batch := bench.db.NewBatch()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := l.Append(blockHash(l.Size()), batch)
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Publish(p); err != nil {
			b.Fatal(err)
		}
		if i%1024 == 1023 {
			if err := batch.Write(); err != nil {
				b.Fatal(err)
			}
			batch.Reset()
		}
	}
	b.StopTimer()
	if err := batch.Write(); err != nil {
		b.Fatal(err)
	}
}

// benchIndexes are leaf indexes spread over the whole log, the same on
// every run.
func benchIndexes(size uint64) []uint64 {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]uint64, 4096)
	for i := range out {
		out[i] = r.Uint64N(size)
	}
	return out
}

func BenchmarkInclusionProofGenerate(b *testing.B) {
	l := benchLog(b)
	size := l.Size()
	idx := benchIndexes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := l.InclusionProof(idx[i%len(idx)], size); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInclusionProofVerify(b *testing.B) {
	l := benchLog(b)
	size := l.Size()
	root, err := l.Root(size)
	if err != nil {
		b.Fatal(err)
	}
	idx := benchIndexes(size)[:256]
	paths := make([][]common.Hash, len(idx))
	for i, x := range idx {
		if paths[i], err = l.InclusionProof(x, size); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(idx)
		if err := VerifyInclusion(idx[k], size, blockHash(idx[k]), paths[k], root); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConsistencyProofGenerate(b *testing.B) {
	l := benchLog(b)
	size := l.Size()
	from := benchIndexes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := l.ConsistencyProof(from[i%len(from)]+1, size); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConsistencyProofVerify(b *testing.B) {
	l := benchLog(b)
	size := l.Size()
	toRoot, err := l.Root(size)
	if err != nil {
		b.Fatal(err)
	}
	from := benchIndexes(size)[:256]
	paths := make([][]common.Hash, len(from))
	roots := make([]common.Hash, len(from))
	for i, f := range from {
		if paths[i], err = l.ConsistencyProof(f+1, size); err != nil {
			b.Fatal(err)
		}
		if roots[i], err = l.Root(f + 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(from)
		if err := VerifyConsistency(from[k]+1, size, paths[k], roots[k], toRoot); err != nil {
			b.Fatal(err)
		}
	}
}
