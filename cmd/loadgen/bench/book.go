package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// A loan book: the create scenario with --loans books that many loans
// before the clock starts, so that payments land on a state of a real
// servicer's size (10⁵–10⁷ loans) instead of one loan per worker. Each
// worker creates and services its share (loan j belongs to worker j mod
// Workers), sending its creates pre-signed in batch requests within its
// window, as fast as the node commits them; each payment then pays a loan
// of the worker's share drawn by a PRNG seeded from Config.Seed and the
// worker's index, so that every run with the same seed pays the same loans.
// With an even share per worker, the payments are spread uniformly over
// the whole book.

// bookLoanID is the id of loan j of the run stamped stamp.
func bookLoanID(stamp int64, j int) string { return fmt.Sprintf("book-%d-%d", stamp, j) }

// boardBook enrols one servicer key per worker (admin signing, as
// bookLoans does), then has the workers create cfg.Loans loans, each the
// servicer of its own, and draws the loans each worker's payments will
// pay. Nothing of it is timed; progress goes to cfg.Log. With a book
// directory (bk not nil) the workers' keys are saved there before they are
// enrolled, and the marker, naming the loan module code, once the book is
// complete.
func boardBook(ctx context.Context, c *client.Client, loan common.Address, code []byte, cfg Config, bk *bookDir) ([]*worker, *BookReport, error) {
	ws := make([]*worker, cfg.Workers)
	keys := make([]*client.Key, len(ws))
	ops := make([]client.Op, len(ws))
	for i := range ws {
		k, err := client.GenerateKey()
		if err != nil {
			return nil, nil, err
		}
		ws[i], keys[i] = &worker{key: k}, k
		ops[i] = client.AddMemberOp(k.Address(), servicerRole)
	}
	if bk != nil {
		if err := bk.saveWorkerKeys(keys); err != nil {
			return nil, nil, err
		}
	}
	if err := submitAll(ctx, c, ops); err != nil {
		return nil, nil, fmt.Errorf("bench: enrol senders (the key must be an admin of its organisation): %w", err)
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, nil, err
	}
	stamp := time.Now().UnixNano()
	due := time.Now().Unix() + 30*24*3600
	for j := range cfg.Loans {
		w := ws[j%len(ws)]
		w.loans = append(w.loans, bookLoanID(stamp, j))
	}
	start := time.Now()
	prog := newProgress(cfg.Log, "booking loans", cfg.Loans)
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	heights := watchHeight(wctx, c)
	var g errgroup.Group
	for _, w := range ws {
		g.Go(func() error {
			wc, err := newClient(c.BaseURL(), w.key)
			if err != nil {
				return err
			}
			bodies, ends, err := signCreates(w, loan, chainID, due, cfg.GasLimit)
			if err != nil {
				return err
			}
			if err := sendSigned(ctx, wc, heights, w.key.Address(), bodies, 0, cfg, prog.add); err != nil {
				return fmt.Errorf("bench: book loans as %s: %w", w.key.Address().Hex(), err)
			}
			// A create that failed commits too: its first and last must
			// have booked (the payments' read-back checks the loans paid).
			if err := checkCommitted(ctx, wc, ends[:]...); err != nil {
				return fmt.Errorf("bench: book loans as %s: %w", w.key.Address().Hex(), err)
			}
			w.nonce = uint64(len(bodies)) // the payments follow the creates
			return nil
		})
	}
	err = g.Wait()
	prog.finish()
	if err != nil {
		return nil, nil, err
	}
	rep := &BookReport{Loans: cfg.Loans, Creates: cfg.Loans, BookTime: time.Since(start)}
	rep.CreatesPerSec = float64(cfg.Loans) / rep.BookTime.Seconds()
	fmt.Fprintf(cfg.Log, "booked %d loans in %s (%.0f creates/s)\n", cfg.Loans, rep.BookTime.Round(time.Millisecond), rep.CreatesPerSec)
	if bk != nil {
		// Every worker's creates committed (its nonce is past them) and
		// its first and last succeeded: the book is whole.
		m := bookMarker{
			Loans: cfg.Loans, Workers: len(ws), Seed: cfg.Seed, Contract: loan, ChainID: chainID,
			Stamp: stamp, LoanCodeSHA256: codeHash(code),
		}
		for _, k := range keys {
			m.WorkerAddresses = append(m.WorkerAddresses, k.Address())
		}
		if err := bk.complete(m); err != nil {
			return nil, nil, err
		}
		rep.Dir = bk.dir
	}
	per := (cfg.Count + len(ws) - 1) / len(ws)
	for i, w := range ws {
		w.draws = drawLoans(cfg.Seed, i, len(w.loans), per)
	}
	return ws, rep, nil
}

// drawLoans draws n indexes of a worker's loans, uniformly, with the
// worker's own PRNG stream: the same seed draws the same loans.
func drawLoans(seed uint64, worker, loans, n int) []int {
	rng := rand.New(rand.NewPCG(seed, uint64(worker)))
	out := make([]int, n)
	for i := range out {
		out[i] = rng.IntN(loans)
	}
	return out
}

// signCreates signs the creates of w's loans on the loan contract at loan,
// nonces from 0, spread over the CPUs, and returns their JSON wire forms
// and the hashes of the first and last.
func signCreates(w *worker, loan common.Address, chainID uint64, due int64, gas uint64) ([][]byte, [2]common.Hash, error) {
	bodies := make([][]byte, len(w.loans))
	var ends [2]common.Hash
	addr := w.key.Address().Hex()
	var g errgroup.Group
	n := runtime.GOMAXPROCS(0)
	for part := range n {
		g.Go(func() error {
			for j := part; j < len(bodies); j += n {
				t, err := client.CallOp(loan, "create", map[string]any{
					"id": w.loans[j], "borrower": addr, "servicer": addr,
					"principal": 1_000_000_000, "rate_bps": 500, "term_months": 360, "first_due": due,
				}).Sign(w.key, chainID, uint64(j), gas)
				if err != nil {
					return fmt.Errorf("bench: sign create %d: %w", j, err)
				}
				bodies[j] = t.EncodeJSON()
				switch j {
				case 0:
					ends[0] = t.Hash()
				case len(bodies) - 1:
					ends[1] = t.Hash()
				}
				if len(bodies) == 1 {
					ends[1] = ends[0]
				}
			}
			return nil
		})
	}
	return bodies, ends, g.Wait()
}

// checkCommitted fails unless the transactions hashes committed with
// success.
func checkCommitted(ctx context.Context, c *client.Client, hashes ...common.Hash) error {
	for _, h := range hashes {
		t, err := c.Tx(ctx, h)
		if err == nil {
			err = client.ReceiptError(t)
		}
		if err != nil {
			return fmt.Errorf("transaction %s: %w", h.Hex(), err)
		}
	}
	return nil
}

// sendSigned sends bodies, the signed transactions of the key at addr with
// nonces first, first+1, ..., in batch requests of cfg.BatchSize, never
// more than cfg.Window ahead of the account's committed nonce, until all
// of them commit. Items refused for backpressure, and requests whose
// answer never came, are sent again (the node answers a transaction it
// holds with its status, and one already committed with nonce_too_low:
// the key is the run's own, so that can only be this transaction); any
// other refusal is an error. committed is told how many more committed.
// The account is read once per block heights sees (at least every
// bookMaxWait), or after a refusal's backoff.
func sendSigned(ctx context.Context, c *client.Client, heights *heightWatch, addr common.Address, bodies [][]byte, first uint64, cfg Config, committed func(int)) error {
	var body bytes.Buffer
	next, done := 0, 0
	var seen uint64 // the height the watch showed before the last read of the account
	var backoff time.Duration
	for done < len(bodies) {
		refused := false
		for next < len(bodies) && next-done < cfg.Window && !refused {
			hi := min(next+cfg.BatchSize, len(bodies), done+cfg.Window)
			body.Reset()
			body.WriteByte('[')
			for k, b := range bodies[next:hi] {
				if k > 0 {
					body.WriteByte(',')
				}
				body.Write(b)
			}
			body.WriteByte(']')
			items, err := c.SubmitRaw(ctx, body.Bytes())
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ae *client.APIError
			switch {
			case err != nil && errors.As(err, &ae) && !backpressure(err):
				return err
			case err != nil:
				// Refused as a whole for backpressure, or no answer:
				// sent again from the committed nonce on.
				next, refused = done, true
				continue
			case len(items) != hi-next:
				return fmt.Errorf("bench: %d answers to a batch of %d", len(items), hi-next)
			}
			admitted := 0
			for _, it := range items {
				if it.Error == nil || it.Error.Code == api.CodeNonceTooLow {
					admitted++
					continue
				}
				e := &client.APIError{Status: it.HTTPStatus, Code: string(it.Error.Code), Message: it.Error.Message}
				if !backpressure(e) {
					return fmt.Errorf("nonce %d: %w", first+uint64(next+admitted), e)
				}
				refused = true
				break
			}
			next += admitted
		}
		if refused {
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			if !sleepCtx(ctx, backoff) {
				return ctx.Err()
			}
		} else {
			backoff = 0
			var err error
			if seen, err = heights.after(ctx, seen, bookMaxWait); err != nil {
				return err
			}
		}
		a, err := c.Account(ctx, addr)
		if err != nil {
			return err
		}
		if n := int(a.Nonce) - int(first); n > done {
			committed(n - done)
			done = n
		}
		next = max(next, done)
	}
	return nil
}

// bookMaxWait bounds a booking worker's wait for a block before it reads
// its account anyway: a transaction the node admitted and then dropped
// makes no block, and the worker must find out that its nonce stalled.
const bookMaxWait = time.Second
