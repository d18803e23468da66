package state

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/trie"
)

// Reader is one contract's latest state. It satisfies runtime.State.
// Safe for concurrent use.
type Reader struct {
	db       *DB
	contract common.Address
}

// ContractReader returns the latest state of contract, read from the flat
// index.
func (db *DB) ContractReader(contract common.Address) *Reader {
	return &Reader{db: db, contract: contract}
}

// Get returns the latest value of key.
func (r *Reader) Get(key []byte) ([]byte, bool, error) { return r.db.Get(r.contract, key) }

// Iterate visits the latest keys with prefix and >= start in ascending order.
func (r *Reader) Iterate(prefix, start []byte, fn func(key, value []byte) bool) error {
	return r.db.Iterate(r.contract, prefix, start, fn)
}

// RootReader is one contract's state under a past root. Only Get is
// supported: Iterate fails with ErrHistoricalIterate because the trie is
// keyed by hashes and cannot list keys in order. Not safe for concurrent
// use (it keeps the trie nodes it has resolved).
type RootReader struct {
	contract common.Address
	tr       *trie.Trie
}

// ContractReaderAt returns contract's state under root, or ErrUnknownRoot.
func (db *DB) ContractReaderAt(root common.Hash, contract common.Address) (*RootReader, error) {
	tr, err := db.openTrie(root)
	if err != nil {
		return nil, err
	}
	return &RootReader{contract: contract, tr: tr}, nil
}

// Get returns the value of key under the reader's root.
func (r *RootReader) Get(key []byte) ([]byte, bool, error) { return trieGet(r.tr, r.contract, key) }

// Iterate always fails with ErrHistoricalIterate.
func (r *RootReader) Iterate([]byte, []byte, func(key, value []byte) bool) error {
	return ErrHistoricalIterate
}
