package state

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/meshledger/meshledger/ledger/proof"
)

// Reading a key's trie path is most of what a commit costs on a large
// state: at a million keys the leaves no longer fit in the node cache, so
// each changed key costs one or two random LevelDB reads, one after the
// other, while the rest of the machine waits (docs/state.md, Performance).
// The reads do not depend on each other, only on the parent root, so they
// can run ahead on other goroutines and leave the nodes in the cache,
// where the commit's own walk then finds them (go-ethereum's trie
// prefetcher does the same for its state tries).
//
// Warming is only ever an optimisation: it adds content-addressed blobs to
// the cache and nothing else, so no root, proof or error of a commit
// depends on whether, when or how far it ran. A node it fails to read is
// simply read again (and the failure reported) by the commit.

// minWarmAhead is the smallest block Commit warms ahead of itself: below
// it the goroutines cost more than the reads they would overlap.
const minWarmAhead = 16

// prefetchWorkers is how many goroutines read ahead, 0 when warming is
// off (Options.PrefetchWorkers 0, or no node cache to warm).
func prefetchWorkers(opts Options, cacheBytes uint64) int {
	switch {
	case opts.PrefetchWorkers == 0 || cacheBytes == 0:
		return 0
	case opts.PrefetchWorkers < 0:
		return runtime.GOMAXPROCS(0)
	default:
		return opts.PrefetchWorkers
	}
}

// warmPath loads the nodes on trieKey's path under root into the cache.
// Errors are dropped on purpose: see the note above.
func (db *DB) warmPath(root common.Hash, trieKey []byte) {
	_, _, _ = proof.CollectProof(root, trieKey, func(h common.Hash) ([]byte, error) {
		return db.nodes.Node(common.Hash{}, nil, h)
	})
}

// Prefetcher warms the node cache with the trie paths of keys that a block
// built on one root is going to write, on background goroutines, while
// the block still executes. An executor creates one per block, hands it
// each key as soon as a transaction writes it, and closes it before or
// after Commit. Safe for concurrent use.
//
// It never changes what Commit computes, only how soon the nodes are in
// memory; with warming off (Options.PrefetchWorkers 0 or no node cache)
// every method is a no-op.
type Prefetcher struct {
	db   *DB
	root common.Hash

	mu      sync.Mutex
	cond    *sync.Cond // signals a new key, a finished key, or Close
	queue   [][32]byte // trie keys not yet taken by a worker
	queued  map[[32]byte]struct{}
	busy    int // keys taken and not yet loaded
	closed  bool
	workers sync.WaitGroup
}

// NewPrefetcher returns a Prefetcher for keys to be written on top of
// root and starts its goroutines. Close must be called to stop them.
func (db *DB) NewPrefetcher(root common.Hash) *Prefetcher {
	p := &Prefetcher{db: db, root: normRoot(root), queued: map[[32]byte]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	for range db.prefetchWorkers {
		p.workers.Add(1)
		go p.run()
	}
	return p
}

// Prefetch queues contract's key for loading and returns at once. Keys
// already queued, and every key after Close, are ignored.
func (p *Prefetcher) Prefetch(contract common.Address, key []byte) {
	if p.db.prefetchWorkers == 0 {
		return
	}
	tk := proof.StateTrieKey(contract, key)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if _, ok := p.queued[tk]; ok {
		return
	}
	p.queued[tk] = struct{}{}
	p.queue = append(p.queue, tk)
	p.cond.Signal()
}

// Wait blocks until every key queued so far has been loaded (or has
// failed to load), or the Prefetcher is closed.
func (p *Prefetcher) Wait() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for !p.closed && (len(p.queue) > 0 || p.busy > 0) {
		p.cond.Wait()
	}
}

// Close drops the keys not yet taken, waits for the reads in flight (one
// per goroutine at most) and stops the goroutines. What was loaded stays
// in the cache. Close is idempotent.
func (p *Prefetcher) Close() {
	p.mu.Lock()
	p.closed = true
	p.queue = nil
	p.cond.Broadcast()
	p.mu.Unlock()
	p.workers.Wait()
}

func (p *Prefetcher) run() {
	defer p.workers.Done()
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		for !p.closed && len(p.queue) == 0 {
			p.cond.Wait()
		}
		if p.closed {
			return
		}
		tk := p.queue[0]
		p.queue = p.queue[1:]
		p.busy++
		p.mu.Unlock()
		p.db.warmPath(p.root, tk[:])
		p.mu.Lock()
		p.busy--
		p.cond.Broadcast() // Wait may be done
	}
}

// warmAhead reads the paths of a block's changes on other goroutines while
// Commit applies them in order. The workers take changes in the same order
// and skip the ones Commit has already reached, so they stay ahead of it
// instead of reading the same node at the same time; a change the workers
// have not reached is read by Commit itself, as without them.
type warmAhead struct {
	next    atomic.Int64 // next change a worker takes
	reached atomic.Int64 // changes below this one Commit has applied
	stopped atomic.Bool
	workers sync.WaitGroup
}

// startWarmAhead starts warming the paths of changes under root, or
// returns nil when warming is off or the block is too small to gain.
func (db *DB) startWarmAhead(root common.Hash, changes []Change) *warmAhead {
	if db.prefetchWorkers == 0 || len(changes) < minWarmAhead {
		return nil
	}
	w := &warmAhead{}
	for range db.prefetchWorkers {
		w.workers.Add(1)
		go func() {
			defer w.workers.Done()
			for !w.stopped.Load() {
				i := w.next.Add(1) - 1
				if i >= int64(len(changes)) {
					return
				}
				if i < w.reached.Load() {
					continue
				}
				c := changes[i]
				tk := proof.StateTrieKey(c.Contract, c.Key)
				db.warmPath(root, tk[:])
			}
		}()
	}
	return w
}

// reach tells the workers that Commit is applying change i.
func (w *warmAhead) reach(i int) {
	if w != nil {
		w.reached.Store(int64(i + 1))
	}
}

// stop ends the workers and waits for them, so that none outlives the
// Commit that started it.
func (w *warmAhead) stop() {
	if w != nil {
		w.stopped.Store(true)
		w.workers.Wait()
	}
}
