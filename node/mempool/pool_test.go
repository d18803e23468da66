package mempool

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func addr(i int) common.Address { return common.BytesToAddress([]byte{byte(i + 1)}) }

func entry(sender int, nonce uint64) Entry[string] {
	name := fmt.Sprintf("s%d-n%d", sender, nonce)
	return Entry[string]{
		Hash:   common.BytesToHash([]byte(name)),
		Sender: addr(sender),
		Nonce:  nonce,
		Size:   100,
		Tx:     name,
	}
}

func newPool(t *testing.T, cfg Config) (*Pool[string], *clock) {
	t.Helper()
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	return New[string](cfg, c.now), c
}

func mustAdd(t *testing.T, p *Pool[string], e Entry[string], next uint64) {
	t.Helper()
	if known, err := p.Add(e, next, p.Epoch()); err != nil || known {
		t.Fatalf("Add(%s) = %v, %v", e.Tx, known, err)
	}
}

func TestAddErrors(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		setup   []Entry[string]
		add     Entry[string]
		next    uint64
		stale   bool
		wantErr error
		known   bool
	}{
		{name: "ok", add: entry(0, 0)},
		{name: "duplicate hash is known", setup: []Entry[string]{entry(0, 0)}, add: entry(0, 0), known: true},
		{name: "nonce below next", add: entry(0, 3), next: 4, wantErr: ErrNonceTooLow},
		{name: "nonce at window edge", cfg: Config{NonceWindow: 4}, add: entry(0, 4), next: 0, wantErr: ErrNonceTooHigh},
		{name: "nonce inside window", cfg: Config{NonceWindow: 4}, add: entry(0, 3), next: 0},
		{name: "nonce conflict", setup: []Entry[string]{entry(0, 0)}, add: func() Entry[string] {
			e := entry(0, 0)
			e.Hash = common.HexToHash("0xbeef")
			return e
		}(), wantErr: ErrNonceConflict},
		{name: "full by count", cfg: Config{MaxTxs: 1}, setup: []Entry[string]{entry(0, 0)}, add: entry(1, 0), wantErr: ErrFull},
		{name: "full by bytes", cfg: Config{MaxBytes: 150}, setup: []Entry[string]{entry(0, 0)}, add: entry(1, 0), wantErr: ErrFull},
		{name: "stale epoch", add: entry(0, 0), stale: true, wantErr: ErrStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newPool(t, tt.cfg)
			for _, e := range tt.setup {
				mustAdd(t, p, e, 0)
			}
			epoch := p.Epoch()
			if tt.stale {
				p.Commit(nil, nil, nil)
			}
			known, err := p.Add(tt.add, tt.next, epoch)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Add error = %v, want %v", err, tt.wantErr)
			}
			if known != tt.known {
				t.Fatalf("known = %v, want %v", known, tt.known)
			}
			if tt.wantErr != nil && p.Len() != len(tt.setup) {
				t.Fatalf("failed Add changed the pool: len %d", p.Len())
			}
		})
	}
}

func TestConflictErrorNamesHolder(t *testing.T) {
	p, _ := newPool(t, Config{})
	first := entry(0, 0)
	mustAdd(t, p, first, 0)
	second := first
	second.Hash = common.HexToHash("0x01")
	_, err := p.Add(second, 0, p.Epoch())
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Pending != first.Hash {
		t.Fatalf("error = %v, want ConflictError naming %s", err, first.Hash)
	}
}

func TestReadyOrdersNoncesAndInterleavesSenders(t *testing.T) {
	p, _ := newPool(t, Config{})
	// Sender 0's nonce 1 arrives before its nonce 0; sender 1 in between;
	// sender 2 has a gap (nonce 1 without 0) and must not be included.
	mustAdd(t, p, entry(0, 1), 0)
	mustAdd(t, p, entry(1, 5), 5)
	mustAdd(t, p, entry(0, 0), 0)
	mustAdd(t, p, entry(2, 1), 0)
	mustAdd(t, p, entry(1, 6), 5)
	next := map[common.Address]uint64{addr(0): 0, addr(1): 5, addr(2): 0}
	got, err := p.Ready(10, func(a common.Address) (uint64, error) { return next[a], nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range got {
		names = append(names, e.Tx)
	}
	// Heads by arrival: s1-n5 (2nd) before s0-n0 (3rd); then s0-n1 (1st)
	// before s1-n6 (5th).
	want := "[s1-n5 s0-n0 s0-n1 s1-n6]"
	if fmt.Sprint(names) != want {
		t.Fatalf("Ready = %v, want %v", names, want)
	}
	got, _ = p.Ready(2, func(a common.Address) (uint64, error) { return next[a], nil }, nil)
	if len(got) != 2 {
		t.Fatalf("Ready(2) returned %d", len(got))
	}
	if pn := p.PendingNonce(addr(0), 0); pn != 2 {
		t.Fatalf("PendingNonce = %d, want 2", pn)
	}
	if pn := p.PendingNonce(addr(2), 0); pn != 0 {
		t.Fatalf("PendingNonce with gap = %d, want 0", pn)
	}
}

func TestReadyPropagatesNonceError(t *testing.T) {
	p, _ := newPool(t, Config{})
	mustAdd(t, p, entry(0, 0), 0)
	boom := errors.New("boom")
	if _, err := p.Ready(1, func(common.Address) (uint64, error) { return 0, boom }, nil); !errors.Is(err, boom) {
		t.Fatalf("error = %v", err)
	}
}

func TestCommitRemovesAndRecordsDrops(t *testing.T) {
	p, _ := newPool(t, Config{})
	a, b, c, d := entry(0, 0), entry(0, 1), entry(1, 0), entry(2, 0)
	for _, e := range []Entry[string]{a, b, c, d} {
		mustAdd(t, p, e, 0)
	}
	reason := errors.New("bad gas")
	epoch := p.Epoch()
	// a committed; c rejected; d's sender advanced past it by other means.
	p.Commit([]common.Hash{a.Hash}, []Drop{{Hash: c.Hash, Err: reason}}, map[common.Address]uint64{addr(0): 1, addr(2): 1})
	if p.Epoch() == epoch {
		t.Fatal("epoch did not advance")
	}
	if _, ok := p.Get(a.Hash); ok {
		t.Fatal("committed tx still pending")
	}
	if _, ok := p.Get(b.Hash); !ok {
		t.Fatal("next nonce tx dropped")
	}
	if err, ok := p.Dropped(c.Hash); !ok || !errors.Is(err, reason) {
		t.Fatalf("Dropped(c) = %v, %v", err, ok)
	}
	if err, ok := p.Dropped(d.Hash); !ok || !errors.Is(err, ErrNonceTooLow) {
		t.Fatalf("Dropped(d) = %v, %v", err, ok)
	}
	if _, ok := p.Dropped(a.Hash); ok {
		t.Fatal("committed tx recorded as dropped")
	}
	if p.Len() != 1 || p.Bytes() != 100 {
		t.Fatalf("Len, Bytes = %d, %d", p.Len(), p.Bytes())
	}
	// Resubmitting a dropped transaction makes it pending again.
	mustAdd(t, p, c, 0)
	if _, ok := p.Dropped(c.Hash); ok {
		t.Fatal("resubmitted tx still reported dropped")
	}
}

func TestExpireAndDropBounds(t *testing.T) {
	p, clk := newPool(t, Config{MaxAge: time.Minute, KeepDropped: 2, DroppedTTL: time.Hour})
	var es []Entry[string]
	for i := range 3 {
		e := entry(i, 1) // stuck behind a gap
		es = append(es, e)
		mustAdd(t, p, e, 0)
	}
	if got := p.Expire(); len(got) != 0 {
		t.Fatalf("Expire before MaxAge dropped %d", len(got))
	}
	clk.advance(2 * time.Minute)
	got := p.Expire()
	if len(got) != 3 || p.Len() != 0 {
		t.Fatalf("Expire dropped %d, left %d", len(got), p.Len())
	}
	remembered := 0
	for _, e := range es {
		if err, ok := p.Dropped(e.Hash); ok {
			remembered++
			if !errors.Is(err, ErrExpired) {
				t.Fatalf("reason = %v", err)
			}
		}
	}
	if remembered != 2 {
		t.Fatalf("remembered %d drops, want KeepDropped=2", remembered)
	}
	clk.advance(2 * time.Hour)
	for _, e := range es {
		if _, ok := p.Dropped(e.Hash); ok {
			t.Fatal("drop reason outlived DroppedTTL")
		}
	}
}

func TestAddedSignal(t *testing.T) {
	p, _ := newPool(t, Config{})
	mustAdd(t, p, entry(0, 0), 0)
	mustAdd(t, p, entry(0, 1), 0)
	select {
	case <-p.Added():
	default:
		t.Fatal("no signal after Add")
	}
	select {
	case <-p.Added():
		t.Fatal("signals not coalesced")
	default:
	}
}

func TestConcurrentAddCommit(t *testing.T) {
	p, _ := newPool(t, Config{MaxTxs: 100_000})
	var wg sync.WaitGroup
	for s := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := uint64(0); n < 50; n++ {
				for {
					_, err := p.Add(entry(s, n), 0, p.Epoch())
					if errors.Is(err, ErrStale) {
						continue
					}
					if err != nil {
						t.Error(err)
					}
					break
				}
			}
		}()
	}
	for range 20 {
		p.Commit(nil, nil, nil)
		_, _ = p.Ready(10, func(common.Address) (uint64, error) { return 0, nil }, nil)
	}
	wg.Wait()
	if p.Len() != 8*50 {
		t.Fatalf("Len = %d", p.Len())
	}
}

func BenchmarkAddReadyCommit(b *testing.B) {
	p := New[string](Config{MaxTxs: 1 << 20, MaxBytes: 1 << 40}, nil)
	next := map[common.Address]uint64{}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e := entry(i%100, uint64(i/100))
		if _, err := p.Add(e, next[e.Sender], p.Epoch()); err != nil {
			b.Fatal(err)
		}
		if p.Len() >= 500 {
			ready, _ := p.Ready(500, func(a common.Address) (uint64, error) { return next[a], nil }, nil)
			hs := make([]common.Hash, len(ready))
			for j, r := range ready {
				hs[j] = r.Hash
				next[r.Sender] = r.Nonce + 1
			}
			p.Commit(hs, nil, nil)
		}
	}
}
