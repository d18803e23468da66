// Command noexport is a plain wasip1 reactor without the SDK: it has no
// mesh_call export, so deploy must reject it.
package main

func main() {}

//go:wasmexport add
func add(a, b int32) int32 { return a + b }
