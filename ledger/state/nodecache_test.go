package state

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
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

// TestNodeCacheEntryOverhead measures the heap a full cache under steady
// eviction (the state of a busy node's cache) holds and checks that what
// it counts against its cap covers it, and that an entry costs no more
// than its header and index slot beyond its blob.
func TestNodeCacheEntryOverhead(t *testing.T) {
	const blobLen = 33
	worst := 0.0
	for _, capBytes := range []uint64{1500 << 10, 5000 << 10, 7000 << 10} {
		before := heapAlloc()
		s := newNodeStore(nil, capBytes)
		for i := range 12 * int(capBytes/(blobLen+nodeEntryHeader)) {
			s.remember(nodeHash(i), make([]byte, blobLen))
		}
		grown := float64(int64(heapAlloc()) - int64(before))
		n := s.cache.Len()
		counted := s.cache.Size()
		overhead := grown/float64(n) - blobLen
		runtime.KeepAlive(s)
		t.Logf("cap %d KiB: %d entries, %.0f bytes of overhead each, heap %.0f KiB, counted %d KiB",
			capBytes>>10, n, overhead, grown/1024, counted>>10)
		worst = max(worst, overhead)
		if counted > capBytes {
			t.Errorf("cache counts %d bytes, above its cap %d", counted, capBytes)
		}
		if grown > float64(counted)+64<<10 {
			t.Errorf("cache holds %.0f bytes of heap but counts %d", grown, counted)
		}
	}
	// The chunks' unused tails add a few bytes to the header and slot.
	if limit := float64(nodeEntryHeader + nodeCacheIndexBytes + 8); worst > limit {
		t.Fatalf("measured %.0f bytes of overhead per entry, the cache assumes %.0f", worst, limit)
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

// Nodes read since they were cached survive the eviction of their chunk;
// nodes never read again leave first.
func TestNodeCacheKeepsNodesInUse(t *testing.T) {
	const capBytes, blobLen = 1 << 20, 100
	c := newNodeCache(capBytes)
	hot := make([]common.Hash, 200)
	for i := range hot {
		hot[i] = nodeHash(1_000_000 + i)
		c.Add(hot[i], bytes.Repeat([]byte{byte(i)}, blobLen))
	}
	// Ten times the cap of cold nodes, the hot ones read all along.
	for i := range 10 * capBytes / (blobLen + nodeEntryHeader) {
		c.Add(nodeHash(i), make([]byte, blobLen))
		if i%100 == 0 {
			for j, h := range hot {
				got, ok := c.Get(h)
				if !ok {
					t.Fatalf("hot node %d evicted after %d cold adds", j, i)
				}
				if !bytes.Equal(got, bytes.Repeat([]byte{byte(j)}, blobLen)) {
					t.Fatalf("hot node %d: wrong blob", j)
				}
			}
		}
	}
	if _, ok := c.Get(nodeHash(0)); ok {
		t.Fatal("the oldest cold node is still cached")
	}
	if c.Size() > capBytes {
		t.Fatalf("size %d above cap %d", c.Size(), capBytes)
	}
}

// A hit is a copy: changing it changes nothing cached, and a later
// eviction that reuses the chunk does not change it.
func TestNodeCacheReturnsCopies(t *testing.T) {
	c := newNodeCache(64 << 10)
	h := nodeHash(1)
	c.Add(h, []byte("node"))
	got, _ := c.Get(h)
	got[0] = 'X'
	if again, _ := c.Get(h); string(again) != "node" {
		t.Fatalf("cached blob changed through a returned copy: %q", again)
	}
	kept, _ := c.Get(h)
	for i := range 10_000 {
		c.Add(nodeHash(i+2), bytes.Repeat([]byte{0xff}, 200))
	}
	if string(kept) != "node" {
		t.Fatalf("a returned blob changed when its chunk was reused: %q", kept)
	}
}

// Hashes sharing their 8-byte index prefix never get each other's blob;
// blobs too large for a chunk are not cached; an empty cap caches nothing.
func TestNodeCacheCollisionsAndLimits(t *testing.T) {
	c := newNodeCache(1 << 20)
	a, b := nodeHash(7), nodeHash(7)
	b[31] = 0xbb
	c.Add(a, []byte("a"))
	c.Add(b, []byte("b"))
	if got, ok := c.Get(b); !ok || string(got) != "b" {
		t.Fatalf("Get(b) = %q, %v", got, ok)
	}
	if got, ok := c.Get(a); ok && string(got) != "a" {
		t.Fatalf("Get(a) returned b's blob %q", got)
	}
	big := nodeHash(8)
	c.Add(big, make([]byte, c.chunk))
	if _, ok := c.Get(big); ok {
		t.Fatal("a blob larger than a chunk was cached")
	}
	tiny := newNodeCache(100)
	tiny.Add(a, []byte("a"))
	if tiny.Len() != 0 || tiny.Size() != 0 {
		t.Fatalf("a 100-byte cap cached %d nodes in %d bytes", tiny.Len(), tiny.Size())
	}
}

// Random adds and reads against a reference map: a hit is always the blob
// added under that hash, and the cap always holds.
func TestNodeCacheRandomAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const capBytes = 256 << 10
	c := newNodeCache(capBytes)
	truth := map[common.Hash][]byte{}
	var hashes []common.Hash
	hits := 0
	for range 50_000 {
		if len(hashes) == 0 || rng.IntN(3) == 0 {
			blob := make([]byte, 1+rng.IntN(600))
			for i := range blob {
				blob[i] = byte(rng.Uint32())
			}
			h := crypto.Keccak256Hash(blob)
			if rng.IntN(8) == 0 && len(hashes) > 0 { // same prefix as another node
				h = hashes[rng.IntN(len(hashes))]
				h[31]++
			}
			if _, ok := truth[h]; !ok {
				truth[h] = blob
				hashes = append(hashes, h)
			}
			c.Add(h, truth[h])
			continue
		}
		h := hashes[rng.IntN(len(hashes))]
		if got, ok := c.Get(h); ok {
			hits++
			if !bytes.Equal(got, truth[h]) {
				t.Fatalf("Get(%x) returned a wrong blob", h)
			}
		}
		if c.Size() > capBytes {
			t.Fatalf("size %d above cap %d", c.Size(), capBytes)
		}
	}
	if hits == 0 {
		t.Fatal("no hit at all")
	}
}
