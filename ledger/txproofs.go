package ledger

import (
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/roots"
	"github.com/meshledger/meshledger/ledger/storage"
)

// blocksProved is how many blocks' tries Tx keeps: the latest few, where
// clients waiting for their commit (POST /v1/txs?wait=true) all ask at once.
const blocksProved = 4

// blockTries are one committed block's records, receipts and its
// transaction and receipt tries, built once and shared by every Tx of that
// block. Building them costs O(block size); doing it per request made the
// n clients of a block cost O(n²). Committed blocks never change, so an
// entry is never stale.
type blockTries struct {
	records  []*txRecord
	receipts []*block.Receipt

	mu       sync.Mutex // trie.Trie is not safe for concurrent use
	txs, rcs *trie.Trie
}

// blockTries returns the tries of a committed block, building them on
// first use (once per block, however many callers ask at the same time).
func (l *Ledger) blockTries(height uint64) (*blockTries, error) {
	return l.tries.Get(height)
}

// buildTries reads block height's records and receipts and builds its
// transaction and receipt tries.
func (l *Ledger) buildTries(height uint64) (*blockTries, error) {
	bt := &blockTries{}
	if err := bt.build(l, height); err != nil {
		return nil, err
	}
	return bt, nil
}

func (bt *blockTries) build(l *Ledger, height uint64) error {
	recs, err := l.txRecords(height)
	if err != nil {
		return err
	}
	var encoded [][]byte
	err = l.scanBlock(storage.PrefixReceipt, height, func(v []byte) error {
		r, err := block.DecodeReceipt(v)
		if err != nil {
			return fmt.Errorf("%w: receipt of block %d: %v", storage.ErrCorrupt, height, err)
		}
		bt.receipts = append(bt.receipts, r)
		encoded = append(encoded, v)
		return nil
	})
	if err != nil {
		return err
	}
	if len(recs) != len(bt.receipts) {
		return fmt.Errorf("%w: block %d has %d txs, %d receipts", storage.ErrCorrupt, height, len(recs), len(bt.receipts))
	}
	bt.records = recs
	bodies := make([][]byte, len(recs))
	for i, r := range recs {
		bodies[i] = r.Body
	}
	// The receipt trie is built from the stored encodings, which are what
	// the header's receipt root committed to.
	if bt.txs, err = indexTrieOf(bodies); err != nil {
		return err
	}
	bt.rcs, err = indexTrieOf(encoded)
	return err
}

// indexTrieOf builds the in-memory trie of items keyed by rlp(index), as
// roots.ProveItem does, and hashes it once.
func indexTrieOf(items [][]byte) (*trie.Trie, error) {
	t := trie.NewEmpty(nil)
	for i, it := range items {
		if err := t.Update(roots.IndexKey(i), it); err != nil {
			return nil, fmt.Errorf("ledger: build item trie: %w", err)
		}
	}
	t.Hash()
	return t, nil
}

// prove returns the transaction and receipt proofs of item index.
func (bt *blockTries) prove(index int) (txProof, receiptProof [][]byte, err error) {
	bt.mu.Lock()
	defer bt.mu.Unlock()
	key := roots.IndexKey(index)
	var tp, rp proofNodes
	if err := bt.txs.Prove(key, &tp); err != nil {
		return nil, nil, fmt.Errorf("ledger: prove tx %d: %w", index, err)
	}
	if err := bt.rcs.Prove(key, &rp); err != nil {
		return nil, nil, fmt.Errorf("ledger: prove receipt %d: %w", index, err)
	}
	return tp, rp, nil
}

// proofNodes collects proof nodes in the order the trie emits them: root
// first, down to the leaf.
type proofNodes [][]byte

func (p *proofNodes) Put(_, value []byte) error {
	*p = append(*p, common.CopyBytes(value))
	return nil
}

func (p *proofNodes) Delete([]byte) error { return nil }
