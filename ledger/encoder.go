package ledger

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/roots"
)

// blockEncoder encodes each included transaction's stored record and
// receipt, and hashes both into the transaction and receipt roots, on its
// own goroutine while the executor runs the next transactions. Execution is
// sequential and keeps one core busy; this work needs no state, so it
// leaves the commit path with only the state trie and the batch write.
//
// It sees the items in inclusion order, one at a time, so its output is the
// same whatever the scheduling.
type blockEncoder struct {
	items chan []encodeItem
	done  chan struct{}
	// queued are items not yet handed over: they go in groups, so that the
	// encoder goroutine wakes once per group rather than per transaction.
	queued []encodeItem

	// Valid once done is closed.
	records     [][]byte // encodeTxRecord of each included transaction
	receipts    [][]byte // RLP of each receipt
	txRoot      common.Hash
	receiptRoot common.Hash
	err         error
}

type encodeItem struct {
	rec *txRecord
	rc  *block.Receipt
}

// encodeGroup is how many items are handed to the encoder at once.
const encodeGroup = 32

// startEncoder starts an encoder for up to capacity items; add never blocks
// below that.
func startEncoder(capacity int) *blockEncoder {
	e := &blockEncoder{
		items:    make(chan []encodeItem, capacity/encodeGroup+1),
		done:     make(chan struct{}),
		records:  make([][]byte, 0, capacity),
		receipts: make([][]byte, 0, capacity),
	}
	go e.run()
	return e
}

// add queues the next included transaction. The record and receipt must
// not change afterwards.
func (e *blockEncoder) add(rec *txRecord, rc *block.Receipt) {
	e.queued = append(e.queued, encodeItem{rec: rec, rc: rc})
	if len(e.queued) == encodeGroup {
		e.items <- e.queued
		e.queued = make([]encodeItem, 0, encodeGroup)
	}
}

// finish hands over the last items and waits for them and the roots. It
// may be called more than once; no add may follow it. add and finish are
// called by the executor's goroutine only.
func (e *blockEncoder) finish() error {
	select {
	case <-e.done:
	default:
		if len(e.queued) > 0 {
			e.items <- e.queued
			e.queued = nil
		}
		close(e.items)
		<-e.done
	}
	return e.err
}

func (e *blockEncoder) run() {
	defer close(e.done)
	txs, rcs := newIndexTrie(), newIndexTrie()
	for group := range e.items {
		for _, it := range group {
			if e.err != nil {
				break // drain
			}
			rec, err := encodeTxRecord(it.rec)
			if err != nil {
				e.err = fmt.Errorf("encode tx record %d: %w", len(e.records), err)
				break
			}
			rc, err := it.rc.Encode()
			if err != nil {
				e.err = fmt.Errorf("receipt %d: %w", len(e.receipts), err)
				break
			}
			e.records, e.receipts = append(e.records, rec), append(e.receipts, rc)
			txs.add(it.rec.Body)
			rcs.add(rc)
		}
	}
	if e.err == nil {
		e.txRoot, e.receiptRoot = txs.root(), rcs.root()
	}
}

// indexTrie computes roots.Derive incrementally: items arrive in index
// order, and a stack trie needs its keys rlp(i) in byte order, where
// rlp(0) = 0x80 sorts after rlp(1..127) and before rlp(128) = 0x8180. So
// item 0 is held back until item 128 arrives or the list ends.
type indexTrie struct {
	st      *trie.StackTrie
	n       int
	first   []byte // item 0
	pending bool   // first is not inserted yet
}

func newIndexTrie() *indexTrie { return &indexTrie{st: trie.NewStackTrie(nil)} }

func (t *indexTrie) add(item []byte) {
	i := t.n
	t.n++
	switch {
	case i == 0:
		t.first, t.pending = item, true
		return
	case i == 0x80:
		t.flushFirst()
	}
	// Keys are unique and ascending, so Update cannot fail.
	_ = t.st.Update(roots.IndexKey(i), item)
}

func (t *indexTrie) flushFirst() {
	if t.pending {
		_ = t.st.Update(roots.IndexKey(0), t.first)
		t.first, t.pending = nil, false
	}
}

func (t *indexTrie) root() common.Hash {
	t.flushFirst()
	return t.st.Hash()
}
