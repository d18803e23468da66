package httpapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger"
)

// The API never decides who reads what: the ledger does (Ledger.CanReadKey,
// CanReadTx, SeesEvent), the same way on every node. The helpers here only
// ask it and translate its answer into what a client sees.

// refuseRead turns the ledger's refusal into ErrReadForbidden, whose
// message is the same whatever was refused; other errors pass.
func refuseRead(err error) error {
	if errors.Is(err, ledger.ErrForbidden) {
		return ErrReadForbidden
	}
	return err
}

// canReadTx reports whether v may read a committed transaction. A refusal
// is false, not an error: callers answer it as they answer an unknown
// transaction, so that existence does not leak.
func (s *Server) canReadTx(v *ledger.Viewer, rec *ledger.TxRecord) (bool, error) {
	err := s.deps.Ledger.CanReadTx(v, rec)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ledger.ErrForbidden):
		return false, nil
	default:
		return false, fmt.Errorf("access to tx %s: %w", rec.Tx.Hash(), err)
	}
}

// canReadPending reports whether v may read a transaction still in the
// mempool: it has no receipt and no events yet, so only its sender's
// organisation and auditors read it, as they will once it commits.
func (s *Server) canReadPending(v *ledger.Viewer, sender common.Address) (bool, error) {
	if v.Auditor() || v.Address == sender {
		return true, nil
	}
	sv, err := s.deps.Ledger.ViewerAt(sender)
	if err != nil {
		return false, fmt.Errorf("member record of sender %s: %w", sender, err)
	}
	return sv != nil && sv.Member != nil && v.Member != nil && sv.Member.Org == v.Member.Org, nil
}

// visibleTxHashes returns the hashes of block h's transactions (hashes,
// in block order) that v may read. Auditors read every transaction; for
// anyone else the block's transactions and receipts are read once, without
// their proofs, and each is put to Ledger.CanReadTx.
func (s *Server) visibleTxHashes(ctx context.Context, v *ledger.Viewer, h uint64, hashes []common.Hash) ([]common.Hash, error) {
	out := make([]common.Hash, 0, len(hashes))
	if v.Auditor() || len(hashes) == 0 {
		return append(out, hashes...), nil
	}
	sb, err := s.deps.Ledger.Blocks(h, h).Next(ctx)
	if err != nil {
		return nil, fmt.Errorf("transactions of block %d: %w", h, err)
	}
	if len(sb.Txs) != len(sb.Receipts) {
		return nil, fmt.Errorf("block %d: %d transactions, %d receipts", h, len(sb.Txs), len(sb.Receipts))
	}
	for i, t := range sb.Txs {
		ok, err := s.canReadTx(v, &ledger.TxRecord{Tx: t, Receipt: sb.Receipts[i], Header: sb.Header})
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, t.Hash())
		}
	}
	return out, nil
}
