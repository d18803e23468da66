package histlog

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
)

// Root is the root of the log of its first size leaves, for any size up to
// the published size; the empty log's is EmptyRoot.
func (l *Log) Root(size uint64) (common.Hash, error) {
	s := l.snap.Load()
	switch {
	case size > s.size:
		return common.Hash{}, fmt.Errorf("%w: root of size %d, log has %d", ErrOutOfRange, size, s.size)
	case size == s.size:
		return s.root, nil
	}
	hashes, err := l.nodes(s, compact.RangeNodes(0, size, nil))
	if err != nil {
		return common.Hash{}, fmt.Errorf("histlog: root of size %d: %w", size, err)
	}
	r, err := factory.NewRange(0, size, hashes)
	if err != nil {
		return common.Hash{}, fmt.Errorf("histlog: root of size %d: %w", size, err)
	}
	root, err := rangeRoot(r)
	if err != nil {
		return common.Hash{}, fmt.Errorf("histlog: root of size %d: %w", size, err)
	}
	return root, nil
}

// InclusionProof is the RFC 6962 audit path, leaf to root, of leaf index
// in the log of size leaves (index < size ≤ Size()).
func (l *Log) InclusionProof(index, size uint64) ([]common.Hash, error) {
	s := l.snap.Load()
	if size > s.size || index >= size {
		return nil, fmt.Errorf("%w: inclusion of leaf %d in size %d, log has %d", ErrOutOfRange, index, size, s.size)
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("histlog: inclusion of %d in %d: %w", index, size, err)
	}
	return l.build(s, nodes, fmt.Sprintf("inclusion of %d in %d", index, size))
}

// ConsistencyProof is the RFC 6962 proof that the log of size to extends
// the log of size from (from ≤ to ≤ Size()). It is empty when from is 0 or
// equals to.
func (l *Log) ConsistencyProof(from, to uint64) ([]common.Hash, error) {
	s := l.snap.Load()
	if to > s.size || from > to {
		return nil, fmt.Errorf("%w: consistency of size %d with %d, log has %d", ErrOutOfRange, from, to, s.size)
	}
	nodes, err := proof.Consistency(from, to)
	if err != nil {
		return nil, fmt.Errorf("histlog: consistency of %d with %d: %w", from, to, err)
	}
	return l.build(s, nodes, fmt.Sprintf("consistency of %d with %d", from, to))
}

// build fetches a proof's stored nodes and folds its ephemeral node.
func (l *Log) build(s *snapshot, nodes proof.Nodes, what string) ([]common.Hash, error) {
	hashes, err := l.nodes(s, nodes.IDs)
	if err != nil {
		return nil, fmt.Errorf("histlog: %s: %w", what, err)
	}
	hashes, err = nodes.Rehash(hashes, hasher.HashChildren)
	if err != nil {
		return nil, fmt.Errorf("histlog: %s: %w", what, err)
	}
	out := make([]common.Hash, len(hashes))
	for i, h := range hashes {
		out[i] = common.BytesToHash(h)
	}
	return out, nil
}

// VerifyInclusion checks an inclusion proof of blockHash at index in the
// log of size leaves against root. It is what a client runs (sdk/client
// has the same check); here for tests and for the ledger's own checks.
func VerifyInclusion(index, size uint64, blockHash common.Hash, path []common.Hash, root common.Hash) error {
	return proof.VerifyInclusion(hasher, index, size, hasher.HashLeaf(blockHash[:]), toBytes(path), root[:])
}

// VerifyConsistency checks a consistency proof between the logs of sizes
// from and to against their roots.
func VerifyConsistency(from, to uint64, path []common.Hash, fromRoot, toRoot common.Hash) error {
	return proof.VerifyConsistency(hasher, from, to, toBytes(path), fromRoot[:], toRoot[:])
}

func toBytes(hs []common.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}
