package runtime

import (
	"context"
	"fmt"
	"sync/atomic"
)

// memoryAccount counts the bytes loaded modules hold between calls (see
// Config.WithMemoryBudget). Each module adds its fixed costs when it is
// cached and each pooled instance its resident memory while pooled;
// retiring a module subtracts whatever it still counted.
type memoryAccount struct {
	used atomic.Int64
}

// enforceBudget brings the accounted bytes back within the budget: it
// closes idle instances, those of the least recently used modules first,
// then evicts whole modules, least recently used first, never the most
// recently used one. Closing returns the memory to the system at once;
// an evicted module that a call still uses is freed when that call ends.
func (r *Runtime) enforceBudget(ctx context.Context) {
	limit := int64(r.cfg.memBudget)
	if limit <= 0 || r.mem.used.Load() <= limit {
		return
	}
	var (
		idle  []*instance
		freed []*Module
	)
	r.mu.Lock()
	for e := r.lru.order.Back(); e != nil && r.mem.used.Load() > limit; e = e.Prev() {
		idle = append(idle, e.Value.(*Module).takeIdle()...)
	}
	for r.mem.used.Load() > limit && r.lru.order.Len() > 1 {
		m := r.lru.removeOldest()
		r.stats.evictions.Add(1)
		// Retired under the lock, so that the loop sees its bytes go.
		mi, free := m.markRetired(ErrEvicted)
		idle = append(idle, mi...)
		if free {
			freed = append(freed, m)
		}
	}
	r.mu.Unlock()
	for _, inst := range idle {
		inst.close(ctx)
	}
	for _, m := range freed {
		m.free(ctx)
	}
}

// reload returns the live module of an evicted one's code, loading it
// again from the disk cache or the code the evicted module kept.
func (r *Runtime) reload(ctx context.Context, evicted *Module) (*Module, error) {
	m, ok, err := r.LoadCached(ctx, evicted.hash)
	if err != nil || ok {
		return m, err
	}
	if evicted.prep == nil {
		return nil, fmt.Errorf("%w: %x is not in the disk cache", ErrEvicted, evicted.hash[:])
	}
	return r.finishLoad(ctx, evicted.hash, evicted.prep, evicted.meta)
}
