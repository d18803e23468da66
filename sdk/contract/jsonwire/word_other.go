//go:build !wasm

package jsonwire

import "encoding/binary"

// load64 and load64s read 8 bytes at i as a little-endian word (see
// word_wasm.go); native compilers turn this into one load.
func load64(b []byte, i int) uint64 { return binary.LittleEndian.Uint64(b[i:]) }

func load64s(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}
