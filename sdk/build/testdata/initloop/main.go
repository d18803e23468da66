// Command initloop never finishes initialising, so its manifest cannot
// be generated.
package main

import "github.com/meshledger/meshledger/sdk/contract"

func main() {}

var spin = true

func init() {
	contract.Method("never", func(*contract.Context, struct{}) (bool, error) { return true, nil })
	for spin {
	}
}
