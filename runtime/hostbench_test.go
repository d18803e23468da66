package runtime

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// hostBenchCase is one host import called in a loop by the raw guest's
// hostloop method: n calls, each moving size bytes (or size items).
type hostBenchCase struct {
	name string
	fn   string
	n    int
	size int
}

var hostBenchCases = []hostBenchCase{
	{"compute", "compute", 1_000_000, 0},
	{"method_len", "method_len", 5000, 0},
	{"tx_hash", "tx_hash", 5000, 0},
	{"args_read", "args_read", 5000, 0},
	{"clock_time_get", "clock_time_get", 5000, 0},
	{"state_get/32B", "state_get", 5000, 32},
	{"state_get/64KiB", "state_get", 200, 64 << 10},
	{"state_has", "state_has", 5000, 32},
	{"state_set/32B", "state_set", 5000, 32},
	{"state_set/64KiB", "state_set", 200, 64 << 10},
	{"state_delete", "state_delete", 5000, 0},
	{"state_scan/10x32B", "state_scan", 1000, 10},
	{"state_scan/100x32B", "state_scan", 200, 100},
	{"emit/32B", "emit", 5000, 32},
	{"emit/4KiB", "emit", 1000, 4 << 10},
	{"emit_to/32B_4_entries", "emit_to", 5000, 32},
	{"emit_to/4KiB_4_entries", "emit_to", 1000, 4 << 10},
	{"participant", "participant", 5000, 0},
	{"set_return/32B", "set_return", 5000, 32},
	{"set_return/64KiB", "set_return", 200, 64 << 10},
	{"random_get/32B", "random_get", 2000, 32},
	{"random_get/4KiB", "random_get", 100, 4 << 10},
	{"fd_write/32B", "fd_write", 5000, 32},
	{"fd_write/4KiB", "fd_write", 200, 4 << 10}, // the log limit is lifted above
	{"fd_write/1024_empty_iovecs", "fd_write_iovecs", 100, 1024},
	{"poll_oneoff/1", "poll_oneoff", 5000, 1},
	{"poll_oneoff/64", "poll_oneoff", 500, 64},
	// A cross-contract call of the raw guest's echo (at addrB, the same
	// module): the import, the callee's whole call and its gas.
	{"call/echo_32B", "call", 500, 32},
}

// sortedState is a State over sorted keys that seeks like a real store,
// so a benchmarked scan measures the host rather than memState's sort.
type sortedState struct {
	keys []string
	m    map[string][]byte
}

func (s *sortedState) Get(key []byte) ([]byte, bool, error) {
	v, ok := s.m[string(key)]
	return v, ok, nil
}

func (s *sortedState) Iterate(prefix, start []byte, fn func(k, v []byte) bool) error {
	from := max(string(prefix), string(start))
	for i := sort.SearchStrings(s.keys, from); i < len(s.keys) && strings.HasPrefix(s.keys[i], string(prefix)); i++ {
		if !fn([]byte(s.keys[i]), s.m[s.keys[i]]) {
			break
		}
	}
	return nil
}

// hostBenchState holds the key "k" with a size-byte value and 100
// entries "sNN" of 32 bytes for the scans.
func hostBenchState(size int) *sortedState {
	st := &sortedState{m: map[string][]byte{"k": make([]byte, size)}}
	for i := range 100 {
		st.m[fmt.Sprintf("s%02d", i)] = make([]byte, 32)
	}
	for k := range st.m {
		st.keys = append(st.keys, k)
	}
	sort.Strings(st.keys)
	return st
}

// BenchmarkHostFunctions measures what each host import costs in time per
// unit of gas, so the gas schedule of docs/abi.md can be checked against
// plain Wasm code: each case reports x_compute, its ns/gas over that of
// BenchmarkGasSchedule's reference (compute/alu) timed in the same loop,
// and an import far above 1 is underpriced. The compute case is Go code
// without host calls. The fixed cost of a call (reset, reading the method
// and arguments) is measured with zero iterations, interleaved, and
// subtracted from both time and gas.
func BenchmarkHostFunctions(b *testing.B) {
	l := DefaultLimits()
	// Lifted so the loops measure the imports, not the per-call limits.
	l.MaxEvents, l.MaxEventBytes, l.MaxLogBytes = 1<<30, 1<<40, 1<<40
	rt := newTestRuntime(b, NewConfig().WithLimits(l))
	m := mustLoad(b, rt, rawGuest(b))
	env := testEnv()
	env.GasLimit = 1 << 50
	// A directory of decoded members, as state is a map here: the import
	// is priced for its own work plus a read, like state_get, and a node's
	// directory keeps decoded registry records (docs/abi.md, "Gas").
	env.Directory = mapDirectory{env.Caller: {Org: "bank", Roles: []string{"admin", "servicer"}}}
	env.Calls = newDispatcher(m, addrB)
	ctx := context.Background()
	call := func(b *testing.B, st State, args string) (uint64, time.Duration) {
		start := time.Now()
		res, err := m.Call(ctx, env, "hostloop", []byte(args), st)
		d := time.Since(start)
		if err != nil || !res.OK() {
			b.Fatalf("hostloop %s: %v %+v", args, err, res)
		}
		return res.GasUsed, d
	}
	for _, c := range hostBenchCases {
		b.Run(c.name, func(b *testing.B) {
			ref := newGasClock(b, rt, referenceSpec)
			st := hostBenchState(c.size)
			args := fmt.Sprintf("%s %d %d", c.fn, c.n, c.size)
			base := fmt.Sprintf("%s 0 %d", c.fn, c.size)
			var ns time.Duration
			var gas uint64
			for b.Loop() {
				ref.tick(b)
				g0, t0 := call(b, st, base)
				g1, t1 := call(b, st, args)
				ns += t1 - t0
				gas += g1 - g0
			}
			perGas := float64(ns.Nanoseconds()) / float64(gas)
			b.ReportMetric(perGas, "ns/gas")
			b.ReportMetric(perGas/ref.nsPerGas(), "x_compute")
			b.ReportMetric(float64(gas)/float64(b.N)/float64(c.n), "gas/hostcall")
			b.ReportMetric(float64(ns.Nanoseconds())/float64(b.N)/float64(c.n), "ns/hostcall")
		})
	}
}
