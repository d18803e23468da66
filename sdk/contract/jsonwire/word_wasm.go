package jsonwire

import "unsafe"

// load64 and load64s read 8 bytes at i as a little-endian word: in Wasm
// one unaligned i64.load, where encoding/binary's byte-by-byte form stays
// eight loads. The callers check that i+8 is within bounds.
func load64(b []byte, i int) uint64 {
	return *(*uint64)(unsafe.Pointer(unsafe.SliceData(b[i : i+8])))
}

func load64s(s string, i int) uint64 {
	return *(*uint64)(unsafe.Pointer(unsafe.StringData(s[i : i+8])))
}
