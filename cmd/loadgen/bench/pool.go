package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/contracts/pool/poollogic"
	"github.com/meshledger/meshledger/contracts/portfolio/portfoliologic"
	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/contract"
)

// The terms of every loan the pool scenario boards: the same rate for all,
// so the pool's weighted average coupon is exactly poolRateBps.
const (
	poolPrincipal  = 300_000_00 // cents
	poolRateBps    = 500
	poolTermMonths = 360
)

// poolParties are the keys the pool scenario adds to the admin's
// organisation besides the workers: the pool's securitizer and the
// loans' owner, each with a client of its own.
type poolParties struct {
	securitizer, owner *client.Client
	pool, portfolio    common.Address
	poolID             string
}

// setUpPool deploys the pool and portfolio contracts (approvers voting
// for them where deploys need approval), makes a securitizer,
// an owner and one servicer per worker members of the admin's
// organisation, has the securitizer create a pool fed by loan and the
// owner open a portfolio, and has the workers board cfg.Loans loans into
// the pool (loan j by worker j mod Workers, each worker's in batches of
// setupInFlight). Every later payment on those loans cross-calls the pool
// and the portfolio. None of it is timed.
func setUpPool(ctx context.Context, c *client.Client, approvers []*client.Client, loan common.Address, code contracts, cfg Config) ([]*worker, tallier, error) {
	var pp poolParties
	var err error
	fmt.Fprintf(cfg.Log, "deploying pool (%d bytes) and portfolio (%d bytes) contracts\n", len(code.pool), len(code.portfolio))
	if pp.pool, err = deploy(ctx, c, approvers, code.pool, "pool"); err != nil {
		return nil, nil, err
	}
	if pp.portfolio, err = deploy(ctx, c, approvers, code.portfolio, "portfolio"); err != nil {
		return nil, nil, err
	}
	if pp.securitizer, err = newClient(c.BaseURL(), nil); err != nil {
		return nil, nil, err
	}
	if pp.owner, err = newClient(c.BaseURL(), nil); err != nil {
		return nil, nil, err
	}
	ws := make([]*worker, cfg.Workers)
	wcs := make([]*client.Client, cfg.Workers)
	ops := []client.Op{
		client.AddMemberOp(pp.securitizer.Key().Address(), poollogic.RoleSecuritizer),
		client.AddMemberOp(pp.owner.Key().Address(), loanlogic.RoleOwner),
	}
	for i := range ws {
		if wcs[i], err = newClient(c.BaseURL(), nil); err != nil {
			return nil, nil, err
		}
		ws[i] = &worker{key: wcs[i].Key()}
		ops = append(ops, client.AddMemberOp(ws[i].key.Address(), loanlogic.RoleServicer))
	}
	if err := submitAll(ctx, c, ops); err != nil {
		return nil, nil, fmt.Errorf("bench: enrol the securitizer, the owner and the senders (the key must be an admin of its organisation): %w", err)
	}
	stamp := time.Now().UnixNano()
	pp.poolID = fmt.Sprintf("bench-%d", stamp)
	if err := submitAll(ctx, pp.securitizer, []client.Op{client.CallOp(pp.pool, "createPool",
		poollogic.CreateRequest{ID: pp.poolID, LoanContract: contract.Address(loan)})}); err != nil {
		return nil, nil, fmt.Errorf("bench: create the pool: %w", err)
	}
	if err := submitAll(ctx, pp.owner, []client.Op{client.CallOp(pp.portfolio, "open",
		portfoliologic.OpenRequest{LoanContract: contract.Address(loan)})}); err != nil {
		return nil, nil, fmt.Errorf("bench: open the portfolio: %w", err)
	}

	now := time.Now()
	boards := make([][]client.Op, cfg.Workers)
	for j := range cfg.Loans {
		w := ws[j%len(ws)]
		id := fmt.Sprintf("bench-%d-%d", stamp, j)
		w.loans = append(w.loans, id)
		boards[j%len(ws)] = append(boards[j%len(ws)], client.CallOp(loan, "board", loanlogic.BoardRequest{
			ID: id, Owner: contract.Address(pp.owner.Key().Address()), Borrower: contract.Address(w.key.Address()),
			Securitizer:  contract.Address(pp.securitizer.Key().Address()),
			PoolContract: contract.Address(pp.pool), Pool: pp.poolID, PortfolioContract: contract.Address(pp.portfolio),
			Principal: poolPrincipal, RateBps: poolRateBps, TermMonths: poolTermMonths,
			// Originated a day ago (block time must not precede it) and
			// first due in a month, so every loan stays current however
			// long the run.
			OriginatedAt: now.Add(-24 * time.Hour).Unix(), FirstDue: now.Add(30 * 24 * time.Hour).Unix(),
		}))
	}
	start := time.Now()
	var g errgroup.Group
	for i, w := range ws {
		g.Go(func() error {
			if err := submitAll(ctx, wcs[i], boards[i]); err != nil {
				return fmt.Errorf("bench: board loans: %w", err)
			}
			// The payments take the nonces after the boarding's.
			a, err := wcs[i].Account(ctx, w.key.Address())
			if err != nil {
				return err
			}
			w.nonce = a.Nonce
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(cfg.Log, "boarded %d loans into pool %s in %s\n", cfg.Loans, pp.poolID, time.Since(start).Round(time.Millisecond))
	return ws, pp.tally, nil
}

// newClient returns a client of url signing with key, or with a new key
// when key is nil.
func newClient(url string, key *client.Key) (*client.Client, error) {
	if key == nil {
		var err error
		if key, err = client.GenerateKey(); err != nil {
			return nil, err
		}
	}
	return client.New(url, client.WithKey(key), client.WithPollInterval(20*time.Millisecond))
}

// tally reads the pool's disclosure as its securitizer and the
// portfolio as its owner: what the cross-calls recorded.
func (pp *poolParties) tally(ctx context.Context) (tally, error) {
	var d poollogic.Disclosure
	if err := query(ctx, pp.securitizer, pp.pool, "disclosure", map[string]string{"pool": pp.poolID}, &d); err != nil {
		return tally{}, fmt.Errorf("pool disclosure: %w", err)
	}
	var p portfoliologic.Portfolio
	if err := query(ctx, pp.owner, pp.portfolio, "get", map[string]any{"owner": pp.owner.Key().Address()}, &p); err != nil {
		return tally{}, fmt.Errorf("portfolio: %w", err)
	}
	return tally{Payments: d.Payments, Paid: d.PaymentsPaid, pool: &poolTally{
		Loans: d.Loans, Balance: d.Balance, WACBps: d.WACBps,
		PortfolioPayments: p.Payments, PortfolioPaid: p.PaymentsPaid,
	}}, nil
}

// query runs method read-only and decodes its result into out; a failed
// call is an error.
func query(ctx context.Context, c *client.Client, addr common.Address, method string, args, out any) error {
	q, err := c.Query(ctx, addr, method, args, nil)
	if err != nil {
		return err
	}
	if q.Status != "ok" {
		return fmt.Errorf("%s: %s: %s", method, q.Status, q.Message)
	}
	if err := json.Unmarshal(q.Result, out); err != nil {
		return fmt.Errorf("%s: decoding the result: %w", method, err)
	}
	return nil
}
