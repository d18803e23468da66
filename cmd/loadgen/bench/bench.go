package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/sdk/build"
	"github.com/meshledger/meshledger/sdk/client"
)

// Mode is how payments are sent.
type Mode string

// Modes.
const (
	ModeBatch  Mode = "batch"  // POST /v1/txs/batch, BatchSize transactions per request
	ModeSingle Mode = "single" // POST /v1/txs, one transaction per request
)

// Config describes one run. Zero fields take the defaults of Defaults.
type Config struct {
	// NodeURL is the node to drive; ignored with Spawn.
	NodeURL string
	// Spawn starts an in-process node on a temporary directory, listening
	// on 127.0.0.1:0, with BlockInterval and BlockMaxTxs.
	Spawn         bool
	BlockInterval time.Duration
	BlockMaxTxs   int
	// AdminKey deploys the contract and books the loans. With Spawn the
	// node's development key is used.
	AdminKey *client.Key
	// Wasm is the loan contract; when nil it is built from ContractDir.
	Wasm        []byte
	ContractDir string

	Mode      Mode
	Workers   int
	BatchSize int
	// Window bounds each worker's transactions in flight; it must not
	// exceed the node's nonce window.
	Window int
	// Rate is the target total transactions per second; 0 sends as fast as
	// the node admits them.
	Rate float64
	// Duration bounds the timed phase; Count bounds the transactions sent
	// (and signed ahead). The phase ends at whichever comes first.
	Duration time.Duration
	Count    int
	// DrainTimeout bounds the wait, after the timed phase, for admitted
	// transactions to commit; the wait also ends once none has committed
	// for a few seconds. What is still pending then is reported stuck.
	DrainTimeout time.Duration
	// GasLimit of each payment.
	GasLimit uint64
	// Log receives progress lines (nil: none).
	Log io.Writer
}

// Defaults returns the default configuration.
func Defaults() Config {
	return Config{
		BlockInterval: node.DefaultBlockInterval, BlockMaxTxs: node.DefaultBlockMaxTxs,
		ContractDir: "contracts/loan", Mode: ModeBatch, Workers: 8, BatchSize: 32, Window: 64,
		Duration: 10 * time.Second, Count: 20000, DrainTimeout: 30 * time.Second, GasLimit: 5_000_000,
	}
}

func (c Config) withDefaults() Config {
	d := Defaults()
	if c.BlockInterval <= 0 {
		c.BlockInterval = d.BlockInterval
	}
	if c.BlockMaxTxs <= 0 {
		c.BlockMaxTxs = d.BlockMaxTxs
	}
	if c.ContractDir == "" {
		c.ContractDir = d.ContractDir
	}
	if c.Mode == "" {
		c.Mode = d.Mode
	}
	if c.Workers <= 0 {
		c.Workers = d.Workers
	}
	if c.BatchSize <= 0 {
		c.BatchSize = d.BatchSize
	}
	if c.Window <= 0 {
		c.Window = d.Window
	}
	if c.Duration <= 0 {
		c.Duration = d.Duration
	}
	if c.Count <= 0 {
		c.Count = d.Count
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = d.DrainTimeout
	}
	if c.GasLimit == 0 {
		c.GasLimit = d.GasLimit
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return c
}

// Errors of a configuration.
var (
	ErrBadMode   = errors.New("bench: mode must be batch or single")
	ErrNoTarget  = errors.New("bench: give a node URL or spawn one")
	ErrNoKey     = errors.New("bench: a key is needed to deploy the loan contract on an existing node")
	ErrBatchSize = errors.New("bench: batch size must not exceed the window")
)

func (c Config) validate() error {
	switch {
	case c.Mode != ModeBatch && c.Mode != ModeSingle:
		return fmt.Errorf("%w: %q", ErrBadMode, c.Mode)
	case !c.Spawn && c.NodeURL == "":
		return ErrNoTarget
	case !c.Spawn && c.AdminKey == nil:
		return ErrNoKey
	case c.Mode == ModeBatch && c.BatchSize > c.Window:
		return fmt.Errorf("%w: %d > %d", ErrBatchSize, c.BatchSize, c.Window)
	}
	return nil
}

// Run performs one benchmark run.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	url, admin := cfg.NodeURL, cfg.AdminKey
	applyTime := func() time.Duration { return 0 }
	if cfg.Spawn {
		n, dir, err := spawn(ctx, cfg)
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		defer n.Close(context.WithoutCancel(ctx))
		url, admin = n.URL(), client.NewKey(n.Key())
		applyTime = func() time.Duration { return blockApplyTime(n.Registry()) }
		fmt.Fprintf(cfg.Log, "spawned node at %s (block interval %s, max %d txs)\n", url, cfg.BlockInterval, cfg.BlockMaxTxs)
	}
	c, err := client.New(url, client.WithKey(admin), client.WithPollInterval(20*time.Millisecond))
	if err != nil {
		return nil, err
	}
	wasm := cfg.Wasm
	if wasm == nil {
		if wasm, err = buildLoan(ctx, cfg.ContractDir); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(cfg.Log, "deploying loan contract (%d bytes)\n", len(wasm))
	dep, err := c.Submit(ctx, client.DeployOp(wasm, "loan", nil), client.Wait())
	if err == nil {
		err = client.ReceiptError(dep)
	}
	if err != nil {
		return nil, fmt.Errorf("bench: deploy: %w", err)
	}
	loan := *dep.Receipt.ContractAddress
	ws, err := bookLoans(ctx, c, loan, cfg.Workers)
	if err != nil {
		return nil, err
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := presign(ws, loan, chainID, cfg); err != nil {
		return nil, err
	}
	fmt.Fprintf(cfg.Log, "pre-signed %d payments for %d workers in %s\n", cfg.Count, cfg.Workers, time.Since(start).Round(time.Millisecond))
	applied := applyTime()
	res, err := drive(ctx, c, ws, cfg)
	if res != nil {
		res.ApplyTime = applyTime() - applied
	}
	return res, err
}

// blockApplyTime is the total time a spawned node spent applying blocks,
// from its own metrics.
func blockApplyTime(reg prometheus.Gatherer) time.Duration {
	mfs, err := reg.Gather()
	if err != nil {
		return 0
	}
	for _, mf := range mfs {
		if mf.GetName() != node.MetricBlockApplySeconds {
			continue
		}
		for _, m := range mf.GetMetric() {
			return time.Duration(m.GetHistogram().GetSampleSum() * float64(time.Second))
		}
	}
	return 0
}

// spawn starts an in-process node in a temporary directory on loopback.
func spawn(ctx context.Context, cfg Config) (*node.Node, string, error) {
	dir, err := os.MkdirTemp("", "meshledger-bench-*")
	if err != nil {
		return nil, "", fmt.Errorf("bench: temp dir: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("bench: listen: %w", err)
	}
	n, err := node.New(ctx, node.Config{
		DataDir: dir, Listener: ln, BlockInterval: cfg.BlockInterval, BlockMaxTxs: cfg.BlockMaxTxs,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err == nil {
		if err = n.Start(); err != nil {
			_ = n.Close(ctx)
		}
	}
	if err != nil {
		ln.Close()
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("bench: spawn node: %w", err)
	}
	return n, dir, nil
}

func buildLoan(ctx context.Context, dir string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "meshledger-loan-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "loan.wasm")
	if err := build.Contract(ctx, dir, out); err != nil {
		return nil, fmt.Errorf("bench: build %s (run from the repository root or pass --wasm): %w", dir, err)
	}
	return os.ReadFile(out)
}

// bookLoans creates one servicer key and one loan per worker, admin
// signing, at most 32 in flight at once (within the nonce window).
func bookLoans(ctx context.Context, c *client.Client, loan common.Address, workers int) ([]*worker, error) {
	ws := make([]*worker, workers)
	ops := make([]client.Op, workers)
	due := time.Now().Unix() + 30*24*3600
	for i := range ws {
		k, err := client.GenerateKey()
		if err != nil {
			return nil, err
		}
		ws[i] = &worker{key: k, loanID: fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i)}
		ops[i] = client.CallOp(loan, "create", map[string]any{
			"id": ws[i].loanID, "borrower": k.Address().Hex(), "servicer": k.Address().Hex(),
			"principal": 1_000_000_000, "rate_bps": 500, "term_months": 360, "first_due": due,
		})
	}
	for lo := 0; lo < len(ops); lo += 32 {
		var hashes []common.Hash
		for _, op := range ops[lo:min(lo+32, len(ops))] {
			t, err := c.Submit(ctx, op)
			if err != nil {
				return nil, fmt.Errorf("bench: book loan: %w", err)
			}
			hashes = append(hashes, t.Hash)
		}
		for _, h := range hashes {
			rec, err := c.WaitTx(ctx, h)
			if err == nil {
				err = client.ReceiptError(rec)
			}
			if err != nil {
				return nil, fmt.Errorf("bench: book loan: %w", err)
			}
		}
	}
	return ws, nil
}
