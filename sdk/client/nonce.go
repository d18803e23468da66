package client

import (
	"context"
	"sync"
)

// sequencer hands out the nonces of the client's key. Submissions hold its
// lock from choosing a nonce until the node has admitted (or refused) the
// transaction, so the node sees each nonce once, in order, and a refused
// transaction never leaves a gap that would strand the ones after it. A
// refusal for the nonce itself, or a failure that leaves unknown whether
// the node admitted it, drops the counter so the next submission re-reads
// the node's pending nonce.
type sequencer struct {
	mu    sync.Mutex
	next  uint64
	valid bool
}

// with runs fn with the next nonce while holding the lock. fn returns
// whether it consumed the nonce and whether the counter must be re-read
// from the node before the next use.
func (s *sequencer) with(ctx context.Context, fetch func(context.Context) (uint64, error), fn func(next uint64) (used, resync bool)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.valid {
		n, err := fetch(ctx)
		if err != nil {
			return err
		}
		s.next, s.valid = n, true
	}
	used, resync := fn(s.next)
	if used {
		s.next++
	}
	if resync {
		s.valid = false
	}
	return nil
}
