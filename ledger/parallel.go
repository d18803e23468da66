package ledger

import (
	"bytes"
	"context"
	goruntime "runtime"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/state"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/status"
)

// Parallel execution (docs/parallel.md). A block's plain contract calls
// are executed ahead of their turn, several at once, each against the
// block's state as of the start of its window and recording every key and
// range it read. In its turn, in block order, a transaction whose reads no
// transaction included since then has written takes its recorded outcome;
// any other runs again, there and then, exactly as serial execution runs
// it. A call's outcome (receipt, gas, events, writes) is a function of its
// env and of what it reads, so an outcome whose reads still hold is the
// one serial execution would give: the block is byte-identical whatever
// the timing, the number of workers or the window sizes.
//
// Everything ordered stays in the executor's loop: admission (nonces,
// gas left, membership), receipts and their indexes, the encoder, the
// cutoff. Deploys, upgrades and registry calls change what other
// transactions see besides contract keys (code, contract records, the
// directory), so they are never speculated and end a window.

// Window sizes, in transactions. A window is speculated in full before
// its transactions are taken in order, so it is also the unit of wasted
// work when they conflict: it grows while speculations hold and shrinks
// when they do not, and after a window that mostly failed the executor
// runs serially for a while (conflictBackoff, doubling up to
// maxConflictBackoff while windows keep failing) before trying again.
const (
	windowPerWorker    = 4
	maxWindow          = 512
	conflictBackoff    = 32
	maxConflictBackoff = 1024
)

// speculator runs one block's windows of speculative executions. Used by
// the executor's goroutine only; the speculations themselves run on
// worker goroutines, while the executor waits.
type speculator struct {
	l       *Ledger
	b       *pendingBlock
	txs     []*tx.Tx
	rec     *recovery
	workers int

	// The window [lo, hi): specs[i-lo] is transaction i's speculation
	// (nil when it had none).
	lo, hi int
	specs  []*speculation
	// written holds every key written by the transactions included since
	// the window's speculations started, by contract.
	written map[common.Address]map[string]struct{}
	// failed counts the window's speculations that could not be used.
	failed int

	size        int // the next window's size
	serialUntil int // no window starts before this index
	backoff     int
}

// parallelStats counts a block's speculations: those whose outcome was
// taken, and those that could not be used (a conflict or a host failure),
// whose transactions ran again in their turn. Not part of the block.
type parallelStats struct {
	taken, rerun int
}

// speculation is one transaction's outcome, executed ahead of its turn.
type speculation struct {
	rc      *block.Receipt // Index unset
	changes []state.Change // TxIndex unset
	reads   readSet
	// err is a host failure: the transaction runs again in its turn,
	// where the failure (if it persists) aborts the block as it would
	// have serially.
	err error
}

// speculativeReads is what a speculative overlay reads through.
type speculativeReads struct {
	block *overlay // the block's overlay, read-only while speculating
	reads *readSet
}

// readSet is everything one speculative execution read from contract
// state: single keys and iterated ranges (keys with prefix, >= lower).
type readSet struct {
	keys  []contractKey
	scans []scanRange
}

type contractKey struct {
	contract common.Address
	key      string
}

type scanRange struct {
	contract      common.Address
	prefix, lower []byte
}

func (r *readSet) get(contract common.Address, key []byte) {
	r.keys = append(r.keys, contractKey{contract, string(key)})
}

// scan records the range an Iterate may visit. The whole range is
// recorded even when the iteration stops early: a write past the last key
// visited then invalidates the read needlessly, never wrongly.
func (r *readSet) scan(contract common.Address, prefix, start []byte) {
	lower := start
	if bytes.Compare(lower, prefix) < 0 {
		lower = prefix
	}
	r.scans = append(r.scans, scanRange{contract, bytes.Clone(prefix), bytes.Clone(lower)})
}

// newSpeculator returns the block's speculator, or nil when the ledger
// executes serially (Config.ExecWorkers 0 or 1, or one core).
func (l *Ledger) newSpeculator(b *pendingBlock, txs []*tx.Tx, rec *recovery) *speculator {
	workers := l.execWorkers
	if workers < 0 {
		workers = goruntime.GOMAXPROCS(0)
	}
	if workers < 2 || len(txs) < 2 {
		return nil
	}
	return &speculator{
		l: l, b: b, txs: txs, rec: rec, workers: workers,
		size: windowPerWorker * workers, backoff: conflictBackoff,
	}
}

// take returns the speculation of transaction i, admitted and about to
// run, if there is one whose reads still hold; nil means run it now.
// Starts a new window at i when i is past the current one. Nil-safe.
func (s *speculator) take(ctx context.Context, i int) *speculation {
	if s == nil {
		return nil
	}
	if i >= s.hi {
		s.endWindow()
		if i < s.serialUntil || !speculable(s.txs[i]) {
			return nil
		}
		s.startWindow(ctx, i)
	}
	sp := s.specs[i-s.lo]
	if sp == nil || sp.err != nil || !s.holds(&sp.reads) {
		s.failed++
		s.b.parallel.rerun++
		return nil
	}
	s.b.parallel.taken++
	return sp
}

// included records the writes of a transaction the block included while
// a window is open. Nil-safe.
func (s *speculator) included(i int, rc *block.Receipt) {
	if s == nil || i < s.lo || i >= s.hi {
		return
	}
	for _, w := range rc.Writes {
		m := s.written[w.Contract]
		if m == nil {
			m = make(map[string]struct{})
			s.written[w.Contract] = m
		}
		m[string(w.Key)] = struct{}{}
	}
}

// holds reports whether nothing included since the window started wrote
// what r read.
func (s *speculator) holds(r *readSet) bool {
	if len(s.written) == 0 {
		return true
	}
	for _, k := range r.keys {
		if _, ok := s.written[k.contract][k.key]; ok {
			return false
		}
	}
	for _, sc := range r.scans {
		for k := range s.written[sc.contract] {
			// Any one key in range is a conflict, so the map's order
			// cannot change the answer.
			if bytes.HasPrefix([]byte(k), sc.prefix) && k >= string(sc.lower) {
				return false
			}
		}
	}
	return true
}

// endWindow closes the current window and sizes the next from how many
// of its speculations failed.
func (s *speculator) endWindow() {
	n := s.hi - s.lo
	if n == 0 {
		return
	}
	switch {
	case s.failed*4 > n:
		// Mostly conflicting: run serially for a while, and start again
		// small.
		s.serialUntil = s.hi + s.backoff
		s.backoff = min(2*s.backoff, maxConflictBackoff)
		s.size = 2 * s.workers
	case s.failed == 0:
		s.size = min(2*s.size, maxWindow)
		s.backoff = conflictBackoff
	}
	s.lo = s.hi
	s.specs, s.written, s.failed = nil, nil, 0
}

// speculable reports whether t may run ahead of its turn: a call of a
// contract. A transaction that is not one may change code, contract
// records or the registry, which speculations do not track.
func speculable(t *tx.Tx) bool {
	if t == nil {
		return false
	}
	c, ok := t.Message().(*tx.Call)
	return ok && c.Contract != registry.Address
}

// startWindow speculates transactions from lo, up to the window size or
// the first transaction that must run in its turn, on the workers, and
// returns when all are done. Transactions that will be rejected (a bad
// signature, a nil entry) stay in the window, unspeculated.
func (s *speculator) startWindow(ctx context.Context, lo int) {
	hi := lo
	var jobs []int
	var senders []common.Address
	for hi < len(s.txs) && hi-lo < s.size {
		t := s.txs[hi]
		if t != nil && !speculable(t) {
			break
		}
		if t != nil && s.rec.wait(hi) == nil {
			if sender, err := t.Recover(); err == nil {
				jobs = append(jobs, hi)
				senders = append(senders, sender)
			}
		}
		hi++
	}
	s.lo, s.hi = lo, hi
	s.specs = make([]*speculation, hi-lo)
	s.written = make(map[common.Address]map[string]struct{})
	var next atomic.Int64
	work := func() {
		dir := s.b.dir.speculativeCopy()
		for {
			k := int(next.Add(1) - 1)
			if k >= len(jobs) {
				return
			}
			i := jobs[k]
			s.specs[i-lo] = s.l.speculate(ctx, s.b, dir, s.txs[i], senders[k])
		}
	}
	var wg sync.WaitGroup
	for range min(s.workers, len(jobs)) - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work() // the executor's goroutine is a worker too
	wg.Wait()
}

// speculate runs call transaction t of sender as run would, against a
// scratch block that reads b's state (read-only: nothing of b changes
// while a window is speculated) and records what it reads.
func (l *Ledger) speculate(ctx context.Context, b *pendingBlock, dir *directory, t *tx.Tx, sender common.Address) *speculation {
	sp := &speculation{rc: &block.Receipt{TxHash: t.Hash(), Status: status.OK, Height: b.height}}
	// A copy of b shares what calls only read (the code, contract
	// records and earlier blocks b sees) and replaces what they write.
	scratch := *b
	scratch.ov = newOverlay()
	scratch.ov.speculative = &speculativeReads{block: b.ov, reads: &sp.reads}
	scratch.dir = dir
	scratch.changes = nil
	scratch.txs, scratch.records, scratch.receipts, scratch.rejected, scratch.enc = nil, nil, nil, nil, nil
	scratch.nonces = nil
	scratch.spec = nil
	sp.err = l.runCall(ctx, &scratch, t.Message().(*tx.Call), scratch.txEnv(t, sender), sp.rc)
	sp.changes = scratch.changes
	return sp
}

// applyTo includes the speculated outcome in b as runCall would have: the
// receipt's outcome, and the writes in the overlay and change list.
func (sp *speculation) applyTo(b *pendingBlock, rc *block.Receipt) {
	rc.Status, rc.Message, rc.GasUsed, rc.Return = sp.rc.Status, sp.rc.Message, sp.rc.GasUsed, sp.rc.Return
	rc.Events, rc.Writes = sp.rc.Events, sp.rc.Writes
	for _, c := range sp.changes {
		c.TxIndex = rc.Index
		b.ov.set(c.Contract, c.Key, c.Value, c.Delete)
		b.changes = append(b.changes, c)
	}
}

// speculativeCopy returns a directory over d's registry state with a
// cache of its own: d is not safe for concurrent use, and the registry
// does not change while a window is speculated. Its answers are d's.
func (d *directory) speculativeCopy() *directory {
	c := directoryOver(d.r)
	c.base, c.dirty, c.policy = d.base, d.dirty, d.policy
	return c
}
