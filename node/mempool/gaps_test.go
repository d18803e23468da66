package mempool

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

func counts(p *Pool[string]) string {
	return fmt.Sprintf("len %d gapped %d includable %d", p.Len(), p.Gapped(), p.Includable())
}

func TestGappedCountFollowsGapsAndCommits(t *testing.T) {
	p, _ := newPool(t, Config{})
	mustAdd(t, p, entry(0, 2), 0)
	mustAdd(t, p, entry(0, 3), 0)
	if got := counts(p); got != "len 2 gapped 2 includable 0" {
		t.Fatalf("behind a gap: %s", got)
	}
	mustAdd(t, p, entry(0, 0), 0)
	if got := counts(p); got != "len 3 gapped 2 includable 1" {
		t.Fatalf("run of one: %s", got)
	}
	// Nonce 1 closes the gap: everything is includable.
	mustAdd(t, p, entry(0, 1), 0)
	if got := counts(p); got != "len 4 gapped 0 includable 4" {
		t.Fatalf("gap closed: %s", got)
	}
	// Nonce 0 and 1 committed; 2 and 3 stay includable.
	p.Commit([]common.Hash{entry(0, 0).Hash, entry(0, 1).Hash}, nil, nil)
	if got := counts(p); got != "len 2 gapped 0 includable 2" {
		t.Fatalf("after commit: %s", got)
	}
	// Nonce 2 rejected for good: 3 now waits behind it.
	p.Commit(nil, []Drop{{Hash: entry(0, 2).Hash, Err: errors.New("bad")}}, map[common.Address]uint64{addr(0): 2})
	if got := counts(p); got != "len 1 gapped 1 includable 0" {
		t.Fatalf("after drop: %s", got)
	}
	p.Commit(nil, []Drop{{Hash: entry(0, 3).Hash, Err: errors.New("bad")}}, nil)
	if got := counts(p); got != "len 0 gapped 0 includable 0" {
		t.Fatalf("empty: %s", got)
	}
}

func TestMaxGappedRefusesOnlyGappedTransactions(t *testing.T) {
	p, _ := newPool(t, Config{MaxGapped: 2})
	mustAdd(t, p, entry(0, 5), 0)
	mustAdd(t, p, entry(1, 5), 0)
	_, err := p.Add(entry(2, 5), 0, p.Epoch())
	var ge *GapError
	if !errors.As(err, &ge) || !errors.Is(err, ErrFull) || ge.Missing != 0 || ge.Nonce != 5 || ge.Limit != 2 {
		t.Fatalf("third gapped Add = %v, want a GapError (ErrFull) naming missing nonce 0", err)
	}
	if got := counts(p); got != "len 2 gapped 2 includable 0" {
		t.Fatalf("refused Add changed the pool: %s", got)
	}
	// Transactions that need no gap still get in, and the missing nonces
	// bring the gapped ones into their runs.
	mustAdd(t, p, entry(2, 0), 0)
	for n := uint64(0); n < 5; n++ {
		mustAdd(t, p, entry(0, n), 0)
	}
	if got := counts(p); got != "len 8 gapped 1 includable 7" {
		t.Fatalf("after filling sender 0's gap: %s", got)
	}
	mustAdd(t, p, entry(2, 5), 0)
}

func TestGappedExpireSooner(t *testing.T) {
	p, clk := newPool(t, Config{MaxAge: time.Hour, GappedMaxAge: time.Minute})
	mustAdd(t, p, entry(0, 0), 0)
	mustAdd(t, p, entry(1, 1), 0)
	clk.advance(2 * time.Minute)
	got := p.Expire()
	if len(got) != 1 || got[0].Hash != entry(1, 1).Hash || !errors.Is(got[0].Err, ErrGapExpired) || !errors.Is(got[0].Err, ErrExpired) {
		t.Fatalf("Expire = %+v, want only the gapped entry, ErrGapExpired", got)
	}
	if err, ok := p.Dropped(entry(1, 1).Hash); !ok || !errors.Is(err, ErrGapExpired) {
		t.Fatalf("Dropped = %v, %v", err, ok)
	}
	if got := counts(p); got != "len 1 gapped 0 includable 1" {
		t.Fatalf("after expiry: %s", got)
	}
	if c := (Config{MaxAge: time.Second}).WithDefaults(); c.GappedMaxAge != time.Second {
		t.Fatalf("GappedMaxAge %v above MaxAge", c.GappedMaxAge)
	}
}

func TestReadyStopsAtHeldEntry(t *testing.T) {
	p, _ := newPool(t, Config{})
	for n := uint64(0); n < 3; n++ {
		mustAdd(t, p, entry(0, n), 0)
	}
	mustAdd(t, p, entry(1, 0), 0)
	held := func(tx string) bool { return tx == "s0-n1" }
	got, err := p.Ready(10, func(common.Address) (uint64, error) { return 0, nil }, held)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range got {
		names = append(names, e.Tx)
	}
	// s0-n1 is held, so s0-n2 waits with it; sender 1 is unaffected.
	if want := "[s0-n0 s1-n0]"; fmt.Sprint(names) != want {
		t.Fatalf("Ready = %v, want %v", names, want)
	}
}

// Ready does not ask for the nonce of a sender whose every transaction is
// behind a gap: a pool full of them costs a producer nothing.
func TestReadySkipsFullyGappedSenders(t *testing.T) {
	p, _ := newPool(t, Config{})
	for s := range 20 {
		mustAdd(t, p, entry(s, 3), 0)
	}
	mustAdd(t, p, entry(99, 0), 0)
	asked := 0
	got, err := p.Ready(10, func(common.Address) (uint64, error) { asked++; return 0, nil }, nil)
	if err != nil || len(got) != 1 || asked != 1 {
		t.Fatalf("Ready = %d entries, %v; asked %d nonces, want 1", len(got), err, asked)
	}
}

// BenchmarkReadyBesideGappedSenders is one producer look at a pool holding
// a full gapped share (39 senders × 63 nonces behind a gap, 2,457 of 2,500) beside 100
// senders with 10 includable transactions each.
func BenchmarkReadyBesideGappedSenders(b *testing.B) {
	p := New[string](Config{}, nil)
	add := func(sender int, nonce uint64) {
		name := fmt.Sprintf("s%d-n%d", sender, nonce)
		e := Entry[string]{
			Hash: common.BytesToHash([]byte(name)), Sender: common.BytesToAddress([]byte{1, byte(sender >> 8), byte(sender)}),
			Nonce: nonce, Size: 100, Tx: name,
		}
		if _, err := p.Add(e, 0, p.Epoch()); err != nil {
			b.Fatal(err)
		}
	}
	for s := range 39 {
		for n := uint64(1); n <= 63; n++ {
			add(1000+s, n)
		}
	}
	for s := range 100 {
		for n := uint64(0); n < 10; n++ {
			add(s, n)
		}
	}
	zero := func(common.Address) (uint64, error) { return 0, nil }
	b.ReportAllocs()
	for b.Loop() {
		if got, _ := p.Ready(1000, zero, nil); len(got) != 1000 {
			b.Fatalf("Ready = %d", len(got))
		}
	}
}
