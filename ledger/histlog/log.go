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

// Log is the history log over one store. The zero value is not usable;
// Open makes one.
type Log struct {
	kv   ethdb.KeyValueReader
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
}

// Open loads the log of size leaves from kv: the compact range of
// [0, size), whose nodes a previous Log wrote. A missing node is
// ErrMissingNode.
func Open(kv ethdb.KeyValueReader, size uint64) (*Log, error) {
	l := &Log{kv: kv}
	ids := compact.RangeNodes(0, size, nil)
	hashes := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := l.node(id)
		if err != nil {
			return nil, fmt.Errorf("histlog: open log of size %d: %w", size, err)
		}
		hashes[i] = h
	}
	s, err := newSnapshot(size, hashes)
	if err != nil {
		return nil, fmt.Errorf("histlog: open log of size %d: %w", size, err)
	}
	l.snap.Store(s)
	return l, nil
}

func newSnapshot(size uint64, hashes [][]byte) (*snapshot, error) {
	r, err := factory.NewRange(0, size, hashes)
	if err != nil {
		return nil, err
	}
	root, err := rangeRoot(r)
	if err != nil {
		return nil, err
	}
	return &snapshot{size: size, hashes: hashes, root: root}, nil
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
	var putErr error
	visit := func(id compact.NodeID, hash []byte) {
		if putErr != nil {
			return
		}
		if err := w.Put(storage.LogNodeKey(uint8(id.Level), id.Index), hash); err != nil {
			putErr = fmt.Errorf("put node (%d, %d): %w", id.Level, id.Index, err)
		}
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
	return &Pending{base: base, next: &snapshot{size: r.End(), hashes: r.Hashes(), root: root}}, nil
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

// node reads one stored node.
func (l *Log) node(id compact.NodeID) ([]byte, error) {
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
func (l *Log) nodes(ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := l.node(id)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}
