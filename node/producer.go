package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
//
// Blocks are pipelined (ledger.Pipeline): block N+1 is cut and executed
// while block N is sealed and written, and N is acknowledged (afterBlock:
// the mempool, ?wait=true, events) only once it is durable. On return the
// block in flight has been written or has failed.
func (n *Node) produce(ctx context.Context) {
	pipe := &pipeline{inFlight: map[uint64]blockTiming{}}
	var err error
	if pipe.Pipeline, err = n.ledger.NewPipeline(n.signer, pipe.durable(n)); err != nil {
		n.log.Error("block production cannot start", "err", err)
		return
	}
	// settle waits for the block in flight and lets other writers of the
	// ledger (ProduceBlock, audits) in; a failed write is backed off like
	// a failed block.
	settle := func() {
		if err := pipe.Settle(); err != nil {
			n.log.Error("block commit failed", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(n.cfg.BlockInterval):
			}
		}
	}
	defer settle()
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
			case <-pipe.Committing():
				settle()
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
				case <-pipe.Committing():
					settle()
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
		made, err := n.produceBlock(context.WithoutCancel(ctx), n.holds, pipe)
		if made.block {
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
	block   bool            // a block was made (pipelined: it may still be in flight)
	applied *ledger.Applied // the block, when it was made in line (ProduceBlock)
	dropped int             // transactions that left the pool without a block
}

// progress reports whether the pool changed, so another look may find
// more: after a block, or after rejections that left the pool.
func (a attempt) progress() bool { return a.block || a.dropped > 0 }

// ProduceBlock cuts one block from the ready transactions now. It returns
// nil (and makes no block) when none is ready. The producer calls it; it
// is exported for tools and tests that drive blocks by hand (with
// Config.BlockInterval large). Unlike the producer it does not wait for
// deploys being compiled in the background: their block compiles them.
func (n *Node) ProduceBlock(ctx context.Context) (*ledger.Applied, error) {
	if n.ledger.Genesis().BFT() {
		return nil, fmt.Errorf("%w: blocks of a BFT chain come from consensus", ErrConsensusMode)
	}
	a, err := n.produceBlock(ctx, nil, nil)
	return a.applied, err
}

// produceBlock cuts a block from the ready transactions that hold (nil:
// none) does not hold back. With pipe it executes the block on top of the
// block in flight and starts its commit (afterBlock runs once it is
// durable); without, it applies it in line (ledger.ApplyBlock), which
// waits for a pipeline to go idle.
func (n *Node) produceBlock(ctx context.Context, hold func(*tx.Tx) bool, pipe *pipeline) (attempt, error) {
	n.produceMu.Lock()
	defer n.produceMu.Unlock()
	n.metrics.looks.Inc()
	nextNonce, parentMs := n.ledger.NextNonce, n.ledger.Latest().Header.TimeMs
	if pipe != nil {
		// The block in flight is this one's parent: its senders' nonces
		// have moved on though its transactions are still pending.
		nextNonce = pipe.NextNonce
		_, parentMs = pipe.Tip()
	}
	ready, err := n.pool.Ready(n.cfg.BlockMaxTxs, nextNonce, hold)
	if err != nil || len(ready) == 0 {
		return attempt{}, err
	}
	txs := make([]*tx.Tx, len(ready))
	for i, e := range ready {
		txs[i] = e.Tx
	}
	timeMs := max(n.cfg.Now().UnixMilli(), parentMs+1)
	start := time.Now()
	deadline := start.Add(n.cfg.BlockTimeBudget)
	cut := false
	cutoff := func() bool {
		cut = time.Now().After(deadline)
		return cut
	}
	p := ledger.Proposal{TimeMs: timeMs, Proposer: n.signer.Address(), Txs: txs, Cutoff: cutoff}
	if pipe == nil {
		applied, err := n.ledger.ApplyBlock(ctx, p, n.signer)
		if cut {
			n.metrics.blocksCut.Inc()
		}
		if a, err, done := n.noBlock(err); done {
			return a, err
		}
		n.observeBlock(applied, blockTiming{start: start, ready: ready})
		n.afterBlock(applied)
		return attempt{block: true, applied: applied}, nil
	}
	executed, err := pipe.Execute(ctx, p)
	if cut {
		n.metrics.blocksCut.Inc()
	}
	if a, err, done := n.noBlock(err); done {
		return a, err
	}
	end := time.Now()
	n.metrics.blockExecute.Observe(end.Sub(start).Seconds())
	pipe.started(executed.Height(), blockTiming{start: start, executed: end, ready: ready})
	if err := pipe.Commit(executed); err != nil {
		pipe.finished(executed.Height())
		return attempt{}, err
	}
	return attempt{block: true}, nil
}

// noBlock handles the outcome of a proposal that made no block: every
// ready transaction rejected (never an empty block, but the rejected ones
// leave the mempool all the same), or an error. done is false when there
// is a block.
func (n *Node) noBlock(err error) (a attempt, _ error, done bool) {
	var empty *ledger.EmptyBlockError
	if errors.As(err, &empty) {
		return attempt{dropped: n.dropRejected(nil, empty.Rejected)}, nil, true
	}
	return attempt{}, err, err != nil
}

// pipeline is the solo producer's ledger.Pipeline, with the timing of
// each block in flight for the latency metrics.
type pipeline struct {
	*ledger.Pipeline
	mu       sync.Mutex
	inFlight map[uint64]blockTiming
}

// blockTiming is when a block's stages started, and the ready entries it
// was cut from (each carries its admission time), for the latency metrics.
type blockTiming struct {
	start    time.Time // execution
	executed time.Time // zero when the block was applied in line
	ready    []mempool.Entry[*tx.Tx]
}

func (p *pipeline) started(height uint64, t blockTiming) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight[height] = t
}

func (p *pipeline) finished(height uint64) (blockTiming, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.inFlight[height]
	delete(p.inFlight, height)
	return t, ok
}

// durable is the ledger.Pipeline callback for a block that is durable,
// called on the goroutine that wrote it, one block at a time in height
// order: only now is it acknowledged (afterBlock).
func (p *pipeline) durable(n *Node) func(*ledger.Applied) {
	return func(a *ledger.Applied) {
		if t, ok := p.finished(a.Header.Header.Height); ok {
			n.observeBlock(a, t)
		}
		n.afterBlock(a)
	}
}

// observeBlock records a durable block's latencies: the whole block, its
// commit stage when it was pipelined, and each included transaction's
// wait for the block and for durability. Only wall-clock metrics: nothing
// here reaches the chain.
func (n *Node) observeBlock(a *ledger.Applied, t blockTiming) {
	now := time.Now()
	n.metrics.blockApply.Observe(now.Sub(t.start).Seconds())
	if !t.executed.IsZero() {
		n.metrics.blockCommit.Observe(now.Sub(t.executed).Seconds())
	}
	// The block holds the ready transactions it included in the order it
	// was given them (a rejected one is left out, a cut block ends early),
	// so one forward walk pairs each with its entry, without a map.
	j := 0
	for _, h := range a.TxHashes {
		k := j
		for k < len(t.ready) && t.ready[k].Hash != h {
			k++
		}
		if k == len(t.ready) {
			continue // not from this look: nothing to time it by
		}
		at := t.ready[k].AddedAt()
		n.metrics.txQueue.Observe(t.start.Sub(at).Seconds())
		n.metrics.txCommit.Observe(now.Sub(at).Seconds())
		j = k + 1
	}
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
