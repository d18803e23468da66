package ledger

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/proof"
)

// TestHistoricalScanIsBounded: listing a contract's keys at a past height
// reads its history index, outside gas metering; past the limit it fails
// with ErrScanLimit instead of loading everything.
func TestHistoricalScanIsBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup()
	e.apply(e.pay(1))
	e.apply(e.pay(2)) // the loan key now has several history entries
	sh, err := e.l.Header(2)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := e.l.state.ContractReaderAt(sh.Header.StateRoot, e.loan)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		limit int
		want  error
	}{
		{DefaultQueryScanLimit, nil},
		{1, ErrScanLimit},
	}
	for _, c := range cases {
		e.l.scanCap = c.limit
		hs := &historicalState{l: e.l, root: rr, contract: e.loan, height: 2}
		n := 0
		err := hs.Iterate([]byte("loan/"), nil, func(k, v []byte) bool { n++; return true })
		if !errors.Is(err, c.want) {
			t.Fatalf("limit %d: %v, want %v", c.limit, err, c.want)
		}
		if c.want == nil && n != 1 {
			t.Fatalf("limit %d: %d keys", c.limit, n)
		}
	}
	e.l.scanCap = DefaultQueryScanLimit
}

// TestQueriesStayConsistentUnderCommits runs tip queries while blocks
// commit (no lock is held while a query runs): every answer must equal
// the state its header's root proves.
func TestQueriesStayConsistentUnderCommits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup()
	ctx := context.Background()
	args := []byte(`{"id":"L1"}`)
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				q, err := e.l.QueryAs(ctx, ledgertest.AddrOf(e.owner), e.loan, "get", args, e.l.Latest().Header.Height, 0)
				if err != nil {
					errs <- err
					return
				}
				// The same query at that height afterwards (through the
				// trie, immutable) must give the same answer, and every
				// proof must verify against the header.
				again, err := e.l.QueryAs(ctx, ledgertest.AddrOf(e.owner), e.loan, "get", args, q.Header.Header.Height, 0)
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(q.Return, again.Return) {
					errs <- errors.New("query answer differs from its height's state: " + string(q.Return) + " vs " + string(again.Return))
					return
				}
				for _, p := range q.Proofs {
					if p.Root != q.Header.Header.StateRoot {
						errs <- errors.New("proof against another root")
						return
					}
					if _, _, err := proof.VerifyStateProof(p.Root, p.Contract, p.Key, p.Nodes); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	for range 15 {
		e.apply(e.pay(1))
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
