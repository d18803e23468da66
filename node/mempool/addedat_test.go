package mempool

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Ready's entries carry the pool's clock at admission, not at the look:
// the node measures a transaction's wait for its block from it.
func TestReadyEntriesCarryAdmissionTime(t *testing.T) {
	p, c := newPool(t, Config{})
	first := c.now()
	mustAdd(t, p, entry(0, 0), 0)
	c.advance(3 * time.Millisecond)
	mustAdd(t, p, entry(0, 1), 0)
	c.advance(time.Second)
	got, err := p.Ready(10, func(common.Address) (uint64, error) { return 0, nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Ready returned %d entries, want 2", len(got))
	}
	if at := got[0].AddedAt(); !at.Equal(first) {
		t.Errorf("nonce 0 added at %v, want %v", at, first)
	}
	if at := got[1].AddedAt(); !at.Equal(first.Add(3 * time.Millisecond)) {
		t.Errorf("nonce 1 added at %v, want %v", at, first.Add(3*time.Millisecond))
	}
}
