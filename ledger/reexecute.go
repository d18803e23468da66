package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/roots"
	"github.com/meshledger/meshledger/ledger/tx"
)

// ErrTipMoved reports a Reexecution committed after another block was
// committed on top of the block it was executed on.
var ErrTipMoved = errors.New("ledger: the tip moved since the block was re-executed")

// Reexecution is a committed block of another store executed again on top
// of this ledger's tip, by the same executor as ApplyBlock: what its
// transactions computed with its header's time and proposer. Nothing of it
// is stored until CommitReexecution; dropping it leaves the ledger
// unchanged.
type Reexecution struct {
	// Header is the header execution derives (height, parent, roots); a
	// faithful source block's signed header holds exactly this.
	Header block.Header
	// Receipts are those of the included transactions, in order.
	Receipts []*block.Receipt
	// Rejected are the transactions that could not be included: in a
	// faithful source block, none.
	Rejected []Rejected

	b     *pendingBlock
	batch ethdb.Batch
}

// TxRoot is the transaction root a header commits to for txs, all of them
// included in order.
func TxRoot(txs []*tx.Tx) (common.Hash, error) {
	bodies := make([][]byte, len(txs))
	for i, t := range txs {
		b, err := t.MarshalBinary()
		if err != nil {
			return common.Hash{}, fmt.Errorf("ledger: encode tx %d: %w", i, err)
		}
		bodies[i] = b
	}
	return roots.Derive(bodies), nil
}

// Reexecute executes txs on top of the latest block with the time and
// proposer of sh, the header that committed them elsewhere. It is how an
// auditor checks a block it did not make: the executor is the one
// ApplyBlock runs, so a block re-executes to the header it was signed
// with, or the difference names what diverged. It has no effect on the
// store; a returned error is a host failure.
func (l *Ledger) Reexecute(ctx context.Context, sh *block.SignedHeader, txs []*tx.Tx) (*Reexecution, error) {
	unlock, err := l.lockApply()
	if err != nil {
		return nil, err
	}
	defer unlock()
	h := sh.Header
	b, err := l.execute(ctx, Proposal{TimeMs: h.TimeMs, Proposer: h.Proposer, Txs: txs})
	if err != nil {
		return nil, err
	}
	batch := l.newBlockBatch(len(b.records))
	sealed, err := l.seal(b, batch)
	if err != nil {
		return nil, err
	}
	return &Reexecution{Header: sealed, Receipts: b.receipts, Rejected: b.rejected, b: b, batch: batch}, nil
}

// CommitReexecution commits a re-executed block with sh, its original
// signed header, in one write like ApplyBlock's. It refuses a header other
// than the one execution derived, a signature that does not verify, and a
// tip that moved since Reexecute (ErrTipMoved): a verified block is stored
// as verified or not at all.
func (l *Ledger) CommitReexecution(r *Reexecution, sh *block.SignedHeader) (*Applied, error) {
	unlock, err := l.lockApply()
	if err != nil {
		return nil, err
	}
	defer unlock()
	switch {
	case len(r.Rejected) > 0:
		return nil, fmt.Errorf("%w: block %d re-executed with %d rejected transactions", ErrBadRequest, r.Header.Height, len(r.Rejected))
	case sh.Header != r.Header:
		return nil, fmt.Errorf("%w: block %d header %s, re-executed %s", ErrBadRequest, r.Header.Height, sh.Hash(), r.Header.Hash())
	case l.latest.Load() != r.b.parent:
		return nil, fmt.Errorf("%w: block %d", ErrTipMoved, r.Header.Height)
	}
	if err := l.VerifyHeaderSignature(sh); err != nil {
		return nil, fmt.Errorf("ledger: block %d: %w", r.Header.Height, err)
	}
	if err := l.commit(r.b, sh, r.batch); err != nil {
		return nil, err
	}
	return r.b.applied(sh), nil
}

// ErrUnexpectedSignature: a BFT chain's header carries a signature. Its
// headers are unsigned (the validators' commit is their authority), so a
// signature there is not this chain's block.
var ErrUnexpectedSignature = errors.New("ledger: signed header on a BFT chain")

// VerifyHeaderSignature checks a header's signature as the
// chain's mode requires: a solo chain's is its proposer's; a BFT chain's
// header has none.
func (l *Ledger) VerifyHeaderSignature(sh *block.SignedHeader) error {
	if l.genesis.BFT() {
		if len(sh.Signature) != 0 {
			return ErrUnexpectedSignature
		}
		return nil
	}
	return sh.VerifySignature()
}
