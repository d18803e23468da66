// Command latefile has a file whose name sorts after the file sdk/build
// adds to generate the manifest, so the build refuses it.
package main

import "github.com/meshledger/meshledger/sdk/contract"

func main() {}

func init() {
	contract.Method("early", func(ctx *contract.Context, _ struct{}) (bool, error) { return true, nil })
}
