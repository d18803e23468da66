package ledger

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/meshledger/meshledger/ledger/storage"
)

// crashStore fails the n-th Put into any batch (counting from 1) as a
// crash at that step would: the batch is never written. The final batch
// Write is failed through storage.Failpoints.
type crashStore struct {
	*storage.Failpoints
	mu     sync.Mutex
	failAt int // 0: off
	puts   int
}

var errPutInjected = errors.New("injected batch put failure")

func (s *crashStore) NewBatch() ethdb.Batch { return &crashBatch{Batch: s.Failpoints.NewBatch(), s: s} }
func (s *crashStore) NewBatchWithSize(n int) ethdb.Batch {
	return &crashBatch{Batch: s.Failpoints.NewBatchWithSize(n), s: s}
}

type crashBatch struct {
	ethdb.Batch
	s *crashStore
}

func (b *crashBatch) Put(k, v []byte) error {
	b.s.mu.Lock()
	b.s.puts++
	fail := b.s.failAt != 0 && b.s.puts == b.s.failAt
	b.s.mu.Unlock()
	if fail {
		return errPutInjected
	}
	return b.Batch.Put(k, v)
}

// crashEnv is an env whose ledger runs over a crashStore that it opens
// and closes itself, so a "crash" is closing everything and reopening the
// directory from disk.
type crashEnv struct {
	*env
	db *storage.DB
	cs *crashStore
}

func (c *crashEnv) restart(tb testing.TB) {
	tb.Helper()
	if c.l != nil {
		c.l.Close(context.Background())
	}
	if c.db != nil {
		c.db.Close()
	}
	db, err := storage.Open(c.dir, storage.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	c.db = db
	c.cs = &crashStore{Failpoints: storage.WithFailpoints(db)}
	c.l = c.open(Config{Store: c.cs})
}

// dump is every key and value of the store.
func dump(tb testing.TB, kv ethdb.KeyValueStore) map[string]string {
	out := map[string]string{}
	it := kv.NewIterator(nil, nil)
	defer it.Release()
	for it.Next() {
		out[string(it.Key())] = string(it.Value())
	}
	return out
}

func sameDump(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal([]byte(v), []byte(w)) {
			return false
		}
	}
	return true
}

// TestCrashAtEveryWriteStep fails the block's batch at each Put and at the
// final Write, restarts from disk each time, and checks the previous block
// is intact and the store byte-for-byte unchanged; then applies the block
// and checks it equals the block an unfailed ledger made.
func TestCrashAtEveryWriteStep(t *testing.T) {
	t.Parallel()
	ref := newEnv(t)
	ref.setup()

	base := newEnv(t)
	base.l.Close(context.Background())
	c := &crashEnv{env: base}
	c.l = nil
	c.restart(t)
	t.Cleanup(func() { c.l.Close(context.Background()); c.db.Close() })
	c.setup()

	proposal := c.proposal(c.pay(1_000), c.pay(2_000), c.deployTx(c.owner, c.nonce(c.owner), false))

	before := dump(t, c.db)
	prev := c.l.Latest()
	arm := func(failAt int) {
		c.cs.mu.Lock()
		c.cs.puts, c.cs.failAt = 0, failAt
		c.cs.mu.Unlock()
	}
	// failWrite fails the final batch Write and checks nothing changed,
	// counting the block's Puts on the way.
	failWrite := func() int {
		arm(0)
		c.cs.FailBatchWrite(0)
		defer c.cs.Reset()
		if _, err := c.l.ApplyBlock(context.Background(), proposal, c.proposer); !errors.Is(err, storage.ErrInjected) {
			t.Fatalf("failed write: %v", err)
		}
		if c.l.Latest().Hash() != prev.Hash() || !sameDump(before, dump(t, c.db)) {
			t.Fatal("failed write changed the ledger")
		}
		c.cs.mu.Lock()
		defer c.cs.mu.Unlock()
		return c.cs.puts
	}
	total := failWrite()
	if total < 10 {
		t.Fatalf("only %d puts in the block batch", total)
	}
	for step := 1; step <= total; step++ {
		arm(step)
		if _, err := c.l.ApplyBlock(context.Background(), proposal, c.proposer); !errors.Is(err, errPutInjected) {
			t.Fatalf("step %d of %d: %v", step, total, err)
		}
		if c.l.Latest().Hash() != prev.Hash() {
			t.Fatalf("step %d: latest moved in memory", step)
		}
		c.restart(t)
		if c.l.Latest().Hash() != prev.Hash() {
			t.Fatalf("step %d: latest after restart %d", step, c.l.Latest().Header.Height)
		}
		if !sameDump(before, dump(t, c.db)) {
			t.Fatalf("step %d: store changed", step)
		}
	}
	failWrite()
	arm(0)
	// The same ledger instance, without restarting, must apply the block.
	a, err := c.l.ApplyBlock(context.Background(), proposal, c.proposer)
	if err != nil {
		t.Fatal(err)
	}
	want := ref.apply(proposal.Txs...)
	if a.Header.Hash() != want.Header.Hash() {
		t.Fatalf("block after failures %s differs from reference %s", a.Header.Hash(), want.Header.Hash())
	}
	c.restart(t)
	if c.l.Latest().Hash() != want.Header.Hash() {
		t.Fatal("applied block lost on restart")
	}
	if _, err := c.l.Tx(proposal.Txs[2].Hash()); err != nil {
		t.Fatal(err)
	}
}
