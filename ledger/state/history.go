package state

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/storage"
)

// HistoryEntry is one change of one key: which transaction made it, where,
// and the value it left (or that it deleted the key).
type HistoryEntry struct {
	Version uint64      // the key's version this change made, from 1
	Prev    common.Hash // hash of version Version-1's leaf; zero for version 1
	Height  uint64
	TxIndex uint32
	TxHash  common.Hash
	Value   []byte // nil when Deleted; otherwise non-nil, possibly empty
	Deleted bool
}

// Next returns the position just after e, where the next page of History
// starts.
func (e HistoryEntry) Next() (height uint64, txIndex uint32) {
	if e.TxIndex == math.MaxUint32 {
		return e.Height + 1, 0
	}
	return e.Height, e.TxIndex + 1
}

// Entry is the state leaf this change wrote: e rebuilt exactly, so its
// hash is the next version's Prev.
func (e HistoryEntry) Entry() *proof.Entry {
	return &proof.Entry{Version: e.Version, Height: e.Height, TxIndex: e.TxIndex, Prev: e.Prev, Deleted: e.Deleted, Value: e.Value}
}

// historyValue is the stored form; the position lives in the key. Version
// and Prev complete the leaf entry the change wrote.
type historyValue struct {
	TxHash  common.Hash
	Deleted bool
	Value   []byte
	Version uint64
	Prev    common.Hash
}

func encodeHistory(c Change, e *proof.Entry) []byte {
	enc, _ := rlp.EncodeToBytes(historyValue{TxHash: c.TxHash, Deleted: c.Delete, Value: nonNil(c.Value), Version: e.Version, Prev: e.Prev})
	return enc
}

// History returns up to limit changes of contract's key at or after
// position (startHeight, startIndex), oldest first. Pass (0, 0) for the
// first page and the last entry's Next() for the following one.
func (db *DB) History(contract common.Address, key []byte, startHeight uint64, startIndex uint32, limit int) ([]HistoryEntry, error) {
	if limit < 1 {
		return nil, fmt.Errorf("%w: %d", ErrInvalidLimit, limit)
	}
	prefix := storage.HistoryKeyPrefix(contract, key)
	start := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, startHeight), startIndex)
	it := db.kv.NewIterator(prefix, start)
	defer it.Release()
	var out []HistoryEntry
	for len(out) < limit && it.Next() {
		e, err := decodeHistory(it.Key()[len(prefix):], it.Value())
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("state: history of %x of %s: %w", key, contract, err)
	}
	return out, nil
}

// decodeHistory decodes an entry from the key suffix height‖txIndex and the value.
func decodeHistory(pos, value []byte) (HistoryEntry, error) {
	if len(pos) != 12 {
		return HistoryEntry{}, fmt.Errorf("%w: history position of %d bytes", ErrCorrupt, len(pos))
	}
	var hv historyValue
	if err := rlp.DecodeBytes(value, &hv); err != nil {
		return HistoryEntry{}, fmt.Errorf("%w: history entry: %v", ErrCorrupt, err)
	}
	e := HistoryEntry{
		Height:  binary.BigEndian.Uint64(pos),
		TxIndex: binary.BigEndian.Uint32(pos[8:]),
		TxHash:  hv.TxHash,
		Deleted: hv.Deleted,
		Version: hv.Version,
		Prev:    hv.Prev,
	}
	if !hv.Deleted {
		e.Value = nonNil(hv.Value)
	}
	return e, nil
}
