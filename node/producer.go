package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/node/mempool"
)

// maxExpireEvery is the longest between looks for stuck transactions.
const maxExpireEvery = 10 * time.Second

// produce runs the solo block producer until ctx is cancelled. A block is
// cut BlockInterval after the previous block, or as soon as BlockMaxTxs
// transactions are includable, whichever comes first; never empty.
//
// The producer never polls: when nothing is includable (an empty pool, or
// one whose transactions all wait behind nonce gaps), or when its last
// attempt found nothing ready (deploys still compiling), it sleeps until a
// transaction is admitted, a compile finishes, the expiry tick or
// shutdown. Every wait also watches ctx, so Close never waits behind it.
func (n *Node) produce(ctx context.Context) {
	every := maxExpireEvery
	if age := n.pool.Config().GappedMaxAge / 2; age > 0 && age < every {
		every = age
	}
	expire := time.NewTicker(every)
	defer expire.Stop()
	var compiled <-chan struct{}
	if n.compiler != nil {
		compiled = n.compiler.done
	}
	last := time.Time{}
	idle := false // the last attempt found nothing to include
	for {
		for idle || n.pool.Includable() == 0 {
			select {
			case <-ctx.Done():
				return
			case <-n.pool.Added():
				idle = false
			case <-compiled:
				idle = false
			case <-expire.C:
				n.expire()
			}
		}
		if wait := time.Until(last.Add(n.cfg.BlockInterval)); wait > 0 {
			timer := time.NewTimer(wait)
		waiting:
			for n.pool.Includable() < n.cfg.BlockMaxTxs {
				select {
				case <-ctx.Done():
					timer.Stop()
					return
				case <-n.pool.Added():
				case <-compiled:
				case <-timer.C:
					break waiting
				}
			}
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
		// The block is applied under a context that shutdown does not
		// cancel: Close waits for it instead of abandoning it half way.
		started := time.Now()
		made, err := n.produceBlock(context.WithoutCancel(ctx), n.holds)
		if made.applied != nil {
			// The interval runs from the last block, not from the last
			// look: a look that found nothing ready (deploys compiling,
			// a sender's run held) must not make the next transaction
			// wait a whole interval.
			last = started
		}
		if err != nil {
			n.log.Error("block production failed", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(n.cfg.BlockInterval):
			}
		}
		idle = err == nil && !made.progress()
		select {
		case <-expire.C:
			n.expire()
		default:
		}
	}
}

// holds reports whether the producer must leave t pending for now (see
// precompiler.holds).
func (n *Node) holds(t *tx.Tx) bool { return n.compiler != nil && n.compiler.holds(t) }

func (n *Node) expire() {
	for _, d := range n.pool.Expire() {
		n.metrics.rejected.WithLabelValues("mempool", "expired").Inc()
		n.log.Debug("transaction expired", "hash", d.Hash, "reason", d.Err)
	}
}

// attempt is what one look for ready transactions achieved.
type attempt struct {
	applied *ledger.Applied
	dropped int // transactions that left the pool without a block
}

// progress reports whether the pool changed, so another look may find
// more: after a block, or after rejections that left the pool.
func (a attempt) progress() bool { return a.applied != nil || a.dropped > 0 }

// ProduceBlock cuts one block from the ready transactions now. It returns
// nil (and makes no block) when none is ready. The producer calls it; it
// is exported for tools and tests that drive blocks by hand (with
// Config.BlockInterval large). Unlike the producer it does not wait for
// deploys being compiled in the background: their block compiles them.
func (n *Node) ProduceBlock(ctx context.Context) (*ledger.Applied, error) {
	if n.ledger.Genesis().BFT() {
		return nil, fmt.Errorf("%w: blocks of a BFT chain come from consensus", ErrConsensusMode)
	}
	a, err := n.produceBlock(ctx, nil)
	return a.applied, err
}

// produceBlock cuts a block from the ready transactions that hold (nil:
// none) does not hold back.
func (n *Node) produceBlock(ctx context.Context, hold func(*tx.Tx) bool) (attempt, error) {
	n.produceMu.Lock()
	defer n.produceMu.Unlock()
	n.metrics.looks.Inc()
	ready, err := n.pool.Ready(n.cfg.BlockMaxTxs, n.ledger.NextNonce, hold)
	if err != nil || len(ready) == 0 {
		return attempt{}, err
	}
	txs := make([]*tx.Tx, len(ready))
	for i, e := range ready {
		txs[i] = e.Tx
	}
	parent := n.ledger.Latest()
	timeMs := max(n.cfg.Now().UnixMilli(), parent.Header.TimeMs+1)
	start := time.Now()
	deadline := start.Add(n.cfg.BlockTimeBudget)
	cut := false
	cutoff := func() bool {
		cut = time.Now().After(deadline)
		return cut
	}
	applied, err := n.ledger.ApplyBlock(ctx, ledger.Proposal{TimeMs: timeMs, Proposer: n.signer.Address(), Txs: txs, Cutoff: cutoff}, n.signer)
	if cut {
		n.metrics.blocksCut.Inc()
	}
	var empty *ledger.EmptyBlockError
	if errors.As(err, &empty) {
		// Every ready transaction was rejected: no block (never an empty
		// one), but the rejected ones leave the mempool all the same.
		return attempt{dropped: n.dropRejected(nil, empty.Rejected)}, nil
	}
	if err != nil {
		return attempt{}, err
	}
	n.metrics.blockApply.Observe(time.Since(start).Seconds())
	n.afterBlock(applied)
	return attempt{applied: applied}, nil
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
// counts the rejections. It returns how many it dropped.
func (n *Node) dropRejected(included []common.Hash, rejected []ledger.Rejected) int {
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
	return len(drops)
}
