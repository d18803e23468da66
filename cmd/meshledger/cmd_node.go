package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
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
		Short: "Run a node (solo block producer or CometBFT validator, and HTTP API)",
		Long: `Run a node until interrupted. On first start in an empty data directory it
creates a node key (DATA_DIR/node.key) and, without --genesis, a development
genesis with one organisation, dev, whose only member is that key (roles
admin, deployer and auditor) and whose deploy policy is open. Access control
is on: add other keys with 'meshledger member add'. --key selects another
block signing key.

With --consensus cometbft the node is one validator of a network of
organisations: CometBFT runs in this process over the CometBFT home
(--comet-home, default DATA_DIR/cometbft) and makes the blocks; the
genesis must name cometbft as its consensus. 'meshledger testnet' writes
such a network on one machine, 'meshledger init' and 'meshledger genesis'
one across machines (docs/operations.md). CometBFT's metrics are served at
/metrics beside the node's, under the namespace cometbft.`,
		Example: `  meshledger node
  meshledger node --data-dir /var/lib/meshledger --listen 127.0.0.1:9000 --block-interval 100ms
  MESHLEDGER_DATA_DIR=/tmp/ml meshledger node
  meshledger node --data-dir testnet/org1 --listen 127.0.0.1:26600 --consensus cometbft --comet-home testnet/org1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.keyFlagSet {
				cfg.KeyFile = a.keyFile
			}
			cfg.Logger = slog.New(slog.NewTextHandler(a.stderr, nil))
			cfg.OnStart = func(n *node.Node) { printNextSteps(a.stderr, n, cfg) }
			if err := checkBFTGenesis(cfg); err != nil {
				return err
			}
			return explainConsensusMode(node.Run(cmd.Context(), cfg), cfg)
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
	f.StringVar(&cfg.Consensus, "consensus", def.Consensus,
		"how blocks are made, as the genesis names it: solo (this node's producer) or cometbft (a validator of a CometBFT network)")
	f.StringVar(&cfg.CometHome, "comet-home", "", "CometBFT home with --consensus cometbft: config/ and data/ (default DATA_DIR/cometbft)")
	f.StringVar(&cfg.CometLogLevel, "comet-log-level", def.CometLogLevel, "CometBFT's log level with --consensus cometbft: error, info, debug or none")
	// On by default: this process runs one node, and CometBFT's metrics
	// can be registered once per process.
	f.StringVar(&cfg.CometMetricsNamespace, "comet-metrics-namespace", cometMetricsNamespace,
		"prefix of CometBFT's metrics at /metrics with --consensus cometbft (empty: leave them out)")
	cfg.WasmMemoryBudget = def.WasmMemoryBudget
	f.Var((*byteSize)(&cfg.WasmMemoryBudget), "wasm-memory-budget",
		"memory loaded contracts keep between calls (bytes, or with KiB, MiB, GiB); the least recently used beyond it are evicted")
}

// cometMetricsNamespace prefixes CometBFT's metrics at /metrics.
const cometMetricsNamespace = "cometbft"

// checkBFTGenesis refuses --consensus cometbft on a data directory with
// no genesis before the node starts: the node would otherwise write a
// development genesis there, and the directory would then belong to a
// solo chain.
func checkBFTGenesis(cfg node.Config) error {
	if cfg.Consensus != node.ConsensusCometBFT || cfg.GenesisFile != "" {
		return nil
	}
	path := filepath.Join(cfg.DataDir, node.GenesisFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--consensus cometbft: %s does not exist: prepare %s with 'meshledger testnet', "+
			"or 'meshledger init' and 'meshledger genesis install', or name the network's genesis with --genesis", path, cfg.DataDir)
	}
	return nil
}

// explainConsensusMode turns node.ErrConsensusMode into what to do: the
// node's own message names the mode, an operator also needs to know which
// flags and files go with it.
func explainConsensusMode(err error, cfg node.Config) error {
	if !errors.Is(err, node.ErrConsensusMode) {
		return err
	}
	dir := cfg.DataDir
	if cfg.Consensus == node.ConsensusCometBFT {
		return fmt.Errorf("%w\n%s holds no CometBFT network's genesis: drop --consensus to run a solo node, "+
			"or prepare the directory with 'meshledger testnet' or 'meshledger init' and 'meshledger genesis install' first", err, dir)
	}
	return fmt.Errorf("%w\n%s belongs to a CometBFT network: start it with --consensus cometbft --comet-home %s",
		err, dir, findCometHome(cfg))
}

// findCometHome is the CometBFT home that goes with cfg's data directory:
// the one given, else the first holding a CometBFT genesis of the data
// directory itself (a testnet organisation's layout) and DATA_DIR/cometbft
// ('meshledger init's layout and the node's default).
func findCometHome(cfg node.Config) string {
	if cfg.CometHome != "" {
		return cfg.CometHome
	}
	def := filepath.Join(cfg.DataDir, node.CometDir)
	for _, home := range []string{cfg.DataDir, def} {
		if _, err := os.Stat(filepath.Join(home, "config", "genesis.json")); err == nil {
			return home
		}
	}
	return def
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
	keyPath := filepath.Join(cfg.DataDir, "node.key")
	if cfg.KeyFile != "" {
		keyPath = cfg.KeyFile
	}
	if key := cfg.KeyFile; key != "" {
		keyFlag = " --key " + key
	} else if cfg.DataDir != "" && filepath.Clean(cfg.DataDir) != filepath.Clean(node.DefaultDataDir) {
		keyFlag = " --key " + filepath.Join(cfg.DataDir, "node.key")
	}
	fmt.Fprintf(w, `
meshledger node %s serving %s (chain %d)
explorer: %s/ (sign in with the key in %s: paste its hex)
Try next, in another terminal:
  %s%s%s deploy build/contracts/loan.wasm --name loan
  %s%s chain
Stop with Ctrl-C: the current block is finished and the store closed cleanly.

`, n.Address().Hex(), n.URL(), n.ChainID(), n.URL(), keyPath, self, nodeFlag, keyFlag, self, nodeFlag)
}
