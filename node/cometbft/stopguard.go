package cometbft

import (
	"context"
	"strings"
	"sync/atomic"

	abci "github.com/cometbft/cometbft/abci/types"
)

// peerFilterPath prefixes the queries CometBFT asks its application about
// each peer connection when filter_peers is on.
const peerFilterPath = "/p2p/filter/"

// stopGuard wraps the application to refuse peer connections once the
// node is stopping.
//
// CometBFT's switch, asked to add a peer after it stopped, drops it
// without closing its connection ("Won't start a peer - switch is not
// running"). Peers that saw this node go reconnect at once, so some of
// them land in that window: their side of the leaked connection stays up,
// and when the node starts again in the same process they refuse it as a
// duplicate ID until a ping times out, a minute later. With filter_peers
// on, every connection is first put to the application, and the guard
// refuses it from the moment Stop begins, so the transport closes it.
// The application sees no peer filter queries; every other call passes
// through.
type stopGuard struct {
	abci.Application
	stopping atomic.Bool
}

// Query answers peer filter queries and passes the rest to the application.
func (g *stopGuard) Query(ctx context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	if !strings.HasPrefix(req.Path, peerFilterPath) {
		return g.Application.Query(ctx, req)
	}
	if g.stopping.Load() {
		return &abci.ResponseQuery{Code: 1, Log: "node is stopping"}, nil
	}
	return &abci.ResponseQuery{}, nil
}
