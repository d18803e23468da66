package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/mempool"
	"github.com/meshledger/meshledger/sdk/api"
)

// BenchmarkSubmitTx measures POST /v1/txs in-process: decode, signature
// recovery, ledger checks and mempool admission (no block production).
func BenchmarkSubmitTx(b *testing.B) {
	n := openMembers(b, node.Config{Mempool: mempool.Config{MaxTxs: 1 << 20}}, 4096)
	id := n.ChainID()
	var bodies [][]byte
	for range 4096 {
		a := n.NewMember()
		x := call(b, a, id, 0, 1000)
		bodies = append(bodies, encodeB(b, x))
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if i == len(bodies) {
			b.StopTimer()
			n.Produce()
			b.StartTimer()
			i = 0 // resubmitting committed txs: the idempotent path
		}
		r := n.Do(http.MethodPost, api.PathTxs, bodies[i])
		if r.Status != http.StatusAccepted && r.Status != http.StatusOK {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
		i++
	}
}

// BenchmarkGetBlock measures GET /v1/blocks/latest.
func BenchmarkGetBlock(b *testing.B) {
	n := openNode(b, node.Config{})
	for b.Loop() {
		if r := n.Do(http.MethodGet, api.PathBlocks+"latest", nil); r.Status != 200 {
			b.Fatal(r.Status)
		}
	}
}
