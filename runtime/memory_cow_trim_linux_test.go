//go:build linux

package runtime

import (
	"bytes"
	"testing"
)

// TestCoWResetTrimsUnchangedPages checks that a trimming reset drops the
// kept pages the last call left equal to the snapshot and keeps the
// others, that the resets after it restore only what is left, and that a
// dropped page written again is found (through the page map) and
// restored.
func TestCoWResetTrimsUnchangedPages(t *testing.T) {
	m, snap := newTestCoW(t, 64)
	if m.pagemap == nil {
		t.Skip("no /proc/self/pagemap")
	}
	ps := m.pageSize
	m.trimEvery = 4
	flip := func(pages ...int) {
		inWindow(m, func() {
			for _, p := range pages {
				m.region[p*ps+p] ^= 0xFF
			}
		})
	}
	reset := func(step string, wantKept int) {
		t.Helper()
		if err := m.reset(snap); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if !bytes.Equal(m.region[:len(snap)], snap) {
			t.Fatalf("%s: memory differs from the snapshot after reset", step)
		}
		if m.keptPages != wantKept {
			t.Fatalf("%s: %d kept pages, want %d (runs %v)", step, m.keptPages, wantKept, m.kept)
		}
		if got := privatePages(t, m, len(snap)); got != wantKept {
			t.Fatalf("%s: %d private pages, want the %d kept", step, got, wantKept)
		}
	}
	// The first call writes widely (pages 3 to 12 and 20), later ones only
	// 5, 6 and 20: until the fourth reset trims, all eleven stay kept.
	flip(3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20)
	reset("first call", 11)
	flip(5, 6, 20)
	reset("second call", 11)
	flip(5, 6, 20)
	reset("third call", 11)
	// A page written back to its snapshot bytes counts as unchanged.
	flip(5, 6, 20, 9, 9)
	reset("trimming reset", 3)
	if want := [][2]int{{5, 7}, {20, 21}}; len(m.kept) != 2 || m.kept[0] != want[0] || m.kept[1] != want[1] {
		t.Fatalf("kept runs %v after trimming, want %v", m.kept, want)
	}
	scans := m.scans
	flip(5, 6, 20)
	reset("call after the trim", 3)
	if m.scans != scans {
		t.Fatal("a call writing only kept pages made the reset read the page map")
	}
	// Page 9 was dropped: writing it faults, and the reset finds it.
	flip(5, 6, 9, 20)
	reset("dropped page written again", 4)
	if m.scans != scans+1 {
		t.Fatalf("page map reads %d, want %d: the fault on a dropped page must force one", m.scans, scans+1)
	}
}

// TestCoWResetWithoutTrimKeepsPages is the same first calls with trimming
// off: every page any call wrote stays kept.
func TestCoWResetWithoutTrimKeepsPages(t *testing.T) {
	m, snap := newTestCoW(t, 64)
	if m.pagemap == nil {
		t.Skip("no /proc/self/pagemap")
	}
	m.trimEvery = 0
	ps := m.pageSize
	for round, pages := range [][]int{{3, 4, 5, 6, 7}, {5}, {5}, {5}, {5}, {5}} {
		inWindow(m, func() {
			for _, p := range pages {
				m.region[p*ps] ^= 0xFF
			}
		})
		if err := m.reset(snap); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m.region[:len(snap)], snap) || m.keptPages != 5 {
			t.Fatalf("round %d: kept %d pages (want 5), memory restored %v", round, m.keptPages, bytes.Equal(m.region[:len(snap)], snap))
		}
	}
}
