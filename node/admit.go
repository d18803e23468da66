package node

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/node/mempool"
	"github.com/meshledger/meshledger/sdk/api"
)

// maxStaleRetries bounds admission retries when blocks commit during
// admission. A retry re-reads only the sender's nonce, which takes
// microseconds, so running out of them means the chain is committing
// faster than that: the client is told to retry (ErrStale, 503).
const maxStaleRetries = 8

// Submit admits a transaction to the mempool (httpapi.Pool). A
// transaction already pending or committed is reported as known and never
// added twice: resubmission is idempotent. Refusals are counted by the API,
// which also refuses transactions that never reach here (malformed,
// oversized), so that one place counts them all. An admitted deploy's code
// starts compiling in the background.
func (n *Node) Submit(t *tx.Tx) (httpapi.Submitted, error) {
	sub, err := n.submit(t)
	if err != nil {
		return sub, err
	}
	if !sub.Known {
		n.metrics.admitted.Inc()
		if n.compiler != nil {
			n.compiler.enqueue(t)
		}
	}
	return sub, nil
}

// submit checks t once against the latest state, then adds it to the
// pool. The costly checks (signature recovery, hashing a deploy's code,
// sizes) do not depend on the chain, and what the target check finds (a
// contract, stored code) never disappears: a block committing meanwhile
// can only change the sender's next nonce, so a stale Add re-reads just
// that, and a large deploy is admitted however busy the chain is.
func (n *Node) submit(t *tx.Tx) (httpapi.Submitted, error) {
	hash := t.Hash()
	if _, ok := n.pool.Get(hash); ok {
		return httpapi.Submitted{Hash: hash, Status: api.TxPending, Known: true}, nil
	}
	sender := t.Message().Sender()
	// The epoch is read first: if a block commits after this point, Add
	// fails with ErrStale rather than trust a stale nonce.
	epoch := n.pool.Epoch()
	// A committed transaction used its nonce, so it always fails here or
	// in Add (nonce too low): whether it is committed is asked only then,
	// which spares every new transaction that read.
	next, err := n.ledger.CheckTxNonce(t)
	if err != nil && !n.deployPending(t, err) {
		return n.unlessCommitted(hash, fmt.Errorf("check tx %s: %w", hash, err))
	}
	// With ErrUnknownContract (a call to a pending deploy) next is valid.
	entry := mempool.Entry[*tx.Tx]{Hash: hash, Sender: sender, Nonce: t.Message().AccountNonce(), Size: txSize(t), Tx: t}
	for attempt := 0; ; attempt++ {
		known, err := n.pool.Add(entry, next, epoch)
		switch {
		case errors.Is(err, mempool.ErrStale) && attempt < maxStaleRetries:
			epoch = n.pool.Epoch()
			if next, err = n.ledger.NextNonce(sender); err != nil {
				return httpapi.Submitted{}, fmt.Errorf("next nonce of %s: %w", sender, err)
			}
			continue
		case errors.Is(err, mempool.ErrStale):
			return httpapi.Submitted{}, fmt.Errorf("admit tx %s: blocks committed %d times while it was admitted: %w", hash, attempt+1, err)
		case err != nil:
			return n.unlessCommitted(hash, fmt.Errorf("admit tx %s: %w", hash, err))
		}
		if n.comet != nil && !known {
			if err := n.broadcast(t); err != nil {
				n.pool.Commit(nil, []mempool.Drop{{Hash: hash, Err: err}}, nil)
				return httpapi.Submitted{}, fmt.Errorf("admit tx %s: %w", hash, err)
			}
		}
		return httpapi.Submitted{Hash: hash, Status: api.TxPending, Known: known}, nil
	}
}

// deployPending reports whether err only says that t calls a contract not
// yet committed while a pending deploy will create it: a client may deploy
// and call without waiting for the deploy's block. If the deploy fails, the
// call gets a failed receipt (unknown_contract) when it executes.
func (n *Node) deployPending(t *tx.Tx, err error) bool {
	call, ok := t.Message().(*tx.Call)
	if !ok || !errors.Is(err, ledger.ErrUnknownContract) {
		return false
	}
	return n.pool.Any(func(e mempool.Entry[*tx.Tx]) bool {
		d, ok := e.Tx.Message().(*tx.Deploy)
		return ok && d.ContractAddress() == call.Contract
	})
}

// unlessCommitted turns a refusal of a transaction that is already
// committed (resubmitted, or committed by a block racing this admission)
// into the idempotent answer.
func (n *Node) unlessCommitted(hash common.Hash, err error) (httpapi.Submitted, error) {
	if committed, cerr := n.ledger.HasTx(hash); cerr == nil && committed {
		return httpapi.Submitted{Hash: hash, Status: api.TxCommitted, Known: true}, nil
	}
	return httpapi.Submitted{}, err
}

// txSize is what a transaction costs the mempool's byte bound: its block
// encoding plus the code it carries.
func txSize(t *tx.Tx) int {
	b, err := t.MarshalBinary()
	if err != nil {
		// Well-formed transactions always encode; count something anyway.
		return len(t.Code()) + 1024
	}
	return len(b) + len(t.Code())
}

// Pending implements httpapi.Pool.
func (n *Node) Pending(hash common.Hash) (*tx.Tx, bool) {
	e, ok := n.pool.Get(hash)
	return e.Tx, ok
}

// Dropped implements httpapi.Pool.
func (n *Node) Dropped(hash common.Hash) (error, bool) { return n.pool.Dropped(hash) }

// PendingNonce implements httpapi.Pool.
func (n *Node) PendingNonce(addr common.Address) (uint64, error) {
	next, err := n.ledger.NextNonce(addr)
	if err != nil {
		return 0, err
	}
	return n.pool.PendingNonce(addr, next), nil
}
