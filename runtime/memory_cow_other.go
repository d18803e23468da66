//go:build !linux

package runtime

import "errors"

const cowSupported = false

var errNoCoW = errors.New("runtime: copy-on-write memory needs Linux")

type snapshotImage struct{}

func newSnapshotImage(_, _ []byte) (*snapshotImage, error) { return nil, errNoCoW }

func (*snapshotImage) close()       {}
func (*snapshotImage) bytes() int64 { return 0 }

type cowMemory struct{ pageSize int }

func newCoWMemory(uint64) (*cowMemory, error)           { return nil, errNoCoW }
func (*cowMemory) Reallocate(uint64) []byte             { return nil }
func (*cowMemory) Free()                                {}
func (*cowMemory) mapImage(*snapshotImage) error        { return errNoCoW }
func (*cowMemory) reset([]byte) error                   { return errNoCoW }
func (*cowMemory) residentBytes(size int, _ bool) int64 { return int64(size) }
func (*cowMemory) privateRuns(int) ([][2]int, bool)     { return nil, false }
func (*cowMemory) beginWrites()                         {}
func (*cowMemory) endWrites()                           {}
func (*cowMemory) pauseWrites()                         {}
func (*cowMemory) pageMapReads() int                    { return 0 }
func (*cowMemory) resumeWrites()                        {}

// allocMemory returns n zero bytes on Go's heap, which other platforms
// leave to Go's collector to release.
func allocMemory(n int) ([]byte, error) { return make([]byte, n), nil }

func freeMemory([]byte) {}
