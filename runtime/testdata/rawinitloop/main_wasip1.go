// Command rawinitloop never finishes initialising: its package init loops
// forever, so a deploy must fail with init_out_of_gas.
package main

var n int

func init() {
	for {
		n++
	}
}

//go:wasmexport mesh_call
func meshCall() int32 { return 0 }

func main() {}
