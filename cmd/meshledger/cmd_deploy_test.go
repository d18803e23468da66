package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/meshledger/meshledger/sdk/api"
)

// testCLIDeploy deploys the loan contract for the other tests.
func testCLIDeploy(t *testing.T, tn *testNet) {
	r := tn.cli(t, "deploy", tn.wasmFile, "--name", "loan", "--json")
	r.want(t, 0, `"status": "committed"`, `"contractAddress"`)
	var rec api.Tx
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil || rec.Receipt == nil || rec.Receipt.ContractAddress == nil {
		t.Fatalf("deploy --json: %v\n%s", err, r.stdout)
	}
	tn.loan = *rec.Receipt.ContractAddress
	contract, err := tn.admin.Contract(ctx(t), tn.loan)
	if err != nil || contract.Name != "loan" {
		t.Fatalf("deployed contract = %+v, %v", contract, err)
	}
}

func TestDeployArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no file", []string{"deploy"}, 1, "accepts 1 arg"},
		{"missing file", []string{"deploy", filepath.Join(t.TempDir(), "none.wasm")}, 1, "no such file"},
		{"bad init", []string{"deploy", "cmd_deploy_test.go", "--init", "{nope"}, 1, "--init: not valid JSON"},
		{"no key", []string{"--key", filepath.Join(t.TempDir(), "k"), "deploy", "cmd_deploy_test.go"}, 1, "no such file"},
		{"default key missing", []string{"deploy", "cmd_deploy_test.go"}, 1, "no signing key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // no ./data/node.key here
			if tt.args[len(tt.args)-1] == "cmd_deploy_test.go" || tt.name == "bad init" {
				// The file must exist from the new directory.
				for i, a := range tt.args {
					if a == "cmd_deploy_test.go" {
						tt.args[i] = writeTemp(t, "x.wasm", "\x00asm")
					}
				}
			}
			runCLI(t, nil, tt.args...).wantErr(t, tt.code, tt.want)
		})
	}
}
