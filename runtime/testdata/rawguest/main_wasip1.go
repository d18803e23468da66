// Command rawguest is a contract written directly against the ABI, without
// the SDK, so the runtime's tests control every host call. Each method name
// selects one behaviour; args are raw bytes, not JSON.
package main

import (
	"encoding/binary"
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

//go:wasmimport meshledger set_return
func setReturn(p unsafe.Pointer, l uint32)

//go:wasmimport wasi_snapshot_preview1 random_get
func randomGet(p unsafe.Pointer, n uint32) uint32

//go:wasmimport meshledger abort
func abort(p unsafe.Pointer, l uint32)

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
	default:
		ret([]byte("unknown method " + string(m)))
		return 2
	}
	return 0
}

func main() {}
