// Command spin misbehaves on request, for the runtime's resource-limit
// tests and its metered-versus-unmetered benchmarks.
package main

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/meshledger/meshledger/sdk/contract"
)

func main() {}

func init() {
	contract.Method("loop", loop)
	contract.Method("recurse", recurse)
	contract.Method("grow", grow)
	contract.Method("bigreturn", bigreturn)
	contract.Method("flood", flood)
	contract.Method("logflood", logflood)
	contract.Method("boom", boom)
	contract.Method("compute", compute)
	contract.Method("floats", floats)
}

type none struct{}

// sink defeats dead-code elimination of the loops below.
var sink uint64

// loop never ends: only gas stops it.
func loop(*contract.Context, none) (none, error) {
	for i := uint64(0); ; i++ {
		sink += i
	}
}

// recurse recurses without bound: the call depth limit (or Go's stack
// growth hitting the memory limit) stops it.
func recurse(*contract.Context, none) (uint64, error) { return depth(1), nil }

//go:noinline
func depth(n uint64) uint64 {
	if n == 0 { // never: keeps the recursion from being provably infinite
		return 0
	}
	return depth(n+1) + 1
}

// grow allocates and keeps memory until the memory limit stops it.
func grow(*contract.Context, none) (int, error) {
	var kept [][]byte
	for {
		b := make([]byte, 1<<20)
		b[0] = 1
		kept = append(kept, b)
		sink += uint64(len(kept))
	}
}

// bigreturn returns a 1 MiB string, past the return data limit.
func bigreturn(*contract.Context, none) (string, error) {
	return strings.Repeat("x", 1<<20), nil
}

// flood emits 10,000 events, past the event limit.
func flood(ctx *contract.Context, none none) (none, error) {
	for i := range 10_000 {
		if err := ctx.Emit("Flood", i); err != nil {
			return none, err
		}
	}
	return none, nil
}

// logflood writes to stdout forever, past the log limit.
func logflood(*contract.Context, none) (none, error) {
	for i := 0; ; i++ {
		fmt.Println("flooding the log, line", i)
	}
}

// boom panics.
func boom(*contract.Context, none) (none, error) {
	panic(errors.New("boom"))
}

// ComputeArgs sizes compute's work.
type ComputeArgs struct {
	N int `json:"n"`
}

// compute runs n rounds of a 64-bit FNV-1a-style hash chain: pure,
// deterministic integer work with no host calls, for benchmarking the
// cost of metering.
func compute(_ *contract.Context, a ComputeArgs) (uint64, error) {
	h := uint64(14695981039346656037)
	for i := 0; i < a.N; i++ {
		h ^= uint64(i) & 0xff
		h *= 1099511628211
		h ^= h >> 29
	}
	return h, nil
}

// floats does float arithmetic, including operations producing NaN, and
// returns the raw bits, so the runtime can prove NaN bits are canonical
// (deterministic across machines).
func floats(*contract.Context, none) ([]string, error) {
	zero := sinkFloat(0)
	inf := math.Inf(1) * sinkFloat(1)
	vals := []float64{
		zero / zero,                  // NaN from 0/0
		inf - inf,                    // NaN from inf-inf
		math.Sqrt(-1 * sinkFloat(1)), // NaN from sqrt(-1)
		inf * zero,                   // NaN from inf*0
		sinkFloat(0.1) + sinkFloat(0.2),
		math.Sqrt(sinkFloat(2)),
	}
	f32 := float32(zero) / float32(zero)
	out := make([]string, 0, len(vals)+1)
	for _, v := range vals {
		out = append(out, fmt.Sprintf("%016x", math.Float64bits(v)))
	}
	return append(out, fmt.Sprintf("%08x", math.Float32bits(f32))), nil
}

// sinkFloat hides constants from the compiler so the float operations
// happen at run time, in Wasm.
//
//go:noinline
func sinkFloat(f float64) float64 { return f }
