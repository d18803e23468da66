package state

import (
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/storage"
)

// A block whose batch write fails leaves no trace: the latest root, the
// flat index and history stay at the previous block, after a restart too,
// and the block can then be committed again.
func TestFailedBlockWriteLeavesNoTrace(t *testing.T) {
	dir := t.TempDir()
	open := func() (*storage.DB, *storage.Failpoints, *DB) {
		kv, err := storage.Open(dir, storage.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		fp := storage.WithFailpoints(kv)
		return kv, fp, New(fp, Options{})
	}
	kv, fp, db := open()
	commit := func(parent [32]byte, h uint64, cs ...Change) ([32]byte, error) {
		b := fp.NewBatch()
		root, err := db.Commit(parent, h, cs, b)
		if err != nil {
			t.Fatal(err)
		}
		return root, b.Write()
	}
	r0, err := commit([32]byte{}, 0, set(alice, "k", "v0", 0))
	if err != nil {
		t.Fatal(err)
	}
	fp.FailBatchWrite(0)
	r1, err := commit(r0, 1, set(alice, "k", "v1", 0), set(alice, "new", "x", 0))
	if !errors.Is(err, storage.ErrInjected) {
		t.Fatalf("write: got %v, want ErrInjected", err)
	}
	assertAtBlock0 := func(db *DB) {
		t.Helper()
		if latest, err := db.LatestRoot(); err != nil || latest != r0 {
			t.Fatalf("latest root %x, %v; want %x", latest, err, r0)
		}
		if v, _, _ := db.Get(alice, []byte("k")); string(v) != "v0" {
			t.Fatalf("flat value %q after failed block", v)
		}
		if h, _ := db.History(alice, []byte("k"), 0, 0, 10); len(h) != 1 {
			t.Fatalf("history has %d entries after failed block", len(h))
		}
		if err := Check(db, r0); err != nil {
			t.Fatal(err)
		}
	}
	assertAtBlock0(db)
	kv.Close()
	kv, fp, db = open()
	defer kv.Close()
	assertAtBlock0(db)
	if _, _, err := db.GetAt(r1, alice, []byte("k")); !errors.Is(err, ErrUnknownRoot) {
		t.Fatalf("root of the failed block after restart: got %v, want ErrUnknownRoot", err)
	}
	again, err := commit(r0, 1, set(alice, "k", "v1", 0), set(alice, "new", "x", 0))
	if err != nil || again != r1 {
		t.Fatalf("retry: root %x, %v; want %x", again, err, r1)
	}
	if err := Check(db, r1); err != nil {
		t.Fatal(err)
	}
}

// Every Put Commit makes can fail; each failure is reported with its
// cause and nothing is written.
func TestCommitPutFailures(t *testing.T) {
	// One change puts: flat value, history entry, one trie node (a lone
	// leaf is the root), then the latest root.
	for n, step := range []string{"apply change", "apply change", "put trie node", "put latest root"} {
		t.Run(step, func(t *testing.T) {
			fp := storage.WithFailpoints(storage.OpenMemory())
			db := New(fp, Options{})
			fp.FailPut(n)
			_, err := db.Commit([32]byte{}, 0, []Change{set(alice, "k", "v", 0)}, fp.NewBatch())
			if !errors.Is(err, storage.ErrInjected) || !strings.Contains(err.Error(), step) {
				t.Fatalf("got %v, want ErrInjected at %q", err, step)
			}
		})
	}
}

func TestProveMissingInnerNode(t *testing.T) {
	kv := storage.OpenMemory()
	db := New(kv, Options{NodeCacheBytes: -1})
	b := kv.NewBatch()
	var changes []Change
	for i := range 50 {
		changes = append(changes, set(alice, string(rune('a'+i)), "v", 0))
	}
	root, err := db.Commit([32]byte{}, 0, changes, b)
	if err != nil || b.Write() != nil {
		t.Fatal(err)
	}
	p, err := db.Prove(root, alice, []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	// Drop the last node on the path: the root stays, the proof cannot finish.
	leafHash := common.BytesToHash(crypto.Keccak256(p.Nodes[len(p.Nodes)-1]))
	if err := kv.Delete(storage.TrieNodeKey(leafHash)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prove(root, alice, []byte("a")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want ErrCorrupt", err)
	}
}
