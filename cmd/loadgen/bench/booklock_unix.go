//go:build unix

package bench

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockBookDir takes an exclusive lock on the book directory's lock file
// for the run, so that a second run on the same directory cannot wipe or
// book into a book the first is still writing. The lock is the kernel's:
// a run that dies releases it.
func lockBookDir(path string) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("bench: --book-dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrBookBusy
		}
		return nil, fmt.Errorf("bench: --book-dir: lock: %w", err)
	}
	return func() { f.Close() }, nil
}
