package ledger

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/meshledger/meshledger/ledger/tx"
)

const benchBlockTxs = 1000

// payBlock signs benchBlockTxs loan payments continuing e's servicer nonce.
func payBlock(e *env) []*tx.Tx { return payBlockN(e, benchBlockTxs) }

func payBlockN(e *env, n int) []*tx.Tx {
	txs := make([]*tx.Tx, n)
	for i := range txs {
		txs[i] = e.pay(1)
	}
	return txs
}

// fresh copies of signed transactions, so that each apply pays for
// signature recovery as a node receiving them would (Tx caches its sender).
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

// BenchmarkApplyBlock1000LoanPayments applies blocks of 1,000 signed loan
// payments, signature recovery included, on a LevelDB store with synced
// writes.
func BenchmarkApplyBlock1000LoanPayments(b *testing.B) {
	e := newEnv(b)
	e.setup()
	ctx := context.Background()
	var elapsed, cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		txs := reparse(b, payBlock(e))
		p := e.proposal(txs...)
		b.StartTimer()
		start, cpuStart := time.Now(), cpuTime()
		a, err := e.l.ApplyBlock(ctx, p, e.proposer)
		elapsed, cpu = elapsed+time.Since(start), cpu+cpuTime()-cpuStart
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		clear(e.issued)
		if len(a.Receipts) != benchBlockTxs || !a.Receipts[benchBlockTxs-1].OK() {
			b.Fatalf("%d receipts, rejected %v", len(a.Receipts), a.Rejected)
		}
		b.StartTimer()
	}
	reportThroughput(b, benchBlockTxs*b.N, elapsed, cpu)
}

// reportThroughput reports tx/s (wall) and the process's CPU time per
// transaction, every goroutine included: on a shared machine the wall
// figure moves with other jobs' load, the CPU figure much less.
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

// BenchmarkTxWithProofs reads every transaction of a 1,000-transaction
// block with its proofs, as the clients of a block waiting for it
// (POST /v1/txs?wait=true) do; ns/op is per transaction.
func BenchmarkTxWithProofs(b *testing.B) {
	e := newEnv(b)
	e.setup()
	a := e.apply(payBlock(e)...)
	i := 0
	for b.Loop() {
		if _, err := e.l.Tx(a.TxHashes[i%len(a.TxHashes)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
