//go:build !linux

package runtime

import "errors"

const cowSupported = false

var errNoCoW = errors.New("runtime: copy-on-write memory needs Linux")

type snapshotImage struct{}

func newSnapshotImage([]byte) (*snapshotImage, error) { return nil, errNoCoW }

func (*snapshotImage) close() {}

type cowMemory struct{}

func newCoWMemory(uint64) (*cowMemory, error)    { return nil, errNoCoW }
func (*cowMemory) Reallocate(uint64) []byte      { return nil }
func (*cowMemory) Free()                         {}
func (*cowMemory) mapImage(*snapshotImage) error { return errNoCoW }
func (*cowMemory) reset([]byte) error            { return errNoCoW }
