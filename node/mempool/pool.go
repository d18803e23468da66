package mempool

import (
	"container/heap"
	"sort"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Entry is one pending transaction with what the pool orders it by.
type Entry[T any] struct {
	Hash   common.Hash
	Sender common.Address
	Nonce  uint64
	Size   int
	Tx     T

	added time.Time
	seq   uint64 // arrival order
}

// AddedAt is when the pool admitted the entry (by the pool's clock): the
// start of the transaction's wait for a block.
func (e *Entry[T]) AddedAt() time.Time { return e.added }

// Drop is a transaction removed without being committed, and why.
type Drop struct {
	Hash common.Hash
	Err  error
}

type dropped struct {
	err error
	at  time.Time
}

// Pool is the mempool. T is the transaction type it carries (the node uses
// *tx.Tx); the pool only stores it.
type Pool[T any] struct {
	cfg Config
	now func() time.Time

	mu       sync.Mutex
	byHash   map[common.Hash]*Entry[T]
	bySender map[common.Address]*senderQueue[T]
	bytes    int
	gapped   int // entries behind a nonce gap, summed over senders
	seq      uint64
	epoch    uint64
	drops    map[common.Hash]dropped
	dropLog  []common.Hash // drop order, for bounding drops
	added    chan struct{}
}

// New returns an empty pool over cfg.WithDefaults(). now is the clock used
// for ages (time.Now when nil); it never reaches blocks. New cannot fail:
// check cfg with Config.Validate first (the node does), or a value Validate
// rejects takes its default.
func New[T any](cfg Config, now func() time.Time) *Pool[T] {
	if now == nil {
		now = time.Now
	}
	return &Pool[T]{
		cfg:      cfg.WithDefaults(),
		now:      now,
		byHash:   make(map[common.Hash]*Entry[T]),
		bySender: make(map[common.Address]*senderQueue[T]),
		drops:    make(map[common.Hash]dropped),
		added:    make(chan struct{}, 1),
	}
}

// Config returns the effective bounds.
func (p *Pool[T]) Config() Config { return p.cfg }

// Epoch identifies the committed state the pool last saw. Read it before
// reading the ledger's next nonce and pass it to Add, so that a block
// committing in between is detected (ErrStale) instead of admitting a
// transaction against a stale nonce.
func (p *Pool[T]) Epoch() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.epoch
}

// Added is signalled (without blocking, coalesced) after each successful
// Add, so a producer can wake up.
func (p *Pool[T]) Added() <-chan struct{} { return p.added }

// Add admits e given the sender's committed next nonce, read at epoch.
// It reports known=true, and changes nothing, if e.Hash is already pending.
// A transaction that would wait behind a nonce gap is refused with a
// *GapError (errors.Is ErrFull) once Config.MaxGapped such wait.
func (p *Pool[T]) Add(e Entry[T], next, epoch uint64) (known bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.byHash[e.Hash]; ok {
		return true, nil
	}
	if epoch != p.epoch {
		return false, ErrStale
	}
	if e.Nonce < next || e.Nonce-next >= p.cfg.NonceWindow {
		return false, &WindowError{Nonce: e.Nonce, Next: next, Window: p.cfg.NonceWindow}
	}
	q := p.bySender[e.Sender]
	if other := q.get(e.Nonce); other != nil {
		return false, &ConflictError{Sender: e.Sender, Nonce: e.Nonce, Pending: other.Hash}
	}
	if len(p.byHash) >= p.cfg.MaxTxs || p.bytes+e.Size > p.cfg.MaxBytes {
		return false, ErrFull
	}
	if end := q.runEnd(next); e.Nonce > end && p.gapped >= p.cfg.MaxGapped {
		return false, &GapError{Sender: e.Sender, Nonce: e.Nonce, Missing: end, Limit: p.cfg.MaxGapped}
	}
	p.seq++
	e.seq, e.added = p.seq, p.now()
	ent := &e
	p.byHash[e.Hash] = ent
	if q == nil {
		q = &senderQueue[T]{nonces: make(map[uint64]*Entry[T]), next: next}
		p.bySender[e.Sender] = q
	}
	q.nonces[e.Nonce] = ent
	p.advanceLocked(q, next)
	p.bytes += e.Size
	// A resubmitted transaction that was dropped before is pending again.
	delete(p.drops, e.Hash)
	select {
	case p.added <- struct{}{}:
	default:
	}
	return false, nil
}

// Get returns the pending entry with this hash.
func (p *Pool[T]) Get(hash common.Hash) (Entry[T], bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.byHash[hash]
	if !ok {
		return Entry[T]{}, false
	}
	return *e, true
}

// Any reports whether some pending entry satisfies match. It holds the
// pool's lock while matching: match must be quick and must not call the pool.
func (p *Pool[T]) Any(match func(Entry[T]) bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.byHash {
		if match(*e) {
			return true
		}
	}
	return false
}

// Dropped returns why the transaction was dropped, if it was recently.
func (p *Pool[T]) Dropped(hash common.Hash) (error, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.drops[hash]
	if !ok || p.now().Sub(d.at) > p.cfg.DroppedTTL {
		return nil, false
	}
	return d.err, true
}

// Len is the number of pending transactions.
func (p *Pool[T]) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byHash)
}

// Gapped is the number of pending transactions behind a nonce gap of
// their sender, as of the committed nonces the pool last learned.
func (p *Pool[T]) Gapped() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gapped
}

// Includable is the number of pending transactions not behind a nonce gap:
// those a block could take now. A producer waits while it is zero.
func (p *Pool[T]) Includable() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byHash) - p.gapped
}

// Bytes is the summed size of pending transactions.
func (p *Pool[T]) Bytes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bytes
}

// PendingNonce is the nonce after the sender's contiguous pending run that
// starts at its committed next nonce: the one to sign next.
func (p *Pool[T]) PendingNonce(sender common.Address, next uint64) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bySender[sender].runEnd(next)
}

// Ready returns at most max includable transactions: for each sender the
// contiguous run of nonces from nextNonce(sender), senders interleaved by
// arrival order. A run ends before the first entry hold reports true (nil:
// none is held), so that a held transaction's later nonces wait with it.
// nextNonce is called without the pool's lock held.
func (p *Pool[T]) Ready(max int, nextNonce func(common.Address) (uint64, error), hold func(T) bool) ([]Entry[T], error) {
	p.mu.Lock()
	senders := make([]common.Address, 0, len(p.bySender))
	for s, q := range p.bySender {
		// A sender whose every entry is behind a gap has nothing to offer:
		// its committed nonce moves only by blocks, which Commit reports.
		if q.gapped < len(q.nonces) {
			senders = append(senders, s)
		}
	}
	p.mu.Unlock()

	nexts := make([]uint64, len(senders))
	for i, s := range senders {
		next, err := nextNonce(s)
		if err != nil {
			return nil, err
		}
		nexts[i] = next
	}

	var runs runHeap[T]
	p.mu.Lock()
	for i, s := range senders {
		q := p.bySender[s]
		if q == nil {
			continue
		}
		p.advanceLocked(q, nexts[i])
		var run []*Entry[T]
		for e := q.nonces[nexts[i]]; e != nil && (hold == nil || !hold(e.Tx)); e = q.nonces[e.Nonce+1] {
			run = append(run, e)
		}
		if len(run) > 0 {
			runs = append(runs, run)
		}
	}
	p.mu.Unlock()

	heap.Init(&runs)
	var out []Entry[T]
	for len(runs) > 0 && len(out) < max {
		run := runs[0]
		out = append(out, *run[0])
		if len(run) == 1 {
			heap.Pop(&runs)
		} else {
			runs[0] = run[1:]
			heap.Fix(&runs, 0)
		}
	}
	return out, nil
}

// runHeap orders senders' runs by the arrival of their first transaction.
type runHeap[T any] [][]*Entry[T]

func (h runHeap[T]) Len() int           { return len(h) }
func (h runHeap[T]) Less(i, j int) bool { return h[i][0].seq < h[j][0].seq }
func (h runHeap[T]) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap[T]) Push(x any)        { *h = append(*h, x.([]*Entry[T])) }
func (h *runHeap[T]) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Commit records a committed block: included transactions leave the pool,
// dropped ones leave with their reason, and every pending transaction of a
// sender in next whose nonce is now below the sender's next nonce is
// dropped as ErrNonceTooLow. It advances the epoch.
func (p *Pool[T]) Commit(included []common.Hash, drops []Drop, next map[common.Address]uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.epoch++
	for _, h := range included {
		if e, ok := p.byHash[h]; ok {
			// An included nonce is committed: its sender's next is above.
			if q := p.bySender[e.Sender]; q != nil && e.Nonce+1 > q.next {
				q.next = e.Nonce + 1
			}
		}
		p.removeLocked(h)
	}
	for _, d := range drops {
		if p.removeLocked(d.Hash) {
			p.recordDropLocked(d.Hash, d.Err)
		}
	}
	// Sorted so that the drop log order is deterministic for tests.
	senders := make([]common.Address, 0, len(next))
	for s := range next {
		senders = append(senders, s)
	}
	sort.Slice(senders, func(i, j int) bool { return senders[i].Cmp(senders[j]) < 0 })
	for _, s := range senders {
		q := p.bySender[s]
		if q == nil {
			continue
		}
		var low []*Entry[T]
		for n, e := range q.nonces {
			if n < next[s] {
				low = append(low, e)
			}
		}
		for _, e := range low {
			p.removeLocked(e.Hash)
			p.recordDropLocked(e.Hash, &WindowError{Nonce: e.Nonce, Next: next[s], Window: p.cfg.NonceWindow})
		}
		if q := p.bySender[s]; q != nil {
			p.advanceLocked(q, next[s])
		}
	}
	p.trimDropsLocked()
}

// Expire drops transactions older than MaxAge (typically stuck behind a
// nonce gap) and those behind a gap older than GappedMaxAge, and returns
// them.
func (p *Pool[T]) Expire() []Drop {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	cutoff, gapCutoff := now.Add(-p.cfg.MaxAge), now.Add(-p.cfg.GappedMaxAge)
	var out []Drop
	for _, q := range p.bySender {
		end := q.runEnd(q.next)
		for n, e := range q.nonces {
			switch {
			case e.added.Before(cutoff):
				out = append(out, Drop{Hash: e.Hash, Err: ErrExpired})
			case n > end && e.added.Before(gapCutoff):
				out = append(out, Drop{Hash: e.Hash, Err: ErrGapExpired})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Hash.Cmp(out[j].Hash) < 0 })
	for _, d := range out {
		p.removeLocked(d.Hash)
		p.recordDropLocked(d.Hash, d.Err)
	}
	p.trimDropsLocked()
	return out
}

func (p *Pool[T]) removeLocked(h common.Hash) bool {
	e, ok := p.byHash[h]
	if !ok {
		return false
	}
	delete(p.byHash, h)
	q := p.bySender[e.Sender]
	delete(q.nonces, e.Nonce)
	if len(q.nonces) == 0 {
		p.gapped -= q.gapped
		delete(p.bySender, e.Sender)
	} else {
		p.recountLocked(q)
	}
	p.bytes -= e.Size
	return true
}

func (p *Pool[T]) recordDropLocked(h common.Hash, err error) {
	p.drops[h] = dropped{err: err, at: p.now()}
	p.dropLog = append(p.dropLog, h)
}

// trimDropsLocked forgets the oldest drop reasons beyond the count and time
// bounds. A hash dropped twice appears twice in the log; only its latest
// record counts.
func (p *Pool[T]) trimDropsLocked() {
	cutoff := p.now().Add(-p.cfg.DroppedTTL)
	i := 0
	for ; i < len(p.dropLog); i++ {
		h := p.dropLog[i]
		d, ok := p.drops[h]
		over := len(p.dropLog)-i > p.cfg.KeepDropped
		if ok && !over && !d.at.Before(cutoff) {
			break
		}
		if ok && (over || d.at.Before(cutoff)) && p.lastIndexLocked(h, i) {
			delete(p.drops, h)
		}
	}
	p.dropLog = p.dropLog[i:]
}

// lastIndexLocked reports whether position i is the last mention of h in
// the drop log (so its record is the current one).
func (p *Pool[T]) lastIndexLocked(h common.Hash, i int) bool {
	for j := len(p.dropLog) - 1; j > i; j-- {
		if p.dropLog[j] == h {
			return false
		}
	}
	return true
}
