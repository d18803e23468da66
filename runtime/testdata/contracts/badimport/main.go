// Command badimport imports a function from a module the host does not
// provide; deploy must reject it.
package main

import "github.com/meshledger/meshledger/sdk/contract"

func main() {}

//go:wasmimport env evil
func evil() int32

func init() {
	contract.Method("evil", func(*contract.Context, struct{}) (int32, error) { return evil(), nil })
}
