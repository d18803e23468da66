package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// TestLineageEndpoint reads a key's lineage with proofs over HTTP: pages
// oldest first, each entry's leaf chained to the one before, the latest
// state proof on the last page only; a bad proofs value is a 400.
func TestLineageEndpoint(t *testing.T) {
	n := start(t, node.Config{})
	id := n.ChainID()
	a := n.NewMember()
	commit := func(x *tx.Tx) {
		t.Helper()
		if r := n.HTTP(http.MethodPost, api.PathTxs+"?wait=true&timeout=20s", encode(t, x)); r.Status != http.StatusOK {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
	}
	dep := a.Deploy(t, id, "loan", nodetest.LoanWasm(t))
	commit(dep)
	loan := dep.Message().(*tx.Deploy).ContractAddress()
	commit(a.Call(t, id, loan, "create", loanArgs("L1", a.Addr, a.Addr)))
	commit(a.Call(t, id, loan, "pay", map[string]any{"id": "L1", "amount": 10}))
	commit(a.Call(t, id, loan, "pay", map[string]any{"id": "L1", "amount": 20}))

	path := api.HistoryPath(loan.Hex(), "loan/L1") + "?proofs=true&limit=2"
	var entries []api.LineageEntry
	var latest *api.State
	for next, pages := path, 0; next != ""; pages++ {
		r := n.HTTP(http.MethodGet, next, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", next, r.Status, r.Body)
		}
		var p api.Lineage
		r.JSON(t, &p)
		if len(p.Entries) > 2 || pages > 3 {
			t.Fatalf("page %d of %d entries", pages, len(p.Entries))
		}
		if (p.NextCursor == "") != (p.Latest != nil) {
			t.Fatalf("page %d: next %q, latest %v: the latest proof belongs on the last page only", pages, p.NextCursor, p.Latest != nil)
		}
		entries, latest = append(entries, p.Entries...), p.Latest
		next = ""
		if p.NextCursor != "" {
			next = path + "&cursor=" + p.NextCursor
		}
	}
	if len(entries) != 3 {
		t.Fatalf("%d versions, want 3", len(entries))
	}
	var prev proof.Entry
	for i, e := range entries {
		pe := proof.Entry{Version: e.Version, Height: e.Height, TxIndex: e.TxIndex, Prev: e.Prev, Value: e.Value}
		if e.Version != uint64(i+1) || (i > 0 && e.Prev != prev.Hash()) || e.Header.Header.Height != e.Height ||
			len(e.TxProof) == 0 || len(e.ReceiptProof) == 0 || e.Receipt == nil || e.Receipt.TxHash != e.TxHash {
			t.Fatalf("entry %d: %+v", i, e)
		}
		prev = pe
	}
	head, err := proof.VerifyStateEntry(latest.Header.Header.StateRoot, loan, []byte("loan/L1"), toBytes(latest.Proof.Nodes))
	if err != nil || head == nil || head.Hash() != prev.Hash() {
		t.Fatalf("latest leaf %+v (%v) is not the newest entry %+v", head, err, prev)
	}

	wantError(t, n.HTTP(http.MethodGet, api.HistoryPath(loan.Hex(), "loan/L1")+"?proofs=yes", nil), http.StatusBadRequest, api.CodeBadRequest)
}

func toBytes[T ~[]byte](in []T) [][]byte {
	out := make([][]byte, len(in))
	for i, b := range in {
		out[i] = b
	}
	return out
}
