//go:build linux

package runtime

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"github.com/tetratelabs/wazero/experimental"
	"golang.org/x/sys/unix"
)

const cowSupported = true

// openPagemap opens /proc/self/pagemap once per process. It is a handle to
// a kernel interface, not mutable state: every reader uses ReadAt.
var openPagemap = sync.OnceValue(func() *os.File {
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return nil
	}
	return f
})

// snapshotImage holds a post-init memory image in a memfd so instances can
// map it copy-on-write. Only its first size bytes, up to the end of the
// last non-zero page, are mapped: the zero pages after them stay anonymous
// memory, which reads as the kernel's zero page without using memory,
// whereas a fault (read or write) on a hole of a mapped memfd allocates a
// page of it for as long as the memfd lives.
type snapshotImage struct {
	fd   int
	size int
}

// newSnapshotImage writes mem, whose non-zero blocks bitmap marks (nil:
// find them), to a sealed memfd.
func newSnapshotImage(mem, bitmap []byte) (*snapshotImage, error) {
	if bitmap == nil {
		bitmap = nonZeroBitmap(mem)
	}
	size := 0
	for i := (len(mem)+snapshotBlock-1)/snapshotBlock - 1; i >= 0; i-- {
		if blockSet(bitmap, i) {
			size = min(len(mem), (i+1)*snapshotBlock)
			break
		}
	}
	ps := unix.Getpagesize()
	size = min(len(mem), (size+ps-1)/ps*ps)
	mem = mem[:size]
	fd, err := unix.MemfdCreate("meshledger-snapshot", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("runtime: memfd_create: %w", err)
	}
	if err := writeImage(fd, mem, bitmap); err != nil {
		unix.Close(fd)
		return nil, err
	}
	// Sealing makes the image immutable, so no instance can ever see another
	// instance's writes through the shared page cache.
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE|unix.F_SEAL_SEAL); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("runtime: seal snapshot image: %w", err)
	}
	return &snapshotImage{fd: fd, size: len(mem)}, nil
}

// writeImage sizes the memfd to mem and writes its non-zero blocks; the
// rest of a memfd reads as zero without using memory, and most of a Go
// module's memory is zero.
func writeImage(fd int, mem, bitmap []byte) error {
	if err := unix.Ftruncate(fd, int64(len(mem))); err != nil {
		return fmt.Errorf("runtime: size snapshot image: %w", err)
	}
	blocks := (len(mem) + snapshotBlock - 1) / snapshotBlock
	for i := 0; i < blocks; {
		if !blockSet(bitmap, i) {
			i++
			continue
		}
		j := i + 1
		for j < blocks && blockSet(bitmap, j) {
			j++
		}
		for off, end := i*snapshotBlock, min(j*snapshotBlock, len(mem)); off < end; {
			n, err := unix.Pwrite(fd, mem[off:end], int64(off))
			if err != nil {
				return fmt.Errorf("runtime: write snapshot image: %w", err)
			}
			off += n
		}
		i = j
	}
	return nil
}

// bytes bounds the memory the image holds: its mapped extent.
func (s *snapshotImage) bytes() int64 {
	if s == nil {
		return 0
	}
	return int64(s.size)
}

func (s *snapshotImage) close() {
	if s != nil {
		unix.Close(s.fd)
	}
}

// allocMemory returns n zero bytes mapped outside Go's heap. Pages that
// are never written use no memory (reads see the kernel's shared zero
// page), and freeMemory returns the rest to the system at once instead of
// leaving it to Go's collector and scavenger.
func allocMemory(n int) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("runtime: map %d bytes: %w", n, err)
	}
	return b, nil
}

// freeMemory releases what allocMemory returned.
func freeMemory(b []byte) {
	if len(b) > 0 {
		unix.Munmap(b)
	}
}

// cowMemory is a linear memory whose whole maximum size is reserved up
// front, so its address never changes, and whose first pages map the
// snapshot image privately: a call's writes create private copies of the
// pages it writes, which reset returns to the snapshot.
type cowMemory struct {
	region   []byte
	pagemap  *os.File // shared; nil if unavailable
	pageSize int
	// keep bounds how many private pages reset restores by copying (and
	// keeps); private pages beyond it are dropped instead.
	keep int
	scan bool         // try PAGEMAP_SCAN; cleared once it fails
	vec  []pageRegion // PAGEMAP_SCAN output, on the heap so it never moves
	buf  []byte       // page map entries when scan is false
	runs [][2]int     // scratch for privateRuns

	// kept lists the private pages the last reset kept; keptValid says
	// it was read from the page map rather than left unknown.
	kept, keptNext [][2]int
	keptValid      bool
	keptPages      int // pages in kept
	// watched is set once a write window (beginWrites to endWrites)
	// opened since the last reset, and quiet stays set while no such
	// window's thread took a page fault. With both, no page can have
	// become private since the last reset, so kept is still exact.
	watched, quiet bool
	watching       bool  // a write window is open
	watchFaults    int64 // the window's thread's page faults when it opened
	scans          int   // page map reads, for tests
	resets         int   // resets so far, for trimming
	trimEvery      int   // trimEvery, or 0 for never (tests)
}

var _ experimental.LinearMemory = (*cowMemory)(nil)

// keepResidentBytes bounds the private pages an instance keeps between
// calls. Restoring a kept page costs a 4 KiB copy; dropping it costs a
// madvise now and a page fault plus a copy when the next call writes it
// again, several times more. The bound keeps the copy cheap when calls
// write widely different pages.
const keepResidentBytes = 1 << 20

func newCoWMemory(maxBytes uint64) (*cowMemory, error) {
	ps := unix.Getpagesize()
	if maxBytes == 0 {
		maxBytes = uint64(ps)
	}
	b, err := unix.Mmap(-1, 0, int(maxBytes), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("runtime: reserve linear memory: %w", err)
	}
	return &cowMemory{region: b, pagemap: openPagemap(), pageSize: ps, keep: keepResidentBytes / ps,
		trimEvery: trimEvery, scan: true, vec: make([]pageRegion, 64)}, nil
}

func (m *cowMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.region)) {
		return nil
	}
	return m.region[:size:size]
}

func (m *cowMemory) Free() {
	if m.region != nil {
		unix.Munmap(m.region)
		m.region = nil
	}
}

// mapImage maps img over the start of the region, replacing its contents.
func (m *cowMemory) mapImage(img *snapshotImage) error {
	if img.size == 0 {
		return nil
	}
	_, err := unix.MmapPtr(img.fd, 0, unsafe.Pointer(&m.region[0]), uintptr(img.size),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_FIXED)
	if err != nil {
		return fmt.Errorf("runtime: map snapshot image: %w", err)
	}
	return nil
}

// reset returns the first len(snap) bytes to snap, whose pages the region
// maps from the snapshot image.
//
// Only private pages can differ from the image: a page the instance never
// wrote still maps the sealed image. The kernel's page map names the
// private pages. Up to keep of them are overwritten from snap and stay
// mapped, so the next call writes them without a page fault; any others
// are dropped (madvise(MADV_DONTNEED)) and read the image again. Without
// the page map every page is dropped.
//
// The page map is read only when a page may have become private since the
// last reset. A page becomes private only through a write fault, which
// the kernel counts against the thread that took it (getrusage
// RUSAGE_THREAD), including faults taken by a system call writing on that
// thread's behalf. Every write to the memory happens in a write window
// (see beginWrites): the call runs on a goroutine locked to its thread.
// If that thread's count did not move during the window, the private
// pages are exactly the ones the last reset kept. Faults elsewhere in the
// process (another goroutine's heap, the database) do not matter, which
// the process-wide count, used before, could not tell apart: in the
// ledger's BenchmarkCrossContractCall it had moved before 0.48 of a
// cross-call transaction's two resets (0.10 of a direct call's one), and
// each such reset walked the page map of the whole image (about 47 µs
// for a Go contract's 8 MiB, against 7 µs for the rest of the reset);
// with the thread's count, 0.008 and 0.002. A write outside any
// window, and a window whose thread faulted for whatever reason, forces
// the read. Only another process writing into this one's memory
// (ptrace, process_vm_writev) could change the pages unnoticed.
func (m *cowMemory) reset(snap []byte) error {
	n := len(snap)
	if n == 0 {
		return nil
	}
	runs, ok := m.kept, m.keptValid && m.watched && m.quiet && !m.watching
	if !ok {
		m.scans++
		runs, ok = m.privateRuns(n)
	}
	m.keptValid, m.keptPages = false, 0
	if !ok {
		return m.drop(0, n)
	}
	m.resets++
	trim := m.trimEvery > 0 && m.resets%m.trimEvery == 0
	kept, next := 0, m.keptNext[:0]
	for _, r := range runs {
		start, end := r[0], r[1]
		if k := min(end-start, m.keep-kept); k > 0 {
			if trim {
				var err error
				if next, err = m.restoreTrimmed(snap, start, start+k, next); err != nil {
					return err
				}
			} else {
				copy(m.region[start*m.pageSize:(start+k)*m.pageSize], snap[start*m.pageSize:(start+k)*m.pageSize])
				next = append(next, [2]int{start, start + k})
			}
			kept += k
			start += k
		}
		if start < end {
			if err := m.drop(start*m.pageSize, end*m.pageSize); err != nil {
				return err
			}
		}
	}
	if trim {
		kept = 0
		for _, r := range next {
			kept += r[1] - r[0]
		}
	}
	m.kept, m.keptNext, m.keptPages = next, m.kept, kept
	// Copying into kept pages takes no fault unless one was swapped out,
	// and then it is private again and kept: kept stays exact. Until a
	// write window vouches for the writes to come, the next reset reads
	// the page map.
	m.keptValid, m.watched, m.quiet = true, false, true
	return nil
}

// trimEvery is how often (in resets) reset looks for kept pages that the
// calls no longer write. A page stays private from its first write on, so
// kept also holds pages that only early calls wrote (lazy initialisation,
// the first call's heap growth): after a loan payment's first calls, 48
// pages were private but only 24 differed from the snapshot at each reset,
// and every reset copied all 48. Comparing a page costs about what copying
// it does, so a trimming reset compares each kept page and drops the ones
// equal to the snapshot, which then read the image again; the resets
// between them copy only the pages left. A dropped page that a later call
// writes (or reads) again takes a fault, which makes the next reset read
// the page map and keep it: one page map read per trim at most, about
// 15-40 µs against the 4 KiB copies it saves at every reset.
const trimEvery = 128

// restoreTrimmed restores the kept pages [start, end) like reset, except
// that the pages equal to snap are dropped rather than copied and kept. It
// appends the runs it keeps to next.
func (m *cowMemory) restoreTrimmed(snap []byte, start, end int, next [][2]int) ([][2]int, error) {
	ps := m.pageSize
	dropFrom := -1
	for p := start; p <= end; p++ {
		same := p < end && bytes.Equal(m.region[p*ps:(p+1)*ps], snap[p*ps:(p+1)*ps])
		switch {
		case same && dropFrom < 0:
			dropFrom = p
		case !same && dropFrom >= 0:
			if err := m.drop(dropFrom*ps, p*ps); err != nil {
				return next, err
			}
			dropFrom = -1
		}
		if p < end && !same {
			copy(m.region[p*ps:(p+1)*ps], snap[p*ps:(p+1)*ps])
			if n := len(next); n > 0 && next[n-1][1] == p {
				next[n-1][1] = p + 1
			} else {
				next = append(next, [2]int{p, p + 1})
			}
		}
	}
	return next, nil
}

// pageMapReads counts the resets that read the page map; nil reads none.
func (m *cowMemory) pageMapReads() int {
	if m == nil {
		return 0
	}
	return m.scans
}

// beginWrites opens a write window. The calling goroutine must stay
// locked to its thread (runtime.LockOSThread) until endWrites, and every
// write to the memory until the next reset, the guest's own and the host
// functions', must happen on it inside such a window.
func (m *cowMemory) beginWrites() {
	m.watched = true
	m.watchFaults, m.watching = threadFaults()
	if !m.watching {
		m.quiet = false
	}
}

// pauseWrites and resumeWrites bracket a cross-contract call made from
// inside the window: the callee runs on the same thread but writes only
// its own memory, so its faults (its first writes, the node's lookups)
// must not cost this memory a page map read. Nothing writes this memory
// while the window is paused.
func (m *cowMemory) pauseWrites() {
	if f, ok := threadFaults(); !m.watching || !ok || f != m.watchFaults {
		m.quiet = false
	}
}

func (m *cowMemory) resumeWrites() {
	var ok bool
	if m.watchFaults, ok = threadFaults(); !ok {
		m.quiet = false
	}
}

// endWrites closes the window beginWrites opened. The memory stays quiet
// only if the thread took no page fault in the window; a fault anywhere
// (the guest's first write to a page, but also the host's own heap) makes
// the next reset read the page map.
func (m *cowMemory) endWrites() {
	if f, ok := threadFaults(); !m.watching || !ok || f != m.watchFaults {
		m.quiet = false
	}
	m.watching = false
}

// residentBytes returns what the instance keeps resident between calls:
// the private pages its last reset kept. Pages it drops read the image
// again, whose bytes the snapshot accounts for; without a snapshot image
// (copy isolation) the whole memory, which every reset rewrites.
func (m *cowMemory) residentBytes(size int, imageMapped bool) int64 {
	if !imageMapped {
		return int64(size)
	}
	return int64(m.keptPages * m.pageSize)
}

// threadFaults returns the page faults of the calling thread.
func threadFaults() (int64, bool) {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_THREAD, &ru) != nil {
		return 0, false
	}
	return ru.Minflt + ru.Majflt, true
}

func (m *cowMemory) drop(from, to int) error {
	if err := unix.Madvise(m.region[from:to], unix.MADV_DONTNEED); err != nil {
		return fmt.Errorf("runtime: reset linear memory: %w", err)
	}
	return nil
}

// privateRuns returns the runs [start, end) of private pages among the
// first n bytes, in page numbers, in increasing order. ok is false if the
// page map could not be read.
func (m *cowMemory) privateRuns(n int) (runs [][2]int, ok bool) {
	if m.pagemap == nil {
		return nil, false
	}
	if m.scan {
		return m.scanRuns(n)
	}
	return m.readRuns(n)
}

// Page map entry bits (Documentation/admin-guide/mm/pagemap.rst).
const (
	pmPresent  = 1 << 63
	pmSwapped  = 1 << 62
	pmFileOrSh = 1 << 61
)

// readRuns finds the private pages by reading one page map entry per page.
func (m *cowMemory) readRuns(n int) ([][2]int, bool) {
	ps := m.pageSize
	pages := (n + ps - 1) / ps
	if cap(m.buf) < pages*8 {
		m.buf = make([]byte, pages*8)
	}
	buf := m.buf[:pages*8]
	base := int64(uintptr(unsafe.Pointer(&m.region[0]))/uintptr(ps)) * 8
	if k, err := m.pagemap.ReadAt(buf, base); err != nil || k != len(buf) {
		return nil, false
	}
	runs := m.runs[:0]
	runStart := -1
	for i := 0; i <= pages; i++ {
		private := false
		if i < pages {
			e := binary.LittleEndian.Uint64(buf[i*8:])
			// A private page may have been swapped out; it still
			// differs from the image until restored.
			private = e&(pmPresent|pmSwapped) != 0 && e&pmFileOrSh == 0
		}
		switch {
		case private && runStart < 0:
			runStart = i
		case !private && runStart >= 0:
			runs = append(runs, [2]int{runStart, i})
			runStart = -1
		}
	}
	m.runs = runs
	return runs, true
}
