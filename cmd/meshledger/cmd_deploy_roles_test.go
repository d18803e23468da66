package main

import (
	"encoding/json"
	"testing"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// TestDeployNeedsDeployerRole: with access control on (the development
// network too), a key outside every organisation cannot deploy (403
// not_a_member), a member without the deployer role cannot either (403
// forbidden), and once its organisation's admin gives it the role it
// deploys and is recorded as the contract's deployer.
func TestDeployNeedsDeployerRole(t *testing.T) {
	tn := startNet(t)
	k, err := client.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := writeTemp(t, "other.key", k.Hex())
	deploy := func() cliResult {
		return runCLI(t, nil, "--node", tn.node.URL(), "--key", keyFile, "deploy", tn.wasmFile, "--name", "loan", "--json")
	}
	deploy().wantErr(t, 3, "not_a_member")

	tn.cli(t, "member", "add", k.Address().Hex(), "--roles", "servicer").want(t, 0, "result:", "ok")
	deploy().wantErr(t, 3, "forbidden")

	tn.cli(t, "member", "roles", k.Address().Hex(), "--roles", "deployer").want(t, 0, "result:", "ok")
	r := deploy()
	r.want(t, 0, `"status": "committed"`, `"contractAddress"`)
	var rec api.Tx
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil || rec.Receipt == nil || rec.Receipt.ContractAddress == nil {
		t.Fatalf("deploy --json: %v\n%s", err, r.stdout)
	}
	if rec.Receipt.Status != "ok" {
		t.Fatalf("receipt status %q, want ok", rec.Receipt.Status)
	}
	c, err := tn.admin.Contract(ctx(t), *rec.Receipt.ContractAddress)
	if err != nil || c.Deployer != k.Address() || c.Org != "dev" {
		t.Fatalf("contract %+v, %v: want deployer %s of org dev", c, err, k.Address())
	}
}
