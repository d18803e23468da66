package node

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/runtime"
)

// MetricWasmMemoryBytes is the gauge of the memory loaded contracts hold
// between calls, as counted against --wasm-memory-budget.
const MetricWasmMemoryBytes = "meshledger_wasm_memory_bytes"

// wasmMemoryGauge reports rt's accounted memory (runtime.Stats.MemoryBytes).
func wasmMemoryGauge(rt *runtime.Runtime) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: MetricWasmMemoryBytes,
		Help: "Memory loaded contracts hold between calls (compiled code, snapshots, idle instances), bounded by the Wasm memory budget.",
	}, func() float64 { return float64(rt.Stats().MemoryBytes) })
}

// MetricReadPolicyCalls counts the read-policy calls (ledger.MethodCanRead)
// the node made to decide raw reads, answers served from the ledger's
// cache excluded: a rate close to the rate of raw reads means the cache
// is not helping (every read asks a new key or a new height).
const MetricReadPolicyCalls = "meshledger_read_policy_calls_total"

// readPolicyCounter reports l's read-policy calls (Ledger.ReadPolicyCalls).
func readPolicyCounter(l *ledger.Ledger) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: MetricReadPolicyCalls,
		Help: "Read-policy calls made to decide raw state, history and proof reads (cached answers not counted).",
	}, func() float64 { return float64(l.ReadPolicyCalls()) })
}

// MetricBlockApplySeconds is the histogram of the time to execute, commit
// and sign one block.
const MetricBlockApplySeconds = "meshledger_block_apply_seconds"

// The latency of a transaction in the node, from admission to durable, in
// the solo producer's stages: MetricTxQueueSeconds (admission to the start
// of its block), MetricBlockExecuteSeconds (that block's execution),
// MetricBlockCommitSeconds (executed to durable: the wait for the block
// before it, then the state commit, signing and synced write), and
// MetricTxCommitSeconds, the sum as each transaction sees it. What is left
// of a client's submit-to-commit latency is HTTP: admission and the event
// stream.
const (
	MetricTxQueueSeconds      = "meshledger_tx_queue_seconds"
	MetricBlockExecuteSeconds = "meshledger_block_execute_seconds"
	MetricBlockCommitSeconds  = "meshledger_block_commit_seconds"
	MetricTxCommitSeconds     = "meshledger_tx_commit_seconds"
)

// MetricProducerLooks counts the producer's looks for ready transactions.
// It does not look while nothing is includable, so a count that climbs
// with no blocks being made means it is spinning.
const MetricProducerLooks = "meshledger_producer_looks_total"

// MetricBlocksCutByTime counts blocks closed by the block time budget.
const MetricBlocksCutByTime = "meshledger_blocks_cut_by_time_total"

// nodeMetrics are the node's admission, mempool and block metrics, on the
// node's private registry (shared with the API's HTTP metrics).
type nodeMetrics struct {
	admitted      prometheus.Counter
	looks         prometheus.Counter
	blocksCut     prometheus.Counter
	rejected      *prometheus.CounterVec
	blockInterval prometheus.Histogram
	blockTxs      prometheus.Histogram
	blockGas      prometheus.Histogram
	blockApply    prometheus.Histogram
	blockExecute  prometheus.Histogram
	blockCommit   prometheus.Histogram
	txQueue       prometheus.Histogram
	txCommit      prometheus.Histogram
	height        prometheus.Gauge
}

// latencyBuckets span 0.25 ms to 8 s: a block on an idle node commits in
// a few milliseconds, and the interesting tail is tens of them.
var latencyBuckets = prometheus.ExponentialBuckets(0.00025, 2, 16)

func newNodeMetrics(reg *prometheus.Registry, poolLen, poolBytes, poolGapped func() float64) (*nodeMetrics, error) {
	m := &nodeMetrics{
		admitted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "meshledger_txs_admitted_total",
			Help: "Transactions admitted to the mempool.",
		}),
		looks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: MetricProducerLooks,
			Help: "Times the block producer looked for ready transactions (it waits while none is includable).",
		}),
		blocksCut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: MetricBlocksCutByTime,
			Help: "Blocks the producer closed early because they reached the block time budget; their remaining ready transactions went to the next block.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meshledger_txs_rejected_total",
			Help: "Transactions refused, by stage (admission: at submission; block: left out of a block) and reason code.",
		}, []string{"stage", "reason"}),
		blockInterval: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "meshledger_block_interval_seconds",
			Help:    "Time between consecutive blocks' timestamps.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}),
		blockTxs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "meshledger_block_txs",
			Help:    "Transactions per block.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14),
		}),
		blockGas: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "meshledger_block_gas",
			Help:    "Gas used per block.",
			Buckets: prometheus.ExponentialBuckets(1e4, 4, 12),
		}),
		blockApply: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    MetricBlockApplySeconds,
			Help:    "Time to execute, commit and sign one block.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		blockExecute: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    MetricBlockExecuteSeconds,
			Help:    "Time to execute one block's transactions (solo producer).",
			Buckets: latencyBuckets,
		}),
		blockCommit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    MetricBlockCommitSeconds,
			Help:    "Time from a block executed to durable: waiting for the block before it, then the state commit, signing and synced write (solo producer).",
			Buckets: latencyBuckets,
		}),
		txQueue: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    MetricTxQueueSeconds,
			Help:    "Time from a committed transaction's admission to the start of its block (solo producer).",
			Buckets: latencyBuckets,
		}),
		txCommit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    MetricTxCommitSeconds,
			Help:    "Time from a committed transaction's admission to its block being durable (solo producer).",
			Buckets: latencyBuckets,
		}),
		height: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "meshledger_height",
			Help: "Latest committed height.",
		}),
	}
	cs := []prometheus.Collector{
		m.admitted, m.looks, m.blocksCut, m.rejected, m.blockInterval, m.blockTxs, m.blockGas, m.blockApply,
		m.blockExecute, m.blockCommit, m.txQueue, m.txCommit, m.height,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "meshledger_mempool_txs", Help: "Pending transactions."}, poolLen),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "meshledger_mempool_bytes", Help: "Size of pending transactions."}, poolBytes),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "meshledger_mempool_gapped_txs", Help: "Pending transactions behind a nonce gap of their sender."}, poolGapped),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
