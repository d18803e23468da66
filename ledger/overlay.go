package ledger

import (
	"bytes"
	"sort"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/runtime"
)

// overlay holds the state writes of the block being executed, so that each
// transaction sees the writes of those before it, over the committed
// state. Nothing here reaches the store until the block commits.
type overlay struct {
	byContract map[common.Address]map[string]overlayEntry
	// speculative is set on the overlay of a transaction executed ahead
	// of its turn (parallel.go): reads go through the block's overlay and
	// are recorded; the overlay itself holds only that transaction's
	// writes, which no read of the same transaction reaches (they are
	// applied after its call returns).
	speculative *speculativeReads
}

type overlayEntry struct {
	value   []byte
	deleted bool
}

func newOverlay() *overlay {
	return &overlay{byContract: make(map[common.Address]map[string]overlayEntry)}
}

func (o *overlay) set(contract common.Address, key, value []byte, deleted bool) {
	m := o.byContract[contract]
	if m == nil {
		m = make(map[string]overlayEntry)
		o.byContract[contract] = m
	}
	m[string(key)] = overlayEntry{value: value, deleted: deleted}
}

// contractState is one contract's view: the overlay over base.
type contractState struct {
	entries map[string]overlayEntry // may be nil
	base    runtime.State
	// reads, when set, records what is read here for contract
	// (speculative execution, parallel.go).
	reads    *readSet
	contract common.Address
}

func (o *overlay) view(contract common.Address, base runtime.State) *contractState {
	if sr := o.speculative; sr != nil {
		s := sr.block.view(contract, base)
		s.reads, s.contract = sr.reads, contract
		return s
	}
	return &contractState{entries: o.byContract[contract], base: base}
}

var _ runtime.State = (*contractState)(nil)

func (s *contractState) Get(key []byte) ([]byte, bool, error) {
	if s.reads != nil {
		s.reads.get(s.contract, key)
	}
	if e, ok := s.entries[string(key)]; ok {
		if e.deleted {
			return nil, false, nil
		}
		return e.value, true, nil
	}
	return s.base.Get(key)
}

// Iterate merges the overlay's keys (sorted here, since maps have no
// order) into the base iteration, overlay winning on equal keys.
func (s *contractState) Iterate(prefix, start []byte, fn func(key, value []byte) bool) error {
	if s.reads != nil {
		s.reads.scan(s.contract, prefix, start)
	}
	if len(s.entries) == 0 {
		return s.base.Iterate(prefix, start, fn)
	}
	lower := start
	if bytes.Compare(lower, prefix) < 0 {
		lower = prefix
	}
	var keys []string
	for k := range s.entries {
		if bytes.HasPrefix([]byte(k), prefix) && k >= string(lower) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	i := 0
	stopped := false
	// emitUpTo yields overlay entries strictly below limit (all when nil).
	emitUpTo := func(limit []byte) bool {
		for ; i < len(keys) && (limit == nil || keys[i] < string(limit)); i++ {
			e := s.entries[keys[i]]
			if e.deleted {
				continue
			}
			if !fn([]byte(keys[i]), e.value) {
				return false
			}
		}
		return true
	}
	err := s.base.Iterate(prefix, start, func(k, v []byte) bool {
		if !emitUpTo(k) {
			stopped = true
			return false
		}
		if i < len(keys) && keys[i] == string(k) {
			e := s.entries[keys[i]]
			i++
			if e.deleted {
				return true
			}
			if !fn(k, e.value) {
				stopped = true
				return false
			}
			return true
		}
		if !fn(k, v) {
			stopped = true
			return false
		}
		return true
	})
	if err != nil || stopped {
		return err
	}
	emitUpTo(nil)
	return nil
}

// emptyState is the state of a contract with no keys (for mesh.methods).
type emptyState struct{}

func (emptyState) Get([]byte) ([]byte, bool, error)                     { return nil, false, nil }
func (emptyState) Iterate([]byte, []byte, func(k, v []byte) bool) error { return nil }

// sortedWrites lists entries as writes in ascending key order, one per
// key (a deleted entry is a Delete with no value): the order a contract
// call reports its writes in (runtime.Result.Writes).
func sortedWrites(entries map[string]overlayEntry) []runtime.Write {
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]runtime.Write, len(keys))
	for i, k := range keys {
		e := entries[k]
		out[i] = runtime.Write{Key: []byte(k), Value: e.value, Delete: e.deleted}
	}
	return out
}
