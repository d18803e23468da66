package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/client"
)

// TestBookLoansEnrolsServicers: every worker's key ends up a member of the
// admin's organisation with the servicer role, so its payments are
// admitted and accepted by the loan contract.
func TestBookLoansEnrolsServicers(t *testing.T) {
	_, c, ws, loan := setUpOneWorker(t, &Config{Count: 1}, nil)
	ctx := context.Background()
	m, err := c.Member(ctx, ws[0].key.Address())
	if err != nil || m.Member.Org != "dev" || len(m.Member.Roles) != 1 || m.Member.Roles[0] != servicerRole {
		t.Fatalf("worker membership %+v, %v; want dev, [servicer]", m, err)
	}
	w, _ := client.New(c.BaseURL(), client.WithKey(ws[0].key))
	rec, err := w.Submit(ctx, client.CallOp(loan, "pay", map[string]any{"id": ws[0].loans[0], "amount": 1}), client.Wait())
	if err == nil {
		err = client.ReceiptError(rec)
	}
	if err != nil {
		t.Fatalf("the worker's payment: %v", err)
	}
}

// TestBookLoansNeedsAnAdmin: a key that is a member but no admin of its
// organisation cannot enrol the senders; the run stops before the timed
// phase with an error that says why.
func TestBookLoansNeedsAnAdmin(t *testing.T) {
	n := nodetest.Start(t, node.Config{BlockInterval: 10 * time.Millisecond})
	acct := nodetest.NewMember(t, n, "deployer")
	res, err := Run(context.Background(), Config{NodeURL: n.URL(), AdminKey: client.NewKey(acct.Key),
		Wasm: nodetest.LoanWasm(t), Workers: 1, Count: 1})
	if err == nil || res != nil || !strings.Contains(err.Error(), "must be an admin of its organisation") || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("Run by a non-admin = %+v, %v; want the enrolment refused (forbidden)", res, err)
	}
}
