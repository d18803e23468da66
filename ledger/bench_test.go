package ledger

import (
	"context"
	"testing"
	"time"

	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
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

// BenchmarkApplyBlock1000LoanPayments applies blocks of 1,000 signed loan
// payments, signature recovery included, on a LevelDB store with synced
// writes.
func BenchmarkApplyBlock1000LoanPayments(b *testing.B) {
	e := newEnv(b)
	e.setup()
	benchApplyBlocks(b, e, func() []*tx.Tx { return payBlock(e) })
}

// benchApplyBlocks applies a block of the benchBlockTxs transactions next
// signs per iteration (re-parsed, so that signature recovery is timed),
// checks that all were included and the last succeeded, and reports
// throughput and CPU per transaction over ApplyBlock alone.
func benchApplyBlocks(b *testing.B, e *env, next func() []*tx.Tx) {
	b.Helper()
	ctx := context.Background()
	var elapsed, cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		p := e.proposal(ledgertest.Reparse(b, next())...)
		b.StartTimer()
		start, cpuStart := time.Now(), ledgertest.CPUTime()
		a, err := e.l.ApplyBlock(ctx, p, e.proposer)
		elapsed, cpu = elapsed+time.Since(start), cpu+ledgertest.CPUTime()-cpuStart
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		clear(e.issued)
		if len(a.Receipts) != benchBlockTxs || !a.Receipts[benchBlockTxs-1].OK() {
			b.Fatalf("%d receipts, rejected %v, last %+v", len(a.Receipts), a.Rejected, a.Receipts[len(a.Receipts)-1])
		}
		b.StartTimer()
	}
	ledgertest.ReportThroughput(b, benchBlockTxs*b.N, elapsed, cpu)
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
