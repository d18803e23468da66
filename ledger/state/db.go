package state

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/storage"
)

// Errors callers branch on.
var (
	// ErrUnknownRoot: the store holds no trie with this root (never
	// committed, or its batch was never written).
	ErrUnknownRoot = errors.New("state: unknown state root")
	// ErrParentMismatch: Commit was asked to build on a root other than
	// the one the flat index reflects.
	ErrParentMismatch = errors.New("state: parent root is not the latest committed root")
	// ErrInvalidChange: a Change is self-contradictory (a deletion with a value).
	ErrInvalidChange = errors.New("state: invalid change")
	// ErrInvalidLimit: a page size below 1.
	ErrInvalidLimit = errors.New("state: limit must be positive")
	// ErrCorrupt: stored state data cannot be decoded or is inconsistent.
	ErrCorrupt = errors.New("state: corrupt state data")
	// ErrHistoricalIterate: prefix iteration at a past root is not offered,
	// because trie keys are hashed and carry no key order.
	ErrHistoricalIterate = errors.New("state: iteration at a historical root is not supported")
)

// Options configure a DB. The zero value is the default.
type Options struct {
	// NodeCacheBytes bounds the memory of the in-memory trie node cache,
	// index included (default DefaultNodeCacheBytes; negative disables
	// it). A node costs its blob plus about 100 bytes.
	NodeCacheBytes int64
	// PrefetchWorkers is how many goroutines read trie paths ahead of a
	// commit and for a Prefetcher (0, the default: none; negative:
	// GOMAXPROCS). Off by default because, measured on an idle 2-core
	// machine, reading ahead made a 1,000-key commit on a million keys
	// slower (192–216 against 113–144 ms, and nearly twice the CPU): the
	// workers compete with the commit they serve (docs/state.md). Warming
	// changes only how soon nodes are in the cache, never a root or a
	// proof.
	PrefetchWorkers int
}

// DefaultNodeCacheBytes holds 1.17 million nodes of the trie of a book of
// a million loans (whose leaves, the loans' records, are 400-500 bytes),
// against 470,000 in the former 256 MiB: reading a random loan's leaf and
// flat value took 54 instead of 93 µs of CPU. With LevelDB's block cache
// (storage.DefaultBlockCacheMB) it makes about 1.1 GiB for such a book.
// The cache grows as it fills, so a small store never spends it
// (docs/state.md, "A million loans").
const DefaultNodeCacheBytes = 640 << 20

// DB is contract state over one key-value store shared with the rest of
// the ledger.
type DB struct {
	kv              ethdb.KeyValueStore
	nodes           *nodeStore
	prefetchWorkers int
}

// New returns a DB over kv (usually a *storage.DB).
func New(kv ethdb.KeyValueStore, opts Options) *DB {
	size := opts.NodeCacheBytes
	switch {
	case size == 0:
		size = DefaultNodeCacheBytes
	case size < 0:
		size = 0
	}
	return &DB{kv: kv, nodes: newNodeStore(kv, uint64(size)), prefetchWorkers: prefetchWorkers(opts, uint64(size))}
}

// normRoot maps the zero hash, which callers use for "no state yet", to
// the empty trie root.
func normRoot(root common.Hash) common.Hash {
	if root == (common.Hash{}) {
		return types.EmptyRootHash
	}
	return root
}

// LatestRoot returns the root the flat index reflects: the root of the last
// Commit whose batch was written, or the empty root.
func (db *DB) LatestRoot() (common.Hash, error) {
	v, ok, err := storage.Get(db.kv, storage.ChainMetaKey(storage.MetaFlatStateRoot))
	if err != nil {
		return common.Hash{}, fmt.Errorf("state: read latest root: %w", err)
	}
	if !ok {
		return types.EmptyRootHash, nil
	}
	if len(v) != common.HashLength {
		return common.Hash{}, fmt.Errorf("%w: latest root of %d bytes", ErrCorrupt, len(v))
	}
	return common.BytesToHash(v), nil
}

// Get returns the latest value of contract's key from the flat index.
func (db *DB) Get(contract common.Address, key []byte) ([]byte, bool, error) {
	v, ok, err := storage.Get(db.kv, storage.FlatStateKey(contract, key))
	if err != nil {
		return nil, false, fmt.Errorf("state: get %x of %s: %w", key, contract, err)
	}
	return v, ok, nil
}

// Iterate calls fn with each latest key of contract that has prefix and is
// >= start, in ascending byte order, until fn returns false. fn may keep
// the slices it is given.
func (db *DB) Iterate(contract common.Address, prefix, start []byte, fn func(k, v []byte) bool) error {
	// The store iterates from prefix‖rel; translate the absolute start.
	var rel []byte
	switch {
	case bytes.Compare(start, prefix) <= 0:
	case bytes.HasPrefix(start, prefix):
		rel = start[len(prefix):]
	default:
		return nil // start is past every key with the prefix
	}
	base := storage.FlatStatePrefix(contract)
	it := db.kv.NewIterator(append(base, prefix...), rel)
	defer it.Release()
	for it.Next() {
		k := bytes.Clone(it.Key()[len(base):])
		v := append([]byte{}, it.Value()...)
		if !fn(k, v) {
			break
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("state: iterate %s: %w", contract, err)
	}
	return nil
}

// openTrie opens the trie at root for reading or updating.
func (db *DB) openTrie(root common.Hash) (*trie.Trie, error) {
	root = normRoot(root)
	tr, err := trie.New(trie.StateTrieID(root), db.nodes)
	if err != nil {
		var missing *trie.MissingNodeError
		if errors.As(err, &missing) && missing.NodeHash == root {
			return nil, fmt.Errorf("%w: %x: %w", ErrUnknownRoot, root, err)
		}
		return nil, fmt.Errorf("state: open trie %x: %w", root, err)
	}
	return tr, nil
}

// GetAt returns the value of contract's key under a past (or the latest)
// root by walking the trie.
func (db *DB) GetAt(root common.Hash, contract common.Address, key []byte) ([]byte, bool, error) {
	tr, err := db.openTrie(root)
	if err != nil {
		return nil, false, err
	}
	return trieGet(tr, contract, key)
}

func trieGet(tr *trie.Trie, contract common.Address, key []byte) ([]byte, bool, error) {
	e, err := trieEntry(tr, contract, key)
	if err != nil || e == nil || e.Deleted {
		return nil, false, err // a tombstone reads as absent
	}
	return e.Value, true, nil
}

// trieEntry returns the leaf entry of contract's key, tombstones included,
// or nil if the key was never written.
func trieEntry(tr *trie.Trie, contract common.Address, key []byte) (*proof.Entry, error) {
	tk := proof.StateTrieKey(contract, key)
	leaf, err := tr.Get(tk[:])
	if err != nil {
		return nil, fmt.Errorf("state: get %x of %s: %w", key, contract, err)
	}
	if leaf == nil {
		return nil, nil
	}
	return decodeLeaf(leaf)
}

// EntryAt returns the leaf entry of contract's key under root: the newest
// version with its lineage, a tombstone for a deleted key, or nil if the
// key was never written.
func (db *DB) EntryAt(root common.Hash, contract common.Address, key []byte) (*proof.Entry, error) {
	tr, err := db.openTrie(root)
	if err != nil {
		return nil, err
	}
	return trieEntry(tr, contract, key)
}

func decodeLeaf(leaf []byte) (*proof.Entry, error) {
	e, err := proof.DecodeEntry(leaf)
	if err != nil {
		return nil, fmt.Errorf("%w: trie leaf %x: %w", ErrCorrupt, leaf, err)
	}
	return e, nil
}

// Prove returns a proof of contract's key under root: of its value if
// present, of its absence otherwise. It reads the stored node blobs along
// the key's path and returns them as they are, which gives the same nodes
// as go-ethereum's Trie.Prove without decoding and re-encoding them.
func (db *DB) Prove(root common.Hash, contract common.Address, key []byte) (*proof.StateProof, error) {
	root = normRoot(root)
	tk := proof.StateTrieKey(contract, key)
	nodes, leaf, err := proof.CollectProof(root, tk[:], func(h common.Hash) ([]byte, error) {
		return db.nodes.Node(common.Hash{}, nil, h)
	})
	if err != nil {
		if len(nodes) == 0 && errors.Is(err, proof.ErrMissingNode) {
			return nil, fmt.Errorf("%w: %x: %w", ErrUnknownRoot, root, err)
		}
		return nil, fmt.Errorf("%w: prove %x of %s: %w", ErrCorrupt, key, contract, err)
	}
	p := &proof.StateProof{Root: root, Contract: contract, Key: bytes.Clone(key), Nodes: nodes}
	if leaf != nil {
		e, err := decodeLeaf(leaf)
		if err != nil {
			return nil, err
		}
		// A tombstone proves absence; its leaf stays in Nodes, where a
		// lineage verifier finds the deleted key's head.
		if !e.Deleted {
			p.Value, p.Exists = e.Value, true
		}
	}
	// The node source hands out fresh copies (a cache hit is copied out
	// of the arena), so the proof owns its nodes without cloning them.
	return p, nil
}

// nodeList collects proof nodes in the root-to-leaf order trie.Prove
// writes them.
type nodeList [][]byte

func (l *nodeList) Put(_, value []byte) error {
	*l = append(*l, bytes.Clone(value))
	return nil
}

func (l *nodeList) Delete([]byte) error { return errors.New("state: proof list is append-only") }
