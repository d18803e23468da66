package node_test

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
)

// touch is a transaction by organisation i that needs no contract: its
// admin sets its own node key's roles to what they are. Each one makes a
// ledger block (a receipt, a new tx root) while the state stays the same.
func (b *bftNet) touch(i int) *tx.Tx {
	b.t.Helper()
	return b.call(i, registry.Address, "setRoles", map[string]any{
		"address": b.tn.Orgs[i].Address, "roles": []string{registry.RoleAdmin, registry.RoleDeployer},
	})
}

// ledgers are the ledgers of the running nodes.
func (b *bftNet) ledgers() []*ledger.Ledger {
	var out []*ledger.Ledger
	for _, n := range b.nodes {
		if n != nil {
			out = append(out, n.Ledger())
		}
	}
	return out
}

// sameHistory checks that the ledgers hold the same header at every
// height they all have: one chain, never a fork. It returns the lowest tip.
func sameHistory(t *testing.T, ls ...*ledger.Ledger) uint64 {
	t.Helper()
	low := ls[0].Latest().Header.Height
	for _, l := range ls[1:] {
		low = min(low, l.Latest().Header.Height)
	}
	for h := uint64(0); h <= low; h++ {
		var want common.Hash
		for i, l := range ls {
			sh, err := l.Header(h)
			if err != nil {
				t.Fatalf("ledger %d: header %d: %v", i, h, err)
			}
			if i == 0 {
				want = sh.Hash()
			} else if sh.Hash() != want {
				t.Fatalf("ledger %d holds %s at height %d, ledger 0 %s", i, sh.Hash(), h, want)
			}
		}
	}
	return low
}

// waitTx waits until l has committed hash and returns the record.
func waitTx(t *testing.T, l *ledger.Ledger, hash common.Hash, within time.Duration) *block.Receipt {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		rec, err := l.Tx(hash)
		if err == nil {
			return rec.Receipt
		}
		if time.Now().After(deadline) {
			t.Fatalf("tx %s not committed within %v: %v", hash, within, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two of four validators stop: the other two hold half the power, less
// than the two thirds a commit needs, so the network halts — no node's
// ledger moves, no consensus height is committed, a transaction submitted
// meanwhile waits — and nothing forks. One comes back: the network
// resumes with the waiting transaction and new ones, and every node,
// including the last to return, holds one chain.
func TestBFTNetworkHaltsWithoutQuorum(t *testing.T) {
	skipBFT(t)
	b := startBFTNet(t, 4)
	b.commit(0, b.touch(0))
	b.agree()

	b.stop(2)
	b.commit(1, b.touch(1)) // three of four still commit
	b.stop(3)

	// Submitted after both stopped: no block holding it can carry their
	// votes, so it must wait for one of them.
	waiting := b.touch(0)
	b.submit(0, waiting)
	tips := []*block.SignedHeader{b.nodes[0].Ledger().Latest(), b.nodes[1].Ledger().Latest()}
	if tips[0].Hash() != tips[1].Hash() {
		b.agree() // a block decided before the second stop may still be arriving
		tips = []*block.SignedHeader{b.nodes[0].Ledger().Latest(), b.nodes[1].Ledger().Latest()}
	}
	// A live network commits an empty height at least every heartbeat;
	// three heartbeats without one is a halt. The first second lets votes
	// the stopped validators sent before they stopped be counted.
	const (
		settle  = time.Second
		observe = 3 * time.Second
	)
	start := time.Now()
	var settled []uint64
	for time.Since(start) < settle+observe {
		for i, l := range b.ledgers() {
			if got := l.Latest(); got.Hash() != tips[i].Hash() {
				t.Fatalf("org%d's ledger moved to %d without a quorum", i+1, got.Header.Height)
			}
			if _, err := l.Tx(waiting.Hash()); err == nil {
				t.Fatalf("org%d committed a transaction without a quorum", i+1)
			}
		}
		if settled == nil && time.Since(start) >= settle {
			settled = consensusHeights(t, b.ledgers())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := consensusHeights(t, b.ledgers()); settled == nil || got[0] != settled[0] || got[1] != settled[1] {
		t.Fatalf("consensus heights moved without a quorum: %v, then %v", settled, got)
	}

	// One returns: three of four again. The waiting transaction commits,
	// a new one through the returned node too, and all three agree.
	b.start(2)
	rc := waitTx(t, b.nodes[0].Ledger(), waiting.Hash(), 30*time.Second)
	if !rc.OK() {
		t.Fatalf("the waiting transaction: receipt %s %s", rc.Status, rc.Message)
	}
	b.commit(2, b.touch(2))
	b.agree()
	if got := consensusHeights(t, b.ledgers()); got[0] <= settled[0] {
		t.Fatalf("consensus height %d after resuming, %d halted", got[0], settled[0])
	}

	// The last returns, catches up and commits with the others.
	b.start(3)
	b.catchUp(3)
	b.commit(3, b.touch(3))
	b.agree()
	if _, err := b.nodes[3].Ledger().Tx(waiting.Hash()); err != nil {
		t.Fatalf("org4 lacks the transaction committed while it was down: %v", err)
	}
	t.Logf("one chain of %d ledger blocks on four nodes", sameHistory(t, b.ledgers()...))
}

// consensusHeights are the last consensus heights the ledgers committed.
func consensusHeights(t *testing.T, ls []*ledger.Ledger) []uint64 {
	t.Helper()
	out := make([]uint64, len(ls))
	for i, l := range ls {
		cs, err := l.ConsensusState()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = cs.Height
	}
	return out
}
