package roots

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/meshledger/meshledger/ledger/block"
)

func items(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf("item-%d-%s", i, bytes.Repeat([]byte{'x'}, i%40)))
	}
	return out
}

func TestDeriveMatchesTrieAndProofsVerify(t *testing.T) {
	for _, n := range []int{0, 1, 2, 127, 128, 129, 300} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			its := items(n)
			full := trie.NewEmpty(nil)
			for i, it := range its {
				full.MustUpdate(IndexKey(i), it)
			}
			root := Derive(its)
			if root != full.Hash() {
				t.Fatalf("stack root %s != trie root %s", root, full.Hash())
			}
			if n == 0 && root != block.EmptyRoot {
				t.Fatalf("empty root %s", root)
			}
			for _, i := range []int{0, n / 2, n - 1} {
				if n == 0 {
					break
				}
				p, err := ProveItem(its, i)
				if err != nil {
					t.Fatal(err)
				}
				db := memorydb.New()
				for _, node := range p {
					db.Put(crypto.Keccak256(node), node)
				}
				got, err := trie.VerifyProof(root, IndexKey(i), db)
				if err != nil || !bytes.Equal(got, its[i]) {
					t.Fatalf("verify %d: %q, %v", i, got, err)
				}
			}
		})
	}
}

func TestProveItemOutOfRange(t *testing.T) {
	for _, i := range []int{-1, 3} {
		if _, err := ProveItem(items(3), i); err == nil {
			t.Fatalf("index %d: no error", i)
		}
	}
}

// TestReceiptsRootIsDeriveOverEncodings pins the receipt root to the
// receipts' canonical encodings, and proves a receipt against it.
func TestReceiptsRootIsDeriveOverEncodings(t *testing.T) {
	r := &block.Receipt{
		TxHash: common.HexToHash("0xaa"), Status: block.StatusOK, GasUsed: 42, Return: []byte(`{"ok":true}`),
		Events: []block.Event{{Contract: common.HexToAddress("0x01"), Name: "paid", Data: []byte("{}")}},
		Writes: []block.Write{{Contract: common.HexToAddress("0x01"), Key: []byte("k"), Value: []byte{}},
			{Contract: common.HexToAddress("0x01"), Key: []byte("z"), Delete: true}},
		Height: 9, Index: 2,
	}
	a, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := block.DecodeReceipt(a)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := back.Encode()
	root, err := Receipts([]*block.Receipt{r, back})
	if err != nil || root != Derive([][]byte{a, b}) {
		t.Fatalf("receipt root %s %v", root, err)
	}
	p, err := ProveReceipt([]*block.Receipt{r, back}, 1)
	if err != nil || len(p) == 0 {
		t.Fatalf("prove receipt: %v", err)
	}
}
