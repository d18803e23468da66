// Command unencodable registers a method whose argument type has no JSON
// encoding, so no manifest can describe it.
package main

import "github.com/meshledger/meshledger/sdk/contract"

func main() {}

type args struct {
	Done chan bool `json:"done"`
}

func init() {
	contract.Method("wait", func(ctx *contract.Context, a args) (bool, error) { return false, nil })
}
