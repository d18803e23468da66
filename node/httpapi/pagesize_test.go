package httpapi

import (
	"testing"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/sdk/api"
)

// The API's history page bounds are published in package api, which links
// no ledger (light clients import it), and the ledger bounds its own pages:
// the numbers are written in both. Were the ledger's cap lower, the API
// would serve shorter pages than it documents; this test keeps them equal.
func TestHistoryPageSizesMatchLedger(t *testing.T) {
	if api.MaxHistoryLimit != ledger.MaxHistoryLimit || api.DefaultHistoryLimit != ledger.DefaultHistoryLimit {
		t.Fatalf("history page sizes: api %d (default %d), ledger %d (default %d)",
			api.MaxHistoryLimit, api.DefaultHistoryLimit, ledger.MaxHistoryLimit, ledger.DefaultHistoryLimit)
	}
}
