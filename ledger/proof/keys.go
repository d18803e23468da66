package proof

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"golang.org/x/crypto/sha3"
)

// EmptyRoot is the root of an empty trie: keccak256(rlp("")). Every key is
// absent under it, with an empty proof.
var EmptyRoot = common.HexToHash("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")

// StateTrieKey is the trie key of a contract's storage key:
// keccak256(contract ‖ key). The address has a fixed 20 bytes, so the
// concatenation is unambiguous for keys of any length.
func StateTrieKey(contract common.Address, key []byte) common.Hash {
	h := sha3.NewLegacyKeccak256()
	h.Write(contract[:])
	h.Write(key)
	var out common.Hash
	h.Sum(out[:0])
	return out
}

// IndexKey is the trie key of the index-th transaction or receipt of a
// block: rlp(index), as in Ethereum's transaction and receipt tries.
func IndexKey(index uint64) []byte { return rlp.AppendUint64(nil, index) }

func keccak(b []byte) common.Hash {
	h := sha3.NewLegacyKeccak256()
	h.Write(b)
	var out common.Hash
	h.Sum(out[:0])
	return out
}
