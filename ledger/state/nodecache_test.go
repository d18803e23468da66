package state

import (
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// heapAlloc is the live heap after a full collection.
func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func nodeHash(i int) common.Hash {
	var h common.Hash
	binary.BigEndian.PutUint64(h[:], uint64(i)+1)
	return h
}

// fillNodeCache adds n distinct blobs of blobLen bytes, each its own
// allocation as a store read would give, to a node store with the given
// cap.
func fillNodeCache(capBytes uint64, n, blobLen int) *nodeStore {
	s := newNodeStore(nil, capBytes)
	for i := range n {
		s.remember(nodeHash(i), make([]byte, blobLen))
	}
	return s
}

// The cap bounds what the cache really holds: with many small nodes the
// per-entry bookkeeping (key, map slot, list element, allocation rounding)
// outweighs the blobs, and must count against the cap.
func TestNodeCacheHeapStaysWithinCap(t *testing.T) {
	const capBytes = 8 << 20
	for _, blobLen := range []int{33, 70, 532} {
		before := heapAlloc()
		// Four times more blob bytes than the cap: the cache must evict.
		s := fillNodeCache(capBytes, 4*capBytes/blobLen, blobLen)
		grown := int64(heapAlloc()) - int64(before)
		runtime.KeepAlive(s)
		// Slack: the map's buckets of the entries evicted stay allocated
		// (Go maps do not shrink) only up to the load factor the
		// overhead constant already assumes; 1 MiB covers the rest.
		if limit := int64(capBytes + 1<<20); grown > limit {
			t.Errorf("blobs of %d bytes: heap grew %d bytes (%.1f MiB) for a %d MiB cap, limit %d",
				blobLen, grown, float64(grown)/(1<<20), capBytes>>20, limit)
		}
		if _, ok := s.cache.Get(nodeHash(4*capBytes/blobLen - 1)); !ok {
			t.Errorf("blobs of %d bytes: the newest node is not cached", blobLen)
		}
	}
}

// allocSize agrees with the allocator: append rounds a slice's capacity
// up to the size it really allocates.
func TestAllocSizeMatchesRuntime(t *testing.T) {
	for n := 1; n <= 70000; n++ {
		if n > 4096 && n%61 != 0 { // every size up to 4 KiB, a sample above
			continue
		}
		got, want := allocSize(n), uint64(cap(append([]byte(nil), make([]byte, n)...)))
		if got != want {
			t.Fatalf("allocSize(%d) = %d, the allocator gives %d", n, got, want)
		}
	}
	if allocSize(0) != 0 {
		t.Fatal("allocSize(0) != 0")
	}
}

// TestNodeCacheEntryOverhead measures what an entry costs beyond its blob
// in a full cache under steady eviction (the state of a busy node's
// cache) and checks that nodeCacheEntryOverhead covers it.
func TestNodeCacheEntryOverhead(t *testing.T) {
	worst := 0.0
	for _, capBytes := range []uint64{1500 << 10, 5000 << 10, 7000 << 10} {
		s := newNodeStore(nil, capBytes)
		before := heapAlloc()
		perEntry := allocSize(33) + nodeCacheEntryOverhead
		for i := range 12 * int(capBytes/perEntry) {
			s.remember(nodeHash(i), make([]byte, 33))
		}
		grown := float64(int64(heapAlloc()) - int64(before))
		n := s.cache.Len()
		overhead := grown/float64(n) - float64(allocSize(33))
		runtime.KeepAlive(s)
		t.Logf("cap %d KiB: %d entries, %.0f bytes of overhead each", capBytes>>10, n, overhead)
		worst = max(worst, overhead)
		if got := s.cache.Size(); got > capBytes {
			t.Errorf("cache counts %d bytes, above its cap %d", got, capBytes)
		}
	}
	if worst > nodeCacheEntryOverhead {
		t.Fatalf("measured %.0f bytes of overhead per entry, nodeCacheEntryOverhead is %d", worst, nodeCacheEntryOverhead)
	}
}
