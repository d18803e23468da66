// Command scribble is a test contract for isolation: it writes to chosen
// bytes of a large zero-initialised array in linear memory and reports
// whether an earlier call's writes are visible.
package main

import (
	"strconv"
	"strings"
	"unsafe"
)

//go:wasmimport meshledger method_len
func methodLen() int32

//go:wasmimport meshledger method_read
func methodRead(p unsafe.Pointer)

//go:wasmimport meshledger args_len
func argsLen() int32

//go:wasmimport meshledger args_read
func argsRead(p unsafe.Pointer)

//go:wasmimport meshledger set_return
func setReturn(p unsafe.Pointer, l uint32)

// area is zero in the snapshot; at 2 MiB it spans more pages than an
// instance keeps resident between calls.
var area [2 << 20]byte

// written is how many bytes of area calls have set, which the snapshot
// holds as zero.
var written int

func ret(s string) {
	b := []byte(s)
	setReturn(unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b)))
}

// stride is the distance between the bytes write sets and checks: at
// least one per page of every page size, few enough that the interpreter
// runs the test quickly.
const stride = 512

// mesh_call "write" with args "off:len,off:len,..." checks that every
// stride-th byte of area and the counter are still zero, reporting the
// offset of the first that is not, then sets 0xA5 at every stride-th
// offset in the given ranges.
//
//go:wasmexport mesh_call
func meshCall() int32 {
	m := make([]byte, methodLen())
	methodRead(unsafe.Pointer(unsafe.SliceData(m)))
	args := make([]byte, argsLen())
	if len(args) > 0 {
		argsRead(unsafe.Pointer(unsafe.SliceData(args)))
	}
	if string(m) != "write" {
		ret("unknown method " + string(m))
		return 2
	}
	out := "clean"
	if written != 0 {
		out = "written=" + strconv.Itoa(written)
	}
	for i := 0; i < len(area); i += stride {
		if area[i] != 0 {
			out = "dirty@" + strconv.Itoa(i)
			break
		}
	}
	for _, r := range strings.Split(string(args), ",") {
		o, l, _ := strings.Cut(r, ":")
		off, _ := strconv.Atoi(o)
		n, _ := strconv.Atoi(l)
		for i := (off + stride - 1) / stride * stride; i < off+n && i < len(area); i += stride {
			area[i] = 0xA5
		}
		written += n
	}
	ret(out)
	return 0
}

func main() {}
