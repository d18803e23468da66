package runtime

import (
	"encoding/binary"
	"fmt"

	"github.com/tetratelabs/wazero/api"
	"golang.org/x/crypto/sha3"
)

// wasiModule is the WASI module name Go's wasip1 port imports from.
const wasiModule = "wasi_snapshot_preview1"

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
// the counter starting at zero for every call.
func wasiRandomGet(cs *callState, s []uint64) {
	ptr, n := uint32(s[0]), uint32(s[1])
	cs.charge(gasHostBase + bytesGas(int(n)))
	buf := cs.read(ptr, n)
	var seed [40]byte
	copy(seed[:32], cs.env.TxHash[:])
	h := sha3.NewLegacyKeccak256()
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

func wasiFdWrite(cs *callState, s []uint64) {
	fd, iovs, iovsLen, nwrittenPtr := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
	cs.charge(gasHostBase)
	if fd != 1 && fd != 2 {
		s[0] = errnoBadf
		return
	}
	total := uint32(0)
	for i := uint32(0); i < iovsLen; i++ {
		iov := cs.read(iovs+i*8, 8)
		p, n := binary.LittleEndian.Uint32(iov), binary.LittleEndian.Uint32(iov[4:])
		if int64(len(cs.log))+int64(n) > int64(cs.limits.MaxLogBytes) {
			cs.stop(CodeLogLimit, fmt.Sprintf("log exceeds %d bytes", cs.limits.MaxLogBytes))
		}
		cs.charge(bytesGas(int(n)))
		cs.log = append(cs.log, cs.read(p, n)...)
		total += n
	}
	cs.writeU32(nwrittenPtr, total)
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
// goroutine wakes in the same virtual instant on every node.
func wasiPollOneoff(cs *callState, s []uint64) {
	in, out, nsubs, neventsPtr := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
	cs.charge(gasHostBase + uint64(nsubs))
	if nsubs == 0 {
		s[0] = errnoInval
		return
	}
	const subSize, eventSize = 48, 32
	deadline := int64(-1)
	for i := uint32(0); i < nsubs; i++ {
		sub := cs.read(in+i*subSize, subSize)
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
		cs.write(out+i*eventSize, ev[:])
	}
	if deadline > cs.clockNs {
		cs.clockNs = deadline
	}
	cs.writeU32(neventsPtr, nsubs)
	s[0] = errnoSuccess
}
