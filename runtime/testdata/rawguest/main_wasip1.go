// Command rawguest is a contract written directly against the ABI, without
// the SDK, so the runtime's tests control every host call. Each method name
// selects one behaviour; args are raw bytes, not JSON.
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
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

//go:wasmimport meshledger caller
func caller(p unsafe.Pointer)

//go:wasmimport meshledger block_height
func blockHeight() int64

//go:wasmimport meshledger gas_left
func gasLeft() int64

//go:wasmimport meshledger state_get
func stateGet(k unsafe.Pointer, kl uint32, v unsafe.Pointer, vc uint32) int32

//go:wasmimport meshledger state_set
func stateSet(k unsafe.Pointer, kl uint32, v unsafe.Pointer, vl uint32)

//go:wasmimport meshledger state_delete
func stateDelete(k unsafe.Pointer, kl uint32)

//go:wasmimport meshledger state_scan
func stateScan(p unsafe.Pointer, pl uint32, s unsafe.Pointer, sl uint32, limit int32, out unsafe.Pointer, oc uint32) int32

//go:wasmimport meshledger emit
func emit(n unsafe.Pointer, nl uint32, d unsafe.Pointer, dl uint32)

//go:wasmimport meshledger emit_to
func emitTo(n unsafe.Pointer, nl uint32, d unsafe.Pointer, dl uint32, a unsafe.Pointer, al uint32)

//go:wasmimport meshledger participant
func participant(addr unsafe.Pointer, out unsafe.Pointer, outCap uint32) int32

//go:wasmimport meshledger set_return
func setReturn(p unsafe.Pointer, l uint32)

//go:wasmimport wasi_snapshot_preview1 random_get
func randomGet(p unsafe.Pointer, n uint32) uint32

//go:wasmimport meshledger abort
func abort(p unsafe.Pointer, l uint32)

//go:wasmimport meshledger state_has
func stateHas(k unsafe.Pointer, kl uint32) int32

//go:wasmimport meshledger tx_hash
func txHash(p unsafe.Pointer)

//go:wasmimport wasi_snapshot_preview1 fd_write
func fdWrite(fd uint32, iovs uint32, iovsLen uint32, nwritten unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 poll_oneoff
func pollOneoff(in uint32, out uint32, nsubs uint32, nevents unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 clock_time_get
func clockTimeGet(id uint32, precision uint64, t unsafe.Pointer) uint32

//go:wasmimport meshledger call
func call(to unsafe.Pointer, m unsafe.Pointer, ml uint32, a unsafe.Pointer, al uint32, gas int64, out unsafe.Pointer, oc uint32) int32

//go:wasmimport meshledger call_result
func callResult(out unsafe.Pointer)

func ptr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

func ret(b []byte) { setReturn(ptr(b), uint32(len(b))) }

var counter int

var sink []byte

func recurse(n int) int {
	var pad [16]byte
	pad[n%16] = byte(n)
	return recurse(n+1) + int(pad[0])
}

type nested struct {
	N []nested `json:"n"`
}

//go:wasmexport mesh_call
func meshCall() int32 {
	m := make([]byte, methodLen())
	methodRead(ptr(m))
	args := make([]byte, argsLen())
	argsRead(ptr(args))
	num, _ := strconv.Atoi(string(args))
	switch string(m) {
	case "echo":
		ret(args)
	case "status":
		ret([]byte("status message"))
		return int32(num)
	case "counter":
		counter++
		ret([]byte(strconv.Itoa(counter)))
	case "caller":
		var a [20]byte
		caller(unsafe.Pointer(&a))
		ret(a[:])
	case "height":
		ret([]byte(strconv.FormatInt(blockHeight(), 10)))
	case "gas":
		ret([]byte(strconv.FormatInt(gasLeft(), 10)))
	case "set": // "k=v;k2=v2"; "k=" sets empty, "-k" deletes
		for _, kv := range strings.Split(string(args), ";") {
			if k, ok := strings.CutPrefix(kv, "-"); ok {
				stateDelete(ptr([]byte(k)), uint32(len(k)))
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			kb, vb := []byte(k), []byte(v)
			stateSet(ptr(kb), uint32(len(kb)), ptr(vb), uint32(len(vb)))
		}
	case "setget": // set then read back what was set
		k, v, _ := strings.Cut(string(args), "=")
		kb, vb := []byte(k), []byte(v)
		stateSet(ptr(kb), uint32(len(kb)), ptr(vb), uint32(len(vb)))
		buf := make([]byte, 64)
		n := stateGet(ptr(kb), uint32(len(kb)), ptr(buf), 64)
		ret(buf[:n])
	case "get":
		buf := make([]byte, 4)
		n := stateGet(ptr(args), uint32(len(args)), ptr(buf), uint32(len(buf)))
		if n < 0 {
			ret([]byte("absent"))
			break
		}
		if int(n) > len(buf) {
			buf = make([]byte, n)
			stateGet(ptr(args), uint32(len(args)), ptr(buf), uint32(len(buf)))
		}
		ret(buf[:n])
	case "bigkey":
		k := make([]byte, num)
		stateSet(ptr(k), uint32(len(k)), nil, 0)
	case "bigvalue":
		v := make([]byte, num)
		stateSet(ptr([]byte("k")), 1, ptr(v), uint32(len(v)))
	case "scan": // "prefix|start|limit": returns "k=v," pairs
		parts := strings.Split(string(args), "|")
		p, s := []byte(parts[0]), []byte(parts[1])
		limit, _ := strconv.Atoi(parts[2])
		out := make([]byte, 8)
		n := stateScan(ptr(p), uint32(len(p)), ptr(s), uint32(len(s)), int32(limit), ptr(out), uint32(len(out)))
		if int(n) > len(out) {
			out = make([]byte, n)
			stateScan(ptr(p), uint32(len(p)), ptr(s), uint32(len(s)), int32(limit), ptr(out), uint32(len(out)))
		}
		out = out[:n]
		var sb strings.Builder
		cnt := binary.LittleEndian.Uint32(out)
		out = out[4:]
		for i := uint32(0); i < cnt; i++ {
			kl := binary.LittleEndian.Uint32(out)
			k := out[4 : 4+kl]
			out = out[4+kl:]
			vl := binary.LittleEndian.Uint32(out)
			v := out[4 : 4+vl]
			out = out[4+vl:]
			fmt.Fprintf(&sb, "%s=%s,", k, v)
		}
		ret([]byte(sb.String()))
	case "emit":
		for i := 0; i < num; i++ {
			name, data := []byte("ev"), []byte(strconv.Itoa(i))
			emit(ptr(name), 2, ptr(data), uint32(len(data)))
		}
	case "bigevent":
		data := make([]byte, num)
		emit(ptr([]byte("big")), 3, ptr(data), uint32(len(data)))
	case "emit_to": // "name|data|audience", the audience's entries separated by "\n"
		parts := strings.SplitN(string(args), "|", 3)
		n, d, a := []byte(parts[0]), []byte(parts[1]), []byte(parts[2])
		emitTo(ptr(n), uint32(len(n)), ptr(d), uint32(len(d)), ptr(a), uint32(len(a)))
	case "participant": // "<40 hex digits> cap": returns "n <cap bytes as hex>"
		f := strings.Fields(string(args))
		a, _ := hex.DecodeString(f[0])
		c, _ := strconv.Atoi(f[1])
		out := bytes.Repeat([]byte{0xee}, c+1) // a non-nil pointer even for cap 0
		n := participant(ptr(a), ptr(out), uint32(c))
		ret([]byte(fmt.Sprintf("%d %x", n, out[:c])))
	case "bigreturn":
		ret(make([]byte, num))
	case "abort":
		abort(ptr(args), uint32(len(args)))
	case "exit":
		os.Exit(num)
	case "print":
		for i := 0; i < num; i++ {
			fmt.Println("line", i)
		}
	case "time":
		t0 := time.Now()
		time.Sleep(time.Duration(num) * time.Millisecond)
		ret([]byte(fmt.Sprint(t0.UnixMilli(), " ", time.Since(t0).Milliseconds())))
	case "rand":
		// math/rand is seeded during init, so it repeats in every call;
		// random_get itself is seeded by the transaction hash.
		var b [8]byte
		randomGet(unsafe.Pointer(&b), 8)
		ret([]byte(fmt.Sprint(rand.Uint64(), " ", b)))
	case "loop":
		for {
			counter++
		}
	case "recurse":
		ret([]byte(strconv.Itoa(recurse(0))))
	case "alloc": // allocate num MiB and keep it reachable
		for i := 0; i < num; i++ {
			sink = append(sink, make([]byte, 1<<20)...)
		}
		ret([]byte(strconv.Itoa(len(sink))))
	case "json": // nest num levels deep, decode, and collect garbage
		var sb strings.Builder
		for i := 0; i < num; i++ {
			sb.WriteString(`{"n":[`)
		}
		for i := 0; i < num; i++ {
			sb.WriteString(`]}`)
		}
		var v nested
		if err := json.Unmarshal([]byte(sb.String()), &v); err != nil {
			ret([]byte(err.Error()))
			return 1
		}
		runtime.GC()
		out, _ := json.Marshal(v)
		ret([]byte(strconv.Itoa(len(out))))
	case "div":
		ret([]byte(strconv.Itoa(100 / num)))
	case "compute": // deterministic integer work
		x := uint64(1)
		for i := 0; i < num; i++ {
			x = x*6364136223846793005 + 1442695040888963407
			x ^= x >> 13
		}
		ret([]byte(strconv.FormatUint(x, 10)))
	case "panic":
		panic("boom")
	case "xcall":
		return xcall(string(args), true)
	case "xcall_nowrite": // xcall without the write of its own, for queries
		return xcall(string(args), false)
	case "raw":
		return rawCall(strings.Fields(string(args)))
	case "hostloop": // "fn n size": call one host function n times
		f := strings.Fields(string(args))
		n, _ := strconv.Atoi(f[1])
		size, _ := strconv.Atoi(f[2])
		hostLoop(f[0], n, size)
	case "trap": // "div": Go's divide check panics; "oob": a Wasm memory trap
		return trap(string(args))
	default:
		ret([]byte("unknown method " + string(m)))
		return 2
	}
	return 0
}

func main() {}

// addr resolves a numeric guest pointer, or "buf:N", the address of a
// fresh zeroed buffer of N bytes.
func addr(s string) uint32 {
	if n, ok := strings.CutPrefix(s, "buf:"); ok {
		size, _ := strconv.Atoi(n)
		b := make([]byte, size+1)
		sink = b
		return uint32(uintptr(ptr(b)))
	}
	v, _ := strconv.ParseUint(s, 0, 32)
	return uint32(v)
}

// rawCall calls one host function with raw pointer arguments, so tests can
// pass pointers no Go code would, and returns its errno or result.
func rawCall(f []string) int32 {
	var out [8]byte
	var r int64
	switch f[0] {
	case "fd_write": // iovs iovs_len
		r = int64(fdWrite(1, addr(f[1]), addr(f[2]), unsafe.Pointer(&out)))
	case "poll_oneoff": // in out nsubs
		r = int64(pollOneoff(addr(f[1]), addr(f[2]), addr(f[3]), unsafe.Pointer(&out)))
	case "state_get": // key_ptr key_len val_ptr val_cap
		r = int64(stateGet(unsafe.Pointer(uintptr(addr(f[1]))), addr(f[2]), unsafe.Pointer(uintptr(addr(f[3]))), addr(f[4])))
	case "call": // to_ptr method_ptr method_len out_ptr out_cap
		r = int64(call(unsafe.Pointer(uintptr(addr(f[1]))), unsafe.Pointer(uintptr(addr(f[2]))), addr(f[3]), nil, 0, 0,
			unsafe.Pointer(uintptr(addr(f[4]))), addr(f[5])))
	case "random_get": // ptr len
		r = int64(randomGet(unsafe.Pointer(uintptr(addr(f[1]))), addr(f[2])))
	case "abort": // bytes as hex
		b := make([]byte, len(f[1])/2)
		for i := range b {
			v, _ := strconv.ParseUint(f[1][2*i:2*i+2], 16, 8)
			b[i] = byte(v)
		}
		abort(ptr(b), uint32(len(b)))
	}
	ret([]byte(strconv.FormatInt(r, 10)))
	return 0
}

// xcall is "<to: 40 hex digits> <method> <gas> <out_cap> [args]": it
// writes "mine" (a write of its own that a failed callee must not undo),
// calls method of to with args (the rest after one space), and returns
// "<code>|<return or message>". A negative out_cap passes a nil buffer;
// an outcome larger than out_cap is read with call_result.
func xcall(a string, write bool) int32 {
	f := strings.SplitN(a, " ", 5)
	to, _ := hex.DecodeString(f[0])
	m := []byte(f[1])
	gas, _ := strconv.ParseInt(f[2], 10, 64)
	oc, _ := strconv.Atoi(f[3])
	var args []byte
	if len(f) == 5 {
		args = []byte(f[4])
	}
	if write {
		k, v := []byte("mine"), []byte("1")
		stateSet(ptr(k), 4, ptr(v), 1)
	}
	var out []byte
	if oc >= 0 {
		out = make([]byte, oc+1)
	}
	n := call(ptr(to), ptr(m), uint32(len(m)), ptr(args), uint32(len(args)), gas, ptr(out), uint32(max(oc, 0)))
	if int(n) > oc {
		out = make([]byte, n)
		callResult(ptr(out))
	}
	out = out[:n]
	cl := binary.LittleEndian.Uint32(out)
	ret([]byte(string(out[4:4+cl]) + "|" + string(out[4+cl:])))
	return 0
}

var zero int

// trap fails the way kind names. Go checks integer division itself, so
// "div" ends in Go's fatal panic (the unreachable instruction), while
// "oob" loads past the end of linear memory, which only Wasm checks.
func trap(kind string) int32 {
	switch kind {
	case "div":
		ret([]byte(strconv.Itoa(1 / zero)))
	case "oob":
		p := (*byte)(unsafe.Pointer(uintptr(0xFFFFFFF0)))
		ret([]byte{*p})
	}
	return 0
}

// hostLoop calls host function fn n times with size-byte buffers (or size
// items), for BenchmarkHostFunctions.
func hostLoop(fn string, n, size int) {
	buf := make([]byte, max(size, 64))
	key := []byte("k")
	var out [8]byte
	switch fn {
	case "method_len":
		for range n {
			methodLen()
		}
	case "tx_hash":
		for range n {
			txHash(ptr(buf))
		}
	case "args_read":
		for range n {
			argsRead(ptr(buf))
		}
	case "state_get":
		for range n {
			stateGet(ptr(key), 1, ptr(buf), uint32(len(buf)))
		}
	case "state_has":
		for range n {
			stateHas(ptr(key), 1)
		}
	case "state_set":
		for range n {
			stateSet(ptr(key), 1, ptr(buf), uint32(size))
		}
	case "state_delete":
		for range n {
			stateDelete(ptr(key), 1)
		}
	case "state_scan": // size entries under prefix "s"
		p := []byte("s")
		enc := make([]byte, 16<<10)
		for range n {
			stateScan(ptr(p), 1, nil, 0, int32(size), ptr(enc), uint32(len(enc)))
		}
	case "emit":
		name := []byte("ev")
		for range n {
			emit(ptr(name), 2, ptr(buf), uint32(size))
		}
	case "emit_to": // size bytes of data to four audience entries
		name := []byte("ev")
		aud := []byte("0x00000000000000000000000000000000000000aa\norg:bank\nrole:servicer\nmembers")
		for range n {
			emitTo(ptr(name), 2, ptr(buf), uint32(size), ptr(aud), uint32(len(aud)))
		}
	case "participant": // the caller, a member with two roles
		var a [20]byte
		caller(unsafe.Pointer(&a))
		for range n {
			participant(unsafe.Pointer(&a), ptr(buf), uint32(len(buf)))
		}
	case "set_return":
		for range n {
			setReturn(ptr(buf), uint32(size))
		}
	case "random_get":
		for range n {
			randomGet(ptr(buf), uint32(size))
		}
	case "fd_write": // one iovec of size bytes
		iov := make([]byte, 8)
		binary.LittleEndian.PutUint32(iov, uint32(uintptr(ptr(buf))))
		binary.LittleEndian.PutUint32(iov[4:], uint32(size))
		for range n {
			fdWrite(1, uint32(uintptr(ptr(iov))), 1, unsafe.Pointer(&out))
		}
	case "fd_write_iovecs": // size empty iovecs
		iovs := make([]byte, 8*size)
		for range n {
			fdWrite(1, uint32(uintptr(ptr(iovs))), uint32(size), unsafe.Pointer(&out))
		}
	case "poll_oneoff": // size clock subscriptions with a zero timeout
		in, evs := make([]byte, 48*size), make([]byte, 32*size)
		for range n {
			pollOneoff(uint32(uintptr(ptr(in))), uint32(uintptr(ptr(evs))), uint32(size), unsafe.Pointer(&out))
		}
	case "clock_time_get":
		for range n {
			clockTimeGet(0, 0, unsafe.Pointer(&out))
		}
	case "call": // the contract at 0x0b..., method "echo" with size bytes
		var to [20]byte
		to[0] = 0x0b
		m := []byte("echo")
		for range n {
			call(unsafe.Pointer(&to), ptr(m), 4, ptr(buf), uint32(size), 0, ptr(buf), uint32(len(buf)))
		}
	case "compute": // no host call: the reference rate of plain code
		x := uint64(1)
		for i := 0; i < n; i++ {
			x = x*6364136223846793005 + 1442695040888963407
			x ^= x >> 13
		}
		buf[0] = byte(x)
	}
	ret(buf[:1])
}
