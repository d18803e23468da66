package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/sdk/build"
	"github.com/meshledger/meshledger/sdk/client"
)

// Run performs one benchmark run.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	var bk *bookDir
	if cfg.BookDir != "" {
		var err error
		if bk, err = openBookDir(cfg); err != nil {
			return nil, err
		}
		defer bk.close()
		if cfg.CompiledCacheDir == "" {
			cfg.CompiledCacheDir = bk.compiledDir()
		}
	}
	tgt, err := resolveTarget(ctx, cfg, bk)
	if err != nil {
		return nil, err
	}
	defer tgt.close()
	cs, err := clientsOf(tgt.urls, tgt.admin)
	if err != nil {
		return nil, err
	}
	c := cs[0]
	// Approver i votes through node i+1, so that a network's setup, like
	// its payments, goes through every node.
	approvers := make([]*client.Client, len(tgt.approvers))
	for i, k := range tgt.approvers {
		if approvers[i], err = newClient(tgt.urls[(i+1)%len(tgt.urls)], k); err != nil {
			return nil, err
		}
	}
	loan, ws, count, book, err := setUp(ctx, c, approvers, cfg, bk)
	if err != nil {
		return nil, err
	}
	for i, w := range ws {
		w.node = i % len(cs)
		w.c = cs[w.node]
	}
	before, err := count(ctx)
	if err != nil {
		return nil, fmt.Errorf("bench: reading the recorded payments before the run: %w", err)
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
	applied := tgt.applyTime()
	// One profile serves both --cpuprofile and --stages.
	var prof bytes.Buffer
	profiling := cfg.CPUProfile != nil || cfg.Stages
	if profiling {
		if err := pprof.StartCPUProfile(&prof); err != nil {
			return nil, fmt.Errorf("bench: cpu profile: %w", err)
		}
	}
	res, err := drive(ctx, cs, ws, cfg)
	if profiling {
		pprof.StopCPUProfile()
		if cfg.CPUProfile != nil {
			if _, werr := cfg.CPUProfile.Write(prof.Bytes()); werr != nil && err == nil {
				err = fmt.Errorf("bench: writing the cpu profile: %w", werr)
			}
		}
	}
	if res == nil {
		return nil, err
	}
	if cfg.Stages {
		samples, perr := readCPUProfile(prof.Bytes())
		if perr != nil && err == nil {
			err = perr
		}
		res.Stages = splitStages(samples, res.Committed)
	}
	res.ApplyTime = tgt.applyTime() - applied
	res.Nodes = len(cs)
	res.Scenario = cfg.Scenario
	res.Loans = cfg.Loans
	res.Book = book
	if cfg.Loans > 0 && cfg.Scenario == ScenarioCreate {
		res.Seed = cfg.Seed
	}
	// Checked even when the run was cut short: whatever committed must
	// have been recorded.
	if verr := verify(ctx, c, res, count, before, cfg); err == nil {
		err = verr
	}
	return res, err
}

// setUp readies what the payments need: the loan contract and the
// workers with their loans, and the reader of what the contracts record.
// A complete book in bk is reused as it is; otherwise the contracts are
// deployed and the loans booked (into bk, when given). book says how a
// loan book came about (nil without one).
func setUp(ctx context.Context, c *client.Client, approvers []*client.Client, cfg Config, bk *bookDir) (loan common.Address, ws []*worker, count tallier, book *BookReport, err error) {
	if bk != nil && bk.marker != nil {
		if cfg.Wasm == nil {
			fmt.Fprintf(cfg.Log, "reusing the book's loan contract %s (no --wasm to check it against)\n", bk.marker.Contract.Hex())
		}
		if ws, err = reopenBook(ctx, c, bk, cfg); err != nil {
			return loan, nil, nil, nil, err
		}
		loan = bk.marker.Contract
		book = &BookReport{Loans: bk.marker.Loans, Dir: bk.dir, Reused: true}
		fmt.Fprintln(cfg.Log, book)
		return loan, ws, loanTally(c, loan, ws), book, nil
	}
	code, err := contractCode(ctx, cfg)
	if err != nil {
		return loan, nil, nil, nil, err
	}
	fmt.Fprintf(cfg.Log, "deploying loan contract (%d bytes)\n", len(code.loan))
	if loan, err = deploy(ctx, c, approvers, code.loan, "loan"); err != nil {
		return loan, nil, nil, nil, err
	}
	switch {
	case cfg.Scenario == ScenarioPool:
		ws, count, err = setUpPool(ctx, c, approvers, loan, code, cfg)
	case cfg.Loans > 0:
		ws, book, err = boardBook(ctx, c, loan, code.loan, cfg, bk)
		count = loanTally(c, loan, ws)
	default:
		ws, err = bookLoans(ctx, c, loan, cfg.Workers)
		count = loanTally(c, loan, ws)
	}
	return loan, ws, count, book, err
}

// deploy deploys code under name and returns the contract's address.
// Where the network's deploy policy is approval the deploy is a proposal:
// the approvers vote for it in turn until it executes.
func deploy(ctx context.Context, c *client.Client, approvers []*client.Client, code []byte, name string) (common.Address, error) {
	dep, err := c.Submit(ctx, client.DeployOp(code, name, nil), client.Wait())
	if err == nil {
		err = client.ReceiptError(dep)
	}
	if err != nil {
		return common.Address{}, fmt.Errorf("bench: deploy %s: %w", name, err)
	}
	if a := dep.Receipt.ContractAddress; a != nil {
		return *a, nil
	}
	p, ok := client.ProposalOf(dep)
	if !ok || p.Address == nil {
		return common.Address{}, fmt.Errorf("bench: deploy %s: the receipt names neither a contract nor a deploy proposal", name)
	}
	for _, a := range approvers {
		rec, err := a.Submit(ctx, client.ApproveOp(p.Proposal), client.Wait())
		if err == nil {
			err = client.ReceiptError(rec)
		}
		if err != nil {
			return common.Address{}, fmt.Errorf("bench: approve the deploy of %s (proposal %d) as %s: %w", name, p.Proposal, a.Key().Address().Hex(), err)
		}
		d, err := a.Proposal(ctx, p.Proposal)
		if err != nil {
			return common.Address{}, fmt.Errorf("bench: deploy %s: reading proposal %d: %w", name, p.Proposal, err)
		}
		if d.Proposal.Status == proposalExecuted {
			return *p.Address, awaitContract(ctx, c, *p.Address)
		}
	}
	return common.Address{}, fmt.Errorf("%w: %s is proposal %d, approved by %d more organisations", ErrNotApproved, name, p.Proposal, len(approvers))
}

// awaitContract waits until c's node has the contract at addr: an
// approval committed through another node may not have reached c's yet,
// and c's node refuses calls to a contract it does not have.
func awaitContract(ctx context.Context, c *client.Client, addr common.Address) error {
	ctx, cancel := context.WithTimeout(ctx, awaitContractTimeout)
	defer cancel()
	for {
		_, err := c.Contract(ctx, addr)
		if err == nil || !client.IsNotFound(err) {
			return err
		}
		if !sleepCtx(ctx, 20*time.Millisecond) {
			return fmt.Errorf("bench: contract %s did not reach %s: %w", addr.Hex(), c.BaseURL(), ctx.Err())
		}
	}
}

// awaitContractTimeout bounds awaitContract.
const awaitContractTimeout = 30 * time.Second

// proposalExecuted is the status of a proposal that took effect.
const proposalExecuted = "executed"

// ErrNotApproved: a deploy needs more organisations' approval than the
// run's approver keys give (--approver-key).
var ErrNotApproved = errors.New("bench: a deploy awaits approval: give other organisations' admin keys with --approver-key")

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

// spawn starts an in-process node on loopback, on the data directory kept
// or, if kept is empty, on a temporary one (removed if the start fails).
func spawn(ctx context.Context, cfg Config, kept string) (*node.Node, string, error) {
	dir := kept
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "meshledger-bench-*"); err != nil {
			return nil, "", fmt.Errorf("bench: temp dir: %w", err)
		}
	}
	cleanUp := func() {
		if kept == "" {
			os.RemoveAll(dir)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cleanUp()
		return nil, "", fmt.Errorf("bench: listen: %w", err)
	}
	n, err := node.New(ctx, node.Config{
		DataDir: dir, Listener: ln, BlockInterval: cfg.BlockInterval, BlockMaxTxs: cfg.BlockMaxTxs,
		CompiledCacheDir: cfg.CompiledCacheDir,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err == nil {
		if err = n.Start(); err != nil {
			_ = n.Close(ctx)
		}
	}
	if err != nil {
		ln.Close()
		cleanUp()
		return nil, "", fmt.Errorf("bench: spawn node: %w", err)
	}
	return n, dir, nil
}

// contracts holds the Wasm modules a run deploys.
type contracts struct{ loan, pool, portfolio []byte }

// contractCode returns the modules of cfg's scenario, building from source
// those not given.
func contractCode(ctx context.Context, cfg Config) (contracts, error) {
	var code contracts
	var err error
	for _, m := range []struct {
		given []byte
		dir   string
		out   *[]byte
		need  bool
	}{
		{cfg.Wasm, cfg.ContractDir, &code.loan, true},
		{cfg.PoolWasm, cfg.PoolDir, &code.pool, cfg.Scenario == ScenarioPool},
		{cfg.PortfolioWasm, cfg.PortfolioDir, &code.portfolio, cfg.Scenario == ScenarioPool},
	} {
		switch {
		case !m.need:
		case m.given != nil:
			*m.out = m.given
		default:
			if *m.out, err = buildContract(ctx, m.dir); err != nil {
				return code, err
			}
		}
	}
	return code, nil
}

func buildContract(ctx context.Context, dir string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "meshledger-contract-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "contract.wasm")
	if err := build.Contract(ctx, dir, out); err != nil {
		return nil, fmt.Errorf("bench: build %s (run from the repository root or pass the module with --wasm, --pool-wasm, --portfolio-wasm): %w", dir, err)
	}
	return os.ReadFile(out)
}

// servicerRole is the role the loan contract asks of whoever pays a loan.
const servicerRole = "servicer"

// bookLoans creates one servicer key and one loan per worker, admin
// signing, at most 32 in flight at once (within the nonce window). With
// access control on, a sender must be a member and the loan contract
// takes payments only from a member with the servicer role: the admin (an
// admin of its organisation) first adds each worker's key to its own
// organisation with that role. All of it happens before the timed phase,
// so the figures measure the payments alone, as before access control.
func bookLoans(ctx context.Context, c *client.Client, loan common.Address, workers int) ([]*worker, error) {
	ws := make([]*worker, workers)
	ops := make([]client.Op, 0, 2*workers)
	due := time.Now().Unix() + 30*24*3600
	for i := range ws {
		k, err := client.GenerateKey()
		if err != nil {
			return nil, err
		}
		ws[i] = &worker{key: k, loans: []string{fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i)}}
		// The admin's nonces order the membership before the loan.
		ops = append(ops, client.AddMemberOp(k.Address(), servicerRole), client.CallOp(loan, "create", map[string]any{
			"id": ws[i].loans[0], "borrower": k.Address().Hex(), "servicer": k.Address().Hex(),
			"principal": 1_000_000_000, "rate_bps": 500, "term_months": 360, "first_due": due,
		}))
	}
	if err := submitAll(ctx, c, ops); err != nil {
		return nil, fmt.Errorf("bench: enrol senders and book loans (the key must be an admin of its organisation): %w", err)
	}
	return ws, nil
}

// submitAll submits ops signed by c's key in order, at most setupInFlight
// at once (within the node's nonce window), and fails unless every one
// commits with success.
func submitAll(ctx context.Context, c *client.Client, ops []client.Op) error {
	for lo := 0; lo < len(ops); lo += setupInFlight {
		var hashes []common.Hash
		for _, op := range ops[lo:min(lo+setupInFlight, len(ops))] {
			t, err := c.Submit(ctx, op)
			if err != nil {
				return err
			}
			hashes = append(hashes, t.Hash)
		}
		for _, h := range hashes {
			rec, err := c.WaitTx(ctx, h)
			if err == nil {
				err = client.ReceiptError(rec)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// setupInFlight bounds one key's setup transactions in flight; it is well
// within the node's default nonce window.
const setupInFlight = 32
