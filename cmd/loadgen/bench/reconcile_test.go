package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// reconcile sorts what is still tracked by the node's answer for each
// transaction, and counts a failed lookup as stuck only if the node is
// known to have admitted the transaction.
func TestReconcileSortsTrackedByTheNodesAnswer(t *testing.T) {
	h := func(b byte) common.Hash { return common.Hash{b} }
	var (
		committedUnknown = h(1) // answer never came; the node committed it
		pendingUnknown   = h(2) // answer never came; still pending
		rejectedAdmitted = h(3) // admitted, then dropped
		rejectedUnknown  = h(4) // answer never came; rejected: never admitted
		notFound         = h(5) // never reached the node
		failedAdmitted   = h(6) // lookup fails; admitted: stuck
		failedUnknown    = h(7) // lookup fails; not known admitted: not stuck
	)
	status := map[common.Hash]api.TxStatus{
		committedUnknown: api.TxCommitted, pendingUnknown: api.TxPending,
		rejectedAdmitted: api.TxRejected, rejectedUnknown: api.TxRejected,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hash := common.HexToHash(strings.TrimPrefix(r.URL.Path, api.PathTxs+"/"))
		w.Header().Set("Content-Type", "application/json")
		switch hash {
		case notFound:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"code":"not_found","message":"no such transaction"}}`))
		case failedAdmitted, failedUnknown:
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":{"code":"malformed","message":"no"}}`))
		default:
			json.NewEncoder(w).Encode(api.Tx{Hash: hash, Status: status[hash]})
		}
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}

	tr := newTracker(8, 1)
	w := &worker{c: c}
	all := []common.Hash{committedUnknown, pendingUnknown, rejectedAdmitted, rejectedUnknown, notFound, failedAdmitted, failedUnknown}
	tr.add(w, all, time.Now())
	tr.admit(rejectedAdmitted)
	tr.admit(failedAdmitted)

	r := reconcile(context.Background(), tr)
	if len(r.committed) != 1 || r.committed[0] != committedUnknown || r.dropped != 1 {
		t.Fatalf("committed %v dropped %d, want [%s] 1", r.committed, r.dropped, committedUnknown.Hex())
	}
	if want := []common.Hash{pendingUnknown, failedAdmitted}; !slices.Equal(r.stuck, want) {
		t.Fatalf("stuck %v, want %v (sorted)", r.stuck, want)
	}
	if r.err == nil || !strings.Contains(r.err.Error(), "2 of 7 lookups failed") {
		t.Fatalf("err = %v, want the 2 failed lookups", r.err)
	}
	for _, h := range []common.Hash{committedUnknown, pendingUnknown} {
		if !tr.wasAdmitted(h) {
			t.Errorf("%s: the node holds it, but it is not counted admitted", h.Hex())
		}
	}
	for _, h := range []common.Hash{rejectedUnknown, notFound, failedUnknown} {
		if tr.wasAdmitted(h) {
			t.Errorf("%s: counted admitted, but the node never admitted it", h.Hex())
		}
	}
}
