package ledger

import (
	"testing"

	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
)

// A deploy the transaction limits admit must fit the engine's code limit.
// Package tx cannot import the runtime (light clients link tx, never the
// engine), so the default is written in both; this test keeps them equal.
func TestTxCodeLimitMatchesRuntime(t *testing.T) {
	if got, want := tx.DefaultLimits().MaxCodeBytes, runtime.DefaultLimits().MaxCodeBytes; got != want {
		t.Fatalf("tx.DefaultMaxCodeBytes %d, runtime.DefaultLimits().MaxCodeBytes %d", got, want)
	}
}
