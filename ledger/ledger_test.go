package ledger

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/internal/roots"
	"github.com/meshledger/meshledger/ledger/proof"
)

func TestDeployCallReopenAndProofs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup()
	a := e.apply(e.pay(100_000), e.pay(50_000))
	if len(a.Rejected) != 0 {
		t.Fatalf("rejected: %v", a.Rejected)
	}
	for _, r := range a.Receipts {
		if !r.OK() || len(r.Writes) == 0 || len(r.Events) != 1 || r.Events[0].Name != "PaymentRecorded" {
			t.Fatalf("receipt %+v", r)
		}
	}
	e.reopen()
	l := e.l
	if l.Latest().Header.Height != 3 || l.Latest().Hash() != a.Header.Hash() {
		t.Fatalf("latest after reopen: %+v", l.Latest().Header)
	}
	rec, err := l.Tx(a.TxHashes[1])
	if err != nil {
		t.Fatal(err)
	}
	h := rec.Header.Header
	if err := rec.Header.VerifySignature(); err != nil {
		t.Fatal(err)
	}
	body, _ := rec.Tx.MarshalBinary()
	got, err := proof.VerifyInclusion(h.TxRoot, proof.IndexKey(1), rec.TxProof)
	if err != nil || string(got) != string(body) {
		t.Fatalf("tx proof: %v", err)
	}
	renc, _ := rec.Receipt.Encode()
	got, err = proof.VerifyInclusion(h.ReceiptRoot, proof.IndexKey(1), rec.ReceiptProof)
	if err != nil || string(got) != string(renc) {
		t.Fatalf("receipt proof: %v", err)
	}
	if len(rec.WriteProofs) != len(rec.Receipt.Writes) {
		t.Fatalf("%d write proofs for %d writes", len(rec.WriteProofs), len(rec.Receipt.Writes))
	}
	for i, p := range rec.WriteProofs {
		if err := p.Verify(); err != nil || p.Root != h.StateRoot || string(p.Value) != string(rec.Receipt.Writes[i].Value) {
			t.Fatalf("write proof %d: %v", i, err)
		}
	}
	// Indexes.
	info, err := l.Contract(e.loan)
	if err != nil || info.Name != "loan" || info.Height != 1 || info.Deployer != ledgertest.AddrOf(e.owner) {
		t.Fatalf("contract: %+v %v", info, err)
	}
	if len(info.Methods) == 0 {
		t.Fatalf("no methods listed: %+v", info)
	}
	all, err := l.Contracts()
	if err != nil || len(all) != 1 {
		t.Fatalf("contracts: %v %v", all, err)
	}
	if n := e.nonce(e.servicer); n != 2 {
		t.Fatalf("servicer nonce %d", n)
	}
	blk, err := l.Block(3)
	if err != nil || len(blk.TxHashes) != 2 || blk.TxHashes[0] != a.TxHashes[0] {
		t.Fatalf("block: %+v %v", blk, err)
	}
	rs, err := l.Receipts(3)
	if err != nil || len(rs) != 2 {
		t.Fatalf("receipts: %v", err)
	}
	if root, _ := roots.Receipts(rs); root != h.ReceiptRoot {
		t.Fatal("stored receipts do not match the receipt root")
	}
	// State proofs at every height: absent before create, present after.
	key := []byte("loan/L1")
	for height, exists := range map[uint64]bool{0: false, 1: false, 2: true, 3: true} {
		st, err := l.State(e.loan, key, height)
		if err != nil {
			t.Fatal(err)
		}
		if st.Proof.Exists != exists || st.Proof.Root != st.Header.Header.StateRoot {
			t.Fatalf("height %d: exists %v", height, st.Proof.Exists)
		}
		if err := st.Proof.Verify(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.State(e.loan, key, 4); !errorsIs(err, ErrNotFound) {
		t.Fatalf("future height: %v", err)
	}
	if _, err := l.Tx(block.EmptyRoot); !errorsIs(err, ErrNotFound) {
		t.Fatalf("unknown tx: %v", err)
	}
	if _, err := l.Contract(ledgertest.AddrOf(e.owner)); !errorsIs(err, ErrUnknownContract) {
		t.Fatalf("unknown contract: %v", err)
	}
}

func TestHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup()
	e.apply(e.pay(1_000))
	e.apply(e.pay(2_000), e.pay(3_000))
	key := []byte("loan/L1")
	page, err := e.l.History(e.loan, key, Cursor{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 2 || page.Next == nil {
		t.Fatalf("page 1: %+v", page)
	}
	first := page.Entries[0]
	if first.Height != 2 || first.Signer != ledgertest.AddrOf(e.owner) || first.TimeMs != ledgertest.GenesisTimeMs+2*ledgertest.BlockStepMs {
		t.Fatalf("first entry %+v", first)
	}
	page2, err := e.l.History(e.loan, key, *page.Next, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page2.Entries) != 2 || page2.Next != nil {
		t.Fatalf("page 2: %+v", page2)
	}
	last := page2.Entries[1]
	if last.Height != 4 || last.Index != 1 || last.Signer != ledgertest.AddrOf(e.servicer) {
		t.Fatalf("last entry %+v", last)
	}
	var loan struct {
		TotalPaid int64 `json:"total_paid"`
	}
	if err := json.Unmarshal(last.Value, &loan); err != nil || loan.TotalPaid != 6_000 {
		t.Fatalf("last value %s: %v", last.Value, err)
	}
	// The value in history is the value proven at that height.
	st, err := e.l.State(e.loan, key, 4)
	if err != nil || string(st.Proof.Value) != string(last.Value) {
		t.Fatalf("state at 4 differs from history: %v", err)
	}
}

func TestQueryAtHeights(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup()
	e.apply(e.pay(1_000))
	e.apply(e.pay(2_000))
	ctx := context.Background()
	args := []byte(`{"id":"L1"}`)
	for _, c := range []struct {
		height uint64
		paid   int64
	}{{2, 0}, {3, 1_000}, {4, 3_000}} {
		q, err := e.l.QueryAs(ctx, ledgertest.AddrOf(e.owner), e.loan, "get", args, c.height, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !q.Status.OK() {
			t.Fatalf("height %d: %s %s", c.height, q.Status, q.Message)
		}
		var loan struct {
			TotalPaid int64 `json:"total_paid"`
		}
		if err := json.Unmarshal(q.Return, &loan); err != nil || loan.TotalPaid != c.paid {
			t.Fatalf("height %d: %s", c.height, q.Return)
		}
		if len(q.Proofs) == 0 {
			t.Fatalf("height %d: no proofs", c.height)
		}
		for _, p := range q.Proofs {
			if p.Root != q.Header.Header.StateRoot || p.Verify() != nil {
				t.Fatalf("height %d: bad proof", c.height)
			}
		}
	}
	// Before the contract existed.
	if _, err := e.l.QueryAs(ctx, ledgertest.AddrOf(e.owner), e.loan, "get", args, 0, 0); !errorsIs(err, ErrUnknownContract) {
		t.Fatalf("query before deploy: %v", err)
	}
	// A missing loan is a contract error, not a Go error.
	q, err := e.l.QueryAs(ctx, ledgertest.AddrOf(e.owner), e.loan, "get", []byte(`{"id":"nope"}`), 3, 0)
	if err != nil || q.Status.OK() {
		t.Fatalf("missing loan: %+v %v", q, err)
	}
	// Writes fail read-only.
	q, err = e.l.QueryAs(ctx, ledgertest.AddrOf(e.owner), e.loan, "pay", []byte(`{"id":"L1","amount":1}`), 4, 0)
	if err != nil || q.Status.OK() {
		t.Fatalf("pay as query: %+v %v", q, err)
	}
	// Tiny gas cap.
	q, err = e.l.QueryAs(ctx, ledgertest.AddrOf(e.owner), e.loan, "get", args, 4, 10)
	if err != nil || q.Status != "out_of_gas" {
		t.Fatalf("gas cap: %+v %v", q, err)
	}
}
