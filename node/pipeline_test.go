package node_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// A client may deploy and call the new contract without waiting for the
// deploy's block; a call to an address no pending deploy creates is still
// refused.
func TestCallToPendingDeployIsAdmitted(t *testing.T) {
	if raceEnabled {
		t.Skip("skipped under -race: Wasm compilation is too slow")
	}
	wasm := nodetest.LoanWasm(t)
	cfg := nodetest.Config(t.TempDir())
	cfg.BlockInterval = time.Hour // blocks only when the test asks
	// The deploy and the call share the one block the test cuts, however
	// long loading the module takes on a busy machine.
	cfg.BlockTimeBudget = time.Minute
	// Members from genesis: adding them would commit blocks the test does
	// not ask for.
	members := nodetest.DevMembers(t, cfg.DataDir, 2)
	servicer, stranger := members[0], members[1]
	n := nodetest.Start(t, cfg)
	admin := nodetest.AccountOf(n.Key())

	deploy := admin.Deploy(t, n.ChainID(), "loan", wasm)
	if r := n.HTTP(http.MethodPost, api.PathTxs, deploy); r.Status != http.StatusAccepted {
		t.Fatalf("deploy: %d %s", r.Status, r.Body)
	}
	loan := deploy.Message().(*tx.Deploy).ContractAddress()
	call := admin.Call(t, n.ChainID(), loan, "create", createArgs("P1", servicer.Addr, servicer.Addr, time.Now().Unix()+86400*30))
	if r := n.HTTP(http.MethodPost, api.PathTxs, call); r.Status != http.StatusAccepted {
		t.Fatalf("call to pending deploy: %d %s", r.Status, r.Body)
	}

	orphan := stranger.Call(t, n.ChainID(), common.HexToAddress("0x00000000000000000000000000000000000000aa"), "get", map[string]any{"id": "x"})
	r := n.HTTP(http.MethodPost, api.PathTxs, orphan)
	var body api.ErrorResponse
	r.JSON(t, &body)
	if r.Status != http.StatusNotFound || body.Error.Code != api.CodeUnknownContract {
		t.Fatalf("call to unknown contract: %d %s", r.Status, r.Body)
	}

	n.Produce()
	var got api.Tx
	n.HTTP(http.MethodGet, api.PathTxs+"/"+call.Hash().Hex(), nil, n.AdminAuth()...).JSON(t, &got)
	if got.Status != api.TxCommitted || got.Receipt == nil || got.Receipt.Status != "ok" {
		t.Fatalf("pipelined call: %+v", got)
	}
}
