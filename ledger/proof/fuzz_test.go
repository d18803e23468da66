package proof

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
)

// FuzzVerifyProof compares VerifyProof with go-ethereum's trie.VerifyProof
// on proofs from tries built from the input (they must agree exactly), and
// on proofs whose root node has one byte changed and the root re-hashed, so
// that both must parse the altered node (they must never accept different
// values).
func FuzzVerifyProof(f *testing.F) {
	f.Add([]byte("abcdefghijklmnopqrstuvwxyz0123456789"), uint16(0), uint8(3))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, uint16(7), uint8(200))
	f.Add(bytes.Repeat([]byte{0x80}, 64), uint16(3), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, mutate uint16, pick uint8) {
		tr := trie.NewEmpty(nil)
		var keys [][]byte
		for i := 0; i+3 <= len(data) && len(keys) < 64; i += 3 {
			k := StateTrieKey(common.Address{data[i]}, data[i+1:i+3])
			v, _ := rlp.EncodeToBytes(data[i : i+1+int(data[i+2]%3)])
			_ = tr.Update(k[:], v)
			keys = append(keys, k[:])
		}
		key := StateTrieKey(common.Address{pick}, []byte{pick}).Bytes()
		if len(keys) > 0 && pick%2 == 0 {
			key = keys[int(pick)%len(keys)]
		}
		root := tr.Hash()
		nodes := prove(t, tr, key)
		mutated := mutate%2 == 1 && len(nodes) > 0
		if mutated {
			n := nodes[0]
			n[int(mutate/2)%len(n)] ^= byte(mutate >> 8)
			root = keccak(n)
		}
		mine, errMine := VerifyProof(root, key, nodes)
		if root == EmptyRoot {
			// go-ethereum wants the empty root's node in the proof; we
			// accept an empty trie as proof of absence by itself.
			if mine != nil || errMine != nil {
				t.Fatalf("empty root: %x, %v", mine, errMine)
			}
			return
		}
		theirs, errTheirs := gethVerify(root, key, nodes)
		if mutated && (errMine != nil || errTheirs != nil) {
			// On a non-canonical node the two decoders differ in how
			// strict they are; no node a trie writes is affected. What
			// must hold is that they never prove different values.
			return
		}
		if (errMine == nil) != (errTheirs == nil) || !bytes.Equal(mine, theirs) {
			t.Fatalf("disagree: ours %x, %v; go-ethereum %x, %v", mine, errMine, theirs, errTheirs)
		}
	})
}
