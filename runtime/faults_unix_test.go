//go:build unix

package runtime

import "syscall"

// minorFaults is the process's minor page fault count: the cost an
// isolation strategy adds to the next call (the Go runtime's own faults
// are counted too, so it is an upper bound).
func minorFaults() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return int64(ru.Minflt)
}
