package bench

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// reconciled is what the node says of every transaction still tracked
// after the drain.
type reconciled struct {
	committed []common.Hash // committed, its block not seen on the stream
	dropped   int           // admitted, then rejected by the node
	stuck     []common.Hash // admitted, still pending: sorted
	err       error         // lookups that failed (those count as stuck if admitted)
}

// reconcileTimeout bounds the lookups of reconcile.
const reconcileTimeout = 30 * time.Second

// reconcile asks the node each was sent to about every transaction still tracked, so that
// the result counts exactly what it admitted and committed: an answer
// that never came (the request was cut off at the end of the timed
// phase) may have admitted its transactions, and an admitted transaction
// that did not commit is either still pending (stuck, typically behind a
// refused nonce) or was dropped.
func reconcile(ctx context.Context, tr *tracker) reconciled {
	open := tr.open()
	ctx, cancel := context.WithTimeout(ctx, reconcileTimeout)
	defer cancel()
	var (
		mu   sync.Mutex
		r    reconciled
		errs []error
	)
	var g errgroup.Group
	g.SetLimit(8)
	for _, o := range open {
		h := o.hash
		g.Go(func() error {
			// The node it was sent to: only that one knows a pending
			// transaction it admitted.
			t, err := o.w.c.Tx(ctx, h)
			wasAdmitted := tr.wasAdmitted(h)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case client.IsNotFound(err):
				// Never reached the node.
			case err != nil:
				if wasAdmitted {
					r.stuck = append(r.stuck, h)
				}
				errs = append(errs, fmt.Errorf("%s: %w", h.Hex(), err))
			case t.Status == api.TxPending:
				tr.admit(h)
				r.stuck = append(r.stuck, h)
			case t.Status == api.TxCommitted:
				tr.admit(h)
				r.committed = append(r.committed, h)
			case t.Status == api.TxRejected && wasAdmitted:
				r.dropped++
			}
			return nil
		})
	}
	_ = g.Wait()
	slices.SortFunc(r.stuck, func(a, b common.Hash) int { return bytes.Compare(a[:], b[:]) })
	if len(errs) > 0 {
		r.err = fmt.Errorf("%d of %d lookups failed, first: %w", len(errs), len(open), errs[0])
	}
	return r
}
