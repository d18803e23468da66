package main

import (
	"encoding/json"
	"testing"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// TestDeployWithAnyKey: on a development chain any key may deploy, not
// only the genesis admin (docs/cli.md, deploy). A key the node has never
// seen deploys the loan contract and is recorded as its deployer.
func TestDeployWithAnyKey(t *testing.T) {
	tn := startNet(t)
	k, err := client.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if k.Address() == tn.node.Address() {
		t.Fatal("the fresh key is the admin")
	}
	keyFile := writeTemp(t, "other.key", k.Hex())
	r := runCLI(t, nil, "--node", tn.node.URL(), "--key", keyFile, "deploy", tn.wasmFile, "--name", "loan", "--json")
	r.want(t, 0, `"status": "committed"`, `"contractAddress"`)
	var rec api.Tx
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil || rec.Receipt == nil || rec.Receipt.ContractAddress == nil {
		t.Fatalf("deploy --json: %v\n%s", err, r.stdout)
	}
	if rec.Receipt.Status != "ok" {
		t.Fatalf("receipt status %q, want ok", rec.Receipt.Status)
	}
	c, err := tn.admin.Contract(ctx(t), *rec.Receipt.ContractAddress)
	if err != nil || c.Deployer != k.Address() {
		t.Fatalf("contract %+v, %v: want deployer %s", c, err, k.Address())
	}
}
