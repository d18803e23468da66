package state

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/storage"
)

// testStore opens a LevelDB store in t.TempDir and a state DB over it, and
// checks every invariant when the test ends.
type testStore struct {
	t     *testing.T
	dir   string
	kv    *storage.DB
	db    *DB
	root  common.Hash
	roots []common.Hash // roots[h] after block h
}

func newTestStore(t *testing.T) *testStore {
	t.Helper()
	s := &testStore{t: t, dir: t.TempDir()}
	s.open()
	t.Cleanup(func() {
		if s.kv == nil {
			return
		}
		if err := Check(s.db, s.root); err != nil {
			t.Errorf("state check at cleanup: %v", err)
		}
		if err := s.kv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func (s *testStore) open() {
	s.t.Helper()
	kv, err := storage.Open(s.dir, storage.Options{NoSync: true})
	if err != nil {
		s.t.Fatal(err)
	}
	s.kv, s.db = kv, New(kv, Options{})
}

// reopen closes the store and opens it again, as after a restart.
func (s *testStore) reopen() {
	s.t.Helper()
	if err := s.kv.Close(); err != nil {
		s.t.Fatal(err)
	}
	s.open()
}

// commit commits one block and writes its batch.
func (s *testStore) commit(changes ...Change) common.Hash {
	s.t.Helper()
	b := s.kv.NewBatch()
	root, err := s.db.Commit(s.root, uint64(len(s.roots)), changes, b)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := b.Write(); err != nil {
		s.t.Fatal(err)
	}
	s.root = root
	s.roots = append(s.roots, root)
	return root
}

func set(c common.Address, k, v string, tx uint32) Change {
	return Change{Contract: c, Key: []byte(k), Value: []byte(v), TxIndex: tx, TxHash: common.Hash{byte(tx + 1)}}
}

func del(c common.Address, k string, tx uint32) Change {
	return Change{Contract: c, Key: []byte(k), Delete: true, TxIndex: tx, TxHash: common.Hash{byte(tx + 1)}}
}

var (
	alice = common.HexToAddress("0x00000000000000000000000000000000000a11ce")
	bob   = common.HexToAddress("0x0000000000000000000000000000000000000b0b")
)

// encodeLeaf is a version-1 leaf of v, for benchmarks that build tries of
// leaves of the real size.
func encodeLeaf(v []byte) []byte { return (&proof.Entry{Version: 1, Value: v}).Encode() }
