package ledger

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
)

func isTooHigh(err error) bool { return errors.Is(err, tx.ErrNonceTooHigh) }

// Cursor is a position in a key's history: the first entry at or after
// (Height, Index). The zero Cursor is the beginning.
type Cursor struct {
	Height uint64
	Index  uint32
}

// HistoryPage is one page of a key's lineage, oldest first. Next is nil on
// the last page.
type HistoryPage struct {
	Entries []HistoryEntry
	Next    *Cursor
}

// History returns the changes of contract's key from cursor on, each with
// its block time and signer. limit <= 0 means DefaultHistoryLimit; larger
// than MaxHistoryLimit is capped.
func (l *Ledger) History(contract common.Address, key []byte, from Cursor, limit int) (*HistoryPage, error) {
	if limit <= 0 {
		limit = DefaultHistoryLimit
	}
	limit = min(limit, MaxHistoryLimit)
	raw, err := l.state.History(contract, key, from.Height, from.Index, limit+1)
	if err != nil {
		return nil, fmt.Errorf("ledger: history of %x in %s: %w", key, contract, err)
	}
	page := &HistoryPage{}
	if len(raw) > limit {
		h, i := raw[limit-1].Next()
		page.Next = &Cursor{Height: h, Index: i}
		raw = raw[:limit]
	}
	times := make(map[uint64]int64)
	for _, e := range raw {
		tm, ok := times[e.Height]
		if !ok {
			sh, err := l.readHeader(e.Height)
			if err != nil {
				return nil, err
			}
			tm = sh.Header.TimeMs
			times[e.Height] = tm
		}
		var signer common.Address // the genesis records (height 0) have no transaction
		if e.Height > 0 {
			if signer, err = l.txSigner(e.Height, e.TxIndex); err != nil {
				return nil, err
			}
		}
		page.Entries = append(page.Entries, HistoryEntry{
			Height: e.Height, TimeMs: tm, Index: e.TxIndex, TxHash: e.TxHash,
			Signer: signer, Value: e.Value, Deleted: e.Deleted,
		})
	}
	return page, nil
}

func (l *Ledger) txSigner(height uint64, index uint32) (common.Address, error) {
	v, err := l.kv.Get(storage.TxKey(height, index))
	if err != nil {
		return common.Address{}, fmt.Errorf("ledger: read tx %d/%d: %w", height, index, err)
	}
	r, err := decodeTxRecord(v)
	if err != nil {
		return common.Address{}, err
	}
	return r.Sender, nil
}
