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
//   - every leaf is a well-formed rlp(value);
//   - the flat index holds exactly the trie's (contract, key, value) set;
//   - each key's newest history entry agrees with the flat index.
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
	leaves, err := uncached.checkTrie(root)
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
	return uncached.checkHistory(flat)
}

func (db *DB) checkTrie(root common.Hash) (int, error) {
	tr, err := db.openTrie(root)
	if err != nil {
		return 0, err
	}
	it, err := tr.NodeIterator(nil)
	if err != nil {
		return 0, fmt.Errorf("state: check: %w", err)
	}
	leaves := 0
	for it.Next(true) {
		if h := it.Hash(); h != (common.Hash{}) {
			if blob := it.NodeBlob(); crypto.Keccak256Hash(blob) != h {
				return 0, fmt.Errorf("%w: trie node %x at path %x has hash %x", ErrCorrupt, h, it.Path(), crypto.Keccak256Hash(blob))
			}
		}
		if it.Leaf() {
			if _, err := decodeLeaf(it.LeafBlob()); err != nil {
				return 0, err
			}
			leaves++
		}
	}
	if err := it.Error(); err != nil {
		return 0, fmt.Errorf("%w: walking trie %x: %w", ErrCorrupt, root, err)
	}
	return leaves, nil
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
		if !bytes.Equal(leaf, encodeLeaf(it.Value())) {
			return 0, fmt.Errorf("%w: key %x of %s: flat %x, trie leaf %x", ErrCorrupt, key, contract, it.Value(), leaf)
		}
		n++
	}
	return n, it.Error()
}

// checkHistory walks every history entry; one key's entries are contiguous
// and ascending, so the last one seen before the key changes is its newest.
func (db *DB) checkHistory(flatKeys int) error {
	it := db.kv.NewIterator([]byte{storage.PrefixHistory}, nil)
	defer it.Release()
	var (
		cur   []byte // history key prefix of the current group
		last  HistoryEntry
		live  int
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
			cur = bytes.Clone(group)
			caddr = common.BytesToAddress(k[1 : 1+common.AddressLength])
			ckey = cur[fixed:]
		}
		e, err := decodeHistory(k[fixed+klen:], it.Value())
		if err != nil {
			return err
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
	return nil
}
