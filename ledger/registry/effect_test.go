package registry

import (
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func deployParams(deployer common.Address) DeployParams {
	return DeployParams{
		Address:  addr(0xC0DE),
		Deployer: deployer,
		Name:     "loan",
		CodeHash: common.HexToHash("0xabcd"),
		InitArgs: []byte(`{"x":1}`),
		TxHash:   common.HexToHash("0x1234"),
	}
}

// TestDeployProposalEffectOnce: a deploy proposal returns its Effect in
// the transaction that reaches the threshold, and never again.
func TestDeployProposalEffectOnce(t *testing.T) {
	n := newNet(t, orgsSpec(3, nil))
	d := deployParams(admin(1))
	out, err := ProposeDeploy(n.st, n.env(admin(1)), d)
	if err != nil {
		t.Fatal(err)
	}
	if out.Effect != nil {
		t.Fatalf("effect before the threshold")
	}
	p := n.proposal(out.Return)
	if p.Kind != KindDeploy || p.Status != StatusOpen || !slices.Equal(p.Approvals, []string{"o1"}) {
		t.Fatalf("proposal %+v", p)
	}
	out = n.ok(admin(2), MethodApprove, vote(p.ID))
	eff := out.Effect
	if eff == nil || eff.Deploy == nil || eff.Upgrade != nil {
		t.Fatalf("effect %+v", eff)
	}
	if string(mustJSON(eff.Deploy)) != string(mustJSON(d)) {
		t.Fatalf("deploy params %s, want %s", mustJSON(eff.Deploy), mustJSON(d))
	}
	if !slices.Equal(eff.Approvers, []string{"o1", "o2"}) || eff.Proposal.ID != p.ID || eff.Proposal.Status != StatusExecuted {
		t.Fatalf("effect %+v / %+v", eff, eff.Proposal)
	}
	n.fails(admin(3), MethodApprove, vote(p.ID), ErrClosed)
	n.fails(admin(3), MethodReject, vote(p.ID), ErrClosed)
}

func TestDeployProposalOneOrg(t *testing.T) {
	n := newNet(t, orgsSpec(1, nil))
	out, err := ProposeDeploy(n.st, n.env(admin(1)), deployParams(admin(1)))
	if err != nil {
		t.Fatal(err)
	}
	if out.Effect == nil || out.Effect.Deploy == nil || !slices.Equal(out.Effect.Approvers, []string{"o1"}) {
		t.Fatalf("effect %+v", out.Effect)
	}
	want := []string{EventProposalCreated, EventProposalExecuted}
	if names := eventNames(out); !slices.Equal(names, want) {
		t.Fatalf("events %v", names)
	}
}

func TestUpgradeProposal(t *testing.T) {
	n := newNet(t, orgsSpec(4, nil))
	u := UpgradeParams{Contract: addr(0xC0DE), Proposer: admin(2), CodeHash: common.HexToHash("0xef"), MigrateArgs: []byte(`{}`), TxHash: common.HexToHash("0x99")}
	out, err := ProposeUpgrade(n.st, n.env(admin(2)), u)
	if err != nil {
		t.Fatal(err)
	}
	p := n.proposal(out.Return)
	if p.Kind != KindUpgrade || p.ProposerOrg != "o2" {
		t.Fatalf("proposal %+v", p)
	}
	if out := n.ok(admin(1), MethodApprove, vote(p.ID)); out.Effect != nil {
		t.Fatalf("effect at 2 of 3")
	}
	out = n.ok(admin(4), MethodApprove, vote(p.ID))
	if out.Effect == nil || out.Effect.Upgrade == nil || out.Effect.Deploy != nil {
		t.Fatalf("effect %+v", out.Effect)
	}
	if string(mustJSON(out.Effect.Upgrade)) != string(mustJSON(u)) || !slices.Equal(out.Effect.Approvers, []string{"o1", "o2", "o4"}) {
		t.Fatalf("upgrade %s approvers %v", mustJSON(out.Effect.Upgrade), out.Effect.Approvers)
	}
	n.fails(admin(3), MethodApprove, vote(p.ID), ErrClosed)
}

// TestRejectedUpgradeHasNoEffect: rejection never hands back an Effect.
func TestRejectedUpgradeHasNoEffect(t *testing.T) {
	n := newNet(t, orgsSpec(3, nil))
	out, err := ProposeUpgrade(n.st, n.env(admin(1)), UpgradeParams{Contract: addr(0xC0DE), Proposer: admin(1)})
	if err != nil {
		t.Fatal(err)
	}
	p := n.proposal(out.Return)
	n.ok(admin(2), MethodReject, vote(p.ID))
	out = n.ok(admin(3), MethodReject, vote(p.ID))
	if got := n.proposal(out.Return); got.Status != StatusRejected || out.Effect != nil {
		t.Fatalf("status %s effect %+v", got.Status, out.Effect)
	}
}

func TestProposeEffectErrors(t *testing.T) {
	n := newNet(t, orgsSpec(2, nil))
	before := n.st.Dump()
	if _, err := ProposeDeploy(n.st, n.env(addr(9)), deployParams(addr(9))); Code(err) != "forbidden" {
		t.Fatalf("non-member deploy: %v", err)
	}
	if _, err := ProposeDeploy(n.st, n.env(plain(1)), deployParams(plain(1))); Code(err) != "forbidden" {
		t.Fatalf("deploy without the deployer role: %v", err)
	}
	if _, err := ProposeUpgrade(n.st, n.env(plain(2)), UpgradeParams{}); Code(err) != "forbidden" {
		t.Fatalf("upgrade without the deployer role: %v", err)
	}
	if n.st.Dump() != before {
		t.Fatalf("a refused proposal wrote")
	}
	// A deployer who is not an admin may propose; its org approves.
	n.ok(admin(1), MethodSetRoles, MemberArgs{Address: plain(1), Roles: []string{RoleDeployer}})
	out, err := ProposeDeploy(n.st, n.env(plain(1)), deployParams(plain(1)))
	if err != nil {
		t.Fatal(err)
	}
	if p := n.proposal(out.Return); !slices.Equal(p.Approvals, []string{"o1"}) || p.Proposer != plain(1) {
		t.Fatalf("proposal %+v", p)
	}
}
