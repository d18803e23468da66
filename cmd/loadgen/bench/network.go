package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/sdk/client"
)

// target is what a run drives: the nodes' API URLs, the key that sets the
// run up and the keys that approve its deploys.
type target struct {
	urls      []string
	admin     *client.Key
	approvers []*client.Key
	// applyTime is a spawned solo node's time applying blocks so far (0
	// otherwise).
	applyTime func() time.Duration
	close     func()
}

// resolveTarget starts what cfg asks to start (a solo node or a testnet)
// and says what to drive.
// A spawned node runs on a temporary directory, removed when it closes,
// unless bk is given: then on bk's node directory, kept.
func resolveTarget(ctx context.Context, cfg Config, bk *bookDir) (*target, error) {
	t := &target{admin: cfg.AdminKey, approvers: cfg.ApproverKeys, applyTime: func() time.Duration { return 0 }, close: func() {}}
	switch {
	case cfg.Spawn:
		kept := ""
		if bk != nil {
			kept = bk.nodeDir()
		}
		n, dir, err := spawn(ctx, cfg, kept)
		if err != nil {
			return nil, err
		}
		t.close = func() {
			_ = n.Close(context.WithoutCancel(ctx))
			if kept == "" {
				os.RemoveAll(dir)
			}
		}
		t.urls, t.admin = []string{n.URL()}, client.NewKey(n.Key())
		t.applyTime = func() time.Duration { return blockApplyTime(n.Registry()) }
		fmt.Fprintf(cfg.Log, "spawned node at %s (block interval %s, max %d txs)\n", n.URL(), cfg.BlockInterval, cfg.BlockMaxTxs)
	case cfg.Testnet > 0:
		nodes, dir, err := spawnTestnet(ctx, cfg)
		if err != nil {
			return nil, err
		}
		t.close = func() {
			closeAll(context.WithoutCancel(ctx), nodes)
			os.RemoveAll(dir)
		}
		for i, n := range nodes {
			t.urls = append(t.urls, n.URL())
			if i == 0 {
				t.admin = client.NewKey(n.Key())
			} else {
				t.approvers = append(t.approvers, client.NewKey(n.Key()))
			}
		}
		fmt.Fprintf(cfg.Log, "spawned a %d-organisation CometBFT testnet at %v\n", len(nodes), t.urls)
	case len(cfg.Nodes) > 0:
		t.urls = cfg.Nodes
	default:
		t.urls = []string{cfg.NodeURL}
	}
	return t, nil
}

// spawnTestnet writes a testnet of cfg.Testnet organisations in a
// temporary directory and starts every node in this process, each API on
// its own 127.0.0.1 port. The nodes find each other through the CometBFT
// peers WriteTestnet wired.
func spawnTestnet(ctx context.Context, cfg Config) ([]*node.Node, string, error) {
	dir, err := os.MkdirTemp("", "meshledger-bench-testnet-*")
	if err != nil {
		return nil, "", fmt.Errorf("bench: temp dir: %w", err)
	}
	tn, err := node.WriteTestnet(dir, node.TestnetOptions{Orgs: cfg.Testnet, Comet: cfg.Comet})
	if err != nil {
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("bench: testnet: %w", err)
	}
	var nodes []*node.Node
	fail := func(err error) ([]*node.Node, string, error) {
		closeAll(ctx, nodes)
		os.RemoveAll(dir)
		return nil, "", err
	}
	for i := range tn.Orgs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fail(fmt.Errorf("bench: listen: %w", err))
		}
		nc := tn.Config(i)
		nc.Listen, nc.Listener = "", ln
		nc.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		n, err := node.New(ctx, nc)
		if err == nil {
			if err = n.Start(); err != nil {
				_ = n.Close(ctx)
			}
		}
		if err != nil {
			ln.Close()
			return fail(fmt.Errorf("bench: start %s: %w", tn.Orgs[i].ID, err))
		}
		nodes = append(nodes, n)
	}
	return nodes, dir, nil
}

// closeAll closes nodes, the last started first.
func closeAll(ctx context.Context, nodes []*node.Node) {
	for i := len(nodes) - 1; i >= 0; i-- {
		_ = nodes[i].Close(ctx)
	}
}

// clientsOf returns one client per URL, all signing with key.
func clientsOf(urls []string, key *client.Key) ([]*client.Client, error) {
	cs := make([]*client.Client, len(urls))
	for i, u := range urls {
		c, err := newClient(u, key)
		if err != nil {
			return nil, err
		}
		cs[i] = c
	}
	return cs, nil
}
