//go:build !wasip1

package contract

import "github.com/meshledger/meshledger/sdk/contract/internal/hostlink"

// hostAPI is, outside Wasm, a host written in Go (contracttest's mock).
type hostAPI = hostlink.Host

func init() {
	hostlink.Dispatch = func(h hostlink.Host) int32 { return dispatch(h) }
}

// takeContext gives each native call a Context of its own: tests run
// contracts from many goroutines at once, and a cross-contract call runs
// the callee's dispatch inside the caller's.
func takeContext(h hostAPI) *Context {
	c := new(Context)
	c.reset(h, false)
	return c
}

func giveContext(*Context) {}
