package bench

import (
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/sdk/api"
)

// A payment counts as committed when the node it was sent to commits it:
// the same block shown by another node first matches nothing, and only
// the first node's blocks are counted.
func TestTrackerMatchesTheNodeSentTo(t *testing.T) {
	tr := newTracker(4, 2)
	w := &worker{node: 1}
	w.cond = sync.NewCond(&w.mu)
	h := common.HexToHash("0x01")
	start := time.Now()
	tr.add(w, []common.Hash{h}, start)
	b := &api.BlockEvent{Height: 7, TxHashes: []common.Hash{h}}

	tr.committed(b, 0, start.Add(10*time.Millisecond))
	if tr.outstanding() != 1 || len(tr.latencies) != 0 {
		t.Fatalf("matched on node 0: outstanding %d, latencies %v", tr.outstanding(), tr.latencies)
	}
	if !tr.firstNodeCaughtUp() || tr.blocks != 1 {
		t.Fatalf("after node 0's block: caught up %v, blocks %d", tr.firstNodeCaughtUp(), tr.blocks)
	}
	tr.committed(&api.BlockEvent{Height: 8}, 1, start.Add(20*time.Millisecond))
	if tr.firstNodeCaughtUp() {
		t.Fatal("node 1 is at height 8, node 0 at 7: the first node is behind")
	}
	tr.committed(b, 1, start.Add(30*time.Millisecond))
	if tr.outstanding() != 0 || len(tr.latencies) != 1 || tr.latencies[0] != 30*time.Millisecond || tr.blocks != 1 || tr.perNode[0] != 0 || tr.perNode[1] != 1 {
		t.Fatalf("on node 1: outstanding %d, latencies %v, blocks %d; want 0, [30ms], 1", tr.outstanding(), tr.latencies, tr.blocks)
	}
}
