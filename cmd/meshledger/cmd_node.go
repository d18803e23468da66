package main

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/meshledger/meshledger/node"
)

func newNodeCmd(a *app) *cobra.Command {
	var cfg node.Config
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run a node (solo block producer and HTTP API)",
		Long: `Run a node until interrupted. On first start in an empty data directory it
creates a node key (DATA_DIR/node.key) and, without --genesis, a development
genesis with one organisation, dev, whose only member is that key (roles
admin, deployer and auditor) and whose deploy policy is open. Access control
is on: add other keys with 'meshledger member add'. --key selects another
block signing key.`,
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
	bindNodeFlags(cmd.Flags(), &cfg)
	return cmd
}

// bindNodeFlags binds the node command's flags to cfg. Their defaults are
// the node's own (node.DefaultConfig), written nowhere else.
func bindNodeFlags(f *pflag.FlagSet, cfg *node.Config) {
	def := node.DefaultConfig()
	f.StringVar(&cfg.DataDir, "data-dir", def.DataDir, "chain store, node key and genesis directory")
	f.StringVar(&cfg.Listen, "listen", def.Listen, "HTTP API listen address")
	f.StringVar(&cfg.GenesisFile, "genesis", "", "genesis file to start a new chain from (default: DATA_DIR/genesis.json, else a development genesis)")
	f.DurationVar(&cfg.BlockInterval, "block-interval", def.BlockInterval, "longest a pending transaction waits for a block")
	f.IntVar(&cfg.BlockMaxTxs, "block-max-txs", def.BlockMaxTxs, "cut a block early once this many transactions are ready")
	f.IntVar(&cfg.CompileWorkers, "compile-workers", def.CompileWorkers,
		"deploys compiled in the background at once, between admission and their block (negative: none, each block compiles its deploys)")
	f.IntVar(&cfg.CompileQueue, "compile-queue", def.CompileQueue,
		"deploys waiting for a compile worker; a deploy beyond it is compiled by its block")
	f.IntVar(&cfg.Mempool.MaxGapped, "mempool-max-gapped", def.Mempool.MaxGapped,
		"pending transactions waiting behind a nonce gap of their sender; beyond it such a transaction is refused (503 mempool_full)")
	f.DurationVar(&cfg.Mempool.GappedMaxAge, "mempool-gapped-max-age", def.Mempool.GappedMaxAge,
		"drop a transaction still behind a nonce gap this long after it arrived (at most the mempool's max age)")
	cfg.WasmMemoryBudget = def.WasmMemoryBudget
	f.Var((*byteSize)(&cfg.WasmMemoryBudget), "wasm-memory-budget",
		"memory loaded contracts keep between calls (bytes, or with KiB, MiB, GiB); the least recently used beyond it are evicted")
}

// byteSize is a flag value of bytes, written plain or with a binary unit.
type byteSize uint64

var byteUnits = []struct {
	suffix string
	shift  uint
}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}

func (b *byteSize) Set(s string) error {
	num, shift := strings.TrimSpace(s), uint(0)
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, shift = strings.TrimSpace(n), u.shift
			break
		}
	}
	v, err := strconv.ParseUint(num, 10, 64)
	if err != nil || v == 0 || v > math.MaxUint64>>shift {
		return fmt.Errorf("%q is not a positive size such as 2GiB, 512MiB or 1048576", s)
	}
	*b = byteSize(v << shift)
	return nil
}

func (b *byteSize) String() string {
	for _, u := range byteUnits {
		if v := uint64(*b); v != 0 && v%(1<<u.shift) == 0 {
			return strconv.FormatUint(v>>u.shift, 10) + u.suffix
		}
	}
	return "0"
}

func (*byteSize) Type() string { return "size" }

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
