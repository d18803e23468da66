package histlog

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/meshledger/meshledger/ledger/storage"
)

// blockHash is a stand-in block hash for leaf i.
func blockHash(i uint64) common.Hash {
	return crypto.Keccak256Hash([]byte(fmt.Sprintf("block %d", i)))
}

func openLevel(t testing.TB, dir string) *storage.DB {
	t.Helper()
	db, err := storage.Open(dir, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// appendWritten appends leaves from..to-1 one batch each, as the ledger
// does: append, write the batch, publish.
func appendWritten(t testing.TB, l *Log, kv ethdb.KeyValueStore, from, to uint64) {
	t.Helper()
	for i := from; i < to; i++ {
		b := kv.NewBatch()
		p, err := l.Append(blockHash(i), b)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Write(); err != nil {
			t.Fatal(err)
		}
		if err := l.Publish(p); err != nil {
			t.Fatal(err)
		}
	}
}

func hashesEqual(got []common.Hash, want [][]byte) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !bytes.Equal(got[i][:], want[i]) {
			return false
		}
	}
	return true
}

// TestLogMatchesReference checks every root, every inclusion proof and
// every consistency proof of logs up to 33 leaves against the RFC's
// recursive definitions, and that each proof verifies.
func TestLogMatchesReference(t *testing.T) {
	const n = 33
	db := openLevel(t, t.TempDir())
	defer db.Close()
	l, err := Open(db, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := l.Root(0); err != nil || r != EmptyRoot || EmptyRoot != common.Hash(sha256Empty()) {
		t.Fatalf("empty root %s, %v", r, err)
	}
	leaves := make([]common.Hash, n)
	for i := range leaves {
		leaves[i] = blockHash(uint64(i))
	}
	appendWritten(t, l, db, 0, n)
	if l.Size() != n {
		t.Fatalf("size %d, want %d", l.Size(), n)
	}
	for size := uint64(0); size <= n; size++ {
		root, err := l.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		if want := refMTH(leaves[:size]); !bytes.Equal(root[:], want) {
			t.Fatalf("root(%d) = %s, want %x", size, root, want)
		}
		for i := uint64(0); i < size; i++ {
			path, err := l.InclusionProof(i, size)
			if err != nil {
				t.Fatal(err)
			}
			if !hashesEqual(path, refPath(int(i), leaves[:size])) {
				t.Fatalf("inclusion(%d, %d) differs from the RFC's PATH", i, size)
			}
			if err := VerifyInclusion(i, size, leaves[i], path, root); err != nil {
				t.Fatalf("inclusion(%d, %d): %v", i, size, err)
			}
			if err := VerifyInclusion(i, size, blockHash(n+1), path, root); err == nil {
				t.Fatalf("inclusion(%d, %d) verified for another block", i, size)
			}
		}
		for from := uint64(0); from <= size; from++ {
			path, err := l.ConsistencyProof(from, size)
			if err != nil {
				t.Fatal(err)
			}
			if !hashesEqual(path, refProof(int(from), leaves[:size])) {
				t.Fatalf("consistency(%d, %d) differs from the RFC's PROOF", from, size)
			}
			fromRoot, _ := l.Root(from)
			if err := VerifyConsistency(from, size, path, fromRoot, root); err != nil {
				t.Fatalf("consistency(%d, %d): %v", from, size, err)
			}
		}
	}
}

func sha256Empty() [32]byte {
	return [32]byte(common.FromHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
}

// TestReopen: a log written through LevelDB and reopened at its size has
// the same roots and proofs; opened past its size it reports the missing
// node.
func TestReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	db := openLevel(t, dir)
	l, err := Open(db, 0)
	if err != nil {
		t.Fatal(err)
	}
	appendWritten(t, l, db, 0, 37)
	root := l.snap.Load().root
	path, err := l.InclusionProof(5, 37)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openLevel(t, dir)
	defer db.Close()
	l2, err := Open(db, 37)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := l2.Root(37); r != root {
		t.Fatalf("reopened root %s, want %s", r, root)
	}
	path2, err := l2.InclusionProof(5, 37)
	if err != nil || fmt.Sprint(path2) != fmt.Sprint(path) {
		t.Fatalf("reopened proof differs: %v", err)
	}
	appendWritten(t, l2, db, 37, 40)
	if _, err := Open(db, 41); !errors.Is(err, ErrMissingNode) {
		t.Fatalf("open past the stored log: %v, want ErrMissingNode", err)
	}
}

// TestUnwrittenAppend: an append whose batch is never written (a crash
// before the block's write) leaves the published log and the store as they
// were, and the next append takes its place.
func TestUnwrittenAppend(t *testing.T) {
	db := openLevel(t, t.TempDir())
	defer db.Close()
	l, err := Open(db, 0)
	if err != nil {
		t.Fatal(err)
	}
	appendWritten(t, l, db, 0, 7)
	before, _ := l.Root(7)

	dropped, err := l.Append(common.HexToHash("0xdead"), db.NewBatch())
	if err != nil {
		t.Fatal(err)
	}
	if dropped.Size() != 8 || dropped.Root() == before {
		t.Fatalf("pending size %d root %s", dropped.Size(), dropped.Root())
	}
	if l.Size() != 7 {
		t.Fatalf("size %d after an unpublished append", l.Size())
	}
	if _, err := l.InclusionProof(7, 8); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("proof into an unpublished size: %v", err)
	}
	if _, err := Open(db, 8); !errors.Is(err, ErrMissingNode) {
		t.Fatalf("unwritten batch reached the store: %v", err)
	}

	appendWritten(t, l, db, 7, 8)
	if err := l.Publish(dropped); !errors.Is(err, ErrStale) {
		t.Fatalf("publishing a stale append: %v, want ErrStale", err)
	}
	root, _ := l.Root(8)
	want := make([]common.Hash, 8)
	for i := range want {
		want[i] = blockHash(uint64(i))
	}
	if !bytes.Equal(root[:], refMTH(want)) {
		t.Fatal("the log after a dropped append is not the log of the written leaves")
	}
	reopened, err := Open(db, 8)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := reopened.Root(8); r != root {
		t.Fatal("reopened log differs")
	}
}

// TestAppendPutFails: a batch that refuses a node fails the append with
// the store's error and publishes nothing.
func TestAppendPutFails(t *testing.T) {
	fp := storage.WithFailpoints(storage.OpenMemory())
	l, err := Open(fp, 0)
	if err != nil {
		t.Fatal(err)
	}
	appendWritten(t, l, fp, 0, 3)
	fp.FailPut(1) // leaf 3 completes nodes (0,3), (1,1), (2,0): the second put fails
	if _, err := l.Append(blockHash(3), fp.NewBatch()); !errors.Is(err, storage.ErrInjected) {
		t.Fatalf("append with a failing put: %v, want ErrInjected", err)
	}
	fp.Reset()
	if l.Size() != 3 {
		t.Fatalf("size %d after a failed append", l.Size())
	}
}

// TestCorruptNode: a stored node of the wrong length is reported as
// corruption, not used.
func TestCorruptNode(t *testing.T) {
	db := storage.OpenMemory()
	l, _ := Open(db, 0)
	appendWritten(t, l, db, 0, 4)
	if err := db.Put(storage.LogNodeKey(0, 1), []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.InclusionProof(0, 4); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("proof over a corrupt node: %v, want ErrCorrupt", err)
	}
	if err := db.Delete(storage.LogNodeKey(0, 2)); err != nil { // leaves are only stored
		t.Fatal(err)
	}
	if _, err := l.Root(3); !errors.Is(err, ErrMissingNode) {
		t.Fatalf("root over a missing node: %v, want ErrMissingNode", err)
	}
}

func TestOutOfRange(t *testing.T) {
	db := storage.OpenMemory()
	l, _ := Open(db, 0)
	appendWritten(t, l, db, 0, 5)
	tests := []struct {
		name string
		call func() error
	}{
		{"root past size", func() error { _, err := l.Root(6); return err }},
		{"inclusion size past log", func() error { _, err := l.InclusionProof(0, 6); return err }},
		{"inclusion index = size", func() error { _, err := l.InclusionProof(3, 3); return err }},
		{"inclusion in empty log", func() error { _, err := l.InclusionProof(0, 0); return err }},
		{"consistency to past log", func() error { _, err := l.ConsistencyProof(1, 6); return err }},
		{"consistency from > to", func() error { _, err := l.ConsistencyProof(4, 3); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, ErrOutOfRange) {
				t.Fatalf("got %v, want ErrOutOfRange", err)
			}
		})
	}
}

// TestConcurrentReaders: proofs for published sizes, read while one writer
// appends, always verify against the root of their size (run with -race).
func TestConcurrentReaders(t *testing.T) {
	db := storage.OpenMemory()
	l, _ := Open(db, 0)
	appendWritten(t, l, db, 0, 1)
	const total = 300
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 200; k++ {
				size := l.Size()
				idx := uint64(k) % size
				root, err := l.Root(size)
				if err != nil {
					errc <- err
					return
				}
				path, err := l.InclusionProof(idx, size)
				if err != nil {
					errc <- err
					return
				}
				if err := VerifyInclusion(idx, size, blockHash(idx), path, root); err != nil {
					errc <- fmt.Errorf("leaf %d of %d: %w", idx, size, err)
					return
				}
			}
		}()
	}
	appendWritten(t, l, db, 1, total)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}
