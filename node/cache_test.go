package node_test

import (
	"net/http"
	"testing"

	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// A restarted node finds deployed modules in its data directory's Wasm
// cache: it neither re-instruments nor re-initialises them.
func TestRestartReusesWasmCache(t *testing.T) {
	if raceEnabled {
		t.Skip("skipped under -race: Wasm compilation is too slow")
	}
	wasm := nodetest.LoanWasm(t)
	dir := t.TempDir()
	cfg := nodetest.Config(dir)
	n := nodetest.Start(t, cfg)
	admin := nodetest.AccountOf(n.Key())
	deploy := admin.Deploy(t, n.ChainID(), "loan", wasm)
	if r := n.HTTP(http.MethodPost, api.PathTxs+"?wait=true&timeout=30s", deploy); r.Status != http.StatusOK {
		t.Fatalf("deploy: %d %s", r.Status, r.Body)
	}
	loan := deploy.Message().(*tx.Deploy).ContractAddress()
	if err := n.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	n2 := nodetest.Start(t, cfg)
	r := n2.HTTP(http.MethodPost, "/v1/contracts/"+loan.Hex()+"/query", map[string]any{"method": "get", "args": map[string]any{"id": "none"}}, n2.AdminAuth()...)
	if r.Status != http.StatusOK {
		t.Fatalf("query after restart: %d %s", r.Status, r.Body)
	}
	st := n2.Runtime().Stats()
	if st.Prepared != 0 || st.DiskHits == 0 {
		t.Fatalf("restart re-prepared the module: %+v", st)
	}
}
