package state

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/meshledger/meshledger/ledger/storage"
)

// readCountingStore counts the trie node reads that reach the store and
// can make them fail.
type readCountingStore struct {
	ethdb.KeyValueStore
	nodeReads atomic.Int64
	fail      atomic.Bool
}

var errNodeRead = errors.New("injected node read failure")

func (s *readCountingStore) Get(key []byte) ([]byte, error) {
	if len(key) > 0 && key[0] == storage.PrefixTrieNode {
		s.nodeReads.Add(1)
		if s.fail.Load() {
			return nil, errNodeRead
		}
	}
	return s.KeyValueStore.Get(key)
}

// loadedState commits n keys of contract alice (key "k/i" = "v/i") into a
// fresh in-memory store and returns the store and the root.
func loadedState(t *testing.T, n int) (*readCountingStore, common.Hash) {
	t.Helper()
	kv := &readCountingStore{KeyValueStore: storage.OpenMemory()}
	db := New(kv, Options{})
	changes := make([]Change, n)
	for i := range changes {
		changes[i] = set(alice, fmt.Sprintf("k/%d", i), fmt.Sprintf("v/%d", i), uint32(i))
	}
	b := kv.NewBatch()
	root, err := db.Commit(common.Hash{}, 1, changes, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Write(); err != nil {
		t.Fatal(err)
	}
	return kv, root
}

// updates rewrites keys lo..hi-1 in one block at height 2.
func updates(lo, hi int) []Change {
	var cs []Change
	for i := lo; i < hi; i++ {
		cs = append(cs, set(alice, fmt.Sprintf("k/%d", i), "new", uint32(i)))
	}
	return cs
}

// A Prefetcher loads the paths of the keys it is given, so that a commit
// of those keys on a cold cache then reads no trie node from the store.
func TestPrefetcherWarmsCommitPaths(t *testing.T) {
	kv, root := loadedState(t, 2000)
	// A fresh DB has a cold cache, and a block below minWarmAhead is not
	// warmed by Commit itself: only the Prefetcher can load the nodes.
	db := New(kv, Options{PrefetchWorkers: 2})
	changes := updates(0, minWarmAhead-1)
	p := db.NewPrefetcher(root)
	defer p.Close()
	for _, c := range changes {
		p.Prefetch(c.Contract, c.Key)
		p.Prefetch(c.Contract, c.Key) // a repeat is ignored
	}
	p.Wait()
	if kv.nodeReads.Load() == 0 {
		t.Fatal("the prefetcher read no trie node")
	}
	kv.nodeReads.Store(0)
	if _, err := db.Commit(root, 2, changes, kv.NewBatch()); err != nil {
		t.Fatal(err)
	}
	if n := kv.nodeReads.Load(); n != 0 {
		t.Fatalf("commit after prefetch read %d trie nodes from the store, want 0", n)
	}
}

// Without the Prefetcher the same commit reads its paths from the store:
// the test above would notice a prefetcher that did nothing.
func TestColdCommitReadsNodes(t *testing.T) {
	kv, root := loadedState(t, 2000)
	db := New(kv, Options{})
	if _, err := db.Commit(root, 2, updates(0, 10), kv.NewBatch()); err != nil {
		t.Fatal(err)
	}
	if kv.nodeReads.Load() == 0 {
		t.Fatal("a cold commit read no trie node")
	}
}

// With warming off, or no node cache to warm, a Prefetcher reads nothing
// and every method returns at once.
func TestPrefetcherOff(t *testing.T) {
	for _, opts := range []Options{{}, {NodeCacheBytes: -1, PrefetchWorkers: 2}} {
		kv, root := loadedState(t, 200)
		db := New(kv, opts)
		kv.nodeReads.Store(0)
		p := db.NewPrefetcher(root)
		p.Prefetch(alice, []byte("k/1"))
		p.Wait()
		p.Close()
		if n := kv.nodeReads.Load(); n != 0 {
			t.Errorf("%+v: prefetcher read %d nodes", opts, n)
		}
		if w := db.startWarmAhead(root, updates(0, 100)); w != nil {
			w.stop()
			t.Errorf("%+v: commit warms ahead with warming off", opts)
		}
	}
}

// Close stops the goroutines: keys given afterwards are ignored, Wait
// returns, and a second Close is harmless.
func TestPrefetcherClose(t *testing.T) {
	kv, root := loadedState(t, 200)
	db := New(kv, Options{})
	p := db.NewPrefetcher(root)
	p.Close()
	kv.nodeReads.Store(0)
	p.Prefetch(alice, []byte("k/1"))
	p.Wait()
	p.Close()
	if n := kv.nodeReads.Load(); n != 0 {
		t.Fatalf("closed prefetcher read %d nodes", n)
	}
}

// Read failures and unknown roots are not the prefetcher's to report: it
// skips them, and the commit that needs the node reports the failure.
func TestPrefetchReadFailureIsReportedByCommit(t *testing.T) {
	kv, root := loadedState(t, 2000)
	db := New(kv, Options{})

	p := db.NewPrefetcher(common.Hash{0xde, 0xad})
	p.Prefetch(alice, []byte("k/1"))
	p.Wait()
	p.Close()

	kv.fail.Store(true)
	p = db.NewPrefetcher(root)
	for _, c := range updates(0, 50) {
		p.Prefetch(c.Contract, c.Key)
	}
	p.Wait()
	p.Close()
	_, err := db.Commit(root, 2, updates(0, 50), kv.NewBatch())
	if !errors.Is(err, errNodeRead) {
		t.Fatalf("commit with failing node reads: %v, want %v", err, errNodeRead)
	}
	// Once reads work again the same block commits, to the same root as
	// on a store that never failed.
	kv.fail.Store(false)
	got, err := db.Commit(root, 2, updates(0, 50), kv.NewBatch())
	if err != nil {
		t.Fatal(err)
	}
	kv2, root2 := loadedState(t, 2000)
	want, err := New(kv2, Options{}).Commit(root2, 2, updates(0, 50), kv2.NewBatch())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("root after failed reads %x, want %x", got, want)
	}
}

// Warming ahead skips what Commit has reached and stops with it.
func TestWarmAheadStopsWithCommit(t *testing.T) {
	kv, root := loadedState(t, 2000)
	db := New(kv, Options{PrefetchWorkers: 2})
	changes := updates(0, 1000)
	w := db.startWarmAhead(root, changes)
	if w == nil {
		t.Fatal("no warming for a block of 1,000 changes")
	}
	w.reach(len(changes) - 1) // Commit is at the end: nothing left to warm
	w.stop()
	reads := kv.nodeReads.Load()
	w.stop() // idempotent
	if kv.nodeReads.Load() != reads {
		t.Fatal("warming went on after stop")
	}
	if got := db.startWarmAhead(root, changes[:minWarmAhead-1]); got != nil {
		got.stop()
		t.Fatal("warming for a block below minWarmAhead")
	}
	var nilWarm *warmAhead // Commit calls these on nil when warming is off
	nilWarm.reach(3)
	nilWarm.stop()
}
