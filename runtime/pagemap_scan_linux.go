//go:build linux

package runtime

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The PAGEMAP_SCAN ioctl of /proc/self/pagemap (Linux 6.7,
// Documentation/admin-guide/mm/pagemap.rst) returns the ranges of pages in
// given categories. It replaces reading one entry per page: the kernel
// walks the page table and hands back a few ranges.
const (
	ioctlPagemapScan = 0xc0606610 // _IOWR('f', 16, struct pm_scan_arg)

	pageIsFile    = 1 << 2
	pageIsPresent = 1 << 3
	pageIsSwapped = 1 << 4
	pageIsPFNZero = 1 << 5
)

// pmScanArg is struct pm_scan_arg.
type pmScanArg struct {
	size             uint64
	flags            uint64
	start            uint64
	end              uint64
	walkEnd          uint64
	vec              uint64
	vecLen           uint64
	maxPages         uint64
	categoryInverted uint64
	categoryMask     uint64
	categoryAnyofMsk uint64
	returnMask       uint64
}

// pageRegion is struct page_region.
type pageRegion struct {
	start, end, categories uint64
}

func pagemapScan(pm *os.File, arg *pmScanArg) (int, error) {
	n, _, errno := unix.Syscall(unix.SYS_IOCTL, pm.Fd(), ioctlPagemapScan, uintptr(unsafe.Pointer(arg)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// scanRuns finds the private pages with PAGEMAP_SCAN: pages present or
// swapped out that are neither the image's (file) pages nor the shared
// zero page.
func (m *cowMemory) scanRuns(n int) ([][2]int, bool) {
	base := uint64(uintptr(unsafe.Pointer(&m.region[0])))
	end := base + uint64(n)
	ps := uint64(m.pageSize)
	runs := m.runs[:0]
	for start := base; start < end; {
		arg := pmScanArg{
			size:             uint64(unsafe.Sizeof(pmScanArg{})),
			start:            start,
			end:              end,
			vec:              uint64(uintptr(unsafe.Pointer(&m.vec[0]))),
			vecLen:           uint64(len(m.vec)),
			categoryInverted: pageIsFile | pageIsPFNZero,
			categoryMask:     pageIsFile | pageIsPFNZero,
			categoryAnyofMsk: pageIsPresent | pageIsSwapped,
		}
		k, err := pagemapScan(m.pagemap, &arg)
		if err != nil || arg.walkEnd <= start || k > len(m.vec) {
			// An older kernel (ENOTTY): read the page map from now on.
			m.scan = false
			return m.readRuns(n)
		}
		for _, r := range m.vec[:k] {
			runs = append(runs, [2]int{int((r.start - base) / ps), int((r.end - base) / ps)})
		}
		start = arg.walkEnd
	}
	m.runs = runs
	return runs, true
}
