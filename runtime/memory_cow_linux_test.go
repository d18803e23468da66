//go:build linux

package runtime

import (
	"bytes"
	"math/rand/v2"
	goruntime "runtime"
	"testing"
	"time"
)

// TestCoWResetRestoresSnapshot writes random pages of a copy-on-write
// memory over many rounds and checks that every reset brings all of it back
// to the snapshot, whichever way the private pages are found and whether
// they are kept (overwritten) or dropped.
func TestCoWResetRestoresSnapshot(t *testing.T) {
	const pages = 64
	for _, c := range []struct {
		name    string
		scan    bool // PAGEMAP_SCAN rather than reading entries
		noMap   bool // no page map: drop everything
		keep    int
		maxKept int // private pages expected after a reset
	}{
		{"scan keep all", true, false, pages, pages},
		{"scan keep some", true, false, 5, 5},
		{"scan keep none", true, false, 0, 0},
		{"read keep all", false, false, pages, pages},
		{"read keep some", false, false, 5, 5},
		{"no page map", false, true, pages, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, snap := newTestCoW(t, pages)
			if m.pagemap == nil && !c.noMap {
				t.Skip("no /proc/self/pagemap")
			}
			m.scan, m.keep = c.scan, c.keep
			if c.noMap {
				m.pagemap = nil
			}
			ps := m.pageSize
			rng := rand.New(rand.NewPCG(1, 2))
			touched := map[int]bool{}
			for round := range 20 {
				for range 1 + rng.IntN(10) {
					p := rng.IntN(pages)
					touched[p] = true
					m.region[p*ps+rng.IntN(ps)] ^= 0xFF
				}
				if round%5 == 4 { // a call that writes everything
					for i := range snap {
						m.region[i] = ^snap[i]
					}
					for p := range pages {
						touched[p] = true
					}
				}
				if err := m.reset(snap); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(m.region[:len(snap)], snap) {
					t.Fatalf("round %d: memory differs from the snapshot after reset", round)
				}
				if c.noMap {
					continue
				}
				if got, want := privatePages(t, m, len(snap)), min(len(touched), c.maxKept); got != want {
					t.Fatalf("round %d: %d private pages after reset, want %d", round, got, want)
				}
			}
		})
	}
}

// newTestCoW maps a snapshot of n random pages into a new memory twice as
// large.
func newTestCoW(t *testing.T, n int) (*cowMemory, []byte) {
	t.Helper()
	m, err := newCoWMemory(uint64(2 * n * 65536))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Free)
	snap := make([]byte, n*m.pageSize)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range snap {
		snap[i] = byte(rng.Uint32())
	}
	img, err := newSnapshotImage(snap, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(img.close)
	if err := m.mapImage(img); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.region[:len(snap)], snap) {
		t.Fatal("mapped image differs from the snapshot")
	}
	return m, snap
}

func privatePages(t *testing.T, m *cowMemory, n int) int {
	t.Helper()
	runs, ok := m.privateRuns(n)
	if !ok {
		t.Fatal("page map unreadable")
	}
	total := 0
	for _, r := range runs {
		total += r[1] - r[0]
	}
	return total
}

// TestCoWScanAgreesWithPagemapRead checks that PAGEMAP_SCAN and reading
// the page map find the same private pages.
func TestCoWScanAgreesWithPagemapRead(t *testing.T) {
	m, snap := newTestCoW(t, 64)
	if m.pagemap == nil {
		t.Skip("no /proc/self/pagemap")
	}
	for _, p := range []int{0, 1, 2, 7, 30, 31, 63} {
		m.region[p*m.pageSize] = 1
	}
	_ = m.region[40*m.pageSize] // read only: stays the image's page
	scanned, ok := m.scanRuns(len(snap))
	if !ok || !m.scan {
		t.Skip("PAGEMAP_SCAN unsupported by this kernel")
	}
	scanned = append([][2]int(nil), scanned...)
	read, ok := m.readRuns(len(snap))
	if !ok {
		t.Fatal("page map unreadable")
	}
	want := [][2]int{{0, 3}, {7, 8}, {30, 32}, {63, 64}}
	for name, got := range map[string][][2]int{"scan": scanned, "read": read} {
		if len(got) != len(want) {
			t.Fatalf("%s: runs %v, want %v", name, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: runs %v, want %v", name, got, want)
			}
		}
	}
}

// inWindow runs write in a write window on one thread, as a call does.
func inWindow(m *cowMemory, write func()) {
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	m.beginWrites()
	defer m.endWrites()
	write()
}

// faultElsewhere keeps faulting fresh pages on another goroutine, as a
// node's database and heap do, until the test ends.
func faultElsewhere(t *testing.T) {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			b, err := allocMemory(16 << 12)
			if err != nil {
				return
			}
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			freeMemory(b)
			time.Sleep(20 * time.Microsecond)
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
}

// TestCoWResetSkipsScanWithoutFaults writes, in write windows, only pages
// an earlier reset kept, which takes no page fault, so resets need not
// read the page map even while another goroutine faults all the time; a
// write to a new page faults and must be found again.
func TestCoWResetSkipsScanWithoutFaults(t *testing.T) {
	m, snap := newTestCoW(t, 64)
	if m.pagemap == nil {
		t.Skip("no /proc/self/pagemap")
	}
	faultElsewhere(t)
	ps := m.pageSize
	written := []int{1, 2, 9, 40}
	inWindow(m, func() {
		for _, p := range written {
			m.region[p*ps] ^= 0xFF
		}
	})
	if err := m.reset(snap); err != nil {
		t.Fatal(err)
	}
	scans := m.scans
	const rounds = 50
	for round := range rounds {
		inWindow(m, func() {
			for _, p := range written {
				m.region[p*ps+round] ^= 0xFF
			}
		})
		if err := m.reset(snap); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m.region[:len(snap)], snap) {
			t.Fatalf("round %d: memory differs from the snapshot after reset", round)
		}
	}
	// The window's own thread may fault now and then (its stack, the
	// runtime's heap), which forces a scan; most rounds must skip it.
	if got := m.scans - scans; got > rounds/2 {
		t.Fatalf("%d of %d resets read the page map, want most to skip it", got, rounds)
	}
	inWindow(m, func() { m.region[50*ps] ^= 0xFF }) // a new private page
	if err := m.reset(snap); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.region[:len(snap)], snap) {
		t.Fatal("a newly written page survived the reset")
	}
	if got := privatePages(t, m, len(snap)); got != len(written)+1 {
		t.Fatalf("%d private pages, want %d", got, len(written)+1)
	}
}

// TestCoWResetReadsPageMapUnlessVouched checks that a reset trusts the
// pages the last one kept only when every write since happened in quiet
// write windows: a write outside any window, a window that faulted
// before a quiet one, and a window still open all make it read the page
// map, so each newly written page is restored.
func TestCoWResetReadsPageMapUnlessVouched(t *testing.T) {
	m, snap := newTestCoW(t, 64)
	if m.pagemap == nil {
		t.Skip("no /proc/self/pagemap")
	}
	ps := m.pageSize
	inWindow(m, func() { m.region[3*ps] ^= 0xFF })
	if err := m.reset(snap); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		write func(page int)
	}{
		{"outside any window", func(p int) { m.region[p*ps] ^= 0xFF }},
		{"faulting window then quiet window", func(p int) {
			inWindow(m, func() { m.region[p*ps] ^= 0xFF })
			inWindow(m, func() { m.region[3*ps] ^= 0xFF })
		}},
		{"window left open", func(p int) {
			goruntime.LockOSThread()
			defer goruntime.UnlockOSThread()
			m.beginWrites()
			m.region[p*ps] ^= 0xFF
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := 10 + len(c.name)%40
			scans := m.scans
			c.write(p)
			err := m.reset(snap)
			m.watching = false
			if err != nil {
				t.Fatal(err)
			}
			if m.scans == scans {
				t.Fatal("the reset trusted the kept pages")
			}
			if !bytes.Equal(m.region[:len(snap)], snap) {
				t.Fatalf("page %d survived the reset", p)
			}
		})
	}
}

// TestCoWPausedWindowIgnoresCalleeFaults checks that the faults a
// cross-contract call takes while the caller's window is paused (the
// callee's own memory, the node's heap) do not cost the caller's memory a
// page map read, and that a new page the caller writes after the call
// still does.
func TestCoWPausedWindowIgnoresCalleeFaults(t *testing.T) {
	m, snap := newTestCoW(t, 64)
	if m.pagemap == nil {
		t.Skip("no /proc/self/pagemap")
	}
	ps := m.pageSize
	inWindow(m, func() { m.region[5*ps] ^= 0xFF })
	if err := m.reset(snap); err != nil {
		t.Fatal(err)
	}
	callee, err := allocMemory(8 * ps)
	if err != nil {
		t.Fatal(err)
	}
	defer freeMemory(callee)
	for _, c := range []struct {
		name      string
		afterCall int // page the caller writes after the call; -1 none
		wantScan  bool
	}{
		{"callee faults only", -1, false},
		{"caller writes a new page after the call", 20, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			scans := m.scans
			inWindow(m, func() {
				m.region[5*ps] ^= 0xFF
				m.pauseWrites()
				for i := 0; i < len(callee); i += ps {
					callee[i]++ // first writes: page faults on this thread
				}
				m.resumeWrites()
				if c.afterCall >= 0 {
					m.region[c.afterCall*ps] ^= 0xFF
				}
			})
			if err := m.reset(snap); err != nil {
				t.Fatal(err)
			}
			if scanned := m.scans != scans; scanned != c.wantScan {
				t.Fatalf("page map read: %v, want %v", scanned, c.wantScan)
			}
			if !bytes.Equal(m.region[:len(snap)], snap) {
				t.Fatal("memory differs from the snapshot after reset")
			}
		})
	}
}

// TestModuleResetsSkipPageMapDespiteOtherFaults calls a module over and
// over while another goroutine faults pages all the time, as a node's
// database and heap do: every call is counted as a reset, and most of
// them trust the pages the last one kept instead of reading the page map.
func TestModuleResetsSkipPageMapDespiteOtherFaults(t *testing.T) {
	rt := newTestRuntime(t, NewConfig())
	m := mustLoad(t, rt, rawGuest(t))
	if !m.cow {
		t.Skip("no copy-on-write isolation here")
	}
	env := testEnv()
	mustCall(t, m, env, "echo", "warm", nil) // the first reset finds the pages
	faultElsewhere(t)
	before := rt.Stats()
	const calls = 200
	for i := range calls {
		if r := mustCall(t, m, env, "echo", "hello", nil); !r.OK() || string(r.Return) != "hello" {
			t.Fatalf("call %d: %+v", i, r)
		}
	}
	after := rt.Stats()
	if got := after.Resets - before.Resets; got != calls {
		t.Fatalf("%d resets counted, want %d", got, calls)
	}
	if got := after.PageMapReads - before.PageMapReads; got > calls/4 {
		t.Fatalf("%d of %d resets read the page map, want most to skip it", got, calls)
	}
}
