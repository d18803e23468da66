package httpapi

import (
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

// visibleTxHashes returns the hashes of the transactions v may read, in
// block order. Auditors read every transaction; anyone else costs one
// transaction read per hash, which is why the block's full count travels
// beside the list rather than being derived from it.
func (s *Server) visibleTxHashes(v *ledger.Viewer, hashes []common.Hash) ([]common.Hash, error) {
	out := make([]common.Hash, 0, len(hashes))
	if v.Auditor() {
		return append(out, hashes...), nil
	}
	for _, h := range hashes {
		rec, err := s.deps.Ledger.Tx(h)
		if err != nil {
			return nil, fmt.Errorf("read tx %s: %w", h, err)
		}
		ok, err := s.canReadTx(v, rec)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, h)
		}
	}
	return out, nil
}
