package proof

import (
	"bytes"
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

// DecodeEntry decodes a state leaf strictly: canonical RLP, exactly six
// items, Version ≥ 1, Prev zero exactly for version 1, and a tombstone's
// value empty. The returned Value is a copy, non-nil for a live entry and
// nil for a tombstone.
func DecodeEntry(leaf []byte) (*Entry, error) {
	if len(leaf) > MaxEntryValue+256 {
		return nil, fmt.Errorf("%w: leaf of %d bytes", ErrBadEntry, len(leaf))
	}
	var raw struct {
		Version uint64
		Height  uint64
		TxIndex uint32
		Prev    common.Hash
		Deleted bool
		Value   []byte
	}
	if err := rlp.DecodeBytes(leaf, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadEntry, err)
	}
	switch {
	case raw.Version == 0:
		return nil, fmt.Errorf("%w: version 0", ErrBadEntry)
	case (raw.Version == 1) != (raw.Prev == common.Hash{}):
		return nil, fmt.Errorf("%w: version %d with prev %x", ErrBadEntry, raw.Version, raw.Prev)
	case raw.Deleted && len(raw.Value) != 0:
		return nil, fmt.Errorf("%w: tombstone with a value", ErrBadEntry)
	}
	e := &Entry{Version: raw.Version, Height: raw.Height, TxIndex: raw.TxIndex, Prev: raw.Prev, Deleted: raw.Deleted}
	if !raw.Deleted {
		e.Value = append([]byte{}, raw.Value...)
	}
	// Re-encoding guards against any non-canonical form the decoder let
	// through: the chain hashes leaves, so one entry must have one encoding.
	if !bytes.Equal(e.Encode(), leaf) {
		return nil, fmt.Errorf("%w: non-canonical encoding", ErrBadEntry)
	}
	return e, nil
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
