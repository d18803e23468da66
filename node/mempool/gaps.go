package mempool

// senderQueue is one sender's pending transactions by nonce, with what the
// pool knows of the sender's committed next nonce. Entries reachable from
// next through consecutive pending nonces are includable; the others wait
// behind a gap (a missing nonce) and count against Config.MaxGapped.
type senderQueue[T any] struct {
	nonces map[uint64]*Entry[T]
	// next is the sender's committed next nonce as last learned: from Add
	// (read from the ledger), Commit (included nonces) and Ready.
	next   uint64
	gapped int // entries above the first missing nonce
}

// get returns the entry with this nonce (nil when none, or q is nil).
func (q *senderQueue[T]) get(nonce uint64) *Entry[T] {
	if q == nil {
		return nil
	}
	return q.nonces[nonce]
}

// runEnd is the first nonce from next that is not pending: the end of the
// includable run, and the gap that entries above it wait behind.
func (q *senderQueue[T]) runEnd(next uint64) uint64 {
	if q == nil {
		return next
	}
	for q.nonces[next] != nil {
		next++
	}
	return next
}

// advanceLocked raises q's committed next nonce to next (never lowers it)
// and recounts its gapped entries.
func (p *Pool[T]) advanceLocked(q *senderQueue[T], next uint64) {
	if next > q.next {
		q.next = next
	}
	p.recountLocked(q)
}

// recountLocked recounts q's entries behind a gap and updates the pool's
// total. A sender holds at most NonceWindow entries, so this is cheap.
func (p *Pool[T]) recountLocked(q *senderQueue[T]) {
	end := q.runEnd(q.next)
	g := 0
	for n := range q.nonces {
		if n > end {
			g++
		}
	}
	p.gapped += g - q.gapped
	q.gapped = g
}
