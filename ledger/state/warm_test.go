package state

import (
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// After WarmNodeCache a commit and a proof on a cache big enough for the
// whole trie read no trie node from the store, and the root is the one a
// cold DB computes.
func TestWarmNodeCacheHoldsTheTrie(t *testing.T) {
	kv, root := loadedState(t, 2000)
	warm := New(kv, Options{})
	n, err := warm.WarmNodeCache(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if n < 2000 || warm.nodes.cache.Len() != n {
		t.Fatalf("read %d nodes, cached %d; want every node of 2,000 keys", n, warm.nodes.cache.Len())
	}
	kv.nodeReads.Store(0)
	if _, err := warm.Prove(root, alice, []byte("k/7")); err != nil {
		t.Fatal(err)
	}
	got, err := warm.Commit(root, 2, updates(0, 50), kv.NewBatch())
	if err != nil {
		t.Fatal(err)
	}
	if r := kv.nodeReads.Load(); r != 0 {
		t.Errorf("a commit after warming read %d trie nodes from the store", r)
	}
	want, err := New(kv, Options{NodeCacheBytes: -1}).Commit(root, 2, updates(0, 50), kv.NewBatch())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("root after warming %x, cold %x", got, want)
	}
}

// A cache smaller than the trie stops the walk once full instead of
// churning through the rest; a disabled cache reads nothing.
func TestWarmNodeCacheStopsWhenFull(t *testing.T) {
	kv, root := loadedState(t, 20000)
	small := New(kv, Options{NodeCacheBytes: 256 << 10})
	n, err := small.WarmNodeCache(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if !small.nodes.cache.full() {
		t.Errorf("the walk stopped after %d nodes with the cache not full", n)
	}
	if all := 20000; n >= all {
		t.Errorf("read %d nodes into a 256 KiB cache: the whole trie", n)
	}
	if again, err := small.WarmNodeCache(context.Background(), root); err != nil || again != 0 {
		t.Errorf("warming a full cache read %d nodes, err %v", again, err)
	}
	kv.nodeReads.Store(0)
	if n, err := New(kv, Options{NodeCacheBytes: -1}).WarmNodeCache(context.Background(), root); err != nil || n != 0 {
		t.Errorf("without a cache: read %d nodes, err %v", n, err)
	}
	if r := kv.nodeReads.Load(); r != 0 {
		t.Errorf("without a cache the walk read %d nodes from the store", r)
	}
}

func TestWarmNodeCacheErrors(t *testing.T) {
	kv, root := loadedState(t, 5000)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(kv, Options{}).WarmNodeCache(ctx, root); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err %v, want context.Canceled", err)
	}
	if _, err := New(kv, Options{}).WarmNodeCache(context.Background(), common.Hash{1}); !errors.Is(err, ErrUnknownRoot) {
		t.Errorf("unknown root: err %v, want ErrUnknownRoot", err)
	}
	// The root node cached, so the failure hits the walk, not the open.
	db := New(kv, Options{})
	if _, err := db.Prove(root, alice, []byte("k/1")); err != nil {
		t.Fatal(err)
	}
	kv.fail.Store(true)
	if n, err := db.WarmNodeCache(context.Background(), root); !errors.Is(err, errNodeRead) {
		t.Errorf("failing store: read %d nodes, err %v, want the read error", n, err)
	}
}
