// Command initloop never finishes initialising: its init runs forever, so
// _initialize must be stopped by the init gas budget.
package main

import "github.com/meshledger/meshledger/sdk/contract"

func main() {}

var sink uint64

func init() {
	contract.Method("never", func(*contract.Context, struct{}) (uint64, error) { return sink, nil })
	for i := uint64(0); ; i++ {
		sink += i
	}
}
