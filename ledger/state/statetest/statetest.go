// Package statetest opens real stores for tests of packages built on
// ledger/state, and checks the state invariants when each test ends (the
// bbolt MustCreateDB pattern). Test code only.
package statetest

import (
	"testing"

	"github.com/meshledger/meshledger/ledger/state"
	"github.com/meshledger/meshledger/ledger/storage"
)

// Store is a LevelDB store in t.TempDir with a state DB over it.
type Store struct {
	KV    *storage.DB
	State *state.DB
}

// MustOpen opens a fresh store (unsynced writes: the directory is thrown
// away) and registers a cleanup that runs state.Check at the latest root
// and closes it. Pass the store to nothing that outlives the test.
func MustOpen(t testing.TB) *Store {
	t.Helper()
	kv, err := storage.Open(t.TempDir(), storage.Options{NoSync: true})
	if err != nil {
		t.Fatalf("statetest: %v", err)
	}
	s := &Store{KV: kv, State: state.New(kv, state.Options{})}
	t.Cleanup(func() {
		root, err := s.State.LatestRoot()
		if err == nil {
			err = state.Check(s.State, root)
		}
		if err != nil {
			t.Errorf("statetest: state check: %v", err)
		}
		if err := kv.Close(); err != nil {
			t.Errorf("statetest: close: %v", err)
		}
	})
	return s
}
