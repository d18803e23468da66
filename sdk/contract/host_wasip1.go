//go:build wasip1

package contract

import "unsafe"

// hostAPI is, inside Wasm, the meshledger imports themselves: a concrete
// zero-size type, so calls compile to direct imports with no interface
// dispatch on the hot path.
type hostAPI = wasmHost

// meshCall is the module's entry point for every call (docs/abi.md).
//
//go:wasmexport mesh_call
func meshCall() int32 { return dispatch(wasmHost{}) }

// callSlot holds the Context every call of this instance uses. It is
// package-level because the module is one contract whose exported entry
// point has nowhere else to keep it; each call starts from the memory
// image taken after initialisation, where the slot is free and zero.
var callSlot contextSlot

func takeContext(h hostAPI) *Context { return callSlot.take(h) }
func giveContext(c *Context)         { callSlot.give(c) }

type wasmHost struct{}

func ptr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

func (wasmHost) MethodLen() int           { return int(uint32(methodLen())) }
func (wasmHost) MethodRead(buf []byte)    { methodRead(ptr(buf)) }
func (wasmHost) ArgsLen() int             { return int(uint32(argsLen())) }
func (wasmHost) ArgsRead(buf []byte)      { argsRead(ptr(buf)) }
func (wasmHost) BlockHeight() uint64      { return uint64(blockHeight()) }
func (wasmHost) BlockTimeMs() int64       { return blockTimeMs() }
func (wasmHost) GasLeft() uint64          { return uint64(gasLeft()) }
func (wasmHost) StateDelete(key []byte)   { stateDelete(ptr(key), uint32(len(key))) }
func (wasmHost) SetReturn(data []byte)    { setReturn(ptr(data), uint32(len(data))) }
func (wasmHost) StateHas(key []byte) bool { return stateHas(ptr(key), uint32(len(key))) != 0 }

func (wasmHost) Caller() (a [20]byte) {
	caller(unsafe.Pointer(&a))
	return a
}

func (wasmHost) SelfAddress() (a [20]byte) {
	selfAddress(unsafe.Pointer(&a))
	return a
}

func (wasmHost) TxHash() (h [32]byte) {
	txHash(unsafe.Pointer(&h))
	return h
}

func (wasmHost) StateGet(key, buf []byte) int {
	return int(stateGet(ptr(key), uint32(len(key)), ptr(buf), uint32(len(buf))))
}

func (wasmHost) StateSet(key, value []byte) {
	stateSet(ptr(key), uint32(len(key)), ptr(value), uint32(len(value)))
}

func (wasmHost) StateScan(prefix, start []byte, limit int32, buf []byte) int {
	return int(uint32(stateScan(ptr(prefix), uint32(len(prefix)), ptr(start), uint32(len(start)),
		limit, ptr(buf), uint32(len(buf)))))
}

func (wasmHost) Emit(name string, data []byte) {
	emit(unsafe.Pointer(unsafe.StringData(name)), uint32(len(name)), ptr(data), uint32(len(data)))
}

func (wasmHost) EmitTo(name string, data, audience []byte) {
	emitTo(unsafe.Pointer(unsafe.StringData(name)), uint32(len(name)), ptr(data), uint32(len(data)),
		ptr(audience), uint32(len(audience)))
}

func (wasmHost) Participant(addr [20]byte, buf []byte) int {
	return int(participant(unsafe.Pointer(&addr), ptr(buf), uint32(len(buf))))
}

func (wasmHost) Call(to [20]byte, method string, args []byte, gas uint64, buf []byte) int {
	return int(uint32(call(unsafe.Pointer(&to), unsafe.Pointer(unsafe.StringData(method)), uint32(len(method)),
		ptr(args), uint32(len(args)), int64(gas), ptr(buf), uint32(len(buf)))))
}

func (wasmHost) CallResult(buf []byte) { callResult(ptr(buf)) }

func (wasmHost) Abort(msg string) {
	abort(unsafe.Pointer(unsafe.StringData(msg)), uint32(len(msg)))
}

// The imports of docs/abi.md. The host copies in or out during the call
// and keeps no pointer, hence noescape.

//go:wasmimport meshledger method_len
func methodLen() int32

//go:wasmimport meshledger method_read
//go:noescape
func methodRead(p unsafe.Pointer)

//go:wasmimport meshledger args_len
func argsLen() int32

//go:wasmimport meshledger args_read
//go:noescape
func argsRead(p unsafe.Pointer)

//go:wasmimport meshledger caller
//go:noescape
func caller(p unsafe.Pointer)

//go:wasmimport meshledger self_address
//go:noescape
func selfAddress(p unsafe.Pointer)

//go:wasmimport meshledger tx_hash
//go:noescape
func txHash(p unsafe.Pointer)

//go:wasmimport meshledger block_height
func blockHeight() int64

//go:wasmimport meshledger block_time_ms
func blockTimeMs() int64

//go:wasmimport meshledger gas_left
func gasLeft() int64

//go:wasmimport meshledger state_get
//go:noescape
func stateGet(key unsafe.Pointer, keyLen uint32, val unsafe.Pointer, valCap uint32) int32

//go:wasmimport meshledger state_has
//go:noescape
func stateHas(key unsafe.Pointer, keyLen uint32) int32

//go:wasmimport meshledger state_set
//go:noescape
func stateSet(key unsafe.Pointer, keyLen uint32, val unsafe.Pointer, valLen uint32)

//go:wasmimport meshledger state_delete
//go:noescape
func stateDelete(key unsafe.Pointer, keyLen uint32)

//go:wasmimport meshledger state_scan
//go:noescape
func stateScan(prefix unsafe.Pointer, prefixLen uint32, start unsafe.Pointer, startLen uint32, limit int32, out unsafe.Pointer, outCap uint32) int32

//go:wasmimport meshledger emit
//go:noescape
func emit(name unsafe.Pointer, nameLen uint32, data unsafe.Pointer, dataLen uint32)

//go:wasmimport meshledger emit_to
//go:noescape
func emitTo(name unsafe.Pointer, nameLen uint32, data unsafe.Pointer, dataLen uint32, audience unsafe.Pointer, audienceLen uint32)

//go:wasmimport meshledger participant
//go:noescape
func participant(addr unsafe.Pointer, out unsafe.Pointer, outCap uint32) int32

//go:wasmimport meshledger set_return
//go:noescape
func setReturn(p unsafe.Pointer, n uint32)

//go:wasmimport meshledger abort
//go:noescape
func abort(msg unsafe.Pointer, msgLen uint32)

//go:wasmimport meshledger call
//go:noescape
func call(to unsafe.Pointer, method unsafe.Pointer, methodLen uint32, args unsafe.Pointer, argsLen uint32, gas int64, out unsafe.Pointer, outCap uint32) int32

//go:wasmimport meshledger call_result
//go:noescape
func callResult(out unsafe.Pointer)
