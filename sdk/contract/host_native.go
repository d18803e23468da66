//go:build !wasip1

package contract

import "github.com/meshledger/meshledger/sdk/contract/internal/hostlink"

// hostAPI is, outside Wasm, a host written in Go (contracttest's mock).
type hostAPI = hostlink.Host

func init() {
	hostlink.Dispatch = func(h hostlink.Host) int32 { return dispatch(h) }
}
