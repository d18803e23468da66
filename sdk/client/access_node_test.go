package client_test

import (
	"errors"
	"testing"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// testClientRegistry manages members and runs a proposal through the
// registry on the one-organisation development network, where the
// proposer's own approval reaches the threshold.
func testClientRegistry(t *testing.T, tn *testNet) {
	c := tn.admin
	k, _ := client.GenerateKey()
	rec, err := callAndWait(ctx(t), c, client.AddMemberOp(k.Address(), "servicer"))
	if err != nil {
		t.Fatalf("addMember: %v", err)
	}
	if _, ok := client.ProposalOf(rec); ok {
		t.Fatal("addMember's receipt read as a proposal")
	}
	m, err := c.Member(ctx(t), k.Address())
	if err != nil || m.Member.Org != "dev" || len(m.Member.Roles) != 1 || m.Member.Roles[0] != "servicer" {
		t.Fatalf("Member = %+v, %v", m, err)
	}
	if _, err := callAndWait(ctx(t), c, client.SetRolesOp(k.Address(), "owner", "servicer")); err != nil {
		t.Fatalf("setRoles: %v", err)
	}
	org, err := c.Org(ctx(t), "dev")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mm := range org.Members {
		if mm.Address == k.Address() {
			found = len(mm.Roles) == 2 && mm.Roles[0] == "owner"
		}
	}
	if !found {
		t.Fatalf("org dev members %+v lack %s with roles owner,servicer", org.Members, k.Address().Hex())
	}
	// The registry refuses with a failed receipt and its code.
	_, err = callAndWait(ctx(t), c, client.AddMemberOp(k.Address(), "servicer"))
	var cf *client.CallFailedError
	if !errors.As(err, &cf) || cf.Status != "conflict" {
		t.Fatalf("adding a member twice: %v, want a conflict receipt", err)
	}
	if _, err := callAndWait(ctx(t), c, client.RemoveMemberOp(k.Address())); err != nil {
		t.Fatalf("removeMember: %v", err)
	}
	if _, err := c.Member(ctx(t), k.Address()); !client.IsNotFound(err) {
		t.Fatalf("removed member: %v, want 404", err)
	}

	// A policy proposal passes in its own transaction with one org.
	pol, err := c.Policy(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	p := registry.Policy{Threshold: pol.Policy.Threshold, DeployPolicy: pol.Policy.DeployPolicy,
		ProposalTTLMs: pol.Policy.ProposalTTLMs + 1000, AllowNonMembers: pol.Policy.AllowNonMembers,
		RequireManifest: pol.Policy.RequireManifest}
	rec, err = callAndWait(ctx(t), c, client.SetPolicyOp(p))
	if err != nil {
		t.Fatalf("propose setPolicy: %v", err)
	}
	res, ok := client.ProposalOf(rec)
	if !ok {
		t.Fatalf("propose receipt returns %s: no proposal", rec.Receipt.Return)
	}
	got, err := c.Proposal(ctx(t), res.Proposal)
	if err != nil || got.Proposal.Status != registry.StatusExecuted || got.Proposal.Kind != registry.KindSetPolicy {
		t.Fatalf("Proposal = %+v, %v; want an executed setPolicy", got, err)
	}
	after, err := c.Policy(ctx(t))
	if err != nil || after.Policy.ProposalTTLMs != p.ProposalTTLMs {
		t.Fatalf("policy after = %+v, %v", after, err)
	}
	var listed []api.Proposal
	for pr, err := range c.Proposals(ctx(t), registry.StatusExecuted, client.PageSize(1)) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, pr)
	}
	if len(listed) == 0 || listed[len(listed)-1].ID != res.Proposal {
		t.Fatalf("executed proposals %+v lack %d", listed, res.Proposal)
	}
	// Voting again on the decided proposal is refused.
	_, err = callAndWait(ctx(t), c, client.ApproveOp(res.Proposal))
	if !errors.As(err, &cf) || cf.Status != "proposal_closed" {
		t.Fatalf("approve executed proposal: %v, want proposal_closed", err)
	}
}

// testClientAccess: a client without a key, and one whose key belongs to
// no organisation, are refused with the errors callers branch on.
func testClientAccess(t *testing.T, tn *testNet) {
	anon, _ := client.New(tn.node.URL())
	if _, err := anon.Chain(ctx(t)); err != nil {
		t.Fatalf("anonymous GET /v1/chain: %v", err)
	}
	if _, err := anon.State(ctx(t), tn.loan, []byte("loan/L1"), nil); !errors.Is(err, client.ErrUnauthenticated) {
		t.Fatalf("anonymous state read: %v, want ErrUnauthenticated", err)
	}
	if _, err := anon.Orgs(ctx(t)); !errors.Is(err, client.ErrUnauthenticated) {
		t.Fatalf("anonymous orgs: %v, want ErrUnauthenticated", err)
	}
	k, _ := client.GenerateKey()
	outsider, _ := client.New(tn.node.URL(), client.WithKey(k))
	if _, err := outsider.State(ctx(t), tn.loan, []byte("loan/L1"), nil); !errors.Is(err, client.ErrNotAMember) {
		t.Fatalf("outsider state read: %v, want ErrNotAMember", err)
	}
	if _, err := outsider.Submit(ctx(t), client.CallOp(tn.loan, "get", map[string]string{"id": "L1"})); !errors.Is(err, client.ErrNotAMember) {
		t.Fatalf("outsider submit: %v, want ErrNotAMember", err)
	}
	// A member without the deployer role may not deploy.
	if _, err := callAndWait(ctx(t), tn.admin, client.AddMemberOp(k.Address(), "servicer")); err != nil {
		t.Fatal(err)
	}
	if _, err := outsider.Submit(ctx(t), client.DeployOp([]byte("\x00asm\x01\x00\x00\x00"), "x", nil)); !errors.Is(err, client.ErrForbidden) {
		t.Fatalf("deploy without the deployer role: %v, want ErrForbidden", err)
	}
	// Now a member, the same client reads (its session was refused before
	// only because its key was no member).
	if _, err := outsider.Orgs(ctx(t)); err != nil {
		t.Fatalf("member reads orgs: %v", err)
	}
}
