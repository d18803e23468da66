package node_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// TestRequireManifestOverHTTP: the development network requires
// manifests, so a deploy of code without one is 422 bad_manifest with the
// reason, and nothing is pooled; once a setPolicy turns the requirement
// off, the same code is admitted. GET /v1/policy shows the field.
func TestRequireManifestOverHTTP(t *testing.T) {
	n := nodetest.Start(t, node.Config{})
	id := n.ChainID()
	policy := func() api.Policy {
		t.Helper()
		var p api.PolicyDetail
		n.HTTP(http.MethodGet, api.PathPolicy, nil, n.AdminAuth()...).JSON(t, &p)
		return p.Policy
	}
	if !policy().RequireManifest {
		t.Fatal("GET /v1/policy: the development network does not require manifests")
	}

	a := nodetest.NewMember(t, n, registry.RoleDeployer)
	bare := []byte("\x00asm\x01\x00\x00\x00")
	d, err := tx.SignDeploy(tx.Deploy{From: a.Addr, Nonce: a.Nonce, Name: "bare", GasLimit: 1000}, bare, id, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	r := n.HTTP(http.MethodPost, api.PathTxs, d)
	var body api.ErrorResponse
	r.JSON(t, &body)
	if r.Status != http.StatusUnprocessableEntity || body.Error.Code != api.CodeBadManifest ||
		!strings.Contains(body.Error.Message, "code carries no manifest: build it with sdk/build or make contracts") {
		t.Fatalf("deploy without a manifest: %d %s", r.Status, r.Body)
	}
	if _, ok := n.Pool().Get(d.Hash()); ok {
		t.Fatal("a refused deploy is in the mempool")
	}

	p := policy()
	off := registry.Policy{Threshold: p.Threshold, DeployPolicy: p.DeployPolicy, ProposalTTLMs: p.ProposalTTLMs, AllowNonMembers: p.AllowNonMembers}
	params, err := json.Marshal(registry.SetPolicyParams{Policy: off})
	if err != nil {
		t.Fatal(err)
	}
	args := registry.ProposeArgs{Kind: registry.KindSetPolicy, Params: params}
	if rc := nodetest.RegistryCall(t, n, n.Key(), registry.MethodPropose, args); rc.Status != "ok" {
		t.Fatalf("setPolicy: %s %s", rc.Status, rc.Message)
	}
	if policy().RequireManifest {
		t.Fatal("GET /v1/policy: still required after setPolicy turned it off")
	}
	if r := n.HTTP(http.MethodPost, api.PathTxs, d); r.Status != http.StatusAccepted {
		t.Fatalf("deploy without a manifest, not required: %d %s", r.Status, r.Body)
	}
}
