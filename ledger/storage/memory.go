package storage

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
)

// OpenMemory returns an empty in-memory DB with the same interface as Open,
// for tests. Nothing survives Close.
func OpenMemory() *DB { return &DB{KeyValueStore: memorydb.New()} }

// Get reads key, telling absence (ok=false) apart from failure. An empty
// stored value is returned as a non-nil empty slice with ok=true.
//
// Backends report absence with different errors (goleveldb's ErrNotFound,
// memorydb's unexported one), so when the error is not ErrNotFound Has
// settles it: only a real read failure is returned as an error.
func Get(r ethdb.KeyValueReader, key []byte) ([]byte, bool, error) {
	v, err := r.Get(key)
	if err == nil {
		if v == nil {
			v = []byte{}
		}
		return v, true, nil
	}
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	ok, herr := r.Has(key)
	if herr != nil {
		return nil, false, fmt.Errorf("storage: get %x: %w", key, err)
	}
	if ok {
		return nil, false, fmt.Errorf("storage: get %x: %w", key, err)
	}
	return nil, false, nil
}
