package ledger

import (
	"context"
	"fmt"
	"io"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
)

// SourceBlock is a committed block as a replay source gives it: a store's
// own blocks (Ledger.Blocks), an export stream, or another node.
type SourceBlock struct {
	Header *block.SignedHeader
	// Txs carry their code where the original transaction did.
	Txs []*tx.Tx
	// Receipts are the source's stored receipts, compared one by one with
	// the recomputed ones; nil to skip (the receipt root is still checked).
	Receipts []*block.Receipt
}

// BlockSource yields blocks in height order; Next returns io.EOF after the
// last.
type BlockSource interface {
	Next(ctx context.Context) (*SourceBlock, error)
}

// Blocks returns a source of this ledger's blocks from..to (inclusive),
// with their stored receipts and, for deploys and upgrades that carried code, the code.
// It reads the store as it goes, so it sees blocks committed meanwhile (up
// to to).
func (l *Ledger) Blocks(from, to uint64) BlockSource {
	return &ledgerSource{l: l, next: from, to: to}
}

type ledgerSource struct {
	l        *Ledger
	next, to uint64
}

func (s *ledgerSource) Next(ctx context.Context) (*SourceBlock, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.next > s.to || s.next > s.l.Latest().Header.Height {
		return nil, io.EOF
	}
	h := s.next
	s.next++
	return s.l.sourceBlock(h)
}

func (l *Ledger) sourceBlock(height uint64) (*SourceBlock, error) {
	sh, err := l.readHeader(height)
	if err != nil {
		return nil, err
	}
	recs, err := l.txRecords(height)
	if err != nil {
		return nil, err
	}
	receipts, err := l.readReceipts(height)
	if err != nil {
		return nil, err
	}
	sb := &SourceBlock{Header: sh, Receipts: receipts}
	if sb.Receipts == nil {
		sb.Receipts = []*block.Receipt{}
	}
	for _, r := range recs {
		t, err := r.decodeTx()
		if err != nil {
			return nil, err
		}
		if r.CarriedCode {
			// Deploys and upgrades carry code (tx.CodeCarrier).
			carrier, ok := t.Message().(tx.CodeCarrier)
			if !ok {
				return nil, fmt.Errorf("%w: tx %s carried code but is a %s", storage.ErrCorrupt, r.Hash, t.Type())
			}
			code, err := l.Code(carrier.CodeHashOf())
			if err != nil {
				return nil, fmt.Errorf("ledger: code of tx %s: %w", r.Hash, err)
			}
			if t, err = t.WithCode(code); err != nil {
				return nil, err
			}
		}
		sb.Txs = append(sb.Txs, t)
	}
	return sb, nil
}
