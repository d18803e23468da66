package proof

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// Errors callers branch on.
var (
	// ErrMissingNode: the proof lacks a node the path to the key needs, so
	// it proves neither presence nor absence.
	ErrMissingNode = errors.New("proof: missing node")
	// ErrBadNode: a node on the path is not a valid trie node.
	ErrBadNode = errors.New("proof: malformed node")
	// ErrBadValue: a state leaf is not a well-formed Entry (see DecodeEntry).
	ErrBadValue = errors.New("proof: malformed state value")
	// ErrNotIncluded: the proof shows the key is absent.
	ErrNotIncluded = errors.New("proof: key not included")
	// ErrMismatch: a StateProof's claimed value or existence differs from
	// what its nodes prove.
	ErrMismatch = errors.New("proof: claimed value differs from proven value")
)

// VerifyProof walks nodes from root along trieKey and returns the raw leaf
// value, or nil if the nodes prove the key absent. Nodes may come in any
// order and may include extra nodes; only hash-linked ones are used.
func VerifyProof(root common.Hash, trieKey []byte, nodes [][]byte) ([]byte, error) {
	byHash := make(map[common.Hash][]byte, len(nodes))
	for _, n := range nodes {
		byHash[keccak(n)] = n
	}
	return walk(root, trieKey, func(h common.Hash) ([]byte, error) { return byHash[h], nil }, nil)
}

// CollectProof builds the proof of trieKey under root from a node source
// (nil blob = missing): the nodes VerifyProof needs, root first, as
// go-ethereum's Trie.Prove returns them, and the raw leaf value (nil if
// absent). Servers use it to prove straight from stored node blobs,
// without decoding them into a trie.
func CollectProof(root common.Hash, trieKey []byte, node func(common.Hash) ([]byte, error)) (nodes [][]byte, value []byte, err error) {
	value, err = walk(root, trieKey, node, func(blob []byte) { nodes = append(nodes, blob) })
	return nodes, value, err
}

// walk follows trieKey from root through nodes fetched by hash, reporting
// each fetched node to visit (if set), and returns the raw leaf value or
// nil for a proven absence.
func walk(root common.Hash, trieKey []byte, fetch func(common.Hash) ([]byte, error), visit func([]byte)) ([]byte, error) {
	if root == EmptyRoot {
		return nil, nil
	}
	lookup := func(h common.Hash, depth int) ([]byte, error) {
		blob, err := fetch(h)
		if err != nil {
			return nil, fmt.Errorf("proof: fetch node %x: %w", h, err)
		}
		if blob == nil {
			return nil, fmt.Errorf("%w: %x at depth %d", ErrMissingNode, h, depth)
		}
		if visit != nil {
			visit(blob)
		}
		return blob, nil
	}
	path := keyNibbles(trieKey)
	node, err := lookup(root, 0)
	if err != nil {
		return nil, err
	}
	for depth := 0; ; depth++ {
		elems, err := rlp.SplitListValues(node)
		if err != nil {
			return nil, fmt.Errorf("%w: depth %d: %v", ErrBadNode, depth, err)
		}
		var ref []byte
		switch len(elems) {
		case 17: // branch: 16 children and a value slot
			if len(path) == 0 {
				v, err := stringContent(elems[16], depth)
				if len(v) == 0 {
					v = nil
				}
				return v, err
			}
			ref, path = elems[path[0]], path[1:]
		case 2: // leaf or extension, told apart by the hex-prefix flag
			enc, err := stringContent(elems[0], depth)
			if err != nil {
				return nil, err
			}
			nibbles, leaf, err := compactNibbles(enc)
			if err != nil {
				return nil, fmt.Errorf("%w: depth %d: %v", ErrBadNode, depth, err)
			}
			if leaf {
				if !bytes.Equal(path, nibbles) {
					return nil, nil
				}
				v, err := stringContent(elems[1], depth)
				if err != nil {
					return nil, err
				}
				if len(v) == 0 {
					return nil, fmt.Errorf("%w: depth %d: empty leaf", ErrBadNode, depth)
				}
				return v, nil
			}
			if !bytes.HasPrefix(path, nibbles) {
				return nil, nil
			}
			ref, path = elems[1], path[len(nibbles):]
		default:
			return nil, fmt.Errorf("%w: depth %d: list of %d items", ErrBadNode, depth, len(elems))
		}
		kind, content, _, err := rlp.Split(ref)
		if err != nil {
			return nil, fmt.Errorf("%w: depth %d: %v", ErrBadNode, depth, err)
		}
		switch {
		case kind == rlp.List: // child under 32 bytes, embedded in its parent
			node = ref
		case len(content) == 0:
			return nil, nil
		case len(content) == common.HashLength:
			if node, err = lookup(common.BytesToHash(content), depth+1); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%w: depth %d: reference of %d bytes", ErrBadNode, depth, len(content))
		}
	}
}

// VerifyStateProof checks a proof of contract's key under a state root and
// returns the value of the proven entry. Absence, and a tombstone (the
// leaf of a deleted key), verify to exists=false with no error; an empty
// value verifies to an empty non-nil value with exists=true.
func VerifyStateProof(root common.Hash, contract common.Address, key []byte, nodes [][]byte) ([]byte, bool, error) {
	e, err := VerifyStateEntry(root, contract, key, nodes)
	if err != nil || e == nil || e.Deleted {
		return nil, false, err
	}
	return e.Value, true, nil
}

// VerifyStateEntry checks a proof of contract's key under a state root and
// returns the proven leaf entry, tombstones included (the head of a deleted
// key's lineage), or nil if the key was never written.
func VerifyStateEntry(root common.Hash, contract common.Address, key []byte, nodes [][]byte) (*Entry, error) {
	tk := StateTrieKey(contract, key)
	leaf, err := VerifyProof(root, tk[:], nodes)
	if err != nil || leaf == nil {
		return nil, err
	}
	e, err := DecodeEntry(leaf)
	if err != nil {
		return nil, fmt.Errorf("%w: leaf %x: %w", ErrBadValue, leaf, err)
	}
	return e, nil
}

// VerifyInclusion checks that trieKey is present under root (for example a
// transaction root with IndexKey) and returns the raw leaf value. Absence
// is ErrNotIncluded.
func VerifyInclusion(root common.Hash, trieKey []byte, nodes [][]byte) ([]byte, error) {
	v, err := VerifyProof(root, trieKey, nodes)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("%w: key %x under root %x", ErrNotIncluded, trieKey, root)
	}
	return v, nil
}

func stringContent(elem []byte, depth int) ([]byte, error) {
	kind, content, _, err := rlp.Split(elem)
	if err != nil || kind == rlp.List {
		return nil, fmt.Errorf("%w: depth %d: expected a string", ErrBadNode, depth)
	}
	return content, nil
}

func keyNibbles(key []byte) []byte {
	out := make([]byte, 0, 2*len(key))
	for _, b := range key {
		out = append(out, b>>4, b&0x0f)
	}
	return out
}

// compactNibbles decodes the hex-prefix encoding of a short node's path
// (Ethereum Yellow Paper, appendix C): the high nibble of the first byte
// holds the leaf flag (2) and the odd-length flag (1).
func compactNibbles(enc []byte) (nibbles []byte, leaf bool, err error) {
	if len(enc) == 0 {
		return nil, false, errors.New("empty path")
	}
	flag := enc[0] >> 4
	if flag > 3 {
		return nil, false, fmt.Errorf("bad hex-prefix flag %d", flag)
	}
	leaf = flag&2 != 0
	all := keyNibbles(enc)
	if flag&1 != 0 {
		return all[1:], leaf, nil
	}
	// The padding nibble of even paths is ignored, as go-ethereum does;
	// the node's hash already fixes its bytes.
	return all[2:], leaf, nil
}
