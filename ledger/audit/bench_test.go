package audit

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/meshledger/meshledger/ledger"
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

// reparse makes fresh copies of signed transactions, so that each replay
// pays for signature recovery as a node receiving them would (Tx caches
// its sender).
func reparse(b *testing.B, txs []*tx.Tx) []*tx.Tx {
	out := make([]*tx.Tx, len(txs))
	for i, t := range txs {
		enc, err := t.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		if out[i], err = tx.DecodeRLP(enc, tx.Limits{}); err != nil {
			b.Fatal(err)
		}
		if t.Code() != nil {
			if out[i], err = out[i].WithCode(t.Code()); err != nil {
				b.Fatal(err)
			}
		}
	}
	return out
}

func reportThroughput(b *testing.B, txs int, elapsed, cpu time.Duration) {
	b.ReportMetric(float64(txs)/elapsed.Seconds(), "tx/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(txs), "cpu-µs/tx")
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
			sb.Txs = reparse(b, sb.Txs)
			sbs = append(sbs, sb)
		}
		b.StartTimer()
		start, cpuStart := time.Now(), cpuTime()
		for _, sb := range sbs {
			if _, err := ReplayBlock(ctx, dst, sb); err != nil {
				b.Fatal(err)
			}
		}
		elapsed, cpu = elapsed+time.Since(start), cpu+cpuTime()-cpuStart
		b.StopTimer()
		dst.Close(ctx)
		dkv.Close()
		b.StartTimer()
	}
	reportThroughput(b, blocks*benchBlockTxs*b.N, elapsed, cpu)
}
