package state

import (
	"errors"
	"math"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/meshledger/meshledger/ledger/storage"
)

func TestHistoryPagination(t *testing.T) {
	s := newTestStore(t)
	// Heights 0..4; two transactions touch the key in height 2, the other
	// key shares its bytes as a prefix and must not leak in.
	s.commit(set(alice, "k", "a", 0), set(alice, "kk", "other", 0))
	s.commit(set(alice, "k", "", 3))
	s.commit(set(alice, "k", "b", 1), del(alice, "k", 4))
	s.commit(set(bob, "k", "bob", 0))
	s.commit(set(alice, "k", "c", 2))
	want := []HistoryEntry{
		{Height: 0, TxIndex: 0, TxHash: common.Hash{1}, Value: []byte("a")},
		{Height: 1, TxIndex: 3, TxHash: common.Hash{4}, Value: []byte{}},
		{Height: 2, TxIndex: 1, TxHash: common.Hash{2}, Value: []byte("b")},
		{Height: 2, TxIndex: 4, TxHash: common.Hash{5}, Deleted: true},
		{Height: 4, TxIndex: 2, TxHash: common.Hash{3}, Value: []byte("c")},
	}
	for _, limit := range []int{1, 2, 3, 5, 100} {
		var got []HistoryEntry
		h, i := uint64(0), uint32(0)
		for pages := 0; ; pages++ {
			page, err := s.db.History(alice, []byte("k"), h, i, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > limit || pages > len(want) {
				t.Fatalf("limit %d: page of %d after %d pages", limit, len(page), pages)
			}
			got = append(got, page...)
			if len(page) < limit {
				break
			}
			h, i = page[len(page)-1].Next()
		}
		if len(got) != len(want) {
			t.Fatalf("limit %d: %d entries, want %d: %+v", limit, len(got), len(want), got)
		}
		for j := range want {
			g, w := got[j], want[j]
			if g.Height != w.Height || g.TxIndex != w.TxIndex || g.TxHash != w.TxHash || g.Deleted != w.Deleted ||
				string(g.Value) != string(w.Value) || (g.Value == nil) != (w.Value == nil) {
				t.Errorf("limit %d entry %d: %+v, want %+v", limit, j, g, w)
			}
		}
	}
	// Starting mid-way.
	page, err := s.db.History(alice, []byte("k"), 2, 2, 10)
	if err != nil || len(page) != 2 || page[0].TxIndex != 4 {
		t.Fatalf("from (2,2): %+v %v", page, err)
	}
	if page, err := s.db.History(alice, []byte("absent"), 0, 0, 10); err != nil || len(page) != 0 {
		t.Fatalf("absent key: %+v %v", page, err)
	}
}

func TestHistoryEntryNext(t *testing.T) {
	for _, tc := range []struct {
		e     HistoryEntry
		h     uint64
		index uint32
	}{
		{HistoryEntry{Height: 3, TxIndex: 7}, 3, 8},
		{HistoryEntry{Height: 3, TxIndex: math.MaxUint32}, 4, 0},
	} {
		if h, i := tc.e.Next(); h != tc.h || i != tc.index {
			t.Errorf("Next(%d,%d) = %d,%d", tc.e.Height, tc.e.TxIndex, h, i)
		}
	}
}

func TestHistoryCorrupt(t *testing.T) {
	s := newTestStore(t)
	s.commit(set(alice, "k", "a", 0))
	if err := s.kv.Put(storage.HistoryKey(alice, []byte("k"), 5, 0), []byte{0xff}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.History(alice, []byte("k"), 0, 0, 10); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want ErrCorrupt", err)
	}
	_ = s.kv.Delete(storage.HistoryKey(alice, []byte("k"), 5, 0)) // keep the cleanup check meaningful
}
