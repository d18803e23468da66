package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

// A query's args is a JSON value handed to the method as written, not
// hex (docs/api.md, Query arguments). The conformance contract's typed
// method returns its argument, or fails bad_args when it is not a
// {"n":int,"s":string} object.
func TestQueryArgsAreJSONNotHex(t *testing.T) {
	n := openNode(t, node.Config{})
	a := n.NewMember()
	d := a.Deploy(t, n.ChainID(), "conformance", buildtest.Wasm(t, "contracts/conformance"))
	if r := n.Do(http.MethodPost, api.PathTxs, encode(t, d)); r.Status != http.StatusAccepted {
		t.Fatalf("deploy: %d %s", r.Status, r.Body)
	}
	n.Produce()
	path := api.PathContracts + "/" + d.Message().(*tx.Deploy).ContractAddress().Hex() + "/query"
	tests := []struct {
		name, body   string
		status, want string // contract status, and result when ok
	}{
		{"object", `{"method":"typed","args":{"n":7,"s":"x"}}`, "ok", `{"n":7,"s":"x"}`},
		{"object with spaces", `{"method":"typed","args": { "n" : 7 } }`, "ok", `{"n":7,"s":""}`},
		// The hex of {"n":7} is a JSON string to the method.
		{"hex is a string", `{"method":"typed","args":"0x7b226e223a377d"}`, "bad_args", ""},
		{"array", `{"method":"typed","args":[7]}`, "bad_args", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := n.Do(http.MethodPost, path, []byte(tt.body))
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			var q api.QueryResponse
			r.JSON(t, &q)
			if string(q.Status) != tt.status || (tt.want != "" && string(q.Result) != tt.want) {
				t.Fatalf("status %q result %s (message %q), want %q %s", q.Status, q.Result, q.Message, tt.status, tt.want)
			}
		})
	}
	// Absent and null are the same: no arguments.
	var absent, null api.QueryResponse
	n.Do(http.MethodPost, path, []byte(`{"method":"typed"}`)).JSON(t, &absent)
	n.Do(http.MethodPost, path, []byte(`{"method":"typed","args":null}`)).JSON(t, &null)
	if absent.Status != null.Status || string(absent.Result) != string(null.Result) || absent.Message != null.Message {
		t.Fatalf("absent args %+v, null args %+v", absent, null)
	}
	// Args that are not JSON make the body not JSON.
	wantError(t, n.Do(http.MethodPost, path, []byte(`{"method":"typed","args":0x7b}`)), http.StatusBadRequest, api.CodeInvalidQuery)
}
