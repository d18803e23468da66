package main

import (
	"testing"

	"github.com/meshledger/meshledger/sdk/client"
)

// newKeyFile creates a fresh key and its key file.
func newKeyFile(t *testing.T) (*client.Key, string) {
	t.Helper()
	k, err := client.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k, writeTemp(t, "member.key", k.Hex())
}

func testCLIMember(t *testing.T, tn *testNet) {
	k, keyFile := newKeyFile(t)
	addr := k.Address().Hex()
	tn.cli(t, "member", "add", addr, "--roles", "servicer").want(t, 0, "status:", "committed", "result:", "ok", "MemberAdded")
	tn.cli(t, "member", "show", addr).want(t, 0, "address:", addr, "org:", "dev", "roles:", "servicer")
	tn.cli(t, "member", "list", "--org", "dev").want(t, 0, "ADDRESS", "ORG", "ROLES", addr, "dev", "servicer")
	tn.cli(t, "member", "list", "--json").want(t, 0, `"members"`, `"org": "dev"`)
	tn.cli(t, "member", "show", addr, "--json").want(t, 0, `"member"`, `"roles": [`, `"servicer"`)
	tn.cli(t, "member", "roles", addr, "--roles", "servicer,owner").want(t, 0, "result:", "ok")
	tn.cli(t, "member", "show", addr).want(t, 0, "roles:", "owner,servicer")

	// The new member reads with its own key (the CLI signs its session)
	// but is no admin: the registry refuses its addMember in a receipt.
	other, _ := newKeyFile(t)
	mine := runCLI(t, nil, "--node", tn.node.URL(), "--key", keyFile, "member", "add", other.Address().Hex(), "--roles", "owner")
	mine.want(t, 4, "result:", "forbidden")
	runCLI(t, nil, "--node", tn.node.URL(), "--key", keyFile, "org", "list").want(t, 0, "dev")
	// The registry refuses adding a member twice.
	tn.cli(t, "member", "add", addr, "--roles", "servicer").wantErr(t, 4, "conflict")

	tn.cli(t, "member", "remove", addr).want(t, 0, "result:", "ok")
	tn.cli(t, "member", "show", addr).wantErr(t, 3, "not_found")
	// A key in no organisation is refused at the door, reads included.
	runCLI(t, nil, "--node", tn.node.URL(), "--key", keyFile, "org", "list").wantErr(t, 3, "not_a_member")
	// Without any key, reads are anonymous and refused.
	t.Chdir(t.TempDir()) // no ./data/node.key
	runCLI(t, nil, "--node", tn.node.URL(), "member", "list").wantErr(t, 3, "unauthenticated")
	runCLI(t, nil, "--node", tn.node.URL(), "chain").want(t, 0, "chain id:")
}

func TestMemberArgs(t *testing.T) {
	addr := "0x00000000000000000000000000000000000000aa"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"add without address", []string{"member", "add"}, "accepts 1 arg"},
		{"add bad address", []string{"member", "add", "0x12", "--roles", "servicer"}, `address "0x12"`},
		{"add blank role", []string{"member", "add", addr, "--roles", "servicer,,owner"}, `--roles: "" is not a role name`},
		{"add role with space", []string{"member", "add", addr, "--roles", "big boss"}, `--roles: "big boss" is not a role name`},
		{"roles without --roles", []string{"member", "roles", addr}, "--roles is required"},
		{"remove bad address", []string{"member", "remove", "nope"}, `address "nope"`},
		{"show two args", []string{"member", "show", addr, addr}, "accepts 1 arg"},
		{"list with args", []string{"member", "list", "dev"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runCLI(t, nil, tt.args...).wantErr(t, 1, tt.want) })
	}
}
