package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/manifest"
)

// deployLoan deploys code as "loan" and waits for it to commit.
func deployLoan(t *testing.T, n *testNode, a *nodetest.Account, code []byte) common.Address {
	t.Helper()
	d := a.Deploy(t, n.ChainID(), "loan", code)
	r := n.HTTP(http.MethodPost, api.PathTxs+"?wait=true&timeout=20s", encode(t, d))
	var out api.Tx
	r.JSON(t, &out)
	if r.Status != http.StatusOK || out.Receipt == nil || !out.Receipt.Status.OK() || out.Receipt.ContractAddress == nil {
		t.Fatalf("deploy: %d %s", r.Status, r.Body)
	}
	return *out.Receipt.ContractAddress
}

func TestContractManifestAndOpenAPI(t *testing.T) {
	n := start(t, node.Config{})
	a := n.NewMember()
	code := nodetest.LoanWasm(t)
	want, ok, err := manifest.Extract(code)
	if err != nil || !ok {
		t.Fatalf("the loan contract carries no manifest (%v): build it with sdk/build", err)
	}
	m, err := manifest.Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	canonical, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	loan := deployLoan(t, n, a, code)
	addr := loan.Hex()

	r := n.Do(http.MethodGet, api.ManifestPath(addr), nil)
	if r.Status != http.StatusOK || string(r.Body) != string(canonical) {
		t.Fatalf("manifest: %d %s", r.Status, r.Body)
	}
	var info api.Contract
	n.Do(http.MethodGet, api.PathContracts+"/"+addr, nil).JSON(t, &info)
	if info.ManifestHash == nil || *info.ManifestHash != common.Hash(m.Hash()) {
		t.Fatalf("contract manifestHash %v, want %x", info.ManifestHash, m.Hash())
	}

	r = n.Do(http.MethodGet, api.ContractOpenAPIPath(addr), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("openapi: %d %s", r.Status, r.Body)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
		Comps   struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	r.JSON(t, &doc)
	if doc.OpenAPI != "3.1.0" || len(doc.Paths) != len(m.Methods) {
		t.Fatalf("openapi %q with %d paths, want 3.1.0 with %d", doc.OpenAPI, len(doc.Paths), len(m.Methods))
	}
	op, ok := doc.Paths[api.MethodPath(strings.ToLower(addr), "pay")]["post"]
	if !ok || !strings.Contains(string(op), `"x-mesh-call"`) || !strings.Contains(string(op), "#/components/schemas/payArgs") {
		t.Fatalf("pay operation: %s", op)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, doc.Comps.Schemas["payArgs"]); err != nil || compact.String() != string(m.Methods["pay"].Args) {
		t.Fatalf("payArgs %s, want %s", doc.Comps.Schemas["payArgs"], m.Methods["pay"].Args)
	}

	// The operation the document describes answers: a query of get with
	// its arguments as the body.
	r = n.Do(http.MethodPost, api.MethodPath(addr, "get"), json.RawMessage(`{"id":"nope"}`))
	var q api.QueryResponse
	r.JSON(t, &q)
	if r.Status != http.StatusOK || q.Status.OK() {
		t.Fatalf("query get of no loan: %d %s", r.Status, r.Body)
	}
	if r := n.Do(http.MethodPost, api.MethodPath(addr, "get"), `{"id":`); r.Status != http.StatusBadRequest {
		t.Fatalf("query with a body that is not JSON: %d %s", r.Status, r.Body)
	}

	// Members only, like the contract's metadata.
	if r := n.Anon(http.MethodGet, api.ManifestPath(addr), nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous manifest: %d %s", r.Status, r.Body)
	}
	if r := n.Anon(http.MethodGet, api.ContractOpenAPIPath(addr), nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous openapi: %d %s", r.Status, r.Body)
	}
}

func TestManifestNotFound(t *testing.T) {
	n := start(t, node.Config{})
	none := common.Address{0xaa}.Hex()
	for _, path := range []string{api.ManifestPath(none), api.ContractOpenAPIPath(none)} {
		r := n.Do(http.MethodGet, path, nil)
		if r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), string(api.CodeUnknownContract)) {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
	}
	if r := n.Do(http.MethodGet, api.ManifestPath("0xnothex"), nil); r.Status != http.StatusBadRequest {
		t.Fatalf("bad address: %d %s", r.Status, r.Body)
	}
}

func TestSubmitInvalidArgs(t *testing.T) {
	n := start(t, node.Config{})
	a := n.NewMember()
	loan := deployLoan(t, n, a, nodetest.LoanWasm(t))
	latest := n.Do(http.MethodGet, api.PathBlocks+"latest", nil).Body
	for _, tc := range []struct {
		name    string
		args    json.RawMessage
		pointer string
		message string
	}{
		{"wrong type", json.RawMessage(`{"id":"L1","amount":"12"}`), "/amount", "/amount: must be integer, not string"},
		{"beyond int64", json.RawMessage(`{"id":"L1","amount":18446744073709551616}`), "/amount", "/amount: must be <= 9223372036854775807"},
		{"unknown field", json.RawMessage(`{"id":"L1","amount":12,"note":"x"}`), "", `/: unknown field "note"`},
		{"missing field", json.RawMessage(`{"amount":12}`), "", `/: missing required field "id"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := a.Call(t, n.ChainID(), loan, "pay", tc.args)
			a.Nonce-- // refused: the nonce is not used
			r := n.Do(http.MethodPost, api.PathTxs, encode(t, c))
			var body api.ErrorResponse
			r.JSON(t, &body)
			if r.Status != http.StatusUnprocessableEntity || body.Error.Code != api.CodeInvalidArgs ||
				body.Error.Pointer != tc.pointer || body.Error.Message != tc.message {
				t.Fatalf("submit: %d %s, want 422 invalid_args %q %q", r.Status, r.Body, tc.pointer, tc.message)
			}
		})
	}
	// Nothing was admitted: no block was made.
	if now := n.Do(http.MethodGet, api.PathBlocks+"latest", nil).Body; string(now) != string(latest) {
		t.Fatal("a refused call changed the chain")
	}
}
