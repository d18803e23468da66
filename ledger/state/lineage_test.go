package state

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/storage"
)

// TestLineageChain writes one key through every kind of change and checks
// that the history rebuilds a hash chain whose head is the trie leaf.
func TestLineageChain(t *testing.T) {
	s := newTestStore(t)
	s.commit(set(alice, "k", "a", 0))                                                 // v1
	s.commit(set(alice, "k", "b", 1), set(bob, "k", "x", 2), set(alice, "k", "c", 3)) // v2, v3 in one block
	s.commit(del(alice, "k", 0))                                                      // v4 tombstone
	s.commit(set(alice, "k", "d", 5))                                                 // v5 after the tombstone
	// The same transaction writing twice makes one version: the last write.
	s.commit(set(alice, "k", "e1", 2), set(alice, "k", "e2", 2)) // v6
	s.reopen()

	hist, err := s.db.History(alice, []byte("k"), 0, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		version uint64
		height  uint64
		tx      uint32
		value   string
		deleted bool
	}{
		{1, 0, 0, "a", false}, {2, 1, 1, "b", false}, {3, 1, 3, "c", false},
		{4, 2, 0, "", true}, {5, 3, 5, "d", false}, {6, 4, 2, "e2", false},
	}
	if len(hist) != len(want) {
		t.Fatalf("%d history entries, want %d: %+v", len(hist), len(want), hist)
	}
	var prev common.Hash
	for i, w := range want {
		h := hist[i]
		if h.Version != w.version || h.Height != w.height || h.TxIndex != w.tx || h.Deleted != w.deleted || string(h.Value) != w.value {
			t.Errorf("entry %d: %+v, want %+v", i, h, w)
		}
		if h.Prev != prev {
			t.Errorf("version %d: prev %x, want %x", h.Version, h.Prev, prev)
		}
		prev = h.Entry().Hash()
	}
	head, err := s.db.EntryAt(s.root, alice, []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(head.Encode(), hist[len(hist)-1].Entry().Encode()) {
		t.Fatalf("trie leaf %+v is not the newest history entry %+v", head, hist[len(hist)-1])
	}
	// At the tombstone's root: absent to readers, lineage head to EntryAt.
	tomb, err := s.db.EntryAt(s.roots[2], alice, []byte("k"))
	if err != nil || tomb == nil || !tomb.Deleted || tomb.Version != 4 || tomb.Prev != hist[2].Entry().Hash() {
		t.Fatalf("tombstone at h2: %+v %v", tomb, err)
	}
	if _, ok, err := s.db.GetAt(s.roots[2], alice, []byte("k")); err != nil || ok {
		t.Fatalf("tombstone reads as present: %v %v", ok, err)
	}
	r, err := s.db.ContractReaderAt(s.roots[2], alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := r.Get([]byte("k")); err != nil || ok {
		t.Fatalf("RootReader sees the tombstone: %v %v", ok, err)
	}
	p, err := s.db.Prove(s.roots[2], alice, []byte("k"))
	if err != nil || p.Exists || p.Value != nil || p.Verify() != nil {
		t.Fatalf("tombstone proof: %+v %v", p, err)
	}
	if e, err := proof.VerifyStateEntry(p.Root, alice, []byte("k"), p.Nodes); err != nil || e.Version != 4 || !e.Deleted {
		t.Fatalf("tombstone proof carries head %+v %v", e, err)
	}
	if e, err := s.db.EntryAt(s.root, alice, []byte("never")); err != nil || e != nil {
		t.Fatalf("never written: %+v %v", e, err)
	}
	// A tombstone is not listed by Iterate.
	s.commit(del(bob, "k", 0))
	n := 0
	if err := s.db.Iterate(bob, nil, nil, func(k, v []byte) bool { n++; return true }); err != nil || n != 0 {
		t.Fatalf("Iterate over a deleted key: %d keys, %v", n, err)
	}
}

// TestCheckDetectsBrokenLineage alters a stored history entry's prev and
// expects Check to name the broken chain.
func TestCheckDetectsBrokenLineage(t *testing.T) {
	s := newTestStore(t)
	s.commit(set(alice, "k", "a", 0))
	s.commit(set(alice, "k", "b", 0))
	hk := storage.HistoryKey(alice, []byte("k"), 1, 0)
	v, err := s.kv.Get(hk)
	if err != nil {
		t.Fatal(err)
	}
	bad := encodeHistory(set(alice, "k", "b", 0), &proof.Entry{Version: 2, Prev: common.Hash{9}})
	if bytes.Equal(v, bad) {
		t.Fatal("forged entry equals the stored one")
	}
	if err := s.kv.Put(hk, bad); err != nil {
		t.Fatal(err)
	}
	err = Check(s.db, s.root)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Check = %v, want ErrCorrupt", err)
	}
	if err := s.kv.Put(hk, v); err != nil { // restore for the cleanup check
		t.Fatal(err)
	}
}
