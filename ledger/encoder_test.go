package ledger

import (
	"fmt"
	"testing"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/roots"
)

// The incremental root must equal roots.Derive for every list length,
// in particular around 0x7f/0x80 where rlp(0) changes place.
func TestIndexTrieMatchesDeriveRoot(t *testing.T) {
	for _, n := range []int{0, 1, 2, 127, 128, 129, 130, 300} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			items := make([][]byte, n)
			it := newIndexTrie()
			for i := range items {
				items[i] = []byte(fmt.Sprintf("item-%d", i))
				it.add(items[i])
			}
			if got, want := it.root(), roots.Derive(items); got != want {
				t.Fatalf("root %s, DeriveRoot %s", got, want)
			}
		})
	}
}

// The encoder's output is what encoding each item in order gives, and
// finish can be called again (seal and an abandoned block both call it).
func TestBlockEncoderOutput(t *testing.T) {
	const n = 200
	e := startEncoder(n)
	var bodies, receipts [][]byte
	for i := range n {
		rec := &txRecord{Body: []byte(fmt.Sprintf("body-%d", i))}
		rc := &block.Receipt{Status: block.StatusOK, Index: uint32(i), GasUsed: uint64(i)}
		e.add(rec, rc)
		enc, err := rc.Encode()
		if err != nil {
			t.Fatal(err)
		}
		bodies, receipts = append(bodies, rec.Body), append(receipts, enc)
	}
	for range 2 {
		if err := e.finish(); err != nil {
			t.Fatal(err)
		}
	}
	if e.txRoot != roots.Derive(bodies) || e.receiptRoot != roots.Derive(receipts) {
		t.Fatal("roots differ from DeriveRoot")
	}
	for i := range n {
		if string(e.receipts[i]) != string(receipts[i]) {
			t.Fatalf("receipt %d encoding differs", i)
		}
		want, err := encodeTxRecord(&txRecord{Body: bodies[i]})
		if err != nil {
			t.Fatal(err)
		}
		if string(e.records[i]) != string(want) {
			t.Fatalf("record %d encoding differs", i)
		}
	}
}
