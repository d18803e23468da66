package state

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/ethereum/go-ethereum/trie/trienode"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/storage"
)

// Change is one write of a block to contract storage, as made by
// transaction TxIndex (hash TxHash). A nil Value with Delete unset is an
// empty value, not a deletion.
type Change struct {
	Contract common.Address
	Key      []byte
	Value    []byte
	Delete   bool
	TxIndex  uint32
	TxHash   common.Hash
}

// Commit applies a block's changes, in order, on top of parentRoot and puts
// into batch (without writing it) the new trie nodes, the flat index
// updates, one history entry per change and the new latest root. It
// returns the new state root.
//
// parentRoot must be the latest root (LatestRoot): the flat index only
// ever follows the chain tip. The batch must be written before the next
// Commit; if it is dropped instead, nothing changed.
func (db *DB) Commit(parentRoot common.Hash, height uint64, changes []Change, batch ethdb.Batch) (common.Hash, error) {
	parentRoot = normRoot(parentRoot)
	latest, err := db.LatestRoot()
	if err != nil {
		return common.Hash{}, err
	}
	if parentRoot != latest {
		return common.Hash{}, fmt.Errorf("%w: parent %x, latest %x", ErrParentMismatch, parentRoot, latest)
	}
	tr, err := db.openTrie(parentRoot)
	if err != nil {
		return common.Hash{}, err
	}
	last := lastOfTx(changes)
	warm := db.startWarmAhead(parentRoot, changes)
	defer warm.stop()
	for i, c := range changes {
		warm.reach(i)
		if c.Delete && c.Value != nil {
			return common.Hash{}, fmt.Errorf("%w: change %d deletes key %x but carries a value", ErrInvalidChange, i, c.Key)
		}
		if last[i] != i {
			// The same transaction writes the key again later: its
			// history records one change per transaction (the position
			// height‖txIndex keys it), so only the last one is a version.
			continue
		}
		if err := db.apply(tr, height, c, batch); err != nil {
			return common.Hash{}, fmt.Errorf("state: apply change %d (key %x of %s): %w", i, c.Key, c.Contract, err)
		}
	}
	warm.stop() // hashing below wants every core
	root, set := tr.Commit(false)
	if err := db.putNodes(set, batch); err != nil {
		return common.Hash{}, err
	}
	if err := batch.Put(storage.ChainMetaKey(storage.MetaFlatStateRoot), root[:]); err != nil {
		return common.Hash{}, fmt.Errorf("state: put latest root: %w", err)
	}
	return root, nil
}

// putNodes queues the trie nodes a commit created. Nodes the commit
// detached are left in place: with content addressing an older root (or
// another branch) may still reference them.
func (db *DB) putNodes(set *trienode.NodeSet, batch ethdb.Batch) error {
	if set == nil {
		return nil
	}
	var err error
	set.ForEachWithOrder(func(_ string, n *trienode.Node) {
		if err != nil || n.IsDeleted() {
			return
		}
		if err = batch.Put(storage.TrieNodeKey(n.Hash), n.Blob); err == nil {
			// Warm the cache: the next block walks these very nodes.
			db.nodes.remember(n.Hash, n.Blob)
		}
	})
	if err != nil {
		return fmt.Errorf("state: put trie node: %w", err)
	}
	return nil
}

func nonNil(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}

// apply makes c the key's next version: it reads the current leaf (an
// earlier change of this block included, as the trie holds it), chains the
// new entry to it and writes the trie, the flat index and the history.
// Reading the leaf from the trie costs no extra store: the update walks
// the same path, whose nodes the read has just resolved.
func (db *DB) apply(tr *trie.Trie, height uint64, c Change, batch ethdb.Batch) error {
	tk := proof.StateTrieKey(c.Contract, c.Key)
	prevLeaf, err := tr.Get(tk[:])
	if err != nil {
		return err
	}
	e := proof.Entry{Version: 1, Height: height, TxIndex: c.TxIndex, Deleted: c.Delete, Value: nonNil(c.Value)}
	if prevLeaf != nil {
		prev, err := decodeLeaf(prevLeaf)
		if err != nil {
			return err
		}
		e.Version, e.Prev = prev.Version+1, proof.EntryHash(prevLeaf)
	}
	if c.Delete {
		e.Value = nil
	}
	if err := tr.Update(tk[:], e.Encode()); err != nil {
		return err
	}
	flatKey := storage.FlatStateKey(c.Contract, c.Key)
	if c.Delete {
		err = batch.Delete(flatKey)
	} else {
		err = batch.Put(flatKey, nonNil(c.Value))
	}
	if err != nil {
		return err
	}
	return batch.Put(storage.HistoryKey(c.Contract, c.Key, height, c.TxIndex), encodeHistory(c, &e))
}

// lastOfTx maps each change to the index of the last change of the same
// transaction to the same key (itself if none follows). Lookups only: no
// map order reaches the state.
func lastOfTx(changes []Change) []int {
	out := make([]int, len(changes))
	seen := make(map[string]int, len(changes))
	var kb []byte
	for i := len(changes) - 1; i >= 0; i-- {
		c := changes[i]
		kb = binary.BigEndian.AppendUint32(append(append(kb[:0], c.Contract[:]...), c.Key...), c.TxIndex)
		if j, ok := seen[string(kb)]; ok {
			out[i] = j
			continue
		}
		seen[string(kb)] = i
		out[i] = i
	}
	return out
}
