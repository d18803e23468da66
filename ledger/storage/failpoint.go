package storage

import (
	"errors"
	"sync"

	"github.com/ethereum/go-ethereum/ethdb"
)

// ErrInjected is the error a Failpoints store returns when a failure it
// was told to inject fires.
var ErrInjected = errors.New("storage: injected failure")

// Failpoints wraps a store for crash tests: it behaves exactly like the
// wrapped store until told to fail, then makes chosen writes return
// ErrInjected without applying them, as a crash at that step would.
// TEST ONLY: never wrap a production store.
type Failpoints struct {
	ethdb.KeyValueStore

	mu         sync.Mutex
	failWrites int // batch Writes to let through before failing; -1 = off
	failPuts   int // Puts (direct or batch) to let through before failing; -1 = off
}

// WithFailpoints wraps kv; no failure is armed.
func WithFailpoints(kv ethdb.KeyValueStore) *Failpoints {
	return &Failpoints{KeyValueStore: kv, failWrites: -1, failPuts: -1}
}

// FailBatchWrite arms a failure: after n more successful batch Writes,
// every further batch Write fails with ErrInjected and writes nothing,
// until Reset.
func (f *Failpoints) FailBatchWrite(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failWrites = n
}

// FailPut arms a failure of Puts, direct or into a batch, after n more
// succeed; a failed batch Put queues nothing.
func (f *Failpoints) FailPut(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failPuts = n
}

// Reset disarms every failure.
func (f *Failpoints) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failWrites, f.failPuts = -1, -1
}

// take reports whether the operation guarded by counter must fail, and
// consumes one allowance otherwise.
func (f *Failpoints) take(counter *int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case *counter < 0:
		return false
	case *counter == 0:
		return true
	default:
		*counter--
		return false
	}
}

// Put fails with ErrInjected when a FailPut failure fires.
func (f *Failpoints) Put(key, value []byte) error {
	if f.take(&f.failPuts) {
		return ErrInjected
	}
	return f.KeyValueStore.Put(key, value)
}

// NewBatch returns a batch whose Write obeys FailBatchWrite.
func (f *Failpoints) NewBatch() ethdb.Batch {
	return &failBatch{Batch: f.KeyValueStore.NewBatch(), f: f}
}

// NewBatchWithSize returns a batch whose Write obeys FailBatchWrite.
func (f *Failpoints) NewBatchWithSize(size int) ethdb.Batch {
	return &failBatch{Batch: f.KeyValueStore.NewBatchWithSize(size), f: f}
}

type failBatch struct {
	ethdb.Batch
	f *Failpoints
}

func (b *failBatch) Put(key, value []byte) error {
	if b.f.take(&b.f.failPuts) {
		return ErrInjected
	}
	return b.Batch.Put(key, value)
}

func (b *failBatch) Write() error {
	if b.f.take(&b.f.failWrites) {
		return ErrInjected
	}
	return b.Batch.Write()
}
