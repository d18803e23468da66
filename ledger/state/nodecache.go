package state

import (
	"math"
	"sort"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/lru"
)

// nodeCacheEntryOverhead is what one cached node costs beyond its blob's
// allocation: the 48-byte list element (two pointers and the key) and the
// map slot (the key, the element pointer and the blob's slice header: 64
// bytes and a control byte). Go maps do not shrink, and under the steady
// eviction of a full cache their tombstones keep the live load as low as
// a quarter: measured with runtime.MemStats, 180 to 335 bytes per entry
// (TestNodeCacheEntryOverhead fails if Go's maps ever need more).
//
// Counting only the blobs let a cap of 256 MiB hold about 450 MiB: trie
// nodes are small (a leaf is tens of bytes), so the bookkeeping weighs as
// much as the data.
const nodeCacheEntryOverhead = 352

// sizeClasses are the Go allocator's small object sizes
// (runtime/sizeclasses.go): a blob of n bytes holds the smallest class of
// at least n. Above 32 KiB an allocation holds whole 8 KiB pages.
// TestAllocSizeMatchesRuntime checks the table against the allocator.
var sizeClasses = [...]uint32{8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768}

// allocSize is the heap an allocation of n bytes holds.
func allocSize(n int) uint64 {
	if n <= 0 {
		return 0
	}
	if n > int(sizeClasses[len(sizeClasses)-1]) {
		const page = 8 << 10
		return uint64((n + page - 1) / page * page)
	}
	i := sort.Search(len(sizeClasses), func(i int) bool { return int(sizeClasses[i]) >= n })
	return uint64(sizeClasses[i])
}

// nodeCache is an LRU of trie nodes by hash whose cap bounds the memory it
// holds, bookkeeping included (geth's SizeConstrainedCache counts only the
// values). Safe for concurrent use.
type nodeCache struct {
	mu   sync.Mutex
	lru  lru.BasicLRU[common.Hash, []byte]
	size uint64 // sum of nodeCacheEntryBytes of the entries held
	max  uint64
}

func newNodeCache(maxBytes uint64) *nodeCache {
	// The LRU's own count cap is unused: the byte cap evicts.
	return &nodeCache{lru: lru.NewBasicLRU[common.Hash, []byte](math.MaxInt), max: maxBytes}
}

// nodeCacheEntryBytes is the memory an entry holds: its blob's allocation
// (from cap, not len: a blob cut from a larger buffer keeps the rest of
// it alive) and the per-entry overhead.
func nodeCacheEntryBytes(blob []byte) uint64 {
	return allocSize(cap(blob)) + nodeCacheEntryOverhead
}

// Add caches blob under hash, evicting the least recently used nodes
// until the total fits. Nodes are content-addressed: a hash already held
// keeps its blob and only becomes the most recent.
func (c *nodeCache) Add(hash common.Hash, blob []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.lru.Get(hash); ok {
		return
	}
	n := nodeCacheEntryBytes(blob)
	if n > c.max {
		return
	}
	for c.size+n > c.max {
		_, old, ok := c.lru.RemoveOldest()
		if !ok {
			break
		}
		c.size -= nodeCacheEntryBytes(old)
	}
	c.lru.Add(hash, blob)
	c.size += n
}

// Get returns the cached blob of hash and marks it most recently used.
func (c *nodeCache) Get(hash common.Hash) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Get(hash)
}

// Len is the number of nodes cached.
func (c *nodeCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// Size is the memory the cached nodes hold, as counted against the cap.
func (c *nodeCache) Size() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}
