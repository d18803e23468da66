package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/cometbft"
	"github.com/meshledger/meshledger/sdk/client/keystore"
)

// NewCommand returns the load generator as a cobra command named use, so
// that it runs both as cmd/loadgen and as "meshledger bench".
func NewCommand(use string, stdout, stderr io.Writer) *cobra.Command {
	cfg := DefaultConfig()
	var keyFile, wasmFile, poolWasm, portfolioWasm, mode, scenario, cpuProfile string
	var approverKeys []string
	comet := cometbft.DefaultHomeOptions()
	comet.Timing.EmptyBlockInterval = node.DefaultTestnetHeartbeat
	var jsonOut, quiet bool
	cmd := &cobra.Command{
		Use:   use,
		Short: "Drive a node with signed loan payments and report throughput and latency",
		Long: `Deploy the loan contract, book one loan per worker, pre-sign every payment,
then send them (in batches or one by one, at full speed or at --rate) for
--duration or until --count are sent, and report committed tx/s and the
submit-to-commit latency seen on the event stream.

Use --spawn to run against a fresh in-process node on loopback, --testnet N
for a fresh in-process CometBFT network of N organisations (the workers send
to the nodes in turn, each waiting for its payments to commit on the node it
sent them to), or --node (or --nodes) and --key to drive an existing one.
The key deploys the loan contract and adds one sender key per worker to its
organisation with the servicer role, so it must be an admin of its
organisation with the deployer role (the node key of a 'make run' network
is both, as is org1's of a testnet); that setup is not timed. Where deploys
need the organisations' approval, --approver-key gives the other admins'
keys (a testnet uses its other node keys).

--scenario picks what the payments exercise:
  create  (default) loans booked with create: one contract call per payment.
          By default one loan per worker, paid over and over; with --loans N
          a loan book of N loans is booked first (each worker creating its
          share in batch requests, with progress, at the node's rate of
          creates; see docs/performance.md) and each payment pays a loan drawn
          at random (--seed) from its worker's share: state at a real
          book's scale. With --book-dir DIR the booked book is kept in DIR
          (the node's data, the workers' keys, a marker written once the
          book is complete) and a later run with the same --loans and
          --workers reopens it and pays without booking again.
  pool    the assistance scenario's path: the pool and portfolio contracts are
          deployed too, a securitizer and an owner are enrolled, and the
          workers board --loans loans into one pool (in batches, before the
          clock starts); every payment then cross-calls the pool and the
          portfolio in its own transaction, arguments schema-checked at
          admission and execution.
After the run, loadgen reads back what the contracts recorded (the loans'
records, or the pool's disclosure and the owner's portfolio) and fails
unless it matches the committed payments, so failed receipts cannot pass
for throughput.`,
		Example: `  ` + use + ` --spawn --mode batch --workers 8 --batch 32 --duration 10s
  ` + use + ` --spawn --mode single --workers 32
  ` + use + ` --spawn --mode batch --rate 1500
  ` + use + ` --spawn --loans 1000000 --wasm build/contracts/loan.wasm --stages
  ` + use + ` --spawn --loans 1000000 --workers 32 --book-dir /var/tmp/book-1m --wasm build/contracts/loan.wasm
  ` + use + ` --spawn --scenario pool --loans 1000 --wasm build/contracts/loan.wasm \
      --pool-wasm build/contracts/pool.wasm --portfolio-wasm build/contracts/portfolio.wasm
  ` + use + ` --testnet 4 --mode batch --workers 16 --batch 32 --rate 500
  ` + use + ` --node http://127.0.0.1:8080 --key ./data/node.key --wasm loan.wasm
  ` + use + ` --nodes http://127.0.0.1:26701,http://127.0.0.1:26702 --key testnet/org1/node.key \
      --approver-key testnet/org2/node.key --approver-key testnet/org3/node.key --wasm loan.wasm`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Mode, cfg.Scenario = Mode(mode), Scenario(scenario)
			if keyFile != "" {
				k, err := keystore.LoadKeyFile(keyFile, os.Getenv("MESHLEDGER_PASSPHRASE"))
				if err != nil {
					return err
				}
				cfg.AdminKey = k
			}
			for _, f := range approverKeys {
				k, err := keystore.LoadKeyFile(f, os.Getenv("MESHLEDGER_PASSPHRASE"))
				if err != nil {
					return fmt.Errorf("--approver-key: %w", err)
				}
				cfg.ApproverKeys = append(cfg.ApproverKeys, k)
			}
			for _, m := range []struct {
				flag, file string
				out        *[]byte
			}{{"--wasm", wasmFile, &cfg.Wasm}, {"--pool-wasm", poolWasm, &cfg.PoolWasm}, {"--portfolio-wasm", portfolioWasm, &cfg.PortfolioWasm}} {
				if m.file == "" {
					continue
				}
				b, err := os.ReadFile(m.file)
				if err != nil {
					return fmt.Errorf("%s: %w", m.flag, err)
				}
				*m.out = b
			}
			if !quiet {
				cfg.Log = stderr
			}
			if cmd.Flags().Changed("comet-timeout-commit") || cmd.Flags().Changed("comet-peer-gossip-sleep") || cmd.Flags().Changed("comet-flush-throttle") {
				cfg.Comet = &comet
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				defer f.Close()
				cfg.CPUProfile = f
			}
			res, err := Run(cmd.Context(), cfg)
			if res != nil {
				if jsonOut {
					enc := json.NewEncoder(stdout)
					enc.SetIndent("", "  ")
					if e := enc.Encode(res); e != nil && err == nil {
						err = e
					}
				} else {
					res.Print(stdout)
				}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.NodeURL, "node", "", "node API base URL to drive")
	f.BoolVar(&cfg.Spawn, "spawn", false, "start an in-process node on a temporary directory and 127.0.0.1")
	f.IntVar(&cfg.Testnet, "testnet", 0, "start an in-process CometBFT network of this many organisations (one validator each) on a temporary directory and 127.0.0.1, and spread the workers over their nodes")
	f.StringSliceVar(&cfg.Nodes, "nodes", nil, "API base URLs of an existing network's nodes (comma separated): worker i sends to node i mod N and waits for the commit there; the first serves the setup")
	f.DurationVar(&comet.Timing.TimeoutCommit, "comet-timeout-commit", comet.Timing.TimeoutCommit, "with --testnet: CometBFT's consensus.timeout_commit")
	f.DurationVar(&comet.Timing.PeerGossipSleep, "comet-peer-gossip-sleep", comet.Timing.PeerGossipSleep, "with --testnet: CometBFT's consensus.peer_gossip_sleep_duration")
	f.DurationVar(&comet.Timing.FlushThrottle, "comet-flush-throttle", comet.Timing.FlushThrottle, "with --testnet: CometBFT's p2p.flush_throttle_timeout")
	f.StringArrayVar(&approverKeys, "approver-key", nil, "key file of another organisation's admin, to approve the deploys --key proposes where the deploy policy is approval (repeat for each organisation needed)")
	f.StringVar(&keyFile, "key", "", "key file of an org admin with the deployer role on the target chain: deploys the contracts and enrols the senders (not needed with --spawn)")
	f.StringVar(&wasmFile, "wasm", "", "loan contract module (default: build --contract-dir)")
	f.StringVar(&cfg.ContractDir, "contract-dir", cfg.ContractDir, "loan contract package to build when --wasm is not given")
	f.StringVar(&scenario, "scenario", string(cfg.Scenario), "create (loans booked with create) or pool (loans boarded into a pool: each payment cross-calls the pool and portfolio contracts)")
	f.IntVar(&cfg.Loans, "loans", 0, fmt.Sprintf("loans booked before the run, spread over the workers, each payment paying one drawn at random (--seed); default: one per worker, paid in turn (create), %d (pool: boarded into the pool)", DefaultPoolLoans))
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "with --loans: seed of the draws of the loans paid (the same seed pays the same loans)")
	f.BoolVar(&cfg.Stages, "stages", false, "with --spawn or --testnet: profile the timed phase and drain and print the CPU per committed tx by stage (HTTP+JSON, signature recovery, mempool, execution, state commit, load generator, other)")
	f.StringVar(&poolWasm, "pool-wasm", "", "with --scenario pool: pool contract module (default: build contracts/pool)")
	f.StringVar(&portfolioWasm, "portfolio-wasm", "", "with --scenario pool: portfolio contract module (default: build contracts/portfolio)")
	f.StringVar(&mode, "mode", string(cfg.Mode), "batch (POST /v1/txs/batch) or single (POST /v1/txs)")
	f.IntVar(&cfg.Workers, "workers", cfg.Workers, "concurrent senders, each with its own key and loan")
	f.IntVar(&cfg.BatchSize, "batch", cfg.BatchSize, "transactions per batch request")
	f.IntVar(&cfg.Window, "window", cfg.Window, "transactions in flight per worker (at most the node's nonce window)")
	f.Float64Var(&cfg.Rate, "rate", 0, "target total tx/s (default: as fast as possible)")
	f.DurationVar(&cfg.Duration, "duration", cfg.Duration, "length of the timed phase")
	f.IntVar(&cfg.Count, "count", cfg.Count, "payments to pre-sign and send at most")
	f.DurationVar(&cfg.DrainTimeout, "drain", cfg.DrainTimeout, "after the timed phase, wait at most this long for admitted payments to commit (what is still pending is reported stuck)")
	f.Uint64Var(&cfg.GasLimit, "gas", 0, fmt.Sprintf("gas limit of each payment (default %d, %d with --scenario pool)", cfg.GasLimit, DefaultPoolGasLimit))
	f.DurationVar(&cfg.BlockInterval, "block-interval", cfg.BlockInterval, "with --spawn: the node's block interval")
	f.IntVar(&cfg.BlockMaxTxs, "block-max-txs", cfg.BlockMaxTxs, "with --spawn: the node's block size cut")
	f.StringVar(&cfg.CompiledCacheDir, "compiled-cache", "", "with --spawn: directory keeping the node's compiled contract code between runs")
	f.StringVar(&cfg.BookDir, "book-dir", "", "with --spawn and --loans: directory keeping the booked loan book (node data, worker keys) between runs: a later run with the same --loans and --workers reuses it without booking; an incomplete one is wiped and booked again (default --compiled-cache: DIR/compiled-cache)")
	f.BoolVar(&jsonOut, "json", false, "print the result as JSON")
	f.BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of this process (with --spawn or --testnet: nodes and load generator) over the timed phase and drain to this file")
	return cmd
}
