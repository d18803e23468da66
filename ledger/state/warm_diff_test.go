package state

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/meshledger/meshledger/ledger/storage"
)

// Differential test of the read path: a store committed with warming
// (Commit's read-ahead, a Prefetcher fed the block's keys in a shuffled
// order plus keys the block never writes, a node cache small enough to
// evict all the time) against one committed with no cache and no warming,
// as before either existed. Over 12,000 keys and random blocks of
// inserts, updates, deletes and rewrites, both must give the same root
// after every block, byte-identical proofs at every root, and in the end
// byte-identical stores.
func TestWarmingMatchesColdCommit(t *testing.T) {
	const (
		initialKeys = 12_000
		blocks      = 20
		perBlock    = 300
	)
	rng := rand.New(rand.NewPCG(13, 2))
	contracts := []common.Address{alice, bob, {0xc0, 0x01}}
	keyOf := func(i int) (common.Address, []byte) {
		return contracts[i%len(contracts)], []byte(fmt.Sprintf("loan/%d", i/len(contracts)))
	}

	coldKV, warmKV := storage.OpenMemory(), storage.OpenMemory()
	cold := New(coldKV, Options{NodeCacheBytes: -1})
	warm := New(warmKV, Options{NodeCacheBytes: 256 << 10, PrefetchWorkers: 3})
	var coldRoot, warmRoot common.Hash
	var roots []common.Hash

	commitBoth := func(h uint64, changes []Change) {
		t.Helper()
		p := warm.NewPrefetcher(warmRoot)
		for _, i := range rng.Perm(len(changes)) {
			p.Prefetch(changes[i].Contract, changes[i].Key)
			if rng.IntN(4) == 0 {
				c, k := keyOf(rng.IntN(2 * initialKeys)) // not in the block
				p.Prefetch(c, k)
			}
		}
		if h%3 == 0 {
			p.Close() // some blocks commit while the prefetcher still runs
		}
		cb, wb := coldKV.NewBatch(), warmKV.NewBatch()
		cr, err := cold.Commit(coldRoot, h, changes, cb)
		if err != nil {
			t.Fatal(err)
		}
		wr, err := warm.Commit(warmRoot, h, changes, wb)
		p.Close()
		if err != nil {
			t.Fatal(err)
		}
		if cr != wr {
			t.Fatalf("block %d: root %x with warming, %x without", h, wr, cr)
		}
		if err := cb.Write(); err != nil {
			t.Fatal(err)
		}
		if err := wb.Write(); err != nil {
			t.Fatal(err)
		}
		coldRoot, warmRoot = cr, wr
		roots = append(roots, cr)
	}

	initial := make([]Change, initialKeys)
	for i := range initial {
		c, k := keyOf(i)
		initial[i] = Change{Contract: c, Key: k, Value: []byte(fmt.Sprintf("v%d", i)), TxIndex: uint32(i / 100)}
	}
	commitBoth(1, initial)

	next := initialKeys
	for h := uint64(2); h < blocks+2; h++ {
		changes := make([]Change, 0, perBlock)
		for j := range perBlock {
			var i int
			switch r := rng.IntN(20); {
			case r < 4: // a new key
				i = next
				next++
			case r < 6 && len(changes) > 0: // a key this block already wrote
				c := changes[rng.IntN(len(changes))]
				changes = append(changes, Change{Contract: c.Contract, Key: c.Key, Value: []byte{byte(j)}, TxIndex: uint32(j / 3)})
				continue
			default:
				i = rng.IntN(next)
			}
			c, k := keyOf(i)
			ch := Change{Contract: c, Key: k, TxIndex: uint32(j / 3), TxHash: common.Hash{byte(h), byte(j)}}
			switch r := rng.IntN(10); {
			case r < 2:
				ch.Delete = true
			case r < 3:
				ch.Value = []byte{} // an empty value is a value
			default:
				ch.Value = []byte(fmt.Sprintf("v%d/%d", h, j))
			}
			changes = append(changes, ch)
		}
		commitBoth(h, changes)
	}

	for range 200 {
		root := roots[rng.IntN(len(roots))]
		c, k := keyOf(rng.IntN(next + 50)) // some never written
		cp, err := cold.Prove(root, c, k)
		if err != nil {
			t.Fatal(err)
		}
		wp, err := warm.Prove(root, c, k)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(cp.Nodes, wp.Nodes, bytes.Equal) || cp.Exists != wp.Exists || !bytes.Equal(cp.Value, wp.Value) {
			t.Fatalf("proof of %x at %x differs with warming", k, root)
		}
	}
	assertSameStore(t, coldKV, warmKV)
	if err := Check(warm, warmRoot); err != nil {
		t.Fatal(err)
	}
}

// assertSameStore fails unless a and b hold exactly the same keys and values.
func assertSameStore(t *testing.T, a, b *storage.DB) {
	t.Helper()
	ia, ib := a.NewIterator(nil, nil), b.NewIterator(nil, nil)
	defer ia.Release()
	defer ib.Release()
	n := 0
	for {
		okA, okB := ia.Next(), ib.Next()
		if okA != okB {
			t.Fatalf("stores differ in length after %d entries", n)
		}
		if !okA {
			break
		}
		if !bytes.Equal(ia.Key(), ib.Key()) || !bytes.Equal(ia.Value(), ib.Value()) {
			t.Fatalf("stores differ at entry %d: %x vs %x", n, ia.Key(), ib.Key())
		}
		n++
	}
	if err := ia.Error(); err != nil {
		t.Fatal(err)
	}
	if err := ib.Error(); err != nil {
		t.Fatal(err)
	}
}
