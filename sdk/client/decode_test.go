package client_test

import (
	"testing"

	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/api"
)

// decodeCall returns the nonce of a committed call record.
func decodeCall(t *testing.T, rec *api.Tx) uint64 {
	t.Helper()
	d, err := tx.DecodeJSON(rec.Tx, tx.Limits{})
	if err != nil {
		t.Fatalf("decode tx: %v", err)
	}
	return d.Message().AccountNonce()
}
