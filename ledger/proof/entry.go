package proof

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// ErrBadEntry: a state leaf is not a well-formed lineage entry.
var ErrBadEntry = errors.New("proof: malformed state entry")

// Entry is a state leaf: one version of one contract key. The leaf is
// rlp([Version, Height, TxIndex, Prev, Deleted, Value]). Version counts the
// key's writes from 1; Prev is EntryHash of version Version-1 (zero for
// version 1), so the latest leaf, proven against a state root, commits to
// every earlier write of the key. A deletion leaves a tombstone
// (Deleted, empty Value) that readers treat as an absent key, so a later
// write continues the chain.
type Entry struct {
	Version uint64
	Height  uint64
	TxIndex uint32
	Prev    common.Hash
	Deleted bool
	Value   []byte
}

// MaxEntryValue bounds a decoded entry's value: the ledger never stores a
// value this large, and a verifier must not allocate on a hostile length.
const MaxEntryValue = 16 << 20

// Encode returns the leaf encoding of e. A deleted entry encodes an empty
// value whatever Value holds.
func (e *Entry) Encode() []byte {
	v := e.Value
	if e.Deleted || v == nil {
		v = []byte{}
	}
	out := make([]byte, 0, 64+len(v))
	var body []byte
	body = rlp.AppendUint64(body, e.Version)
	body = rlp.AppendUint64(body, e.Height)
	body = rlp.AppendUint64(body, uint64(e.TxIndex))
	body = appendString(body, e.Prev[:])
	if e.Deleted {
		body = rlp.AppendUint64(body, 1)
	} else {
		body = rlp.AppendUint64(body, 0)
	}
	body = appendString(body, v)
	out = appendListHeader(out, len(body))
	return append(out, body...)
}

// Hash is EntryHash of e's encoding: what the next version's Prev holds.
func (e *Entry) Hash() common.Hash { return keccak(e.Encode()) }

// EntryHash is keccak256 of a leaf encoding.
func EntryHash(leaf []byte) common.Hash { return keccak(leaf) }

// DecodeEntry decodes a state leaf strictly: canonical RLP (go-ethereum's
// rlp splitting refuses non-canonical sizes and integers), exactly six
// items, Version ≥ 1, Prev zero exactly for version 1, Deleted 0 or 1 and
// a tombstone's value empty. The chain hashes leaves, so one entry must
// have exactly one encoding. The returned Value is a copy, non-nil for a
// live entry and nil for a tombstone.
func DecodeEntry(leaf []byte) (*Entry, error) {
	if len(leaf) > MaxEntryValue+256 {
		return nil, fmt.Errorf("%w: leaf of %d bytes", ErrBadEntry, len(leaf))
	}
	body, rest, err := rlp.SplitList(leaf)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: not one RLP list", ErrBadEntry)
	}
	var (
		e       Entry
		txIndex uint64
		deleted uint64
		prev    []byte
		value   []byte
	)
	for i, dst := range []*uint64{&e.Version, &e.Height, &txIndex} {
		if *dst, body, err = rlp.SplitUint64(body); err != nil {
			return nil, fmt.Errorf("%w: item %d: %v", ErrBadEntry, i, err)
		}
	}
	if prev, body, err = rlp.SplitString(body); err != nil || len(prev) != common.HashLength {
		return nil, fmt.Errorf("%w: prev is not 32 bytes", ErrBadEntry)
	}
	if deleted, body, err = rlp.SplitUint64(body); err != nil || deleted > 1 {
		return nil, fmt.Errorf("%w: deleted is not a boolean", ErrBadEntry)
	}
	if value, body, err = rlp.SplitString(body); err != nil {
		return nil, fmt.Errorf("%w: value: %v", ErrBadEntry, err)
	}
	if len(body) != 0 {
		return nil, fmt.Errorf("%w: more than six items", ErrBadEntry)
	}
	if txIndex > 1<<32-1 {
		return nil, fmt.Errorf("%w: tx index %d", ErrBadEntry, txIndex)
	}
	e.TxIndex, e.Prev, e.Deleted = uint32(txIndex), common.BytesToHash(prev), deleted == 1
	switch {
	case e.Version == 0:
		return nil, fmt.Errorf("%w: version 0", ErrBadEntry)
	case (e.Version == 1) != (e.Prev == common.Hash{}):
		return nil, fmt.Errorf("%w: version %d with prev %x", ErrBadEntry, e.Version, e.Prev)
	case e.Deleted && len(value) != 0:
		return nil, fmt.Errorf("%w: tombstone with a value", ErrBadEntry)
	}
	if !e.Deleted {
		e.Value = append([]byte{}, value...)
	}
	return &e, nil
}

func appendString(b, s []byte) []byte {
	if len(s) == 1 && s[0] < 0x80 {
		return append(b, s[0])
	}
	b = appendLength(b, 0x80, len(s))
	return append(b, s...)
}

func appendListHeader(b []byte, n int) []byte { return appendLength(b, 0xc0, n) }

func appendLength(b []byte, offset byte, n int) []byte {
	if n < 56 {
		return append(b, offset+byte(n))
	}
	var lb []byte
	for x := n; x > 0; x >>= 8 {
		lb = append([]byte{byte(x)}, lb...)
	}
	b = append(b, offset+55+byte(len(lb)))
	return append(b, lb...)
}
