package ledger

import (
	"runtime"
	"sync/atomic"

	"github.com/meshledger/meshledger/ledger/tx"
)

// Recovery chunk sizes: a small first chunk lets execution start almost at
// once; later chunks are large enough to keep every core busy.
const (
	firstRecoverChunk = 16
	recoverChunk      = 128
)

// recovery checks a proposal's signatures ahead of execution: chunks are
// recovered in parallel (tx.RecoverAll) while the executor consumes earlier
// chunks in order, so on a multi-core machine signature checking overlaps
// contract execution. Each result depends only on its transaction, so the
// outcome is the same whatever the timing.
type recovery struct {
	errs   []error
	bounds []int           // chunk c covers [bounds[c], bounds[c+1])
	done   []chan struct{} // closed when chunk c is recovered
	stop   atomic.Bool
}

func (l *Ledger) startRecovery(txs []*tx.Tx) *recovery {
	r := &recovery{errs: make([]error, len(txs)), bounds: []int{0}}
	for end := 0; end < len(txs); {
		size := recoverChunk
		if end == 0 {
			size = firstRecoverChunk
		}
		end = min(end+size, len(txs))
		r.bounds = append(r.bounds, end)
		r.done = append(r.done, make(chan struct{}))
	}
	workers := l.workers
	if workers <= 0 {
		// The executor keeps one core busy; recovery takes the others.
		// Recovery (~65 µs a transaction) outruns execution, so on two
		// cores one worker still stays ahead, without preempting it.
		workers = max(runtime.GOMAXPROCS(0)-1, 1)
	}
	go func() {
		for c := range r.done {
			if !r.stop.Load() {
				r.recoverChunk(txs, r.bounds[c], r.bounds[c+1], l.chainID, workers)
			}
			close(r.done[c])
		}
	}()
	return r
}

// recoverChunk recovers txs[lo:hi]; nil transactions are skipped (the
// executor rejects them as malformed).
func (r *recovery) recoverChunk(txs []*tx.Tx, lo, hi int, chainID uint64, workers int) {
	valid := make([]*tx.Tx, 0, hi-lo)
	idx := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		if txs[i] != nil {
			valid = append(valid, txs[i])
			idx = append(idx, i)
		}
	}
	for j, err := range tx.RecoverAll(valid, chainID, workers) {
		r.errs[idx[j]] = err
	}
}

// wait returns the signature check result of transaction i.
func (r *recovery) wait(i int) error {
	c := 0
	for r.bounds[c+1] <= i {
		c++
	}
	<-r.done[c]
	return r.errs[i]
}

// cancel stops recovering chunks not yet started.
func (r *recovery) cancel() { r.stop.Store(true) }
