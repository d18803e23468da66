package runtime

import (
	"encoding/binary"
	"fmt"

	"github.com/tetratelabs/wazero/api"
	"golang.org/x/crypto/sha3"
)

// wasiModule is the WASI module name Go's wasip1 port imports from.
const wasiModule = "wasi_snapshot_preview1"

// Sizes of the WASI records the host reads and writes, and the caps on
// how many one call may pass. maxIovecs is WASI's (and POSIX's) IOV_MAX;
// Go's runtime passes one iovec and at most a few subscriptions.
const (
	iovecSize        = 8
	subscriptionSize = 48
	eventSize        = 32
	maxIovecs        = 1024
	maxSubscriptions = 1024
)

// WASI errno values used by the subset.
const (
	errnoSuccess = 0
	errnoBadf    = 8
	errnoInval   = 28
)

// wasiFuncs is the deterministic WASI subset of docs/abi.md: exactly the
// imports Go's wasip1 runtime and syscall packages need to initialise and
// print, with no access to real clocks, randomness or files.
var wasiFuncs = []hostFunc{
	{"sched_yield", nil, []api.ValueType{i32}, func(cs *callState, s []uint64) {
		cs.charge(gasHostBase)
		s[0] = errnoSuccess
	}},
	{"proc_exit", []api.ValueType{i32}, nil, func(cs *callState, s []uint64) {
		cs.stop(CodeExit, fmt.Sprintf("exit code %d", uint32(s[0])))
	}},
	{"args_sizes_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, wasiEmptySizes},
	{"args_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, wasiEmptyGet},
	{"environ_sizes_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, wasiEmptySizes},
	{"environ_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, wasiEmptyGet},
	{"clock_time_get", []api.ValueType{i32, i64, i32}, []api.ValueType{i32}, func(cs *callState, s []uint64) {
		cs.charge(gasHostBase)
		cs.writeU64(uint32(s[2]), uint64(cs.clockNs))
		s[0] = errnoSuccess
	}},
	{"random_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, wasiRandomGet},
	{"fd_write", []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, wasiFdWrite},
	// fd_read is not called by Go's runtime, but any contract whose linker
	// keeps os.File's methods (reflection on methods does) imports it.
	{"fd_read", []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, wasiFdRead},
	{"fd_close", []api.ValueType{i32}, []api.ValueType{i32}, wasiBadf},
	{"fd_fdstat_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, wasiFdstatGet},
	{"fd_fdstat_set_flags", []api.ValueType{i32, i32}, []api.ValueType{i32}, wasiBadf},
	{"fd_prestat_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, wasiBadf},
	{"fd_prestat_dir_name", []api.ValueType{i32, i32, i32}, []api.ValueType{i32}, wasiBadf},
	{"poll_oneoff", []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, wasiPollOneoff},
}

func wasiEmptySizes(cs *callState, s []uint64) {
	cs.charge(gasHostBase)
	cs.writeU32(uint32(s[0]), 0)
	cs.writeU32(uint32(s[1]), 0)
	s[0] = errnoSuccess
}

func wasiEmptyGet(cs *callState, s []uint64) {
	cs.charge(gasHostBase)
	s[0] = errnoSuccess
}

func wasiBadf(cs *callState, s []uint64) {
	cs.charge(gasHostBase)
	s[0] = errnoBadf
}

// wasiRandomGet fills the buffer from keccak256(tx hash ‖ counter) blocks,
// the counter starting at zero for every call. Each block is a Keccak
// permutation, far dearer than copying its bytes, so gas is charged per
// block started.
func wasiRandomGet(cs *callState, s []uint64) {
	ptr, n := uint32(s[0]), uint32(s[1])
	cs.charge(gasHostBase + bytesGas(int(n)) + (uint64(n)+31)/32*gasRandomBlock)
	buf := cs.read(ptr, n)
	var seed [40]byte
	copy(seed[:32], cs.env.TxHash[:])
	if cs.keccak == nil {
		cs.keccak = sha3.NewLegacyKeccak256()
	}
	h := cs.keccak
	var block [32]byte
	for len(buf) > 0 {
		binary.BigEndian.PutUint64(seed[32:], cs.randCtr)
		cs.randCtr++
		h.Reset()
		h.Write(seed[:])
		h.Sum(block[:0])
		buf = buf[copy(buf, block[:]):]
	}
	s[0] = errnoSuccess
}

// wasiFdWrite appends the iovecs' bytes to the call's log. The iovec
// count is capped and paid for before any is read, so the work of one call
// is bounded and priced per iovec even when every iovec is empty.
func wasiFdWrite(cs *callState, s []uint64) {
	fd, iovs, iovsLen, nwrittenPtr := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
	cs.charge(gasHostBase)
	if fd != 1 && fd != 2 {
		s[0] = errnoBadf
		return
	}
	cs.charge(gasFdWrite)
	if iovsLen > maxIovecs {
		s[0] = errnoInval
		return
	}
	cs.charge(uint64(iovsLen) * gasIovec)
	// One read of the whole array: wazero checks its bounds in 64 bits, so
	// an array ending past memory traps instead of wrapping to address 0.
	vec := cs.read(iovs, iovsLen*iovecSize)
	// The limit and the bytes are settled for the whole call before any
	// byte is copied: a failing fd_write leaves the log as it was.
	total, byteGas := int64(0), uint64(0)
	for i := 0; i < len(vec); i += iovecSize {
		n := binary.LittleEndian.Uint32(vec[i+4:])
		total += int64(n)
		byteGas += logBytesGas(int(n)) // the log is kept and returned
	}
	if int64(len(cs.log))+total > int64(cs.limits.MaxLogBytes) {
		cs.stop(CodeLogLimit, fmt.Sprintf("log exceeds %d bytes", cs.limits.MaxLogBytes))
	}
	cs.charge(byteGas)
	for i := 0; i < len(vec); i += iovecSize {
		p, n := binary.LittleEndian.Uint32(vec[i:]), binary.LittleEndian.Uint32(vec[i+4:])
		cs.log = append(cs.log, cs.read(p, n)...)
	}
	cs.writeU32(nwrittenPtr, uint32(total))
	s[0] = errnoSuccess
}

// wasiFdRead reports end of file on stdin and EBADF elsewhere.
func wasiFdRead(cs *callState, s []uint64) {
	cs.charge(gasHostBase)
	if uint32(s[0]) != 0 {
		s[0] = errnoBadf
		return
	}
	cs.writeU32(uint32(s[3]), 0)
	s[0] = errnoSuccess
}

// wasiFdstatGet reports fds 0-2 as character devices without rights and
// every other fd as closed.
func wasiFdstatGet(cs *callState, s []uint64) {
	cs.charge(gasHostBase)
	fd, ptr := uint32(s[0]), uint32(s[1])
	if fd > 2 {
		s[0] = errnoBadf
		return
	}
	var st [24]byte
	st[0] = 2 // filetype character_device
	cs.write(ptr, st[:])
	s[0] = errnoSuccess
}

// wasiPollOneoff completes every subscription at once. Clock subscriptions
// advance the virtual clock to the earliest deadline, so a sleeping
// goroutine wakes in the same virtual instant on every node. Like fd_write
// it caps the count, charges per subscription before reading any, and
// checks each array's bounds once in 64 bits.
func wasiPollOneoff(cs *callState, s []uint64) {
	in, out, nsubs, neventsPtr := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
	cs.charge(gasHostBase)
	if nsubs == 0 || nsubs > maxSubscriptions {
		s[0] = errnoInval
		return
	}
	cs.charge(uint64(nsubs) * gasSubscription)
	subs := cs.read(in, nsubs*subscriptionSize)
	events := cs.read(out, nsubs*eventSize)
	deadline := int64(-1)
	// The arrays are views of linear memory, handled one entry at a time,
	// so overlapping arrays behave as if each event were written right
	// after its subscription was read.
	for i := uint32(0); i < nsubs; i++ {
		sub := subs[i*subscriptionSize : (i+1)*subscriptionSize]
		var ev [eventSize]byte
		copy(ev[:8], sub[:8]) // userdata
		tag := sub[8]
		ev[10] = tag
		if tag == 0 { // clock
			timeout := int64(binary.LittleEndian.Uint64(sub[24:]))
			at := cs.clockNs + timeout
			if binary.LittleEndian.Uint16(sub[40:])&1 != 0 { // absolute
				at = timeout
			}
			if deadline < 0 || at < deadline {
				deadline = at
			}
		} else {
			binary.LittleEndian.PutUint16(ev[8:], errnoBadf)
		}
		copy(events[i*eventSize:], ev[:])
	}
	if deadline > cs.clockNs {
		cs.clockNs = deadline
	}
	cs.writeU32(neventsPtr, nsubs)
	s[0] = errnoSuccess
}
