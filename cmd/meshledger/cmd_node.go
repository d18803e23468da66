package main

import (
	"log/slog"

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
