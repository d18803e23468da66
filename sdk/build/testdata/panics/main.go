// Command panics registers the same method twice, which the SDK refuses
// when the package initialises.
package main

import "github.com/meshledger/meshledger/sdk/contract"

func main() {}

func init() {
	ok := func(ctx *contract.Context, _ struct{}) (bool, error) { return true, nil }
	contract.Method("twice", ok)
	contract.Method("twice", ok)
}
