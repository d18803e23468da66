package memo

import (
	"slices"
	"sync"
)

// Cache is a bounded, once-per-key memo. The zero value is not usable:
// create one with New. It is safe for concurrent use.
type Cache[K comparable, V any] struct {
	keep    int
	compute func(K) (V, error)

	mu      sync.Mutex
	entries map[K]*entry[V]
	order   []K // oldest first
}

type entry[V any] struct {
	once sync.Once
	v    V
	err  error
}

// New returns a cache keeping the values of the last keep keys (at least 1)
// computed by compute.
func New[K comparable, V any](keep int, compute func(K) (V, error)) *Cache[K, V] {
	return &Cache[K, V]{keep: max(keep, 1), compute: compute, entries: make(map[K]*entry[V])}
}

// Get returns the value of k, computing it on first use. Concurrent callers
// of the same key wait for one computation and share its result.
func (c *Cache[K, V]) Get(k K) (V, error) {
	c.mu.Lock()
	e, ok := c.entries[k]
	if !ok {
		e = &entry[V]{}
		c.entries[k] = e
		c.order = append(c.order, k)
		if len(c.order) > c.keep {
			delete(c.entries, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.mu.Unlock()
	e.once.Do(func() { e.v, e.err = c.compute(k) })
	if e.err != nil {
		c.mu.Lock()
		if c.entries[k] == e {
			delete(c.entries, k)
			c.order = slices.DeleteFunc(c.order, func(x K) bool { return x == k })
		}
		c.mu.Unlock()
		var zero V
		return zero, e.err
	}
	return e.v, nil
}

// Len is the number of keys kept.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
