package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/cmd/internal/node"
)

func newNodeCmd(a *app) *cobra.Command {
	var cfg node.Config
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run a node (solo block producer and HTTP API)",
		Long: `Run a node until interrupted. On first start in an empty data directory it
creates a node key (DATA_DIR/node.key) and, without --genesis, a development
genesis whose admin is that key. --key selects another block signing key.`,
		Example: `  meshledger node
  meshledger node --data-dir /var/lib/meshledger --listen 127.0.0.1:9000 --block-interval 100ms
  MESHLEDGER_DATA_DIR=/tmp/ml meshledger node`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.keyFlagSet {
				cfg.KeyFile = a.keyFile
			}
			cfg.Logger = slog.New(slog.NewTextHandler(a.stderr, nil))
			cfg.OnStart = func(n *node.Node) { printNextSteps(a.stderr, n, cfg) }
			return node.Run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", node.DefaultDataDir, "chain store, node key and genesis directory")
	f.StringVar(&cfg.Listen, "listen", node.DefaultListen, "HTTP API listen address")
	f.StringVar(&cfg.GenesisFile, "genesis", "", "genesis file to start a new chain from (default: DATA_DIR/genesis.json, else a development genesis)")
	f.DurationVar(&cfg.BlockInterval, "block-interval", node.DefaultBlockInterval, "longest a pending transaction waits for a block")
	f.IntVar(&cfg.BlockMaxTxs, "block-max-txs", node.DefaultBlockMaxTxs, "cut a block early once this many transactions are ready")
	return cmd
}

// printNextSteps tells a newcomer what to run once the node serves.
func printNextSteps(w io.Writer, n *node.Node, cfg node.Config) {
	self := "meshledger"
	if len(os.Args) > 0 && filepath.Base(os.Args[0]) == "meshledger" {
		self = os.Args[0]
	}
	nodeFlag := ""
	if cfg.Listen != "" && cfg.Listen != node.DefaultListen {
		nodeFlag = " --node " + n.URL()
	}
	// Client commands sign with ./data/node.key by default: point them at
	// this node's key when it lives elsewhere.
	keyFlag := ""
	if key := cfg.KeyFile; key != "" {
		keyFlag = " --key " + key
	} else if cfg.DataDir != "" && filepath.Clean(cfg.DataDir) != filepath.Clean(node.DefaultDataDir) {
		keyFlag = " --key " + filepath.Join(cfg.DataDir, "node.key")
	}
	fmt.Fprintf(w, `
meshledger node %s serving %s (chain %d)
Try next, in another terminal:
  %s%s%s deploy build/contracts/loan.wasm --name loan
  %s%s chain
Stop with Ctrl-C: the current block is finished and the store closed cleanly.

`, n.Address().Hex(), n.URL(), n.ChainID(), self, nodeFlag, keyFlag, self, nodeFlag)
}
