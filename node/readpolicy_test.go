package node_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// Raw reads of a contract with a read policy ask the policy once per
// reader, key and height: a repeated read is answered from the ledger's
// cache (the read-policy counter stays put), a reader the policy refuses
// gets 403 forbidden, and a new block asks again.
func TestRawReadsAskTheReadPolicyOncePerHeight(t *testing.T) {
	if raceEnabled {
		t.Skip("skipped under -race: Wasm compilation is too slow")
	}
	n := nodetest.Open(t, nodetest.Config(t.TempDir())) // blocks only when the test commits
	servicer := nodetest.NewMember(t, n, "servicer")
	stranger := nodetest.NewMember(t, n)
	admin := nodetest.AccountOf(n.Key())
	admin.Nonce = 2 // after the two addMember calls
	dep := n.Commit(admin.Deploy(t, n.ChainID(), "loan", nodetest.LoanWasm(t)))
	if dep.Status != "ok" {
		t.Fatalf("deploy: %s %s", dep.Status, dep.Message)
	}
	loan := dep.ContractAddress
	// The admin books it and borrows; the servicer services it; the
	// stranger is no party.
	args := createArgs("R1", admin.Addr, servicer.Addr, time.Now().Unix()+30*86400)
	if rc := n.Commit(admin.Call(t, n.ChainID(), loan, "create", args)); rc.Status != "ok" {
		t.Fatalf("create: %s %s", rc.Status, rc.Message)
	}

	calls := func() float64 { return counterValue(t, n.Registry(), node.MetricReadPolicyCalls, nil) }
	read := func(key []string) int {
		t.Helper()
		return n.Do(http.MethodGet, api.StatePath(loan.Hex(), "loan/R1"), nil, key...).Status
	}
	asServicer, asStranger := n.Auth(servicer.Key), n.Auth(stranger.Key)
	before := calls()
	if s := read(asServicer); s != http.StatusOK {
		t.Fatalf("servicer's read: %d", s)
	}
	if got := calls() - before; got != 1 {
		t.Fatalf("first read made %v policy calls, want 1", got)
	}
	if s := read(asServicer); s != http.StatusOK || calls()-before != 1 {
		t.Fatalf("repeated read: %d, %v policy calls in all, want 200 and still 1", s, calls()-before)
	}
	if s := read(asStranger); s != http.StatusForbidden {
		t.Fatalf("stranger's read: %d, want 403", s)
	}
	if got := calls() - before; got != 2 {
		t.Fatalf("%v policy calls after the stranger's read, want 2", got)
	}
	// The admin is an auditor: it reads without asking.
	if s := read(n.AdminAuth()); s != http.StatusOK || calls()-before != 2 {
		t.Fatalf("auditor's read: %d, %v policy calls", s, calls()-before)
	}
	// A new block is a new height: the policy is asked again.
	nodetest.AddMember(t, n, nodetest.NewAccount(t).Addr)
	if s := read(asServicer); s != http.StatusOK || calls()-before != 3 {
		t.Fatalf("read at the next height: %d, %v policy calls, want 3", s, calls()-before)
	}
}
