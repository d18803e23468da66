package state

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/lru"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
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

// realTrieNodes returns the nodes of a secure trie of n keys with short
// values, the shape of contract state: the sizes a busy node's cache holds.
func realTrieNodes(tb testing.TB, n int) (hashes []common.Hash, blobs [][]byte) {
	tb.Helper()
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = crypto.Keccak256(binary.BigEndian.AppendUint64(nil, uint64(i)))
	}
	slices.SortFunc(keys, bytes.Compare)
	st := trie.NewStackTrie(func(_ []byte, h common.Hash, blob []byte) {
		hashes, blobs = append(hashes, h), append(blobs, bytes.Clone(blob))
	})
	for i, k := range keys {
		v, _ := rlp.EncodeToBytes(binary.BigEndian.AppendUint64(nil, uint64(i)*2654435761))
		if err := st.Update(k, v); err != nil {
			tb.Fatal(err)
		}
	}
	st.Hash()
	return hashes, blobs
}

// BenchmarkNodeCacheFill fills a 24 MiB node cache with the nodes of a
// real trie twice its size and reports the live heap it then holds:
// "values" counts only the blobs against the cap (go-ethereum's
// SizeConstrainedCache, as before), "entries" counts what each entry
// really holds.
func BenchmarkNodeCacheFill(b *testing.B) {
	const capBytes = 24 << 20
	hashes, blobs := realTrieNodes(b, 600_000)
	var total uint64
	for _, blob := range blobs {
		total += uint64(len(blob))
	}
	b.Logf("%d nodes, %d MiB of blobs, mean %d bytes", len(blobs), total>>20, total/uint64(len(blobs)))
	type cache interface {
		Get(common.Hash) ([]byte, bool)
	}
	for _, tc := range []struct {
		name string
		fill func() cache
	}{
		{"counted=values", func() cache {
			c := lru.NewSizeConstrainedCache[common.Hash, []byte](capBytes)
			for i, h := range hashes {
				c.Add(h, blobs[i])
			}
			return c
		}},
		{"counted=entries", func() cache {
			c := newNodeCache(capBytes)
			for i, h := range hashes {
				c.Add(h, blobs[i])
			}
			return c
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var kept cache
			var grown int64
			for b.Loop() {
				b.StopTimer()
				kept = nil
				before := heapAlloc()
				b.StartTimer()
				kept = tc.fill()
				b.StopTimer()
				grown = int64(heapAlloc()) - int64(before)
				b.StartTimer()
			}
			runtime.KeepAlive(kept)
			b.ReportMetric(float64(grown)/(1<<20), "heap-MiB")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(hashes)), "ns/add")
			b.ReportMetric(0, "ns/op")
		})
	}
}
