package cometbft_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshledger/meshledger/node/cometbft"
)

// BenchmarkBroadcastTxCommit measures submit→commit through a
// four-validator network on loopback in this process, a transaction
// through each node in turn: sequential (one client waiting on each
// commit; ns/op is the latency) and parallel (many clients; ns/op is the
// inverse of committed throughput). p50-ms and p99-ms are per-transaction
// latencies. The application is CometBFT's kvstore, so the figures are
// consensus's cost, not the ledger's.
//
// The variants compare this package's defaults ("tuned") with CometBFT's
// own on the timing settings it changes, and with only the flush throttle
// at CometBFT's 100 ms.
func BenchmarkBroadcastTxCommit(b *testing.B) {
	variants := []struct {
		name string
		home cometbft.HomeOptions
	}{
		{"tuned", cometbft.HomeOptions{}},
		{"flush-100ms", cometbft.HomeOptions{Timing: cometbft.Timing{FlushThrottle: 100 * time.Millisecond}}},
		{"cometbft-defaults", cometbft.HomeOptions{Timing: cometbft.Timing{
			TimeoutCommit: time.Second, TimeoutPropose: 3 * time.Second,
			PeerGossipSleep: 100 * time.Millisecond, FlushThrottle: 100 * time.Millisecond,
		}}},
	}
	for _, v := range variants {
		c := startCluster(b, 4, v.home)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		// The first commit waits for the peers to connect: not measured.
		c.commit(ctx, 0, "warm=up")
		var seq atomic.Int64

		b.Run(v.name+"/sequential", func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				k := seq.Add(1)
				start := time.Now()
				c.commit(ctx, i%4, fmt.Sprintf("k%d=v", k))
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			reportLatency(b, lat)
		})
		b.Run(v.name+"/parallel", func(b *testing.B) {
			var mu sync.Mutex
			var lat []time.Duration
			var client atomic.Int64
			b.SetParallelism(8) // 16 clients on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				node := int(client.Add(1)) % 4
				var mine []time.Duration
				for pb.Next() {
					k := seq.Add(1)
					start := time.Now()
					c.commit(ctx, node, fmt.Sprintf("k%d=v", k))
					mine = append(mine, time.Since(start))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			reportLatency(b, lat)
		})
		cancel()
		for _, n := range c.nodes {
			_ = n.Stop()
		}
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
