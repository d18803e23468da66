package registry

import (
	"bytes"
	"maps"
	"slices"
	"strings"
)

// MemStore is an in-memory Store for tests and tools: a map with keys
// visited in ascending byte order. It is not safe for concurrent use.
type MemStore struct {
	m map[string][]byte
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{m: map[string][]byte{}} }

// Get returns a copy of key's value.
func (s *MemStore) Get(key []byte) ([]byte, bool, error) {
	v, ok := s.m[string(key)]
	if !ok {
		return nil, false, nil
	}
	return bytes.Clone(v), true, nil
}

// Iterate visits the keys with prefix that are >= start, ascending, until
// fn returns false. fn may not write to the store.
func (s *MemStore) Iterate(prefix, start []byte, fn func(key, value []byte) bool) error {
	for _, k := range s.Keys() {
		if !strings.HasPrefix(k, string(prefix)) || k < string(start) {
			continue
		}
		if !fn([]byte(k), bytes.Clone(s.m[k])) {
			break
		}
	}
	return nil
}

// Set writes a copy of value under key.
func (s *MemStore) Set(key, value []byte) { s.m[string(key)] = bytes.Clone(value) }

// Delete removes key.
func (s *MemStore) Delete(key []byte) { delete(s.m, string(key)) }

// Keys lists every key, ascending.
func (s *MemStore) Keys() []string { return slices.Sorted(maps.Keys(s.m)) }

// Clone returns an independent copy: a test keeps one before a call that
// must fail and compares, since the ledger discards a failed call's
// writes rather than the registry undoing them.
func (s *MemStore) Clone() *MemStore {
	c := NewMemStore()
	for k, v := range s.m {
		c.m[k] = bytes.Clone(v)
	}
	return c
}

// Dump is every key and value, ascending by key, one "key=value" per
// line: two stores hold the same records exactly when their dumps are
// equal.
func (s *MemStore) Dump() string {
	var b strings.Builder
	for _, k := range s.Keys() {
		b.WriteString(k)
		b.WriteByte('=')
		b.Write(s.m[k])
		b.WriteByte('\n')
	}
	return b.String()
}
