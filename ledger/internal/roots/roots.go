package roots

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/meshledger/meshledger/ledger/block"
)

// Derive is the MPT root of items keyed by rlp(index): the transaction
// root over RLP(tx) and the receipt root over RLP(receipt). It inserts in
// the byte order of the keys, as Ethereum's DeriveSha does (rlp(0) = 0x80
// sorts after rlp(1..127)), which a stack trie requires. An empty list
// gives block.EmptyRoot.
func Derive(items [][]byte) common.Hash {
	st := trie.NewStackTrie(nil)
	n := len(items)
	put := func(i int) {
		// Keys are unique and ascending here, so Update cannot fail.
		_ = st.Update(IndexKey(i), items[i])
	}
	for i := 1; i < n && i <= 0x7f; i++ {
		put(i)
	}
	if n > 0 {
		put(0)
	}
	for i := 0x80; i < n; i++ {
		put(i)
	}
	return st.Hash()
}

// Receipts is Derive over the receipts' canonical encodings: the receipt
// root a header commits to.
func Receipts(rs []*block.Receipt) (common.Hash, error) {
	enc, err := block.EncodeReceipts(rs)
	if err != nil {
		return common.Hash{}, fmt.Errorf("roots: receipt root: %w", err)
	}
	return Derive(enc), nil
}

// IndexKey is the trie key of item i: rlp(uint(i)). It equals
// proof.IndexKey(uint64(i)), the key a client verifies with.
func IndexKey(i int) []byte {
	k, _ := rlp.EncodeToBytes(uint64(i))
	return k
}

// proofList collects proof nodes in the order the trie emits them: root
// first, down to the leaf.
type proofList [][]byte

func (p *proofList) Put(_, value []byte) error {
	*p = append(*p, common.CopyBytes(value))
	return nil
}
func (p *proofList) Delete([]byte) error { return nil }

// ProveItem returns the root-to-leaf MPT proof of item index in the trie of
// Derive(items), checkable with key IndexKey(index).
func ProveItem(items [][]byte, index int) ([][]byte, error) {
	if index < 0 || index >= len(items) {
		return nil, fmt.Errorf("roots: prove item %d of %d: out of range", index, len(items))
	}
	t := trie.NewEmpty(nil)
	for i, it := range items {
		if err := t.Update(IndexKey(i), it); err != nil {
			return nil, fmt.Errorf("roots: build item trie: %w", err)
		}
	}
	var p proofList
	if err := t.Prove(IndexKey(index), &p); err != nil {
		return nil, fmt.Errorf("roots: prove item %d: %w", index, err)
	}
	return p, nil
}

// ProveTx proves encoded transaction index against the tx root.
func ProveTx(encodedTxs [][]byte, index int) ([][]byte, error) {
	return ProveItem(encodedTxs, index)
}

// ProveReceipt proves receipt index against the receipt root.
func ProveReceipt(rs []*block.Receipt, index int) ([][]byte, error) {
	enc, err := block.EncodeReceipts(rs)
	if err != nil {
		return nil, fmt.Errorf("roots: prove receipt %d: %w", index, err)
	}
	return ProveItem(enc, index)
}
