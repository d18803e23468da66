package ledger

import (
	"bytes"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/runtime"
)

// registryStore is the registry's Store for one registry call (or the
// genesis): its writes are buffered over base, which they shadow, and
// reach the block only if the call succeeds (writes), exactly as a
// contract call's buffered writes do.
type registryStore struct {
	contractState // entries: this store's own writes, over base
}

var _ registry.Store = (*registryStore)(nil)

func newRegistryStore(base runtime.State) *registryStore {
	return &registryStore{contractState{entries: make(map[string]overlayEntry), base: base}}
}

func (s *registryStore) Set(key, value []byte) {
	s.entries[string(key)] = writeEntry(runtime.Write{Value: bytes.Clone(value)})
}

func (s *registryStore) Delete(key []byte) {
	s.entries[string(key)] = overlayEntry{deleted: true}
}

// writes returns the buffered writes in ascending key order, one per key,
// the order a contract call reports its writes in (runtime.Result.Writes),
// so that receipts and the change list never depend on map order.
func (s *registryStore) writes() []runtime.Write { return sortedWrites(s.entries) }

// blockRegistry reads the registry at the state of the block being
// executed: committed records under the writes of the block's earlier
// transactions. The overlay view is taken at each read, since the block's
// map for the registry may be created after this reader.
type blockRegistry struct {
	b    *pendingBlock
	base runtime.State
}

func (r blockRegistry) view() *contractState { return r.b.ov.view(registry.Address, r.base) }

func (r blockRegistry) Get(key []byte) ([]byte, bool, error) { return r.view().Get(key) }

func (r blockRegistry) Iterate(prefix, start []byte, fn func(key, value []byte) bool) error {
	return r.view().Iterate(prefix, start, fn)
}
