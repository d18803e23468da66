// Command gocontract is a small reactor module used by the wasm package's
// tests as a real Go-compiled input: it exercises maps, sorting, string
// building, floats (including a NaN) and goroutine-free recursion.
package main

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

//go:wasmexport mesh_call
func meshCall() int32 {
	m := map[string]int{}
	for i := 0; i < 300; i++ {
		m[strconv.Itoa(i%37)] += i
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		sb.WriteString(k)
		sb.WriteString(strconv.Itoa(m[k]))
	}
	f := math.Sqrt(float64(sb.Len()))
	nan := math.Sqrt(-f) // NaN: its bits must not depend on the engine
	bits := math.Float64bits(nan*2 + 1)
	return int32(sb.Len()) ^ int32(bits>>32) ^ int32(f*1000) ^ int32(fib(15))
}

func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func main() {}
