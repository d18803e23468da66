package node_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// Admission applies the ledger's access rules: an address outside every
// organisation sends nothing (not_a_member), a member without the
// deployer role deploys and upgrades nothing (forbidden); both are 403,
// and a refusal leaves the mempool and the sender's nonce as they were.
func TestAdmissionRefusesOutsidersAndMissingRoles(t *testing.T) {
	n := nodetest.Open(t, nodetest.Config(t.TempDir()))
	id := n.ChainID()
	clerk := nodetest.NewMember(t, n) // no roles
	deployer := nodetest.NewMember(t, n, registry.RoleDeployer)
	outsider := nodetest.NewAccount(t)
	heightBefore := n.Ledger().Latest().Header.Height

	upgrade := func(a *nodetest.Account) *tx.Tx {
		u, err := tx.SignUpgrade(tx.Upgrade{From: a.Addr, Nonce: a.Nonce, Contract: registry.Address, GasLimit: 1000}, emptyModule, id, a.Key)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	for _, tc := range []struct {
		name     string
		tx       *tx.Tx
		sentinel error
		code     api.Code
	}{
		{"outsider's call", outsider.Call(t, id, registry.Address, "addMember", map[string]any{"address": outsider.Addr, "roles": []string{}}), ledger.ErrNotAMember, api.CodeNotAMember},
		{"outsider's deploy", emptyDeploy(t, nodetest.NewAccount(t), id), ledger.ErrNotAMember, api.CodeNotAMember},
		{"deploy without the deployer role", emptyDeploy(t, clerk, id), ledger.ErrForbidden, api.CodeForbidden},
		{"upgrade without the deployer role", upgrade(clerk), ledger.ErrForbidden, api.CodeForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := n.Submit(tc.tx); !errors.Is(err, tc.sentinel) {
				t.Fatalf("Submit: %v, want %v", err, tc.sentinel)
			}
			r := n.Do(http.MethodPost, api.PathTxs, tc.tx)
			var body api.ErrorResponse
			r.JSON(t, &body)
			if r.Status != http.StatusForbidden || body.Error.Code != tc.code {
				t.Fatalf("POST: %d %s, want 403 %s", r.Status, r.Body, tc.code)
			}
			sender := tc.tx.Message().Sender()
			if next, err := n.PendingNonce(sender); err != nil || next != 0 {
				t.Fatalf("sender's pending nonce %d %v after a refusal", next, err)
			}
		})
	}
	if n.Pool().Len() != 0 || n.Ledger().Latest().Header.Height != heightBefore {
		t.Fatalf("refusals changed the pool (%d) or the chain", n.Pool().Len())
	}
	// A deploy from a member with the role is admitted and committed
	// (this code fails in its receipt, which is the executor's business).
	d := emptyDeploy(t, deployer, id)
	if rc := n.Commit(d); rc.TxHash != d.Hash() || rc.Height <= heightBefore {
		t.Fatalf("deployer's deploy: %+v", rc)
	}
}
