package tx

import (
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// hasher is a reusable keccak256 state with scratch space. Hashing a
// transaction takes six keccak256 calls; taking one hasher from a pool for
// all of them, and building every input inside it, keeps the hot path free
// of allocations (KeccakState is an interface, so anything handed to it
// would otherwise escape to the heap).
type hasher struct {
	st  crypto.KeccakState
	buf [7 * 32]byte // encodeData of one struct
	str [256]byte    // short strings, copied to avoid a []byte conversion
	out common.Hash

	// The last domain separator computed with this hasher: a node works on
	// one chain, so this saves one keccak256 per digest.
	sepChain uint64
	sep      common.Hash
	sepSet   bool
}

// hasherPool only recycles scratch state: nothing in it outlives a call or
// affects a result.
var hasherPool = sync.Pool{New: func() any { return &hasher{st: crypto.NewKeccakState()} }}

func getHasher() *hasher  { return hasherPool.Get().(*hasher) }
func putHasher(h *hasher) { hasherPool.Put(h) }

func (h *hasher) sum(b []byte) common.Hash {
	h.st.Reset()
	h.st.Write(b)
	h.st.Read(h.out[:])
	return h.out
}

func (h *hasher) sumString(s string) common.Hash {
	if len(s) <= len(h.str) {
		n := copy(h.str[:], s)
		return h.sum(h.str[:n])
	}
	return h.sum([]byte(s))
}

// words returns the scratch buffer cleared to n 32-byte words.
func (h *hasher) words(n int) []byte {
	b := h.buf[:n*32]
	clear(b)
	return b
}

// structHasher is implemented by the built-in messages so Digest can share
// one hasher across the whole computation.
type structHasher interface {
	structHash(h *hasher) common.Hash
}
