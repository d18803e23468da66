package state

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/storage"
)

// expect is what one key holds after a block.
type expect struct {
	contract common.Address
	key      string
	value    string
	exists   bool
}

// A small chain whose every block is then read back at every root, by
// flat index, trie and proof (ours and go-ethereum's).
func TestBlocksReadProve(t *testing.T) {
	s := newTestStore(t)
	blocks := []struct {
		changes []Change
		want    []expect
	}{
		{ // height 0
			[]Change{set(alice, "loan/1", "100", 0), set(alice, "loan/2", "200", 1), set(bob, "loan/1", "b", 1)},
			[]expect{{alice, "loan/1", "100", true}, {alice, "loan/2", "200", true}, {bob, "loan/1", "b", true}, {alice, "loan/3", "", false}},
		},
		{ // height 1: overwrite, empty value, same key twice in one block
			[]Change{set(alice, "loan/1", "90", 0), set(alice, "empty", "", 0), set(alice, "loan/2", "210", 0), set(alice, "loan/2", "220", 1)},
			[]expect{{alice, "loan/1", "90", true}, {alice, "empty", "", true}, {alice, "loan/2", "220", true}},
		},
		{ // height 2: deletions, including an absent key
			[]Change{del(alice, "loan/2", 0), del(alice, "never", 0), del(bob, "loan/1", 1)},
			[]expect{{alice, "loan/2", "", false}, {alice, "never", "", false}, {bob, "loan/1", "", false}, {alice, "empty", "", true}},
		},
		{ // height 3: no changes keeps the root
			nil,
			[]expect{{alice, "loan/1", "90", true}},
		},
	}
	for h, b := range blocks {
		s.commit(b.changes...)
		if h == 3 && s.roots[3] != s.roots[2] {
			t.Fatalf("empty block changed the root")
		}
	}
	check := func(t *testing.T) {
		for h, b := range blocks {
			for _, e := range b.want {
				root := s.roots[h]
				v, ok, err := s.db.GetAt(root, e.contract, []byte(e.key))
				if err != nil || ok != e.exists || string(v) != e.value || (ok && v == nil) {
					t.Errorf("h%d GetAt %s: %q %v %v", h, e.key, v, ok, err)
				}
				p, err := s.db.Prove(root, e.contract, []byte(e.key))
				if err != nil {
					t.Fatal(err)
				}
				// Same nodes as go-ethereum's own prover.
				tr, err := s.db.openTrie(root)
				if err != nil {
					t.Fatal(err)
				}
				var ref nodeList
				if err := tr.Prove(proof.StateTrieKey(e.contract, []byte(e.key)).Bytes(), &ref); err != nil {
					t.Fatal(err)
				}
				if len(ref) != len(p.Nodes) {
					t.Fatalf("h%d %s: %d nodes, trie.Prove %d", h, e.key, len(p.Nodes), len(ref))
				}
				for i := range ref {
					if !bytes.Equal(ref[i], p.Nodes[i]) {
						t.Fatalf("h%d %s: node %d differs from trie.Prove", h, e.key, i)
					}
				}
				if p.Exists != e.exists || string(p.Value) != e.value {
					t.Errorf("h%d Prove %s: claims %q %v", h, e.key, p.Value, p.Exists)
				}
				if err := p.Verify(); err != nil {
					t.Errorf("h%d proof of %s: %v", h, e.key, err)
				}
				pv, pok, err := proof.VerifyStateProof(root, e.contract, []byte(e.key), p.Nodes)
				if err != nil || pok != e.exists || string(pv) != e.value {
					t.Errorf("h%d VerifyStateProof %s: %q %v %v", h, e.key, pv, pok, err)
				}
				// Standard compatibility: go-ethereum's own verifier.
				pdb := memorydb.New()
				for _, n := range p.Nodes {
					_ = pdb.Put(proofKeccak(n), n)
				}
				tk := proof.StateTrieKey(e.contract, []byte(e.key))
				leaf, err := trie.VerifyProof(root, tk[:], pdb)
				live := false // a tombstone leaf proves absence
				if err == nil && leaf != nil {
					ent, derr := proof.DecodeEntry(leaf)
					if derr != nil {
						t.Fatalf("h%d %s: leaf %x: %v", h, e.key, leaf, derr)
					}
					live = !ent.Deleted && string(ent.Value) == e.value
				}
				if err != nil || live != e.exists {
					t.Errorf("h%d trie.VerifyProof %s: %x %v", h, e.key, leaf, err)
				}
			}
		}
		// Latest state through the flat index.
		for _, e := range blocks[len(blocks)-1].want {
			v, ok, err := s.db.Get(e.contract, []byte(e.key))
			if err != nil || ok != e.exists || string(v) != e.value {
				t.Errorf("Get %s: %q %v %v", e.key, v, ok, err)
			}
		}
	}
	t.Run("before reopen", check)
	s.reopen()
	t.Run("after reopen", check)
	if latest, err := s.db.LatestRoot(); err != nil || latest != s.root {
		t.Fatalf("LatestRoot after reopen = %x, %v; want %x", latest, err, s.root)
	}
}

func TestEmptyValueIsNotDeletion(t *testing.T) {
	s := newTestStore(t)
	s.commit(set(alice, "k", "", 0))
	withEmpty := s.root
	if withEmpty == proof.EmptyRoot {
		t.Fatal("an empty value left the trie empty")
	}
	v, ok, err := s.db.Get(alice, []byte("k"))
	if err != nil || !ok || v == nil || len(v) != 0 {
		t.Fatalf("Get empty: %v %v %v", v, ok, err)
	}
	s.commit(del(alice, "k", 0))
	// The deleted key keeps a tombstone leaf: the trie is not empty, but
	// every reader sees the key absent.
	if s.root == proof.EmptyRoot || s.root == withEmpty {
		t.Fatalf("deleting the only key left root %x", s.root)
	}
	if _, ok, _ := s.db.Get(alice, []byte("k")); ok {
		t.Fatal("deleted key still in flat index")
	}
	if _, ok, _ := s.db.GetAt(s.root, alice, []byte("k")); ok {
		t.Fatal("tombstone read as present at its root")
	}
	if _, ok, _ := s.db.GetAt(withEmpty, alice, []byte("k")); !ok {
		t.Fatal("empty value gone from its historical root")
	}
	p, err := s.db.Prove(s.root, alice, []byte("k"))
	if err != nil || p.Exists || len(p.Nodes) == 0 || p.Verify() != nil {
		t.Fatalf("absence by tombstone: %+v %v", p, err)
	}
	// A nil value without Delete is an empty value too.
	s.commit(Change{Contract: alice, Key: []byte("k")})
	if v, ok, err := s.db.GetAt(s.root, alice, []byte("k")); err != nil || !ok || v == nil || len(v) != 0 {
		t.Fatalf("nil value: %v %v %v", v, ok, err)
	}
}

func TestIterate(t *testing.T) {
	s := newTestStore(t)
	s.commit(set(alice, "a", "1", 0), set(alice, "b/1", "2", 0), set(alice, "b/2", "3", 0), set(alice, "b/3", "", 0),
		set(alice, "c", "4", 0), set(bob, "b/1", "x", 0), set(alice, "", "root", 0))
	tests := []struct {
		name          string
		prefix, start string
		stopAfter     int
		want          []string
	}{
		{"all", "", "", 0, []string{"", "a", "b/1", "b/2", "b/3", "c"}},
		{"prefix", "b/", "", 0, []string{"b/1", "b/2", "b/3"}},
		{"prefix start inside", "b/", "b/2", 0, []string{"b/2", "b/3"}},
		{"start between keys", "b/", "b/15", 0, []string{"b/2", "b/3"}},
		{"start before prefix", "b/", "a", 0, []string{"b/1", "b/2", "b/3"}},
		{"start after prefix range", "b/", "c", 0, nil},
		{"no match", "z", "", 0, nil},
		{"stop early", "", "", 2, []string{"", "a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := s.db.ContractReader(alice).Iterate([]byte(tc.prefix), []byte(tc.start), func(k, v []byte) bool {
				got = append(got, string(k))
				return tc.stopAfter == 0 || len(got) < tc.stopAfter
			})
			if err != nil || !equalStrings(got, tc.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	s := newTestStore(t)
	first := s.commit(set(alice, "k", "v", 0))
	s.commit(set(alice, "k", "w", 0))
	b := s.kv.NewBatch()
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"commit on stale parent", func() error { _, err := s.db.Commit(first, 9, nil, b); return err }, ErrParentMismatch},
		{"delete with value", func() error {
			_, err := s.db.Commit(s.root, 9, []Change{{Contract: alice, Key: []byte("k"), Value: []byte{}, Delete: true}}, b)
			return err
		}, ErrInvalidChange},
		{"GetAt unknown root", func() error { _, _, err := s.db.GetAt(common.Hash{7}, alice, []byte("k")); return err }, ErrUnknownRoot},
		{"Prove unknown root", func() error { _, err := s.db.Prove(common.Hash{7}, alice, []byte("k")); return err }, ErrUnknownRoot},
		{"reader unknown root", func() error { _, err := s.db.ContractReaderAt(common.Hash{7}, alice); return err }, ErrUnknownRoot},
		{"history limit", func() error { _, err := s.db.History(alice, []byte("k"), 0, 0, 0); return err }, ErrInvalidLimit},
		{"historical iterate", func() error {
			r, err := s.db.ContractReaderAt(first, alice)
			if err != nil {
				return err
			}
			return r.Iterate(nil, nil, func(_, _ []byte) bool { return true })
		}, ErrHistoricalIterate},
		{"check non-latest root", func() error { return Check(s.db, first) }, ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if b.ValueSize() != 0 {
		t.Fatalf("failed commits put %d bytes into the batch", b.ValueSize())
	}
}

func TestHistoricalReader(t *testing.T) {
	s := newTestStore(t)
	r0 := s.commit(set(alice, "k", "v0", 0))
	s.commit(set(alice, "k", "v1", 0))
	r, err := s.db.ContractReaderAt(r0, alice)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second read hits nodes the reader already resolved
		if v, ok, err := r.Get([]byte("k")); err != nil || !ok || string(v) != "v0" {
			t.Fatalf("historical Get: %q %v %v", v, ok, err)
		}
	}
	if v, _, _ := s.db.ContractReader(alice).Get([]byte("k")); string(v) != "v1" {
		t.Fatalf("latest Get: %q", v)
	}
}

// runtimeState is runtime.State, restated so this package's tests do not
// depend on the runtime building.
type runtimeState interface {
	Get(key []byte) (value []byte, ok bool, err error)
	Iterate(prefix, start []byte, fn func(key, value []byte) bool) error
}

var (
	_ runtimeState = (*Reader)(nil)
	_ runtimeState = (*RootReader)(nil)
)

func TestCorruptionDetected(t *testing.T) {
	tests := []struct {
		name   string
		damage func(s *testStore)
	}{
		{"flat value changed", func(s *testStore) { _ = s.kv.Put(storage.FlatStateKey(alice, []byte("a")), []byte("x")) }},
		{"flat key added", func(s *testStore) { _ = s.kv.Put(storage.FlatStateKey(alice, []byte("zz")), []byte("x")) }},
		{"flat key lost", func(s *testStore) { _ = s.kv.Delete(storage.FlatStateKey(alice, []byte("a"))) }},
		{"history lost", func(s *testStore) { _ = s.kv.Delete(storage.HistoryKey(alice, []byte("b"), 0, 0)) }},
		{"trie node lost", func(s *testStore) {
			it := s.kv.NewIterator([]byte{storage.PrefixTrieNode}, nil)
			defer it.Release()
			it.Next()
			_ = s.kv.Delete(bytes.Clone(it.Key()))
		}},
		{"trie node altered", func(s *testStore) {
			it := s.kv.NewIterator([]byte{storage.PrefixTrieNode}, nil)
			defer it.Release()
			it.Next()
			blob := bytes.Clone(it.Value())
			blob[len(blob)-1] ^= 1
			_ = s.kv.Put(bytes.Clone(it.Key()), blob)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kv := storage.OpenMemory()
			s := &testStore{t: t, kv: kv, db: New(kv, Options{})}
			s.commit(set(alice, "a", "1", 0), set(alice, "b", "2", 0))
			if err := Check(s.db, s.root); err != nil {
				t.Fatalf("before damage: %v", err)
			}
			tc.damage(s)
			if err := Check(s.db, s.root); !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnknownRoot) {
				t.Fatalf("damage: got %v, want ErrCorrupt or ErrUnknownRoot", err)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func proofKeccak(b []byte) []byte { return crypto.Keccak256(b) }
