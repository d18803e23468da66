package ledger

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/proof"
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

// LineageEntry is one version of a key with what proves it: the block's
// header, the transaction (its stored encoding) and receipt with their
// proofs against the header's TxRoot and ReceiptRoot. A genesis record
// (height 0) has no transaction: Tx, Receipt and the proofs are empty.
type LineageEntry struct {
	Entry        *proof.Entry
	TxHash       common.Hash
	Header       *block.SignedHeader
	Tx           *tx.Tx
	TxBody       []byte // the transaction's binary encoding, the TxRoot leaf
	TxProof      [][]byte
	Receipt      *block.Receipt
	ReceiptProof [][]byte
}

// LineagePage is one page of a key's proven lineage, oldest first. Next is
// nil on the last page, which carries Latest: the key's state proof at the
// latest block, whose leaf (value or tombstone) must be the newest entry.
type LineagePage struct {
	Entries []LineageEntry
	Next    *Cursor
	Latest  *StateAt
}

// Lineage is History with proofs. Entries newer than the latest block when
// the call starts are left to a later call, so that the last page's state
// proof covers every entry it lists.
func (l *Ledger) Lineage(contract common.Address, key []byte, from Cursor, limit int) (*LineagePage, error) {
	if limit <= 0 {
		limit = DefaultHistoryLimit
	}
	limit = min(limit, MaxHistoryLimit)
	latest := l.Latest()
	raw, err := l.state.History(contract, key, from.Height, from.Index, limit+1)
	if err != nil {
		return nil, fmt.Errorf("ledger: lineage of %x in %s: %w", key, contract, err)
	}
	for i, e := range raw {
		if e.Height > latest.Header.Height { // committed after latest was read
			raw = raw[:i]
			break
		}
	}
	page := &LineagePage{}
	if len(raw) > limit {
		h, i := raw[limit-1].Next()
		page.Next = &Cursor{Height: h, Index: i}
		raw = raw[:limit]
	}
	headers := make(map[uint64]*block.SignedHeader)
	for _, e := range raw {
		sh, ok := headers[e.Height]
		if !ok {
			if sh, err = l.readHeader(e.Height); err != nil {
				return nil, err
			}
			headers[e.Height] = sh
		}
		le := LineageEntry{Entry: e.Entry(), TxHash: e.TxHash, Header: sh}
		if e.Height > 0 {
			bt, err := l.blockTries(e.Height)
			if err != nil {
				return nil, err
			}
			if int(e.TxIndex) >= len(bt.records) {
				return nil, fmt.Errorf("%w: history names tx %d of block %d, which has %d", storage.ErrCorrupt, e.TxIndex, e.Height, len(bt.records))
			}
			if le.TxProof, le.ReceiptProof, err = bt.prove(int(e.TxIndex)); err != nil {
				return nil, err
			}
			if le.Tx, err = bt.records[e.TxIndex].decodeTx(); err != nil {
				return nil, err
			}
			le.TxBody = bytes.Clone(bt.records[e.TxIndex].Body)
			le.Receipt = cloneReceipt(bt.receipts[e.TxIndex])
		}
		page.Entries = append(page.Entries, le)
	}
	if page.Next == nil {
		p, err := l.state.Prove(latest.Header.StateRoot, contract, key)
		if err != nil {
			return nil, fmt.Errorf("ledger: lineage head of %x in %s: %w", key, contract, err)
		}
		page.Latest = &StateAt{Proof: p, Header: latest}
	}
	return page, nil
}
