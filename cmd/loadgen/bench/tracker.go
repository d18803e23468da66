package bench

import (
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/sdk/api"
)

// tracker follows every transaction sent from the moment it is sent to
// the moment it is seen in a committed block or known to be refused. A
// transaction is tracked before its request goes out, so a block that
// commits it before the response arrives is still matched.
//
// What the node admitted is counted per transaction, from each item of a
// batch response: a partially refused batch admits the items the node
// accepted, and those stay tracked (and counted) whatever happens to the
// refused ones. A transaction whose response never arrived (the request
// was cut off) stays tracked as unknown until reconcile asks the node.
type tracker struct {
	mu         sync.Mutex
	sent       map[common.Hash]*sentTx // sent, not seen committed, not refused
	admitted   map[common.Hash]struct{}
	latencies  []time.Duration
	done       []common.Hash // committed, in the order seen
	lastCommit time.Time     // last commit of a tracked transaction
	blocks     int           // blocks the first node showed
	heights    []uint64      // the highest block each node showed
	perNode    []int         // tracked transactions seen committed, by the node sent to
}

// sentTx is a tracked transaction; whether the node admitted it is in
// tracker.admitted.
type sentTx struct {
	w     *worker
	start time.Time
}

// newTracker returns a tracker of n transactions sent to nodes nodes.
func newTracker(n, nodes int) *tracker {
	return &tracker{sent: make(map[common.Hash]*sentTx, n), admitted: make(map[common.Hash]struct{}, n), heights: make([]uint64, nodes), perNode: make([]int, nodes)}
}

// untracked counts the hashes not already tracked: what sending them adds
// to the worker's window.
func (tr *tracker) untracked(hashes []common.Hash) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for _, h := range hashes {
		if _, ok := tr.sent[h]; !ok {
			n++
		}
	}
	return n
}

// add tracks hashes about to be sent. A hash already tracked (a resend
// after an unknown outcome) keeps its first send time; one already seen
// committed is not tracked again.
func (tr *tracker) add(w *worker, hashes []common.Hash, now time.Time) {
	added := 0
	tr.mu.Lock()
	for _, h := range hashes {
		if _, ok := tr.sent[h]; ok {
			continue
		}
		if _, ok := tr.admitted[h]; ok {
			continue // admitted and already committed: nothing to wait for
		}
		tr.sent[h] = &sentTx{w: w, start: now}
		added++
	}
	tr.mu.Unlock()
	w.mu.Lock()
	w.inflight += added
	w.mu.Unlock()
}

// admit records that the node admitted h.
func (tr *tracker) admit(h common.Hash) {
	tr.mu.Lock()
	tr.admitted[h] = struct{}{}
	tr.mu.Unlock()
}

// wasAdmitted reports whether the node is known to have admitted h.
func (tr *tracker) wasAdmitted(h common.Hash) bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	_, ok := tr.admitted[h]
	return ok
}

// forget stops tracking a transaction the node refused.
func (tr *tracker) forget(h common.Hash) {
	tr.mu.Lock()
	s, ok := tr.sent[h]
	delete(tr.sent, h)
	tr.mu.Unlock()
	if ok {
		s.w.done(1)
	}
}

// committed matches a block that node committed to the tracked
// transactions sent to that node: a sender sees its transaction commit
// when the node it sent it to does. A transaction in a block was
// admitted, whether or not its response has arrived.
func (tr *tracker) committed(b *api.BlockEvent, node int, now time.Time) {
	done := map[*worker]int{}
	tr.mu.Lock()
	if node == 0 {
		tr.blocks++
	}
	tr.heights[node] = max(tr.heights[node], b.Height)
	for _, h := range b.TxHashes {
		s, ok := tr.sent[h]
		if !ok || s.w.node != node {
			continue
		}
		delete(tr.sent, h)
		tr.admitted[h] = struct{}{}
		tr.latencies = append(tr.latencies, now.Sub(s.start))
		tr.done = append(tr.done, h)
		tr.lastCommit = now
		tr.perNode[node]++
		done[s.w]++
	}
	tr.mu.Unlock()
	for w, n := range done {
		w.done(n)
	}
}

// outstanding is how many tracked transactions may still commit.
func (tr *tracker) outstanding() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.sent)
}

func (tr *tracker) lastProgress() time.Time {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.lastCommit
}

// firstNodeCaughtUp reports whether the first node has shown the highest
// block any node has.
func (tr *tracker) firstNodeCaughtUp() bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.heights[0] == slices.Max(tr.heights)
}

// openTx is a tracked transaction and the worker that sent it.
type openTx struct {
	hash common.Hash
	w    *worker
}

// open lists the tracked transactions, admitted or of unknown outcome.
func (tr *tracker) open() []openTx {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := make([]openTx, 0, len(tr.sent))
	for h, s := range tr.sent {
		out = append(out, openTx{h, s.w})
	}
	return out
}
