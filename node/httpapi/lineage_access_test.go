package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// TestLineageAccess: the lineage answers to the same readers as the
// history (the contract's read policy, auditors), and those readers must
// also be allowed to read every writing transaction, which it shows whole.
func TestLineageAccess(t *testing.T) {
	w := startNetwork(t)
	id := w.n.ChainID()
	dep := w.a.Deploy(t, id, "loan", nodetest.LoanWasm(t))
	w.commit(t, dep)
	loan := dep.Message().(*tx.Deploy).ContractAddress()
	// L2: created by a with the auditor as borrower and b as servicer,
	// paid by b. Every party reads the key and both transactions.
	w.commit(t, w.a.Call(t, id, loan, "create", loanArgs("L2", w.aud.Addr, w.b.Addr)))
	w.commit(t, w.b.Call(t, id, loan, "pay", map[string]any{"id": "L2", "amount": 10}))
	// L3: b's own loan, which a may not read.
	w.commit(t, w.b.Call(t, id, loan, "create", loanArgs("L3", w.b.Addr, w.b.Addr)))
	lineage := api.HistoryPath(loan.Hex(), "loan/L2") + "?proofs=true"
	for _, rd := range []*nodetest.Account{w.a, w.b, w.aud} {
		r := w.as(rd, http.MethodGet, lineage, nil)
		var l api.Lineage
		if r.Status != http.StatusOK {
			t.Fatalf("%s reads the lineage of L2: %d %s", rd.Addr, r.Status, r.Body)
		}
		r.JSON(t, &l)
		if len(l.Entries) != 2 || l.Latest == nil {
			t.Fatalf("%s: %d entries, latest %v", rd.Addr, len(l.Entries), l.Latest != nil)
		}
	}
	wantError(t, w.as(w.a, http.MethodGet, api.HistoryPath(loan.Hex(), "loan/L3")+"?proofs=true", nil), http.StatusForbidden, api.CodeForbidden)
	wantError(t, w.as(w.outer, http.MethodGet, lineage, nil), http.StatusForbidden, api.CodeNotAMember)
	// The refusal happens before the proofs value is even looked at.
	wantError(t, w.as(w.a, http.MethodGet, api.HistoryPath(loan.Hex(), "loan/L3")+"?proofs=bad", nil), http.StatusForbidden, api.CodeForbidden)
}
