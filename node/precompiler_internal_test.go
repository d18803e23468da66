package node

import (
	"context"
	"crypto/ecdsa"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/lru"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/tx"
)

func signedDeploy(t *testing.T, key *ecdsa.PrivateKey, nonce uint64, code []byte) *tx.Tx {
	t.Helper()
	d := tx.Deploy{From: crypto.PubkeyToAddress(key.PublicKey), Nonce: nonce, Name: "c", GasLimit: 1000}
	s, err := tx.SignDeploy(d, code, 1, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func waitSignal(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("no compile finished")
	}
}

// The precompiler compiles each code once however many deploys carry it,
// holds those deploys and calls to their contracts until it is done, and
// holds nothing it had no room to queue.
func TestPrecompilerDedupsHoldsAndBounds(t *testing.T) {
	key, _ := crypto.GenerateKey()
	release := make(chan struct{})
	loads := make(chan common.Hash, 10)
	p := newPrecompiler(func(ctx context.Context, h common.Hash, code []byte) error {
		loads <- h
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}, 1)
	p.start(1)
	defer p.stop()

	a := signedDeploy(t, key, 0, []byte("code-a"))
	a2 := signedDeploy(t, key, 1, []byte("code-a"))
	b := signedDeploy(t, key, 2, []byte("code-b"))
	c := signedDeploy(t, key, 3, []byte("code-c"))
	p.enqueue(a)
	if got := <-loads; got != a.Message().(*tx.Deploy).CodeHash {
		t.Fatalf("compiling %s", got)
	}
	p.enqueue(a2) // same code: joins the running job
	p.enqueue(b)  // queued (queue of 1)
	p.enqueue(c)  // no room: not held, its block compiles it
	callA := tx.Call{From: crypto.PubkeyToAddress(key.PublicKey), Nonce: 4, Contract: a2.Message().(*tx.Deploy).ContractAddress(), Method: "m", GasLimit: 1}
	call, err := tx.SignCall(callA, 1, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		t    *tx.Tx
		want bool
	}{{"a", a, true}, {"a2", a2, true}, {"b", b, true}, {"c", c, false}, {"call to a2's contract", call, true}} {
		if got := p.holds(tc.t); got != tc.want {
			t.Errorf("holds(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
	release <- struct{}{}
	waitSignal(t, p.done)
	if got := <-loads; got != b.Message().(*tx.Deploy).CodeHash {
		t.Fatalf("then compiling %s, want b's code", got)
	}
	if p.holds(a) || p.holds(a2) || p.holds(call) || !p.holds(b) {
		t.Fatal("a finished but the holds did not follow")
	}
	if len(loads) != 0 {
		t.Fatal("code a compiled twice")
	}
	// Code a compiled lately: another deploy of it is neither queued nor held.
	a3 := signedDeploy(t, key, 5, []byte("code-a"))
	p.enqueue(a3)
	if p.holds(a3) {
		t.Fatal("a deploy of code compiled lately is held")
	}
	// stop cancels b's compile and releases everything.
	p.stop()
	if p.busy() || p.holds(b) {
		t.Fatal("stop left work held")
	}
}

// The precompiler's recent set (geth's lru, as ledger/state's node cache
// uses) forgets its oldest member first; re-adding a member does not make
// room.
func TestRecentHashesForgetsOldestFirst(t *testing.T) {
	r := lru.NewBasicLRU[common.Hash, struct{}](2)
	h := func(b byte) common.Hash { return common.Hash{b} }
	r.Add(h(1), struct{}{})
	r.Add(h(2), struct{}{})
	r.Add(h(2), struct{}{})
	r.Add(h(3), struct{}{})
	if r.Contains(h(1)) || !r.Contains(h(2)) || !r.Contains(h(3)) {
		t.Fatalf("after 1,2,2,3 with room for 2: has 1 %v, 2 %v, 3 %v", r.Contains(h(1)), r.Contains(h(2)), r.Contains(h(3)))
	}
	r.Add(h(4), struct{}{})
	if r.Contains(h(2)) || !r.Contains(h(4)) {
		t.Fatal("second eviction did not forget 2")
	}
}

// An upgrade's code compiles at admission like a deploy's: the upgrade is
// held while it compiles, calls to the contract it upgrades are not (they
// run on the code in place), and the same code compiles once.
func TestPrecompilerCompilesUpgrades(t *testing.T) {
	key, _ := crypto.GenerateKey()
	from := crypto.PubkeyToAddress(key.PublicKey)
	release := make(chan struct{})
	loads := make(chan common.Hash, 10)
	p := newPrecompiler(func(ctx context.Context, h common.Hash, code []byte) error {
		loads <- h
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}, 4)
	p.start(1)
	defer p.stop()

	contract := common.HexToAddress("0x00000000000000000000000000000000000000c1")
	code := []byte("new code")
	u, err := tx.SignUpgrade(tx.Upgrade{From: from, Contract: contract, GasLimit: 1000}, code, 1, key)
	if err != nil {
		t.Fatal(err)
	}
	p.enqueue(u)
	if got := <-loads; got != crypto.Keccak256Hash(code) {
		t.Fatalf("compiling %s, want the upgrade's code", got)
	}
	again, err := tx.SignUpgrade(tx.Upgrade{From: from, Nonce: 1, Contract: contract, GasLimit: 1000}, code, 1, key)
	if err != nil {
		t.Fatal(err)
	}
	p.enqueue(again) // same code: joins the running job
	call, err := tx.SignCall(tx.Call{From: from, Nonce: 2, Contract: contract, Method: "m", GasLimit: 1}, 1, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		t    *tx.Tx
		want bool
	}{{"upgrade", u, true}, {"second upgrade, same code", again, true}, {"call to the upgraded contract", call, false}} {
		if got := p.holds(tc.t); got != tc.want {
			t.Errorf("holds(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
	release <- struct{}{}
	waitSignal(t, p.done)
	if p.holds(u) || p.busy() {
		t.Fatal("still held after its compile")
	}
	p.enqueue(again) // compiled lately: not queued again
	select {
	case h := <-loads:
		t.Fatalf("compiled %s twice", h)
	case <-time.After(50 * time.Millisecond):
	}
}
