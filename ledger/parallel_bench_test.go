package ledger

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/meshledger/meshledger/ledger/tx"
)

// BenchmarkApplyBlock1000DistinctLoanPayments applies blocks of 1,000
// signed payments to 1,000 distinct loans (no two transactions conflict),
// signature recovery included, synced writes, with serial execution
// (workers=1) and parallel execution on every core (workers=-1). Compare
// with benchstat -col /workers.
func BenchmarkApplyBlock1000DistinctLoanPayments(b *testing.B) {
	benchParallelPayments(b, benchBlockTxs)
}

// BenchmarkApplyBlock1000SameLoanPayments is the worst case: 1,000
// payments to one loan, every one conflicting with the one before, so
// speculation is wasted work (bounded by the executor's back-off).
func BenchmarkApplyBlock1000SameLoanPayments(b *testing.B) {
	benchParallelPayments(b, 1)
}

// benchParallelPayments applies blocks of 1,000 payments spread evenly
// over loans distinct loans.
func benchParallelPayments(b *testing.B, loans int) {
	for _, workers := range []int{1, -1} {
		b.Run("workers="+strconv.Itoa(workers), func(b *testing.B) {
			e := newEnv(b)
			e.setup()
			if err := e.l.Close(context.Background()); err != nil {
				b.Fatal(err)
			}
			e.l = e.open(Config{Dir: e.dir, ExecWorkers: workers})
			ids := createLoans(e, loans)
			benchApplyBlocks(b, e, func() []*tx.Tx {
				txs := make([]*tx.Tx, benchBlockTxs)
				for i := range txs {
					txs[i] = e.callTx(e.servicer, e.next(e.servicer), e.loan, "pay", map[string]any{"id": ids[i%len(ids)], "amount": 1})
				}
				return txs
			})
		})
	}
}

// createLoans creates n loans (besides e.setup's L1), in blocks of up to
// 1,000, and returns their ids.
func createLoans(e *env, n int) []string {
	e.tb.Helper()
	ids := make([]string, n)
	for lo := 0; lo < n; lo += 1000 {
		var txs []*tx.Tx
		for i := lo; i < min(lo+1000, n); i++ {
			ids[i] = fmt.Sprintf("D%06d", i)
			txs = append(txs, e.callTx(e.owner, e.next(e.owner), e.loan, "create", e.createArgs(ids[i])))
		}
		a := e.apply(txs...)
		if len(a.Receipts) != len(txs) || !a.Receipts[len(txs)-1].OK() {
			e.tb.Fatalf("create loans: %d receipts, rejected %v", len(a.Receipts), a.Rejected)
		}
	}
	return ids
}
