package explorer_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// TestMountedBesideTheAPI checks the node serves the explorer without a
// read session and leaves every API path to the API, sessions included.
func TestMountedBesideTheAPI(t *testing.T) {
	n := nodetest.Open(t, nodetest.Config(t.TempDir()))
	for _, p := range []string{"/", "/assets/js/app.js", "/assets/vendor/ethers-6.17.0.min.js"} {
		r := n.Do(http.MethodGet, p, nil)
		if r.Status != http.StatusOK {
			t.Errorf("GET %s without a session: %d %.200s", p, r.Status, r.Body)
		}
	}
	if r := n.Do(http.MethodGet, "/", nil); !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.Body), `data-testid="nav-overview"`) {
		t.Errorf("GET /: %s %.200s", r.Header.Get("Content-Type"), r.Body)
	}
	var chain api.Chain
	if r := n.Do(http.MethodGet, api.PathChain, nil); r.Status != http.StatusOK || json.Unmarshal(r.Body, &chain) != nil || chain.ChainID != n.ChainID() {
		t.Errorf("GET %s: %d %.200s", api.PathChain, r.Status, r.Body)
	}
	cases := []struct {
		path   string
		status int
		code   api.Code
	}{
		{api.PathContracts, http.StatusUnauthorized, api.CodeUnauthenticated}, // reads still need a session
		{"/v1/", http.StatusNotFound, api.CodeRouteNotFound},
		{"/explorer", http.StatusNotFound, api.CodeRouteNotFound},
		{"/assets/nothing.js", http.StatusNotFound, api.CodeNotFound},
	}
	for _, c := range cases {
		r := n.Do(http.MethodGet, c.path, nil)
		var body api.ErrorResponse
		if r.Status != c.status || json.Unmarshal(r.Body, &body) != nil || body.Error.Code != c.code {
			t.Errorf("GET %s: %d %.200s, want %d %s", c.path, r.Status, r.Body, c.status, c.code)
		}
	}
	for _, rt := range n.API().Echo().Routes() {
		if rt.Path == "/" || strings.HasPrefix(rt.Path, "/assets") {
			t.Errorf("the explorer is in the API's route table (and so its OpenAPI document): %s %s", rt.Method, rt.Path)
		}
	}
}
