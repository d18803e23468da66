package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// testCLIOrg adds an organisation (one organisation: the proposal takes
// effect at once), then removes it, which with two organisations needs
// the new one's approval too.
func testCLIOrg(t *testing.T, tn *testNet) {
	tn.cli(t, "org", "list").want(t, 0, "ID", "NAME", "ADMINS", "dev", tn.node.Address().Hex())
	tn.cli(t, "org", "show", "dev").want(t, 0, "id:", "dev", "admins:", tn.node.Address().Hex(),
		"member:", tn.node.Address().Hex(), "admin,auditor,deployer")

	bank, bankKey := newKeyFile(t)
	node, _ := newKeyFile(t)
	tn.cli(t, "org", "propose-add", "bank", "--name", "Bank Co", "--admin", bank.Address().Hex(), "--node-address", node.Address().Hex()).
		want(t, 0, "result:", "ok", "proposal ", "(addOrg) was approved and took effect in this transaction")
	tn.cli(t, "org", "show", "bank", "--json").want(t, 0, `"name": "Bank Co"`,
		strings.ToLower(node.Address().Hex()), strings.ToLower(bank.Address().Hex()))
	tn.cli(t, "member", "show", bank.Address().Hex()).want(t, 0, "org:", "bank", "roles:", "admin")
	// Bank's admin is a member but no auditor: it sees that block 1 holds
	// a transaction (dev's deploy), not its hash.
	runCLI(t, nil, "--node", tn.node.URL(), "--key", bankKey, "block", "1").want(t, 0, "txs:", "1 (0 readable with this key)")

	// Two organisations: a majority is both.
	r := tn.cli(t, "org", "propose-remove", "bank", "--json")
	r.want(t, 0, `"tx"`, `"proposal"`, `"status": "open"`)
	var out governedResult
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Proposal == nil || out.Proposal.Kind != "removeOrg" {
		t.Fatalf("propose-remove --json: %+v, %v", out, err)
	}
	id := strconv.FormatUint(out.Proposal.ID, 10)
	// Bank's approval removes bank: its admin can no longer read the
	// record, and says so; the network's remaining member reads it.
	r = runCLI(t, nil, "--node", tn.node.URL(), "--key", bankKey, "--json", "proposal", "approve", id)
	r.want(t, 0, `"hash"`, "no longer a member", `"status": "admitted"`)
	tn.cli(t, "org", "show", "bank").wantErr(t, 3, "not_found")
	tn.cli(t, "proposal", "show", id).want(t, 0, "status:", "executed", "approvals:", "bank,dev")
	tn.cli(t, "org", "list", "--json").want(t, 0, `"orgs"`, `"id": "dev"`)
}

func TestOrgArgs(t *testing.T) {
	addr := "0x00000000000000000000000000000000000000aa"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no id", []string{"org", "propose-add", "--name", "B", "--admin", addr}, "accepts 1 arg"},
		{"no name", []string{"org", "propose-add", "b", "--admin", addr}, "--name is required"},
		{"no admin", []string{"org", "propose-add", "b", "--name", "B"}, "--admin is required"},
		{"bad admin", []string{"org", "propose-add", "b", "--name", "B", "--admin", "0xzz"}, `--admin "0xzz"`},
		{"bad node", []string{"org", "propose-add", "b", "--name", "B", "--admin", addr, "--node-address", "1"}, `--node-address "1"`},
		{"remove without id", []string{"org", "propose-remove"}, "accepts 1 arg"},
		{"show without id", []string{"org", "show"}, "accepts 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runCLI(t, nil, tt.args...).wantErr(t, 1, tt.want) })
	}
}
