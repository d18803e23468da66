package state

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// WarmNodeCache reads the trie at root into the node cache, depth first,
// until the cache is full or every node has been read, and returns how
// many nodes it read. A node that has been serving blocks for a while
// holds as much of the trie as its cache fits; after a restart its cache
// is empty and the first thousands of blocks read nearly every node from
// LevelDB. Calling this (in the background) after opening shortens that.
//
// It only reads: roots, proofs and the store are unchanged whether it ran,
// was cancelled midway, or not at all. With the cache disabled it reads
// nothing.
func (db *DB) WarmNodeCache(ctx context.Context, root common.Hash) (int, error) {
	c := db.nodes.cache
	if c == nil || c.full() {
		return 0, nil
	}
	tr, err := db.openTrie(root)
	if err != nil {
		return 0, err
	}
	it, err := tr.NodeIterator(nil)
	if err != nil {
		return 0, fmt.Errorf("state: warm node cache at %x: %w", root, err)
	}
	n := 0
	for it.Next(true) {
		if it.Hash() == (common.Hash{}) {
			continue // a node embedded in its parent, not stored alone
		}
		n++
		// Checking every node would take the cache's lock a million
		// times for nothing.
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return n, fmt.Errorf("state: warm node cache: %w", err)
			}
			if c.full() {
				return n, nil
			}
		}
	}
	if err := it.Error(); err != nil {
		return n, fmt.Errorf("state: warm node cache at %x: %w", root, err)
	}
	return n, nil
}
