package state

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/storage"
)

// Check verifies the store's state invariants at root, which must be the
// latest root. It is slow (it reads everything) and meant for tests
// (t.Cleanup) and offline audits:
//   - every trie node reachable from root is present and hashes to its key;
//   - every leaf is a well-formed Entry;
//   - the flat index holds exactly the trie's live (contract, key, value)
//     set, tombstones excluded;
//   - each key's history is versions 1..n, each Prev the hash of the one
//     before, and version n rebuilds the trie leaf exactly and agrees with
//     the flat index.
//
// It reads the store directly, bypassing the node cache.
func Check(db *DB, root common.Hash) error {
	root = normRoot(root)
	latest, err := db.LatestRoot()
	if err != nil {
		return err
	}
	if latest != root {
		return fmt.Errorf("%w: flat index reflects root %x, not %x", ErrCorrupt, latest, root)
	}
	uncached := &DB{kv: db.kv, nodes: newNodeStore(db.kv, 0)}
	leaves, tombs, err := uncached.checkTrie(root)
	if err != nil {
		return err
	}
	flat, err := uncached.checkFlat(root)
	if err != nil {
		return err
	}
	if flat != leaves {
		return fmt.Errorf("%w: flat index has %d keys, trie %d leaves", ErrCorrupt, flat, leaves)
	}
	return uncached.checkHistory(root, flat, leaves+tombs)
}

// checkTrie returns the number of live leaves and of tombstones.
func (db *DB) checkTrie(root common.Hash) (leaves, tombs int, err error) {
	tr, err := db.openTrie(root)
	if err != nil {
		return 0, 0, err
	}
	it, err := tr.NodeIterator(nil)
	if err != nil {
		return 0, 0, fmt.Errorf("state: check: %w", err)
	}
	for it.Next(true) {
		if h := it.Hash(); h != (common.Hash{}) {
			if blob := it.NodeBlob(); crypto.Keccak256Hash(blob) != h {
				return 0, 0, fmt.Errorf("%w: trie node %x at path %x has hash %x", ErrCorrupt, h, it.Path(), crypto.Keccak256Hash(blob))
			}
		}
		if it.Leaf() {
			e, err := decodeLeaf(it.LeafBlob())
			if err != nil {
				return 0, 0, err
			}
			if e.Deleted {
				tombs++
			} else {
				leaves++
			}
		}
	}
	if err := it.Error(); err != nil {
		return 0, 0, fmt.Errorf("%w: walking trie %x: %w", ErrCorrupt, root, err)
	}
	return leaves, tombs, nil
}

// checkFlat confirms each flat entry is in the trie with the same value.
func (db *DB) checkFlat(root common.Hash) (int, error) {
	tr, err := db.openTrie(root)
	if err != nil {
		return 0, err
	}
	it := db.kv.NewIterator([]byte{storage.PrefixFlatState}, nil)
	defer it.Release()
	n := 0
	for it.Next() {
		k := it.Key()[1:]
		if len(k) < common.AddressLength {
			return 0, fmt.Errorf("%w: flat key %x too short", ErrCorrupt, it.Key())
		}
		contract := common.BytesToAddress(k[:common.AddressLength])
		key := k[common.AddressLength:]
		tk := proof.StateTrieKey(contract, key)
		leaf, err := tr.Get(tk[:])
		if err != nil {
			return 0, fmt.Errorf("%w: key %x of %s: %w", ErrCorrupt, key, contract, err)
		}
		e, err := decodeLeaf(leaf)
		if leaf == nil || err != nil || e.Deleted || !bytes.Equal(e.Value, it.Value()) {
			return 0, fmt.Errorf("%w: key %x of %s: flat %x, trie leaf %x", ErrCorrupt, key, contract, it.Value(), leaf)
		}
		n++
	}
	return n, it.Error()
}

// checkHistory walks every history entry; one key's entries are contiguous
// and ascending, so the last one seen before the key changes is its newest.
func (db *DB) checkHistory(root common.Hash, flatKeys, trieLeaves int) error {
	tr, err := db.openTrie(root)
	if err != nil {
		return err
	}
	it := db.kv.NewIterator([]byte{storage.PrefixHistory}, nil)
	defer it.Release()
	var (
		cur   []byte // history key prefix of the current group
		last  HistoryEntry
		live  int
		keys  int
		ckey  []byte
		caddr common.Address
	)
	finish := func() error {
		if cur == nil {
			return nil
		}
		v, ok, err := db.Get(caddr, ckey)
		if err != nil {
			return err
		}
		if ok == last.Deleted || (ok && !bytes.Equal(v, last.Value)) {
			return fmt.Errorf("%w: key %x of %s: newest history %+v, flat present=%v value %x", ErrCorrupt, ckey, caddr, last, ok, v)
		}
		if ok {
			live++
		}
		keys++
		tk := proof.StateTrieKey(caddr, ckey)
		leaf, err := tr.Get(tk[:])
		if err != nil {
			return fmt.Errorf("%w: key %x of %s: %w", ErrCorrupt, ckey, caddr, err)
		}
		if !bytes.Equal(leaf, last.Entry().Encode()) {
			return fmt.Errorf("%w: key %x of %s: newest history version %d does not rebuild the trie leaf", ErrCorrupt, ckey, caddr, last.Version)
		}
		return nil
	}
	for it.Next() {
		k := it.Key()
		const fixed = 1 + common.AddressLength + 4
		if len(k) < fixed+12 {
			return fmt.Errorf("%w: history key %x too short", ErrCorrupt, k)
		}
		klen := int(binary.BigEndian.Uint32(k[1+common.AddressLength:]))
		if len(k) != fixed+klen+12 {
			return fmt.Errorf("%w: history key %x has bad length", ErrCorrupt, k)
		}
		if group := k[:fixed+klen]; !bytes.Equal(group, cur) {
			if err := finish(); err != nil {
				return err
			}
			cur, last = bytes.Clone(group), HistoryEntry{}
			caddr = common.BytesToAddress(k[1 : 1+common.AddressLength])
			ckey = cur[fixed:]
		}
		e, err := decodeHistory(k[fixed+klen:], it.Value())
		if err != nil {
			return err
		}
		want := HistoryEntry{Version: 1} // version 1 follows nothing: zero Prev
		if last.Version != 0 {
			want.Version, want.Prev = last.Version+1, last.Entry().Hash()
		}
		if e.Version != want.Version || e.Prev != want.Prev {
			return fmt.Errorf("%w: key %x of %s: history version %d prev %x breaks the chain (want version %d prev %x)",
				ErrCorrupt, ckey, caddr, e.Version, e.Prev, want.Version, want.Prev)
		}
		last = e
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("state: check history: %w", err)
	}
	if err := finish(); err != nil {
		return err
	}
	if live != flatKeys {
		return fmt.Errorf("%w: %d keys live by history, %d in flat index", ErrCorrupt, live, flatKeys)
	}
	if keys != trieLeaves {
		return fmt.Errorf("%w: %d keys with history, %d trie leaves", ErrCorrupt, keys, trieLeaves)
	}
	return nil
}
