package audit

import (
	"context"
	"testing"
	"time"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/tx"
)

// benchBlockTxs is the size of a benchmark block, as in the ledger's
// BenchmarkApplyBlock1000LoanPayments.
const benchBlockTxs = 1_000

func payBlock(e *env) []*tx.Tx {
	txs := make([]*tx.Tx, benchBlockTxs)
	for i := range txs {
		txs[i] = e.pay(1)
	}
	return txs
}

// BenchmarkReplay1000LoanPayments replays a chain of blocks of 1,000 loan
// payments into a fresh store through the same executor, checking every
// root, signature and stored receipt; compare its tx/s with
// BenchmarkApplyBlock1000LoanPayments.
func BenchmarkReplay1000LoanPayments(b *testing.B) {
	const blocks = 4
	src := newEnv(b)
	src.setup()
	for range blocks {
		src.apply(payBlock(src)...)
	}
	ctx := context.Background()
	from := uint64(1)
	to := src.l.Latest().Header.Height
	var elapsed, cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		dst, dkv := src.openStore(nil)
		// Blocks are read from the source before timing, so the figure is
		// execution and verification, not the source's reads.
		var sbs []*ledger.SourceBlock
		it := src.l.Blocks(from, to)
		for {
			sb, err := it.Next(ctx)
			if err != nil {
				break
			}
			sb.Txs = ledgertest.Reparse(b, sb.Txs)
			sbs = append(sbs, sb)
		}
		b.StartTimer()
		start, cpuStart := time.Now(), ledgertest.CPUTime()
		for _, sb := range sbs {
			if _, err := ReplayBlock(ctx, dst, sb); err != nil {
				b.Fatal(err)
			}
		}
		elapsed, cpu = elapsed+time.Since(start), cpu+ledgertest.CPUTime()-cpuStart
		b.StopTimer()
		dst.Close(ctx)
		dkv.Close()
		b.StartTimer()
	}
	ledgertest.ReportThroughput(b, blocks*benchBlockTxs*b.N, elapsed, cpu)
}
