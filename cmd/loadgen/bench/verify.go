package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/sdk/client"
)

// tally is what the contracts had recorded of payments at one moment,
// read through the API.
type tally struct {
	Payments int64 // payments recorded
	Paid     int64 // their total, in cents
	pool     *poolTally
}

// poolTally is the rest of what the pool scenario reads: the pool's
// disclosure and the owner's portfolio.
type poolTally struct {
	Loans, Balance, WACBps           int64
	PortfolioPayments, PortfolioPaid int64
}

// tallier reads a tally.
type tallier func(ctx context.Context) (tally, error)

// loanTally sums the payments the workers' loans recorded, each read by
// its worker (the loan's servicer, so a party that reads it): of a loan
// book, only the loans the run pays, the workers reading in parallel.
func loanTally(c *client.Client, loan common.Address, ws []*worker) tallier {
	return func(ctx context.Context) (tally, error) {
		sums := make([]tally, len(ws))
		var g errgroup.Group
		for i, w := range ws {
			g.Go(func() error {
				wc, err := newClient(c.BaseURL(), w.key)
				if err != nil {
					return err
				}
				for _, id := range w.paidLoans() {
					var l loanlogic.Loan
					if err := query(ctx, wc, loan, "get", map[string]string{"id": id}, &l); err != nil {
						return fmt.Errorf("loan %s: %w", id, err)
					}
					sums[i].Payments += l.Payments
					sums[i].Paid += l.TotalPaid
				}
				return nil
			})
		}
		err := g.Wait()
		var t tally
		for _, s := range sums {
			t.Payments += s.Payments
			t.Paid += s.Paid
		}
		return t, err
	}
}

// Verification is what the contracts recorded of the run, read back
// through the API after it, so that a run whose payments failed cannot
// pass for throughput: a failed payment commits (and is counted committed)
// with a failed receipt, but records nothing.
type Verification struct {
	// Recorded and Paid are the payments (and cents) the contracts
	// recorded during the run: the loans' own records, or with the pool
	// scenario the pool's disclosure.
	Recorded int64 `json:"recorded"`
	Paid     int64 `json:"paidCents"`
	// Failed counts committed payments that recorded nothing (failed
	// receipts); FailureSample shows a few of their receipts.
	Failed        int64    `json:"failed"`
	FailureSample []string `json:"failureSample,omitempty"`
	// The pool scenario's figures after the run: the disclosure's loans,
	// balance and weighted average coupon, and the payments the owner's
	// portfolio recorded during the run.
	PoolLoans         int64 `json:"poolLoans,omitempty"`
	PoolBalance       int64 `json:"poolBalance,omitempty"`
	PoolWACBps        int64 `json:"poolWacBps,omitempty"`
	PortfolioRecorded int64 `json:"portfolioRecorded,omitempty"`
	// GasPerPayment is the gas the first committed payment used.
	GasPerPayment uint64 `json:"gasPerPayment,omitempty"`
	// Mismatches says what disagrees with what was committed; empty when
	// the run checks out.
	Mismatches []string `json:"mismatches,omitempty"`
}

// ErrVerify is returned (wrapped with the mismatches) when the
// contracts' records do not match the committed payments.
var ErrVerify = errors.New("bench: the recorded payments do not match the committed ones")

// verify reads the tally again and compares what the run added with the
// committed payments, filling res.Verification.
func verify(ctx context.Context, c *client.Client, res *Result, count tallier, before tally, cfg Config) error {
	after, err := count(ctx)
	if err != nil {
		return fmt.Errorf("bench: reading the recorded payments after the run: %w", err)
	}
	v := &Verification{Recorded: after.Payments - before.Payments, Paid: after.Paid - before.Paid}
	res.Verification = v
	committed := int64(res.Committed)
	if len(res.committedHashes) > 0 {
		if t, err := c.Tx(ctx, res.committedHashes[0]); err == nil && t.Receipt != nil {
			v.GasPerPayment = t.Receipt.GasUsed
		}
	}
	v.Failed = max(committed-v.Recorded, 0)
	switch {
	case v.Recorded > committed && res.Stuck > 0:
		v.Mismatches = append(v.Mismatches, fmt.Sprintf("%d payments committed, %d recorded: some of the %d still pending after the drain committed since (a longer --drain counts them)",
			committed, v.Recorded, res.Stuck))
	case v.Recorded != committed:
		v.Mismatches = append(v.Mismatches, fmt.Sprintf("%d payments committed, %d recorded", committed, v.Recorded))
	}
	if v.Paid != v.Recorded*paymentAmount {
		v.Mismatches = append(v.Mismatches, fmt.Sprintf("%d payments of %d cents recorded, %d cents paid", v.Recorded, paymentAmount, v.Paid))
	}
	if p := after.pool; p != nil {
		v.PoolLoans, v.PoolBalance, v.PoolWACBps = p.Loans, p.Balance, p.WACBps
		v.PortfolioRecorded = p.PortfolioPayments - before.pool.PortfolioPayments
		for _, m := range []struct {
			what      string
			got, want int64
		}{
			{"pool loans", p.Loans, int64(cfg.Loans)},
			// A payment of paymentAmount goes to interest due: no balance moves.
			{"pool balance", p.Balance, int64(cfg.Loans) * poolPrincipal},
			{"pool weighted average coupon (bps)", p.WACBps, poolRateBps},
			{"portfolio payments", v.PortfolioRecorded, v.Recorded},
			{"portfolio cents paid", p.PortfolioPaid - before.pool.PortfolioPaid, v.Paid},
		} {
			if m.got != m.want {
				v.Mismatches = append(v.Mismatches, fmt.Sprintf("%s %d, want %d", m.what, m.got, m.want))
			}
		}
	}
	if len(v.Mismatches) == 0 {
		return nil
	}
	if v.Failed > 0 {
		v.FailureSample = failureSample(ctx, c, res.committedHashes, failureSampleSize)
	}
	return fmt.Errorf("%w: %v", ErrVerify, v.Mismatches)
}

// failureSampleSize bounds the failed receipts a Verification shows.
const failureSampleSize = 3

// failureSample looks the committed transactions up until it finds n
// failed receipts (or gives up after failureLookupTimeout), and describes
// them.
func failureSample(ctx context.Context, c *client.Client, hashes []common.Hash, n int) []string {
	ctx, cancel := context.WithTimeout(ctx, failureLookupTimeout)
	defer cancel()
	var (
		mu  sync.Mutex
		out []string
	)
	var g errgroup.Group
	g.SetLimit(8)
	for _, h := range hashes {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			t, err := c.Tx(ctx, h)
			if err != nil || client.ReceiptError(t) == nil {
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			if len(out) < n {
				out = append(out, fmt.Sprintf("%s: %s: %s", h.Hex(), t.Receipt.Status, t.Receipt.Message))
			}
			if len(out) >= n {
				cancel()
			}
			return nil
		})
	}
	_ = g.Wait()
	return out
}

// failureLookupTimeout bounds failureSample.
const failureLookupTimeout = 20 * time.Second
