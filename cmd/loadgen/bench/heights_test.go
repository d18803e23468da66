package bench

import (
	"context"
	"testing"
	"time"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/client"
)

// The watch wakes a waiter when a block commits, lets it go after its
// longest wait when none does, and fails its waiters once the node is
// gone.
func TestHeightWatch(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node")
	}
	n := nodetest.Start(t, node.Config{BlockInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := newClient(n.URL(), client.NewKey(n.Key()))
	if err != nil {
		t.Fatal(err)
	}
	hw := watchHeight(ctx, c)
	h0, err := c.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if h, err := hw.after(ctx, h0.Height, 100*time.Millisecond); err != nil || h != h0.Height || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("without a block: after = %d, %v after %s; want %d after 100ms", h, err, time.Since(start), h0.Height)
	}
	k, _ := client.GenerateKey()
	if _, err := c.Submit(ctx, client.AddMemberOp(k.Address(), servicerRole), client.Wait()); err != nil {
		t.Fatal(err)
	}
	h, err := hw.after(ctx, h0.Height, 30*time.Second)
	if err != nil || h <= h0.Height {
		t.Fatalf("after a block: after = %d, %v; want above %d", h, err, h0.Height)
	}
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := hw.after(ctx, h+1000, 30*time.Second); err == nil {
		t.Fatal("after on a closed node did not fail")
	}
}
