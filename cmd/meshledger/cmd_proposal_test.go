package main

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/meshledger/meshledger/sdk/api"
)

// testCLIProposal lists, shows and rejects a proposal that one
// organisation cannot pass alone, and checks the registry's refusals.
func testCLIProposal(t *testing.T, tn *testNet) {
	p2, p2Key := newKeyFile(t)
	tn.cli(t, "org", "propose-add", "p2", "--name", "P2", "--admin", p2.Address().Hex()).want(t, 0, "took effect")
	r := tn.cli(t, "org", "propose-remove", "p2")
	r.want(t, 0, "result:", "ok", "(removeOrg) is open: approved by dev, 2 of 2 organisations must approve",
		"meshledger proposal approve")

	r = tn.cli(t, "proposal", "list", "--status", "open", "--json")
	var open api.Proposals
	if err := json.Unmarshal([]byte(r.stdout), &open); err != nil || len(open.Proposals) != 1 {
		t.Fatalf("open proposals: %v\n%s", err, r.stdout)
	}
	p := open.Proposals[0]
	id := strconv.FormatUint(p.ID, 10)
	tn.cli(t, "proposal", "list", "--status", "open").want(t, 0, "ID", "KIND", "STATUS", id, "removeOrg", "open", "dev")
	tn.cli(t, "proposal", "show", id).want(t, 0, "id:", id, "kind:", "removeOrg", "status:", "open",
		"params:", `"p2"`, "approvals:", "dev", "rejections:", "none")
	tn.cli(t, "proposal", "show", id, "--json").want(t, 0, `"proposal"`, `"kind": "removeOrg"`)

	// Shell completion offers the open proposal to approve, and
	// organisations by id.
	tn.cli(t, "__complete", "proposal", "approve", "").want(t, 0, id+"\tremoveOrg (open)", ":4")
	tn.cli(t, "__complete", "org", "show", "p").want(t, 0, "p2\tP2", ":4")
	tn.cli(t, "__complete", "member", "list", "--org", "").want(t, 0, "dev\tDevelopment", "p2\tP2")

	// The org's vote is cast once; the registry answers in the receipt.
	tn.cli(t, "proposal", "approve", id).wantErr(t, 4, "already_voted")
	runCLI(t, nil, "--node", tn.node.URL(), "--key", p2Key, "proposal", "reject", id).
		want(t, 0, "result:", "ok", "proposal "+id+" (removeOrg) is rejected")
	tn.cli(t, "proposal", "list", "--status", "rejected").want(t, 0, id, "removeOrg", "rejected")
	runCLI(t, nil, "--node", tn.node.URL(), "--key", p2Key, "proposal", "approve", id).wantErr(t, 4, "proposal_closed")
	tn.cli(t, "proposal", "approve", "999999").wantErr(t, 4, "not_found")
	tn.cli(t, "proposal", "show", "999999").wantErr(t, 3, "not_found")

	// Leave one organisation for the tests after this one.
	r = tn.cli(t, "org", "propose-remove", "p2", "--json")
	var out governedResult
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Proposal == nil {
		t.Fatalf("propose-remove: %v\n%s", err, r.stdout)
	}
	last := strconv.FormatUint(out.Proposal.ID, 10)
	runCLI(t, nil, "--node", tn.node.URL(), "--key", p2Key, "proposal", "approve", last).want(t, 0, "no longer a member")
	tn.cli(t, "proposal", "show", last).want(t, 0, "status:", "executed")
}

func TestProposalArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad status", []string{"proposal", "list", "--status", "pending"}, `--status "pending": want one of open, executed, rejected, expired`},
		{"bad id", []string{"proposal", "show", "x"}, `proposal id "x": want a decimal number`},
		{"negative id", []string{"proposal", "approve", "-1"}, "unknown shorthand flag"},
		{"approve without id", []string{"proposal", "approve"}, "accepts 1 arg"},
		{"reject bad id", []string{"proposal", "reject", "1.5"}, `proposal id "1.5"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runCLI(t, nil, tt.args...).wantErr(t, 1, tt.want) })
	}
}
