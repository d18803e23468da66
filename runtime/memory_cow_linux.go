//go:build linux

package runtime

import (
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
// map it copy-on-write.
type snapshotImage struct {
	fd   int
	size int
}

func newSnapshotImage(mem []byte) (*snapshotImage, error) {
	fd, err := unix.MemfdCreate("meshledger-snapshot", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("runtime: memfd_create: %w", err)
	}
	for off := 0; off < len(mem); {
		n, err := unix.Pwrite(fd, mem[off:], int64(off))
		if err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("runtime: write snapshot image: %w", err)
		}
		off += n
	}
	// Sealing makes the image immutable, so no instance can ever see another
	// instance's writes through the shared page cache.
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE|unix.F_SEAL_SEAL); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("runtime: seal snapshot image: %w", err)
	}
	return &snapshotImage{fd: fd, size: len(mem)}, nil
}

func (s *snapshotImage) close() {
	if s != nil {
		unix.Close(s.fd)
	}
}

// cowMemory is a linear memory whose whole maximum size is reserved up
// front, so its address never changes, and whose first pages map the
// snapshot image privately: a call's writes create private copies that
// reset drops again.
type cowMemory struct {
	region   []byte
	pagemap  *os.File // shared, read with ReadAt; nil if unavailable
	pageSize int
	pmBuf    []byte
}

var _ experimental.LinearMemory = (*cowMemory)(nil)

func newCoWMemory(maxBytes uint64) (*cowMemory, error) {
	if maxBytes == 0 {
		maxBytes = uint64(unix.Getpagesize())
	}
	b, err := unix.Mmap(-1, 0, int(maxBytes), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("runtime: reserve linear memory: %w", err)
	}
	return &cowMemory{region: b, pagemap: openPagemap(), pageSize: unix.Getpagesize()}, nil
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

// reset drops every private page in the first n bytes: image pages read
// the image again, pages past it read zero.
//
// Only the pages the call wrote are dropped when the kernel's page map says
// which they are (a written page of a private file mapping is anonymous):
// pages the call merely read stay mapped, so the next call does not fault
// them in again. Without /proc/self/pagemap the whole range is dropped.
func (m *cowMemory) reset(n int) error {
	if n == 0 {
		return nil
	}
	if m.pagemap != nil && m.dropWritten(n) {
		return nil
	}
	if err := unix.Madvise(m.region[:n], unix.MADV_DONTNEED); err != nil {
		return fmt.Errorf("runtime: reset linear memory: %w", err)
	}
	return nil
}

// Page map entry bits (Documentation/admin-guide/mm/pagemap.rst).
const (
	pmPresent  = 1 << 63
	pmFileOrSh = 1 << 61
)

// dropWritten drops the written pages in the first n bytes, reporting
// false if the page map could not be read.
func (m *cowMemory) dropWritten(n int) bool {
	ps := m.pageSize
	pages := (n + ps - 1) / ps
	if cap(m.pmBuf) < pages*8 {
		m.pmBuf = make([]byte, pages*8)
	}
	buf := m.pmBuf[:pages*8]
	base := int64(uintptr(unsafe.Pointer(&m.region[0]))/uintptr(ps)) * 8
	if k, err := m.pagemap.ReadAt(buf, base); err != nil || k != len(buf) {
		return false
	}
	runStart := -1
	flush := func(end int) bool {
		if runStart >= 0 {
			if unix.Madvise(m.region[runStart*ps:end*ps], unix.MADV_DONTNEED) != nil {
				return false
			}
			runStart = -1
		}
		return true
	}
	for i := 0; i < pages; i++ {
		e := binary.LittleEndian.Uint64(buf[i*8:])
		written := e&pmPresent != 0 && e&pmFileOrSh == 0
		if written && runStart < 0 {
			runStart = i
		} else if !written && !flush(i) {
			return false
		}
	}
	return flush(pages)
}
