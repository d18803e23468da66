package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// ErrPredecessorFailed is the error of a block that was executed on top of
// a block whose durable write then failed: it is discarded, never written,
// since everything it read went through that block.
var ErrPredecessorFailed = errors.New("ledger: the block this one was executed after was not committed")

// Pipeline makes a solo chain's blocks in two overlapping stages: while
// block N's second stage (the state trie commit, signing and the synced
// write, finishBlock) runs on a goroutine, the caller executes block N+1
// on top of N's effects. The chain it makes is byte for byte the one
// ApplyBlock would make from the same proposals.
//
// Nothing is acknowledged early: the latest header (Latest, queries,
// proofs) moves only when a block is durable, and the durable callback is
// called only then, in height order. If a block's write fails, the block
// executed after it is discarded (ErrPredecessorFailed) and the ledger is
// as a failed ApplyBlock leaves it.
//
// A Pipeline holds the ledger's writer lock (the one ApplyBlock,
// Reexecute and Close take) from its first Execute until Settle: call
// Settle whenever the chain goes idle and before closing the ledger. At
// most one block is in flight, so at most one block is read through
// (pendingBlock.prev). Not safe for concurrent use: one producer drives it.
type Pipeline struct {
	l       *Ledger
	signer  Signer
	durable func(*Applied)

	unlock   func()        // releases applyMu; nil when not held
	executed *pendingBlock // executed, neither committed nor discarded
	tail     *pendingBlock // the block in flight (its commit started)
	done     chan struct{} // closed when tail's commit has ended
	err      error         // tail's commit error: written before done closes
}

// NewPipeline returns a pipeline that signs blocks with signer and calls
// durable (may be nil) with each block once it is durable, on the
// goroutine that wrote it, before Committing's channel is closed. durable
// must not call back into the pipeline.
func (l *Ledger) NewPipeline(signer Signer, durable func(*Applied)) (*Pipeline, error) {
	if l.genesis.BFT() {
		return nil, fmt.Errorf("%w: a pipeline on a BFT chain (blocks come from consensus: Finalize)", ErrWrongMode)
	}
	return &Pipeline{l: l, signer: signer, durable: durable}, nil
}

// Execute runs a proposal on top of the latest executed block: the block
// in flight if there is one, else the latest. The block is Committed
// next; executing another first is an error.
//
// As with ApplyBlock there are no empty blocks: when nothing of the
// proposal can be included the error is an *EmptyBlockError. Any error
// leaves the pipeline idle (Settle has been called), so that rejections
// are only reported over durable state: if the block in flight failed, its
// error is returned instead.
func (p *Pipeline) Execute(ctx context.Context, prop Proposal) (_ *ExecutedBlock, err error) {
	defer func() {
		if err != nil {
			if serr := p.Settle(); serr != nil {
				err = serr
			}
		}
	}()
	if p.executed != nil {
		return nil, fmt.Errorf("ledger: block %d executed but not committed (now discarded)", p.executed.height)
	}
	if p.signer.Address() != prop.Proposer {
		return nil, fmt.Errorf("%w: signer %s, proposer %s", ErrWrongProposer, p.signer.Address(), prop.Proposer)
	}
	if p.unlock == nil {
		if p.unlock, err = p.l.lockApply(); err != nil {
			return nil, err
		}
	} else if err := p.l.checkOpen(); err != nil {
		return nil, err
	}
	if p.failed() {
		return nil, ErrPredecessorFailed // Settle reports the failure itself
	}
	b, err := p.l.executeAfter(ctx, prop, p.tail)
	if err != nil {
		return nil, err
	}
	if len(b.records) == 0 {
		_ = b.enc.finish() // stop its goroutine; the block is abandoned
		return nil, &EmptyBlockError{Height: b.height, Rejected: b.rejected}
	}
	p.executed = b
	return &ExecutedBlock{b: b}, nil
}

// ExecutedBlock is a block Execute made, not yet durable: Commit it.
type ExecutedBlock struct{ b *pendingBlock }

// Height is the block's height.
func (h *ExecutedBlock) Height() uint64 { return h.b.height }

// Txs is how many transactions the block includes.
func (h *ExecutedBlock) Txs() int { return len(h.b.records) }

// Commit starts the block's second stage on a goroutine, once the block in
// flight (the one it was executed after) is durable. If that one failed,
// the block is discarded, the pipeline is idle and the error wraps both
// ErrPredecessorFailed and the failure.
func (p *Pipeline) Commit(h *ExecutedBlock) error {
	b := h.b
	if b != p.executed {
		return fmt.Errorf("ledger: block %d is not the block last executed", b.height)
	}
	p.executed = nil
	if err := p.wait(); err != nil {
		_ = b.enc.finish()
		p.release()
		return fmt.Errorf("%w: block %d discarded: %w", ErrPredecessorFailed, b.height, err)
	}
	// Its predecessor is durable: the store answers what b read through
	// it, and dropping the link lets that block be collected.
	b.prev = nil
	done := make(chan struct{})
	p.tail, p.done = b, done
	go func() {
		defer close(done)
		applied, err := p.l.finishBlock(b, p.signer)
		if err != nil {
			p.err = fmt.Errorf("ledger: commit block %d: %w", b.height, err)
			return
		}
		if p.durable != nil {
			p.durable(applied)
		}
	}()
	return nil
}

// Committing returns a channel closed when the block in flight is durable
// or has failed (then Settle reports it), or nil when nothing is in flight
// (a nil channel never fires in a select).
func (p *Pipeline) Committing() <-chan struct{} {
	if p.done == nil {
		return nil
	}
	return p.done
}

// Settle waits for the block in flight, discards a block executed but not
// committed and releases the ledger's writer lock. It returns the error of
// the block in flight, if its commit failed. The pipeline can be used
// again afterwards.
func (p *Pipeline) Settle() error {
	if p.executed != nil {
		_ = p.executed.enc.finish()
		p.executed = nil
	}
	err := p.wait()
	p.release()
	return err
}

// wait waits for the block in flight to end and forgets it.
func (p *Pipeline) wait() error {
	if p.done == nil {
		return nil
	}
	<-p.done
	err := p.err
	p.tail, p.done, p.err = nil, nil, nil
	return err
}

// failed reports, without waiting, whether the block in flight failed.
func (p *Pipeline) failed() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return p.err != nil
	default:
		return false
	}
}

func (p *Pipeline) release() {
	if p.unlock != nil {
		p.unlock()
		p.unlock = nil
	}
}

// NextNonce is account's next nonce after the latest executed block: the
// one the next proposal's transactions must start from.
func (p *Pipeline) NextNonce(account common.Address) (uint64, error) {
	if n, ok := p.tail.nonce(account); ok {
		return n, nil
	}
	return p.l.storedNonce(account)
}

// Tip is the height and time of the latest executed block, which the next
// proposal builds on.
func (p *Pipeline) Tip() (height uint64, timeMs int64) {
	if p.tail != nil {
		return p.tail.height, p.tail.timeMs
	}
	h := p.l.latest.Load().Header
	return h.Height, h.TimeMs
}
