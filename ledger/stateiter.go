package ledger

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/meshledger/meshledger/ledger/storage"
)

// StateIterator walks the latest contract state, every key of every
// contract, in (contract, key) byte order: two ledgers' states can be
// merged key by key. It reads the flat index, which no header covers, so
// it sees a value altered behind the ledger's back; that is what an audit
// comparing a store with its replay wants. It must be released.
type StateIterator struct {
	it ethdb.Iterator
}

// LatestState returns an iterator over the latest contract state, from a
// consistent snapshot of the store.
func (l *Ledger) LatestState() *StateIterator {
	return &StateIterator{it: l.kv.NewIterator([]byte{storage.PrefixFlatState}, nil)}
}

// Next moves to the next key; it returns false at the end or on an error
// (see Error).
func (s *StateIterator) Next() bool { return s.it.Next() }

// Entry is the current contract and key within it (the key valid until
// Next); ok is false for an entry too short to name a contract, which only
// a corrupt store holds.
func (s *StateIterator) Entry() (contract common.Address, key []byte, ok bool) {
	k := s.it.Key()
	if len(k) < 1+common.AddressLength {
		return common.Address{}, nil, false
	}
	return common.BytesToAddress(k[1 : 1+common.AddressLength]), k[1+common.AddressLength:], true
}

// Value is the current value; valid until Next.
func (s *StateIterator) Value() []byte { return s.it.Value() }

// Position orders entries as Next visits them: contract then key (for a
// well-formed entry, the contract's bytes followed by the key).
func (s *StateIterator) Position() []byte { return s.it.Key()[1:] }

// Error is the error that stopped the iteration, if any.
func (s *StateIterator) Error() error { return s.it.Error() }

// Release frees the iterator's snapshot.
func (s *StateIterator) Release() { s.it.Release() }
