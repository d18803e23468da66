package state

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/triedb/database"
	"github.com/meshledger/meshledger/ledger/storage"
)

// nodeStore serves trie nodes by hash from the shared store, through a
// bounded cache. It implements database.NodeDatabase so go-ethereum's trie
// reads from it, while writes go through the caller's batch (see Commit):
// go-ethereum's own triedb would write with batches of its own and break
// the one-batch-per-block rule.
//
// The cache is keyed by content hash, so it can never serve a wrong blob;
// at worst it holds nodes of a block whose batch failed to write, which no
// stored root reaches.
type nodeStore struct {
	kv    ethdb.KeyValueReader
	cache *nodeCache
}

var (
	_ database.NodeDatabase = (*nodeStore)(nil)
	_ database.NodeReader   = (*nodeStore)(nil)
)

func newNodeStore(kv ethdb.KeyValueReader, cacheBytes uint64) *nodeStore {
	s := &nodeStore{kv: kv}
	if cacheBytes > 0 {
		s.cache = newNodeCache(cacheBytes)
	}
	return s
}

// NodeReader returns the store itself: with the hash scheme one reader
// serves every root.
func (s *nodeStore) NodeReader(common.Hash) (database.NodeReader, error) { return s, nil }

// Node returns the node with hash, or nil (which the trie reports as a
// MissingNodeError) if the store lacks it.
func (s *nodeStore) Node(_ common.Hash, _ []byte, hash common.Hash) ([]byte, error) {
	if s.cache != nil {
		if blob, ok := s.cache.Get(hash); ok {
			return blob, nil
		}
	}
	blob, ok, err := storage.Get(s.kv, storage.TrieNodeKey(hash))
	if err != nil {
		return nil, fmt.Errorf("state: read trie node %x: %w", hash, err)
	}
	if !ok {
		return nil, nil
	}
	s.remember(hash, blob)
	return blob, nil
}

func (s *nodeStore) remember(hash common.Hash, blob []byte) {
	if s.cache != nil {
		s.cache.Add(hash, blob)
	}
}
