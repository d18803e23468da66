package ledger

import (
	"context"
	"testing"
	"time"

	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
)

// BenchmarkPipelineLoanPayments makes runs of pipelineBenchBlocks blocks of
// 1,000 signed loan payments (signature recovery included, synced writes)
// one after the other (sequential: ApplyBlock) and overlapped (pipelined:
// each block executed while the one before it is sealed and written).
// tx/s is over the whole run, from the first execution to the last block
// durable.
func BenchmarkPipelineLoanPayments(b *testing.B) {
	const pipelineBenchBlocks = 4
	for _, mode := range []string{"sequential", "pipelined"} {
		b.Run(mode, func(b *testing.B) {
			e := newEnv(b)
			e.setup()
			ctx := context.Background()
			pipe, err := e.l.NewPipeline(e.proposer, nil)
			if err != nil {
				b.Fatal(err)
			}
			var elapsed, cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				props := make([]Proposal, pipelineBenchBlocks)
				for i := range props {
					props[i] = e.proposal(ledgertest.Reparse(b, payBlock(e))...)
					props[i].TimeMs += int64(i)
				}
				clear(e.issued)
				b.StartTimer()
				start, cpuStart := time.Now(), ledgertest.CPUTime()
				for _, p := range props {
					if mode == "sequential" {
						if _, err := e.l.ApplyBlock(ctx, p, e.proposer); err != nil {
							b.Fatal(err)
						}
						continue
					}
					h, err := pipe.Execute(ctx, p)
					if err != nil {
						b.Fatal(err)
					}
					if h.Txs() != benchBlockTxs {
						b.Fatalf("%d transactions included", h.Txs())
					}
					if err := pipe.Commit(h); err != nil {
						b.Fatal(err)
					}
				}
				if err := pipe.Settle(); err != nil {
					b.Fatal(err)
				}
				elapsed, cpu = elapsed+time.Since(start), cpu+ledgertest.CPUTime()-cpuStart
			}
			ledgertest.ReportThroughput(b, pipelineBenchBlocks*benchBlockTxs*b.N, elapsed, cpu)
		})
	}
}
