package ledger

import (
	"errors"
	"reflect"
	"testing"
)

// TestTxReceiptIsCallersCopy checks that a receipt Tx returns shares
// nothing with the ledger's cache of recent blocks: changing every slice
// and byte of one read leaves the next read as it was.
func TestTxReceiptIsCallersCopy(t *testing.T) {
	e := newEnv(t)
	e.setup()
	create := e.l.Latest().Header.Height // the block holding "create L1"
	rcs, err := e.l.Receipts(create)
	if err != nil || len(rcs) != 1 {
		t.Fatalf("receipts of %d: %v, %v", create, rcs, err)
	}
	hash := rcs[0].TxHash

	first, err := e.l.Tx(hash)
	if err != nil {
		t.Fatal(err)
	}
	// The baseline is decoded afresh from the store: it shares nothing.
	want := rcs[0]
	r := first.Receipt
	if len(r.Writes) == 0 || len(r.Events) == 0 || len(r.Return) == 0 {
		t.Fatalf("create receipt lacks writes, events or return: %+v", r)
	}
	for i := range r.Writes {
		r.Writes[i].Key[0] ^= 0xff
		r.Writes[i].Value = append(r.Writes[i].Value[:0], 'x')
		r.Writes[i].Delete = !r.Writes[i].Delete
	}
	for i := range r.Events {
		r.Events[i].Name = "changed"
		if len(r.Events[i].Data) > 0 {
			r.Events[i].Data[0] ^= 0xff
		}
	}
	r.Return[0] ^= 0xff
	r.Writes = r.Writes[:0]
	r.Events = append(r.Events[:0], r.Events[0])

	got, err := e.l.Tx(hash)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Receipt, want) {
		t.Fatalf("a caller's change reached the next read:\n got %+v\nwant %+v", *got.Receipt, *want)
	}
	if len(got.WriteProofs) != len(got.Receipt.Writes) {
		t.Fatalf("%d write proofs for %d writes", len(got.WriteProofs), len(got.Receipt.Writes))
	}
}

func TestContractsAfter(t *testing.T) {
	e := newEnv(t)
	e.setup() // one contract: the loan
	if _, err := e.l.ContractsAfter(nil, 0); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("limit 0: err %v, want ErrBadRequest", err)
	}
	page, err := e.l.ContractsAfter(nil, 1)
	if err != nil || len(page.Contracts) != 1 || page.Contracts[0].Address != e.loan || page.Next != nil {
		t.Fatalf("first page: %+v, %v", page, err)
	}
	page, err = e.l.ContractsAfter(&e.loan, 1)
	if err != nil || len(page.Contracts) != 0 || page.Next != nil {
		t.Fatalf("after the last: %+v, %v", page, err)
	}
	all, err := e.l.Contracts()
	if err != nil || len(all) != 1 || all[0].Address != e.loan {
		t.Fatalf("Contracts: %v, %v", all, err)
	}
}
