package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/sdk/client"
)

// An organisation's admin makes a new key a member with a role; the new
// member then reads with its own key (the client signs its read session),
// which an outsider cannot.
func ExampleAddMemberOp() {
	ctx := context.Background()
	n, stop, err := startNode(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer stop()

	admin, err := client.New(n.URL(), client.WithKey(client.NewKey(n.Key())))
	if err != nil {
		log.Fatal(err)
	}
	servicerKey, err := client.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	servicer, err := client.New(n.URL(), client.WithKey(servicerKey))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := servicer.Orgs(ctx); errors.Is(err, client.ErrNotAMember) {
		fmt.Println("before: not a member")
	}

	rec, err := admin.Submit(ctx, client.AddMemberOp(servicerKey.Address(), "servicer"), client.Wait())
	if err != nil {
		log.Fatal(err)
	}
	if err := client.ReceiptError(rec); err != nil {
		log.Fatal(err) // e.g. forbidden: the sender is no admin of its organisation
	}
	m, err := servicer.Member(ctx, servicerKey.Address())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("after:", m.Member.Org, m.Member.Roles)
	// Output:
	// before: not a member
	// after: dev [servicer]
}

// A network-level change is a proposal; the organisation proposing it
// approves at once, so on a network of one organisation it takes effect
// in the proposing transaction.
func ExampleProposeOp() {
	ctx := context.Background()
	n, stop, err := startNode(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer stop()

	c, err := client.New(n.URL(), client.WithKey(client.NewKey(n.Key())))
	if err != nil {
		log.Fatal(err)
	}
	cur, err := c.Policy(ctx)
	if err != nil {
		log.Fatal(err)
	}
	p := registry.Policy{Threshold: cur.Policy.Threshold, DeployPolicy: registry.DeployApproval,
		ProposalTTLMs: cur.Policy.ProposalTTLMs, AllowNonMembers: cur.Policy.AllowNonMembers,
		RequireManifest: cur.Policy.RequireManifest}
	rec, err := c.Submit(ctx, client.SetPolicyOp(p), client.Wait())
	if err != nil {
		log.Fatal(err)
	}
	res, ok := client.ProposalOf(rec)
	if !ok {
		log.Fatal(client.ReceiptError(rec))
	}
	d, err := c.Proposal(ctx, res.Proposal)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Proposal.Kind, d.Proposal.Status, d.Proposal.Approvals)
	now, err := c.Policy(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("deploy policy:", now.Policy.DeployPolicy)
	// Output:
	// setPolicy executed [dev]
	// deploy policy: approval
}
