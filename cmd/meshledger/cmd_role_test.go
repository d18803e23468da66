package main

import (
	"testing"

	"github.com/meshledger/meshledger/node/nodetest"
)

func testCLIRole(t *testing.T, tn *testNet) {
	k, _ := newKeyFile(t)
	addr := k.Address()
	nodetest.AddMember(t, tn.node, addr, "servicer")
	tn.cli(t, "role", "grant", addr.Hex(), "auditor").
		want(t, 0, "result:", "ok", "(grantRole) was approved and took effect in this transaction")
	tn.cli(t, "member", "show", addr.Hex()).want(t, 0, "roles:", "auditor,servicer")
	tn.cli(t, "role", "revoke", addr.Hex(), "auditor", "--json").want(t, 0, `"kind": "revokeRole"`, `"status": "executed"`)
	tn.cli(t, "member", "show", addr.Hex()).want(t, 0, "roles:", "servicer")
	// An organisation role is not the network's to grant: the registry
	// refuses the proposal in its receipt.
	tn.cli(t, "role", "grant", addr.Hex(), "deployer").wantErr(t, 4, "invalid_args")
}

func TestRoleArgs(t *testing.T) {
	addr := "0x00000000000000000000000000000000000000aa"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no role", []string{"role", "grant", addr}, "accepts 2 arg(s)"},
		{"bad address", []string{"role", "revoke", "0x1", "auditor"}, `address "0x1"`},
		{"blank role", []string{"role", "grant", addr, " "}, "is not a role name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runCLI(t, nil, tt.args...).wantErr(t, 1, tt.want) })
	}
}
