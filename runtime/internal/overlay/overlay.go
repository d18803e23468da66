package overlay

import (
	"bytes"
	"slices"
	"sort"
)

// Store is the committed state a Buffer overlays. It mirrors runtime.State
// so that this package does not import its parent.
type Store interface {
	Get(key []byte) (value []byte, ok bool, err error)
	Iterate(prefix, start []byte, fn func(key, value []byte) bool) error
}

// Write is one buffered change.
type Write struct {
	Key    []byte
	Value  []byte
	Delete bool
}

type entry struct {
	value  []byte
	delete bool
}

// Buffer is a call's write buffer. It is not safe for concurrent use: one
// call owns it at a time.
type Buffer struct {
	store   Store
	writes  map[string]entry
	reads   map[string]struct{}
	scratch []string // sorted buffered keys, rebuilt lazily for scans
	sorted  bool
}

// New returns an empty Buffer.
func New() *Buffer {
	return &Buffer{writes: make(map[string]entry), reads: make(map[string]struct{})}
}

// Reset empties the buffer and points it at store, keeping allocations.
func (b *Buffer) Reset(store Store) {
	b.store = store
	clear(b.writes)
	clear(b.reads)
	b.scratch = b.scratch[:0]
	b.sorted = true
}

// Get returns the value of key as the call currently sees it. The returned
// slice must not be modified.
func (b *Buffer) Get(key []byte) (value []byte, ok bool, err error) {
	if e, found := b.writes[string(key)]; found {
		if e.delete {
			return nil, false, nil
		}
		return e.value, true, nil
	}
	if _, seen := b.reads[string(key)]; !seen {
		b.reads[string(key)] = struct{}{}
	}
	if b.store == nil {
		return nil, false, nil
	}
	return b.store.Get(key)
}

// Set buffers a write. The buffer keeps its own copies of key and value.
func (b *Buffer) Set(key, value []byte) {
	if _, found := b.writes[string(key)]; !found {
		b.sorted = false
	}
	v := make([]byte, len(value))
	copy(v, value)
	b.writes[string(key)] = entry{value: v}
}

// Delete buffers a deletion.
func (b *Buffer) Delete(key []byte) {
	if _, found := b.writes[string(key)]; !found {
		b.sorted = false
	}
	b.writes[string(key)] = entry{delete: true}
}

func (b *Buffer) sortedKeys() []string {
	if !b.sorted || len(b.scratch) != len(b.writes) {
		b.scratch = b.scratch[:0]
		for k := range b.writes {
			b.scratch = append(b.scratch, k)
		}
		sort.Strings(b.scratch)
		b.sorted = true
	}
	return b.scratch
}

// Scan calls fn for up to limit live entries whose key has prefix and is
// >= start (an empty start means prefix), in ascending key order, merging
// buffered writes over the store. Keys visited in the store are recorded as
// reads. fn must not retain its arguments.
func (b *Buffer) Scan(prefix, start []byte, limit int, fn func(key, value []byte)) error {
	if limit <= 0 {
		return nil
	}
	if len(start) == 0 || bytes.Compare(start, prefix) < 0 {
		start = prefix
	}
	keys := b.sortedKeys()
	i := sort.SearchStrings(keys, string(start))
	n := 0
	// emitBuffered emits buffered keys below bound (or all, if bound is nil)
	// and reports whether the limit is still not reached.
	emitBuffered := func(bound []byte) bool {
		for ; i < len(keys) && n < limit; i++ {
			k := keys[i]
			if !hasPrefix(k, prefix) {
				i = len(keys)
				return n < limit
			}
			if bound != nil && k >= string(bound) {
				return true
			}
			e := b.writes[k]
			if e.delete {
				continue
			}
			fn([]byte(k), e.value)
			n++
		}
		return n < limit
	}
	var err error
	if b.store != nil {
		err = b.store.Iterate(prefix, start, func(key, value []byte) bool {
			if !emitBuffered(key) {
				return false
			}
			if _, seen := b.reads[string(key)]; !seen {
				b.reads[string(key)] = struct{}{}
			}
			if i < len(keys) && keys[i] == string(key) {
				// The buffered entry replaces the stored one.
				e := b.writes[keys[i]]
				i++
				if !e.delete {
					fn(key, e.value)
					n++
				}
			} else {
				fn(key, value)
				n++
			}
			return n < limit
		})
	}
	if err != nil {
		return err
	}
	emitBuffered(nil)
	return nil
}

func hasPrefix(k string, prefix []byte) bool {
	return len(k) >= len(prefix) && k[:len(prefix)] == string(prefix)
}

// Writes returns the buffered writes in ascending key order. The slices are
// owned by the buffer until the next Reset.
func (b *Buffer) Writes() []Write {
	if len(b.writes) == 0 {
		return nil
	}
	keys := b.sortedKeys()
	out := make([]Write, 0, len(keys))
	for _, k := range keys {
		e := b.writes[k]
		out = append(out, Write{Key: []byte(k), Value: e.value, Delete: e.delete})
	}
	return out
}

// Reads returns the keys read from the store, ascending and unique.
func (b *Buffer) Reads() [][]byte {
	if len(b.reads) == 0 {
		return nil
	}
	out := make([][]byte, 0, len(b.reads))
	for k := range b.reads {
		out = append(out, []byte(k))
	}
	slices.SortFunc(out, bytes.Compare)
	return out
}
