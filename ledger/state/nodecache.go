package state

import (
	"bytes"
	"encoding/binary"
	"sync"

	"github.com/ethereum/go-ethereum/common"
)

// The node cache keeps trie node blobs packed back to back in large
// chunks, indexed by the first 8 bytes of their hash, and evicts a whole
// chunk at a time, oldest first, giving recently read nodes a second
// chance (CLOCK).
//
// Why not an LRU of hash → []byte: trie nodes are small (a leaf of a
// contract key is about 100 bytes) and such an LRU spends some 350 bytes
// of bookkeeping on each (list element, 32-byte key, map slot, allocation
// rounding), so 256 MiB held about 600,000 nodes: not even the leaves of a
// million keys, whose commit then read most of its paths from LevelDB
// (docs/state.md, Caching). Packed, an entry costs its blob plus a 37-byte
// header plus some 50 bytes of index, and the same 256 MiB holds about
// 1.2 million nodes, nearly the whole trie of a million keys; the heap
// holds a few thousand chunks instead of millions of objects for the
// collector to scan.
//
// A hit returns a copy: chunks are reused, and the trie keeps the blobs it
// decodes.

const (
	// nodeCacheChunk is the size of one chunk of the arena; an entry never
	// spans two, so blobs above it minus the header are not cached.
	nodeCacheChunk = 64 << 10
	// nodeEntryHeader is hash (32) ‖ blob length (4) ‖ referenced flag (1).
	nodeEntryHeader = common.HashLength + 4 + 1
	// nodeCacheIndexBytes is what one entry of the index costs: a slot of
	// map[uint64]uint64 (16 bytes and a control byte) at the load of a
	// map that has just grown and under the steady eviction of a full
	// cache, where deleted slots linger: measured up to 55 bytes (TestNodeCacheEntryOverhead fails
	// if Go's maps ever need more).
	nodeCacheIndexBytes = 64
)

// nodeCache is a CLOCK cache of trie nodes by hash whose cap bounds the
// memory it holds, index included. Safe for concurrent use.
type nodeCache struct {
	mu     sync.Mutex
	index  map[uint64]uint64 // hash prefix → chunk<<32 | offset of the entry
	chunks [][]byte          // the arena, a ring once it has reached its cap
	w      int               // the chunk being filled
	chunk  int               // the chunk size
	max    uint64
	spare  []byte // survivors of an evicted chunk, reused between evictions
}

func newNodeCache(maxBytes uint64) *nodeCache {
	// A small cap still gets several chunks, so that evicting one does
	// not empty the cache.
	chunk := nodeCacheChunk
	for chunk > 4<<10 && uint64(chunk)*8 > maxBytes {
		chunk /= 2
	}
	return &nodeCache{index: map[uint64]uint64{}, chunk: chunk, max: maxBytes, w: -1}
}

func indexKey(hash common.Hash) uint64 { return binary.BigEndian.Uint64(hash[:8]) }

func packLoc(chunk, off int) uint64 { return uint64(chunk)<<32 | uint64(off) }

// entryAt returns the entry at loc: its hash, blob and header, which
// entries may share only with the arena.
func (c *nodeCache) entryAt(loc uint64) (hash []byte, blob []byte, header []byte) {
	ch := c.chunks[loc>>32]
	off := int(loc & 0xffffffff)
	header = ch[off : off+nodeEntryHeader]
	n := int(binary.BigEndian.Uint32(header[common.HashLength:]))
	return header[:common.HashLength], ch[off+nodeEntryHeader : off+nodeEntryHeader+n], header
}

// lookup returns the location of hash's entry, if cached. Two hashes with
// the same 8-byte prefix share one index slot: the full hash in the entry
// tells which one it holds.
func (c *nodeCache) lookup(hash common.Hash) (uint64, bool) {
	loc, ok := c.index[indexKey(hash)]
	if !ok {
		return 0, false
	}
	h, _, _ := c.entryAt(loc)
	return loc, bytes.Equal(h, hash[:])
}

// Add caches a copy of blob under hash. A hash already held keeps its
// blob (nodes are content-addressed) and counts as just used.
func (c *nodeCache) Add(hash common.Hash, blob []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if loc, ok := c.lookup(hash); ok {
		_, _, hdr := c.entryAt(loc)
		hdr[nodeEntryHeader-1] = 1
		return
	}
	size := nodeEntryHeader + len(blob)
	if size > c.chunk || uint64(c.chunk) > c.max {
		return
	}
	// Each turn either finds room or evicts a chunk; a chunk refilled by
	// its own survivors clears their flags, so within two turns of the
	// ring a chunk frees space.
	for range 2*len(c.chunks) + 2 {
		if c.w >= 0 && len(c.chunks[c.w])+size <= c.chunk && c.size()+nodeCacheIndexBytes <= c.max {
			c.put(hash, blob)
			return
		}
		c.advance()
	}
}

// put appends the entry to the current chunk and indexes it.
func (c *nodeCache) put(hash common.Hash, blob []byte) {
	ch := c.chunks[c.w]
	loc := packLoc(c.w, len(ch))
	ch = append(ch, hash[:]...)
	ch = binary.BigEndian.AppendUint32(ch, uint32(len(blob)))
	ch = append(ch, 0)
	c.chunks[c.w] = append(ch, blob...)
	c.index[indexKey(hash)] = loc
}

// size is the memory counted against the cap.
func (c *nodeCache) size() uint64 {
	return uint64(len(c.chunks))*uint64(c.chunk) + uint64(len(c.index))*nodeCacheIndexBytes
}

// advance moves to a fresh chunk: a new one while the cap allows, else
// the oldest, whose entries leave the cache except those read since they
// were written, which are written again into it.
func (c *nodeCache) advance() {
	if c.size()+uint64(c.chunk) <= c.max || len(c.chunks) == 0 {
		c.chunks = append(c.chunks, make([]byte, 0, c.chunk))
		c.w = len(c.chunks) - 1
		return
	}
	c.w = (c.w + 1) % len(c.chunks)
	old := c.chunks[c.w]
	survivors := c.spare[:0]
	for off := 0; off < len(old); {
		loc := packLoc(c.w, off)
		hash, blob, hdr := c.entryAt(loc)
		next := off + nodeEntryHeader + len(blob)
		key := indexKey(common.BytesToHash(hash))
		if cur, ok := c.index[key]; ok && cur == loc {
			if hdr[nodeEntryHeader-1] != 0 {
				survivors = append(survivors, old[off:next]...)
			}
			delete(c.index, key)
		}
		off = next
	}
	c.chunks[c.w] = old[:0]
	for off := 0; off < len(survivors); {
		n := int(binary.BigEndian.Uint32(survivors[off+common.HashLength:]))
		hash := common.BytesToHash(survivors[off : off+common.HashLength])
		next := off + nodeEntryHeader + n
		c.put(hash, survivors[off+nodeEntryHeader:next])
		off = next
	}
	c.spare = survivors[:0]
}

// Get returns a copy of the cached blob of hash and marks it used.
func (c *nodeCache) Get(hash common.Hash) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	loc, ok := c.lookup(hash)
	if !ok {
		return nil, false
	}
	_, blob, hdr := c.entryAt(loc)
	hdr[nodeEntryHeader-1] = 1
	return bytes.Clone(blob), true
}

// Len is the number of nodes cached.
func (c *nodeCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.index)
}

// Size is the memory the cache holds, as counted against the cap.
func (c *nodeCache) Size() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size()
}

// full reports whether the cache has reached its cap, so that a new entry
// would evict others.
func (c *nodeCache) full() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size()+uint64(c.chunk) > c.max
}
