package cometbft

import (
	"context"
	"testing"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	abci "github.com/cometbft/cometbft/abci/types"
)

func TestStopGuard(t *testing.T) {
	ctx := context.Background()
	g := &stopGuard{Application: kvstore.NewInMemoryApplication()}
	filter := []string{"/p2p/filter/addr/127.0.0.1:26656", "/p2p/filter/id/0123456789abcdef0123456789abcdef01234567"}

	for _, path := range filter {
		res, err := g.Query(ctx, &abci.RequestQuery{Path: path})
		if err != nil || res.IsErr() {
			t.Fatalf("running: %s = %+v, %v; want accepted", path, res, err)
		}
	}
	// Other queries reach the application (kvstore answers unknown keys
	// with "does not exist").
	res, err := g.Query(ctx, &abci.RequestQuery{Data: []byte("k")})
	if err != nil || res.Log != "does not exist" {
		t.Fatalf("application query = %+v, %v", res, err)
	}

	g.stopping.Store(true)
	for _, path := range filter {
		res, err := g.Query(ctx, &abci.RequestQuery{Path: path})
		if err != nil || !res.IsErr() {
			t.Fatalf("stopping: %s = %+v, %v; want refused", path, res, err)
		}
	}
	if res, err := g.Query(ctx, &abci.RequestQuery{Data: []byte("k")}); err != nil || res.Log != "does not exist" {
		t.Fatalf("application query while stopping = %+v, %v", res, err)
	}
}
