package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/manifest"
)

// testCLIContractUpgrade upgrades the loan contract in place under the
// open policy (at once) and under the approval policy (a proposal, which
// one organisation passes in the same transaction), and checks that its
// state survives and each version is recorded.
func testCLIContractUpgrade(t *testing.T, tn *testNet) {
	loan := tn.loan.Hex()
	value := func() string {
		t.Helper()
		r := tn.cli(t, "state", loan, "loan/C1", "--json")
		var st api.State
		if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || !st.Exists {
			t.Fatalf("state --json: %v\n%s", err, r.stdout)
		}
		return string(st.Value)
	}
	before := value()
	tn.cli(t, "contract", "upgrade", loan, tn.wasmFile).want(t, 0, "status:", "committed", "result:", "ok")

	tn.cli(t, "policy", "propose", "--deploy-policy", "approval").want(t, 0, "took effect")
	tn.cli(t, "contract", "upgrade", loan, tn.wasmFile, "--migrate-args", `{"v":3}`).
		want(t, 0, "result:", "ok", "(upgrade) was approved and took effect in this transaction")
	// Under the approval policy a deploy is a proposal too; one
	// organisation passes it in the deploying transaction.
	r := tn.cli(t, "deploy", tn.wasmFile, "--name", "loan2")
	r.want(t, 0, "result:", "ok", "(deploy) was approved and took effect in this transaction")
	tn.cli(t, "policy", "propose", "--deploy-policy", "open").want(t, 0, "took effect")

	r = tn.cli(t, "contracts", loan, "--json")
	var ct api.Contract
	if err := json.Unmarshal([]byte(r.stdout), &ct); err != nil {
		t.Fatalf("contracts --json: %v\n%s", err, r.stdout)
	}
	if len(ct.Versions) != 3 || ct.Org != "dev" {
		t.Fatalf("contract %+v: want 3 versions (deploy and two upgrades) of org dev", ct)
	}
	if v := ct.Versions[2]; len(v.Approvers) != 1 || v.Approvers[0] != "dev" {
		t.Fatalf("approved upgrade's version %+v: want approver dev", v)
	}
	if after := value(); after != before {
		t.Fatalf("state changed across upgrades:\n%s\nwant\n%s", after, before)
	}
	tn.cli(t, "contract", "upgrade", "0x00000000000000000000000000000000000000cc", tn.wasmFile).wantErr(t, 3, "")
}

func TestContractUpgradeArgs(t *testing.T) {
	addr := "0x00000000000000000000000000000000000000cc"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no code", []string{"contract", "upgrade", addr}, "accepts 2 arg(s)"},
		{"bad address", []string{"contract", "upgrade", "0x1", "x.wasm"}, `contract "0x1"`},
		{"bad migrate args", []string{"contract", "upgrade", addr, "x.wasm", "--migrate-args", "{"}, "--migrate-args: not valid JSON"},
		{"missing file", []string{"contract", "upgrade", addr, filepath.Join(t.TempDir(), "none.wasm")}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runCLI(t, nil, tt.args...).wantErr(t, 1, tt.want) })
	}
}

// testCLIContractShow lists the loan contract's methods with their
// argument fields, prints its manifest with --json, and refuses a
// contract that does not exist.
func testCLIContractShow(t *testing.T, tn *testNet) {
	loan := tn.loan.Hex()
	tn.cli(t, "contract", "show", loan).want(t, 0,
		"read policy: true", "METHOD", "ARGUMENT", "pay", "amount", "integer", "yes", "events:", "PaymentRecorded")
	r := tn.cli(t, "contract", "show", loan, "--json")
	var m manifest.Manifest
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || m.Version != manifest.Version || m.Methods["pay"].Args == nil {
		t.Fatalf("contract show --json: %v\n%s", err, r.stdout)
	}
	tn.cli(t, "contract", "show", "0x00000000000000000000000000000000000000cc").wantErr(t, 3, "unknown_contract")
	tn.cli(t, "contract", "show", "nothex").wantErr(t, 1, "want a 0x-prefixed 20-byte hex address")
}
