package mempool

import (
	"container/heap"
	"sort"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Config bounds the pool. Zero fields take the defaults of DefaultConfig.
type Config struct {
	MaxTxs      int           // pending transactions
	MaxBytes    int           // sum of Entry.Size
	NonceWindow uint64        // accepted nonces: [next, next+NonceWindow)
	MaxAge      time.Duration // a transaction not included by then is dropped
	KeepDropped int           // drop reasons remembered (count)
	DroppedTTL  time.Duration // drop reasons remembered (time)
}

// DefaultConfig returns the default bounds.
func DefaultConfig() Config {
	return Config{
		MaxTxs:      10_000,
		MaxBytes:    256 << 20,
		NonceWindow: 64,
		MaxAge:      10 * time.Minute,
		KeepDropped: 10_000,
		DroppedTTL:  10 * time.Minute,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxTxs <= 0 {
		c.MaxTxs = d.MaxTxs
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = d.MaxBytes
	}
	if c.NonceWindow == 0 {
		c.NonceWindow = d.NonceWindow
	}
	if c.MaxAge <= 0 {
		c.MaxAge = d.MaxAge
	}
	if c.KeepDropped <= 0 {
		c.KeepDropped = d.KeepDropped
	}
	if c.DroppedTTL <= 0 {
		c.DroppedTTL = d.DroppedTTL
	}
	return c
}

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
	bySender map[common.Address]map[uint64]*Entry[T]
	bytes    int
	seq      uint64
	epoch    uint64
	drops    map[common.Hash]dropped
	dropLog  []common.Hash // drop order, for bounding drops
	added    chan struct{}
}

// New returns an empty pool. now is the clock used for ages (time.Now when
// nil); it never reaches blocks.
func New[T any](cfg Config, now func() time.Time) *Pool[T] {
	if now == nil {
		now = time.Now
	}
	return &Pool[T]{
		cfg:      cfg.withDefaults(),
		now:      now,
		byHash:   make(map[common.Hash]*Entry[T]),
		bySender: make(map[common.Address]map[uint64]*Entry[T]),
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
	if other := p.bySender[e.Sender][e.Nonce]; other != nil {
		return false, &ConflictError{Sender: e.Sender, Nonce: e.Nonce, Pending: other.Hash}
	}
	if len(p.byHash) >= p.cfg.MaxTxs || p.bytes+e.Size > p.cfg.MaxBytes {
		return false, ErrFull
	}
	p.seq++
	e.seq, e.added = p.seq, p.now()
	ent := &e
	p.byHash[e.Hash] = ent
	nonces := p.bySender[e.Sender]
	if nonces == nil {
		nonces = make(map[uint64]*Entry[T])
		p.bySender[e.Sender] = nonces
	}
	nonces[e.Nonce] = ent
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
	nonces := p.bySender[sender]
	for nonces[next] != nil {
		next++
	}
	return next
}

// Ready returns at most max includable transactions: for each sender the
// contiguous run of nonces from nextNonce(sender), senders interleaved by
// arrival order. nextNonce is called without the pool's lock held.
func (p *Pool[T]) Ready(max int, nextNonce func(common.Address) (uint64, error)) ([]Entry[T], error) {
	p.mu.Lock()
	snapshot := make(map[common.Address]map[uint64]*Entry[T], len(p.bySender))
	for s, nonces := range p.bySender {
		cp := make(map[uint64]*Entry[T], len(nonces))
		for n, e := range nonces {
			cp[n] = e
		}
		snapshot[s] = cp
	}
	p.mu.Unlock()

	var runs runHeap[T]
	for s, nonces := range snapshot {
		next, err := nextNonce(s)
		if err != nil {
			return nil, err
		}
		var run []*Entry[T]
		for e := nonces[next]; e != nil; e = nonces[next] {
			run = append(run, e)
			next++
		}
		if len(run) > 0 {
			runs = append(runs, run)
		}
	}
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
		for n, e := range p.bySender[s] {
			if n < next[s] {
				p.removeLocked(e.Hash)
				p.recordDropLocked(e.Hash, &WindowError{Nonce: n, Next: next[s], Window: p.cfg.NonceWindow})
			}
		}
	}
	p.trimDropsLocked()
}

// Expire drops transactions older than MaxAge (typically stuck behind a
// nonce gap) and returns them.
func (p *Pool[T]) Expire() []Drop {
	p.mu.Lock()
	defer p.mu.Unlock()
	cutoff := p.now().Add(-p.cfg.MaxAge)
	var out []Drop
	for h, e := range p.byHash {
		if e.added.Before(cutoff) {
			out = append(out, Drop{Hash: h, Err: ErrExpired})
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
	nonces := p.bySender[e.Sender]
	delete(nonces, e.Nonce)
	if len(nonces) == 0 {
		delete(p.bySender, e.Sender)
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
