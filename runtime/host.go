package runtime

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Gas schedule of host functions (docs/abi.md, "Gas"), calibrated with
// BenchmarkHostFunctions so that no import buys more than 2x (and most
// about 1x) the time per gas of ordinary Wasm code (BenchmarkGasSchedule's
// compute/alu, about 0.1 ns per gas): the base is the cost of leaving Wasm
// for Go and back, the rest what each import does beyond it.
const (
	gasHostBase  = 500
	gasStateRead = 500
	// gasScanBase and gasScanEntry: a scan opens an iterator over the
	// call's writes and the store, then decodes and encodes each entry.
	gasScanBase  = 1500
	gasScanEntry = 1000
	gasStateSet  = 500
	// gasEmit is an event's own allocations and the copy it gets in the
	// call's result.
	gasEmit = 1200
	// gasFdWrite is fd_write's fixed work beyond the base: reading the
	// iovecs and appending to the call's log.
	gasFdWrite = 600
	// gasRandomBlock is one Keccak-256 block of random_get.
	gasRandomBlock = 4000
	// gasIovec and gasSubscription are per record of fd_write and
	// poll_oneoff, including its bytes (8, and 48 + 32).
	gasIovec        = 60
	gasSubscription = 60
)

// bytesGas is the byte-proportional part of a host call's cost for bytes
// copied between Wasm and the host.
func bytesGas(n int) uint64 { return (uint64(n) + 3) / 4 }

// Bytes the host allocates and keeps for the rest of the call and beyond
// cost several times more than bytes it copies, each by its own measure:
// a state value is copied into the call's write set and the result, an
// event's data into its own allocation and the result, and log bytes
// into a growing log that the result copies again.
func valueBytesGas(n int) uint64 { return 2 * uint64(n) }
func eventBytesGas(n int) uint64 { return 3 * uint64(n) }
func logBytesGas(n int) uint64   { return 5 * uint64(n) }

// maxAbortMessage bounds the message of abort so a failed call cannot
// produce an unbounded receipt.
const maxAbortMessage = 4 << 10

const hostModule = "meshledger"

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// hostFunc is one import the host provides.
type hostFunc struct {
	name    string
	params  []api.ValueType
	results []api.ValueType
	fn      func(cs *callState, stack []uint64)
}

// meshledgerFuncs lists the `meshledger` imports. Every function charges
// gas before doing work, so a call out of gas never has side effects.
var meshledgerFuncs = []hostFunc{
	{"method_len", nil, []api.ValueType{i32}, func(cs *callState, s []uint64) {
		cs.charge(gasHostBase)
		s[0] = uint64(len(cs.method))
	}},
	{"method_read", []api.ValueType{i32}, nil, func(cs *callState, s []uint64) {
		cs.charge(gasHostBase + bytesGas(len(cs.method)))
		if !cs.mem.WriteString(uint32(s[0]), cs.method) {
			cs.stop(CodeTrap, "host: out of bounds memory access")
		}
	}},
	{"args_len", nil, []api.ValueType{i32}, func(cs *callState, s []uint64) {
		cs.charge(gasHostBase)
		s[0] = uint64(len(cs.args))
	}},
	{"args_read", []api.ValueType{i32}, nil, func(cs *callState, s []uint64) {
		cs.charge(gasHostBase + bytesGas(len(cs.args)))
		cs.write(uint32(s[0]), cs.args)
	}},
	{"caller", []api.ValueType{i32}, nil, func(cs *callState, s []uint64) {
		cs.charge(gasHostBase + bytesGas(20))
		cs.write(uint32(s[0]), cs.env.Caller[:])
	}},
	{"self_address", []api.ValueType{i32}, nil, func(cs *callState, s []uint64) {
		cs.charge(gasHostBase + bytesGas(20))
		cs.write(uint32(s[0]), cs.env.Contract[:])
	}},
	{"tx_hash", []api.ValueType{i32}, nil, func(cs *callState, s []uint64) {
		cs.charge(gasHostBase + bytesGas(32))
		cs.write(uint32(s[0]), cs.env.TxHash[:])
	}},
	{"block_height", nil, []api.ValueType{i64}, func(cs *callState, s []uint64) {
		cs.charge(gasHostBase)
		s[0] = cs.env.Height
	}},
	{"block_time_ms", nil, []api.ValueType{i64}, func(cs *callState, s []uint64) {
		cs.charge(gasHostBase)
		s[0] = uint64(cs.env.TimeMs)
	}},
	{"gas_left", nil, []api.ValueType{i64}, func(cs *callState, s []uint64) {
		cs.charge(gasHostBase)
		s[0] = uint64(cs.gasLeft())
	}},
	{"state_get", []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, hostStateGet},
	{"state_has", []api.ValueType{i32, i32}, []api.ValueType{i32}, hostStateHas},
	{"state_set", []api.ValueType{i32, i32, i32, i32}, nil, hostStateSet},
	{"state_delete", []api.ValueType{i32, i32}, nil, hostStateDelete},
	{"state_scan", []api.ValueType{i32, i32, i32, i32, i32, i32, i32}, []api.ValueType{i32}, hostStateScan},
	{"emit", []api.ValueType{i32, i32, i32, i32}, nil, hostEmit},
	{"emit_to", []api.ValueType{i32, i32, i32, i32, i32, i32}, nil, hostEmitTo},
	{"participant", []api.ValueType{i32, i32, i32}, []api.ValueType{i32}, hostParticipant},
	{"call", []api.ValueType{i32, i32, i32, i32, i32, i64, i32, i32}, []api.ValueType{i32}, hostCall},
	{"call_result", []api.ValueType{i32}, nil, hostCallResult},
	{"set_return", []api.ValueType{i32, i32}, nil, func(cs *callState, s []uint64) {
		n := uint32(s[1])
		if int64(n) > int64(cs.limits.MaxReturnBytes) {
			cs.stop(CodeReturnTooLarge, fmt.Sprintf("return data of %d bytes exceeds %d", n, cs.limits.MaxReturnBytes))
		}
		cs.charge(gasHostBase + bytesGas(int(n)))
		cs.ret = append(cs.ret[:0], cs.read(uint32(s[0]), n)...)
	}},
	{"abort", []api.ValueType{i32, i32}, nil, func(cs *callState, s []uint64) {
		n := min(uint32(s[1]), maxAbortMessage)
		cs.charge(gasHostBase + bytesGas(int(n)))
		// The message goes into receipts, which are JSON: invalid UTF-8 is
		// replaced the same way on every node rather than passed through.
		cs.stop(CodeAborted, strings.ToValidUTF8(string(cs.read(uint32(s[0]), n)), "\uFFFD"))
	}},
}

// key reads a key argument, enforcing the key size limit.
func (cs *callState) key(ptr, n uint32) []byte {
	if int64(n) > int64(cs.limits.MaxKeyBytes) {
		cs.stop(CodeBadKey, fmt.Sprintf("key of %d bytes exceeds %d", n, cs.limits.MaxKeyBytes))
	}
	return cs.read(ptr, n)
}

func (cs *callState) storeFailed(err error) {
	cs.hostFailure(fmt.Errorf("runtime: state read: %w", err))
}

func hostStateGet(cs *callState, s []uint64) {
	key := cs.key(uint32(s[0]), uint32(s[1]))
	cs.charge(gasHostBase + gasStateRead + bytesGas(len(key)))
	v, ok, err := cs.buf.Get(key)
	if err != nil {
		cs.storeFailed(err)
	}
	if !ok {
		s[0] = uint64(uint32(0xFFFFFFFF)) // -1 as i32
		return
	}
	cs.charge(bytesGas(len(v)))
	cs.write(uint32(s[2]), v[:min(len(v), int(uint32(s[3])))])
	s[0] = uint64(uint32(len(v)))
}

func hostStateHas(cs *callState, s []uint64) {
	key := cs.key(uint32(s[0]), uint32(s[1]))
	cs.charge(gasHostBase + gasStateRead + bytesGas(len(key)))
	_, ok, err := cs.buf.Get(key)
	if err != nil {
		cs.storeFailed(err)
	}
	s[0] = 0
	if ok {
		s[0] = 1
	}
}

func (cs *callState) checkWritable() {
	if cs.env.ReadOnly {
		cs.stop(CodeReadOnly, "state write in a read-only call")
	}
}

func hostStateSet(cs *callState, s []uint64) {
	cs.checkWritable()
	key := cs.key(uint32(s[0]), uint32(s[1]))
	n := uint32(s[3])
	if int64(n) > int64(cs.limits.MaxValueBytes) {
		cs.stop(CodeValueTooLarge, fmt.Sprintf("value of %d bytes exceeds %d", n, cs.limits.MaxValueBytes))
	}
	cs.charge(gasHostBase + gasStateSet + bytesGas(len(key)) + valueBytesGas(int(n)))
	cs.buf.Set(key, cs.read(uint32(s[2]), n))
}

func hostStateDelete(cs *callState, s []uint64) {
	cs.checkWritable()
	key := cs.key(uint32(s[0]), uint32(s[1]))
	cs.charge(gasHostBase + gasStateSet + bytesGas(len(key)))
	cs.buf.Delete(key)
}

func hostStateScan(cs *callState, s []uint64) {
	prefix := cs.key(uint32(s[0]), uint32(s[1]))
	start := cs.key(uint32(s[2]), uint32(s[3]))
	limit := int(int32(uint32(s[4])))
	out, outCap := uint32(s[5]), uint32(s[6])
	cs.charge(gasHostBase + gasScanBase + bytesGas(len(prefix)+len(start)))
	limit = max(0, min(limit, cs.limits.MaxScanEntries))

	enc := append(cs.scan[:0], 0, 0, 0, 0)
	count := uint32(0)
	outOfGas := false
	// The store iterator must be allowed to clean up, so running out of gas
	// inside the scan stops it and fails the call afterwards.
	err := cs.buf.Scan(prefix, start, limit, func(k, v []byte) {
		if outOfGas {
			return
		}
		cost := gasScanEntry + bytesGas(8+len(k)+len(v))
		if cs.gas != nil {
			left := int64(cs.gas.Get())
			if int64(cost) > left {
				outOfGas = true
				return
			}
			cs.gas.Set(uint64(left - int64(cost)))
		}
		enc = binary.LittleEndian.AppendUint32(enc, uint32(len(k)))
		enc = append(enc, k...)
		enc = binary.LittleEndian.AppendUint32(enc, uint32(len(v)))
		enc = append(enc, v...)
		count++
	})
	cs.scan = enc
	if err != nil {
		cs.storeFailed(err)
	}
	if outOfGas {
		cs.gas.Set(^uint64(0))
		cs.stop(CodeOutOfGas, "out of gas")
	}
	binary.LittleEndian.PutUint32(enc, count)
	if uint64(len(enc)) <= uint64(outCap) {
		cs.write(out, enc)
	}
	s[0] = uint64(uint32(len(enc)))
}

func hostEmit(cs *callState, s []uint64) {
	nameLen, dataLen := uint32(s[1]), uint32(s[3])
	if len(cs.events) >= cs.limits.MaxEvents {
		cs.stop(CodeEventLimit, fmt.Sprintf("more than %d events", cs.limits.MaxEvents))
	}
	if total := int64(cs.evBytes) + int64(nameLen) + int64(dataLen); total > int64(cs.limits.MaxEventBytes) {
		cs.stop(CodeEventLimit, fmt.Sprintf("events exceed %d bytes", cs.limits.MaxEventBytes))
	}
	cs.charge(gasHostBase + gasEmit + eventBytesGas(int(nameLen)+int(dataLen)))
	name := string(cs.read(uint32(s[0]), nameLen))
	data := append([]byte(nil), cs.read(uint32(s[2]), dataLen)...)
	cs.events = append(cs.events, Event{Name: name, Data: data})
	cs.evBytes += int(nameLen) + int(dataLen)
}

// instantiateHost registers the functions as host module name in wz.
func instantiateHost(ctx context.Context, wz wazero.Runtime, name string, funcs []hostFunc) error {
	b := wz.NewHostModuleBuilder(name)
	for _, f := range funcs {
		fn := f.fn
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
				cs := stateFrom(ctx)
				if cs.mem == nil {
					cs.bind(mod)
				}
				fn(cs, stack)
			}), f.params, f.results).
			Export(f.name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("runtime: instantiate host module %s: %w", name, err)
	}
	return nil
}
