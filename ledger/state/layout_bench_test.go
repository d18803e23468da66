package state

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/meshledger/meshledger/ledger/proof"
)

// BenchmarkLayout compares, in memory, the two ways to commit all
// contract storage under one root (docs/state.md, "Layout decision"):
//
//	single:  one trie keyed by keccak256(contract ‖ key)
//	account: an account trie keyed by keccak256(contract) whose leaves
//	         hold per-contract storage trie roots keyed by keccak256(key)
//
// Each op applies a block of 1,000 updates spread over the contracts and
// rehashes to a new root; proof-bytes is the size of one key's proof
// (account proof + storage proof for the second layout).
func BenchmarkLayout(b *testing.B) {
	const keys, contracts = 200_000, 100
	key := func(i int) (common.Address, []byte) {
		var c common.Address
		c[19] = byte(i % contracts)
		return c, []byte(fmt.Sprintf("loan/%08d/balance", i/contracts))
	}
	val := bytes.Repeat([]byte{0xab}, 24)
	b.Run("single", func(b *testing.B) {
		tr := trie.NewEmpty(nil)
		for i := range keys {
			c, k := key(i)
			tk := proof.StateTrieKey(c, k)
			_ = tr.Update(tk[:], encodeLeaf(val))
		}
		tr.Hash()
		rng := rand.New(rand.NewPCG(1, 1))
		b.ResetTimer()
		for range b.N {
			for range blockChanges {
				c, k := key(rng.IntN(keys))
				tk := proof.StateTrieKey(c, k)
				_ = tr.Update(tk[:], encodeLeaf(benchValue(rng)))
			}
			tr.Hash()
		}
		b.StopTimer()
		c, k := key(7)
		tk := proof.StateTrieKey(c, k)
		var nodes nodeList
		_ = tr.Prove(tk[:], &nodes)
		b.ReportMetric(float64(size(nodes)), "proof-bytes")
	})
	b.Run("account", func(b *testing.B) {
		storage := make([]*trie.Trie, contracts)
		for i := range storage {
			storage[i] = trie.NewEmpty(nil)
		}
		for i := range keys {
			_, k := key(i)
			_ = storage[i%contracts].Update(crypto.Keccak256(k), encodeLeaf(val))
		}
		accounts := trie.NewEmpty(nil)
		rehash := func(touched map[int]bool) {
			for ci := range contracts { // fixed order: deterministic like the real thing
				if !touched[ci] {
					continue
				}
				c, _ := key(ci)
				root := storage[ci].Hash()
				_ = accounts.Update(crypto.Keccak256(c[:]), encodeLeaf(root[:]))
			}
			accounts.Hash()
		}
		all := map[int]bool{}
		for i := range contracts {
			all[i] = true
		}
		rehash(all)
		rng := rand.New(rand.NewPCG(1, 1))
		b.ResetTimer()
		for range b.N {
			touched := map[int]bool{}
			for range blockChanges {
				i := rng.IntN(keys)
				_, k := key(i)
				_ = storage[i%contracts].Update(crypto.Keccak256(k), encodeLeaf(benchValue(rng)))
				touched[i%contracts] = true
			}
			rehash(touched)
		}
		b.StopTimer()
		c, k := key(7)
		var nodes nodeList
		_ = accounts.Prove(crypto.Keccak256(c[:]), &nodes)
		_ = storage[7].Prove(crypto.Keccak256(k), &nodes)
		b.ReportMetric(float64(size(nodes)), "proof-bytes")
	})
}

func size(nodes [][]byte) int {
	n := 0
	for _, x := range nodes {
		n += len(x)
	}
	return n
}
