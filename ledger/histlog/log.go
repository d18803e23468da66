package histlog

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/meshledger/meshledger/ledger/storage"
)

var (
	// ErrOutOfRange: a size, index or pair of sizes the published log
	// cannot answer (a size past the log, an index not below the size, a
	// from size above the to size).
	ErrOutOfRange = errors.New("histlog: out of range")
	// ErrStale: Publish was given an append made on a state of the log
	// that is no longer the published one.
	ErrStale = errors.New("histlog: append made on a stale log")
	// ErrMissingNode: a node the published size needs is not in the store
	// (the store was not written by whole block batches).
	ErrMissingNode = errors.New("histlog: missing log node")
)

// EmptyRoot is the root of the empty log, SHA-256("") (RFC 6962 §2.1).
var EmptyRoot = common.Hash(sha256.Sum256(nil))

// hasher is RFC 6962 over SHA-256.
var hasher = rfc6962.DefaultHasher

var factory = &compact.RangeFactory{Hash: hasher.HashChildren}

// LeafHash is the RFC 6962 leaf hash of a block hash: SHA-256(0x00 ‖ h).
func LeafHash(blockHash common.Hash) common.Hash {
	return common.BytesToHash(hasher.HashLeaf(blockHash[:]))
}

// Store is what the log reads: the ledger's key-value store.
type Store interface {
	ethdb.KeyValueReader
	ethdb.Iteratee
}

// memLevel is the lowest level whose nodes are also kept in memory. A
// proof needs about one node per level; reading all of them from LevelDB
// costs ~20 random reads (~100 µs) at 10⁶ blocks, while keeping the levels
// from memLevel up costs 2·size/2^memLevel hashes (32 MB at 10⁶ blocks)
// and leaves memLevel reads per proof: only the leaves are read, one per
// inclusion proof, so generating one stays near 20 µs at 10⁶ blocks
// (docs/ledger.md).
const memLevel = 1

// Log is the history log over one store. The zero value is not usable;
// Open makes one.
type Log struct {
	kv   Store
	snap atomic.Pointer[snapshot]
	mu   sync.Mutex // serialises Publish; Append only reads the snapshot
}

// snapshot is an immutable published state of the log: its size, the
// compact range [0, size) and its root. Readers load it once and never see
// it change.
type snapshot struct {
	size   uint64
	hashes [][]byte // compact range of [0, size), left to right
	root   common.Hash
	// upper[k] holds the size>>(memLevel+k) complete nodes of level
	// memLevel+k, by index. Appends may extend a backing array past a
	// snapshot's lengths but never change what a snapshot can see.
	upper [][]common.Hash
}

// Open loads the log of size leaves from kv: the compact range of
// [0, size) and the levels kept in memory, whose nodes a previous Log
// wrote. A missing node is ErrMissingNode.
func Open(kv Store, size uint64) (*Log, error) {
	l := &Log{kv: kv}
	s := &snapshot{size: size}
	for level := uint(memLevel); size>>level > 0; level++ {
		nodes, err := loadLevel(kv, level, size>>level)
		if err != nil {
			return nil, fmt.Errorf("histlog: open log of size %d: %w", size, err)
		}
		s.upper = append(s.upper, nodes)
	}
	ids := compact.RangeNodes(0, size, nil)
	hashes, err := l.nodes(s, ids)
	if err != nil {
		return nil, fmt.Errorf("histlog: open log of size %d: %w", size, err)
	}
	r, err := factory.NewRange(0, size, hashes)
	if err != nil {
		return nil, fmt.Errorf("histlog: open log of size %d: %w", size, err)
	}
	s.hashes = hashes
	if s.root, err = rangeRoot(r); err != nil {
		return nil, fmt.Errorf("histlog: open log of size %d: %w", size, err)
	}
	l.snap.Store(s)
	return l, nil
}

// loadLevel reads the first n nodes of level, in one scan.
func loadLevel(kv Store, level uint, n uint64) ([]common.Hash, error) {
	it := kv.NewIterator(storage.LogNodeKey(uint8(level), 0)[:2], nil)
	defer it.Release()
	out := make([]common.Hash, 0, n)
	for uint64(len(out)) < n && it.Next() {
		want := storage.LogNodeKey(uint8(level), uint64(len(out)))
		if string(it.Key()) != string(want) {
			break // a gap: reported below as the missing index
		}
		if len(it.Value()) != common.HashLength {
			return nil, fmt.Errorf("%w: node (%d, %d) of %d bytes", storage.ErrCorrupt, level, len(out), len(it.Value()))
		}
		out = append(out, common.BytesToHash(it.Value()))
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("scan level %d: %w", level, err)
	}
	if uint64(len(out)) < n {
		return nil, fmt.Errorf("%w: (%d, %d)", ErrMissingNode, level, len(out))
	}
	return out, nil
}

func rangeRoot(r *compact.Range) (common.Hash, error) {
	if r.End() == 0 {
		return EmptyRoot, nil
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return common.Hash{}, err
	}
	return common.BytesToHash(root), nil
}

// Size is the number of published leaves.
func (l *Log) Size() uint64 { return l.snap.Load().size }

// Pending is an appended leaf not yet published: its nodes are in the
// caller's batch. Publish it once that batch is written; drop it if not.
type Pending struct {
	base *snapshot
	next *snapshot
}

// Size is the log's size once the append is published.
func (p *Pending) Size() uint64 { return p.next.size }

// Root is the log's root once the append is published.
func (p *Pending) Root() common.Hash { return p.next.root }

// Append adds blockHash as the next leaf: it puts the leaf's node and every
// node the leaf completes into w, and returns the pending state. The
// published log is unchanged until Publish.
func (l *Log) Append(blockHash common.Hash, w ethdb.KeyValueWriter) (*Pending, error) {
	base := l.snap.Load()
	r, err := factory.NewRange(0, base.size, append([][]byte(nil), base.hashes...))
	if err != nil {
		return nil, fmt.Errorf("histlog: append at %d: %w", base.size, err)
	}
	upper := append([][]common.Hash(nil), base.upper...)
	var putErr error
	visit := func(id compact.NodeID, hash []byte) {
		if putErr != nil {
			return
		}
		if err := w.Put(storage.LogNodeKey(uint8(id.Level), id.Index), hash); err != nil {
			putErr = fmt.Errorf("put node (%d, %d): %w", id.Level, id.Index, err)
			return
		}
		if id.Level < memLevel {
			return
		}
		k := int(id.Level - memLevel)
		if k == len(upper) {
			upper = append(upper, nil)
		}
		// Nodes complete left to right: this one is the next of its level.
		upper[k] = append(upper[k], common.BytesToHash(hash))
	}
	if err := r.Append(hasher.HashLeaf(blockHash[:]), visit); err != nil {
		return nil, fmt.Errorf("histlog: append at %d: %w", base.size, err)
	}
	if putErr != nil {
		return nil, fmt.Errorf("histlog: append at %d: %w", base.size, putErr)
	}
	root, err := rangeRoot(r)
	if err != nil {
		return nil, fmt.Errorf("histlog: append at %d: %w", base.size, err)
	}
	return &Pending{base: base, next: &snapshot{size: r.End(), hashes: r.Hashes(), root: root, upper: upper}}, nil
}

// Publish makes an append visible to readers. Call it only after the batch
// Append wrote into is durably written: readers then find every node of the
// new size in the store. It fails with ErrStale if another append was
// published since p was made.
func (l *Log) Publish(p *Pending) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur := l.snap.Load(); cur != p.base {
		return fmt.Errorf("%w: appended at size %d, log has %d", ErrStale, p.base.size, cur.size)
	}
	l.snap.Store(p.next)
	return nil
}

// node reads one node of a log at s or smaller: from memory when its
// level is kept there, else from the store.
func (l *Log) node(s *snapshot, id compact.NodeID) ([]byte, error) {
	if id.Level >= memLevel {
		if k := int(id.Level - memLevel); k < len(s.upper) && id.Index < uint64(len(s.upper[k])) {
			h := s.upper[k][id.Index]
			return h[:], nil
		}
	}
	v, ok, err := storage.Get(l.kv, storage.LogNodeKey(uint8(id.Level), id.Index))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read node (%d, %d): %w", id.Level, id.Index, err)
	case !ok:
		return nil, fmt.Errorf("%w: (%d, %d)", ErrMissingNode, id.Level, id.Index)
	case len(v) != common.HashLength:
		return nil, fmt.Errorf("%w: node (%d, %d) of %d bytes", storage.ErrCorrupt, id.Level, id.Index, len(v))
	}
	return v, nil
}

// nodes reads the stored nodes of ids, in order.
func (l *Log) nodes(s *snapshot, ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := l.node(s, id)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}
