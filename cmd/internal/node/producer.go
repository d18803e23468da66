package node

import (
	"context"
	"errors"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/cmd/internal/httpapi"
	"github.com/meshledger/meshledger/cmd/internal/node/mempool"
	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/tx"
)

// maxExpireEvery is the longest between looks for stuck transactions.
const maxExpireEvery = 10 * time.Second

// produce runs the solo block producer until ctx is cancelled. A block is
// cut BlockInterval after the previous one, or as soon as BlockMaxTxs
// transactions are pending, whichever comes first; never empty.
func (n *Node) produce(ctx context.Context) {
	every := maxExpireEvery
	if age := n.pool.Config().MaxAge / 2; age > 0 && age < every {
		every = age
	}
	expire := time.NewTicker(every)
	defer expire.Stop()
	last := time.Time{}
	for {
		for n.pool.Len() == 0 {
			select {
			case <-ctx.Done():
				return
			case <-n.pool.Added():
			case <-expire.C:
				n.expire()
			}
		}
		if wait := time.Until(last.Add(n.cfg.BlockInterval)); wait > 0 {
			timer := time.NewTimer(wait)
		waiting:
			for n.pool.Len() < n.cfg.BlockMaxTxs {
				select {
				case <-ctx.Done():
					timer.Stop()
					return
				case <-n.pool.Added():
				case <-timer.C:
					break waiting
				}
			}
			timer.Stop()
		}
		last = time.Now()
		// The block is applied under a context that shutdown does not
		// cancel: Close waits for it instead of abandoning it half way.
		if _, err := n.ProduceBlock(context.WithoutCancel(ctx)); err != nil {
			n.log.Error("block production failed", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(n.cfg.BlockInterval):
			}
		}
		select {
		case <-expire.C:
			n.expire()
		default:
		}
	}
}

func (n *Node) expire() {
	for _, d := range n.pool.Expire() {
		n.metrics.rejected.WithLabelValues("mempool", "expired").Inc()
		n.log.Debug("transaction expired", "hash", d.Hash)
	}
}

// ProduceBlock cuts one block from the ready transactions now. It returns
// nil (and makes no block) when none is ready. The producer calls it; it
// is exported for tools and tests that drive blocks by hand (with
// Config.BlockInterval large).
func (n *Node) ProduceBlock(ctx context.Context) (*ledger.Applied, error) {
	n.produceMu.Lock()
	defer n.produceMu.Unlock()
	ready, err := n.pool.Ready(n.cfg.BlockMaxTxs, n.ledger.NextNonce)
	if err != nil || len(ready) == 0 {
		return nil, err
	}
	txs := make([]*tx.Tx, len(ready))
	for i, e := range ready {
		txs[i] = e.Tx
	}
	parent := n.ledger.Latest()
	timeMs := max(n.cfg.Now().UnixMilli(), parent.Header.TimeMs+1)
	start := time.Now()
	applied, err := n.ledger.ApplyBlock(ctx, ledger.Proposal{TimeMs: timeMs, Proposer: n.signer.Address(), Txs: txs}, n.signer)
	var empty *ledger.EmptyBlockError
	if errors.As(err, &empty) {
		// Every ready transaction was rejected: no block (never an empty
		// one), but the rejected ones leave the mempool all the same.
		n.dropRejected(nil, empty.Rejected)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	n.metrics.blockApply.Observe(time.Since(start).Seconds())
	n.afterBlock(applied)
	return applied, nil
}

// afterBlock updates the mempool, metrics and waiters for a committed
// block.
func (n *Node) afterBlock(applied *ledger.Applied) {
	n.dropRejected(applied.TxHashes, applied.Rejected)

	h := applied.Header.Header
	var gas uint64
	for _, r := range applied.Receipts {
		gas += r.GasUsed
	}
	n.metrics.blockTxs.Observe(float64(len(applied.TxHashes)))
	n.metrics.blockGas.Observe(float64(gas))
	n.metrics.height.Set(float64(h.Height))
	if n.lastBlockMs != 0 {
		n.metrics.blockInterval.Observe(float64(h.TimeMs-n.lastBlockMs) / 1000)
	}
	n.lastBlockMs = h.TimeMs
	n.commits.notify()
}

// dropRejected removes from the mempool the transactions a block included
// and those it rejected for good (retryable rejections stay pending), and
// counts the rejections.
func (n *Node) dropRejected(included []common.Hash, rejected []ledger.Rejected) {
	var drops []mempool.Drop
	senders := map[common.Address]uint64{}
	for _, e := range rejected {
		if e.Tx == nil {
			continue
		}
		if ledger.Retryable(e.Err) {
			// It may fit a later block: it stays pending.
			continue
		}
		senders[e.Tx.Message().Sender()] = 0
		drops = append(drops, mempool.Drop{Hash: e.Tx.Hash(), Err: e.Err})
		_, body, _ := httpapi.Classify(e.Err)
		n.metrics.rejected.WithLabelValues("block", string(body.Code)).Inc()
		n.log.Info("transaction rejected", "hash", e.Tx.Hash(), "err", e.Err)
	}
	// A rejected sender's later nonces may now be unreachable or taken:
	// Commit drops those below the sender's next nonce.
	for s := range senders {
		next, err := n.ledger.NextNonce(s)
		if err != nil {
			n.log.Error("read next nonce", "sender", s, "err", err)
			delete(senders, s)
			continue
		}
		senders[s] = next
	}
	n.pool.Commit(included, drops, senders)
}
