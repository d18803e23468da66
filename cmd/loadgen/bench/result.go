package bench

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Result is the outcome of a run.
type Result struct {
	Scenario Scenario `json:"scenario"`
	// Loans is the number of loans in the pool (pool scenario), or of the
	// loan book booked before the run (create scenario with --loans): the
	// state the payments land on holds at least that many loan records.
	// Zero: one loan per worker.
	Loans int `json:"loans,omitempty"`
	// Seed seeded the draws of a loan book's payments.
	Seed uint64 `json:"seed,omitempty"`
	// Book says how this run came by its loan book (create scenario with
	// --loans): booked now, or reused from a --book-dir.
	Book      *BookReport `json:"book,omitempty"`
	Mode      Mode        `json:"mode"`
	Workers   int         `json:"workers"`
	BatchSize int         `json:"batchSize"`
	Rate      float64     `json:"targetRate,omitempty"`
	// Nodes is how many nodes the workers sent to (round robin).
	Nodes int `json:"nodes"`

	// Sent counts the transactions the node admitted, item by item of
	// each batch answer; Sent = Committed + Stuck + Dropped.
	Sent      int `json:"sent"`
	Refused   int `json:"refused"`   // refused for good (not for backpressure)
	Committed int `json:"committed"` // committed by the end of the drain
	// Stuck counts transactions admitted but still pending at the node
	// when the drain gave up (typically behind a refused nonce);
	// StuckSample lists a few of them.
	Stuck       int           `json:"stuck"`
	StuckSample []common.Hash `json:"stuckSample,omitempty"`
	// Dropped counts transactions admitted, then rejected by the node.
	Dropped int `json:"dropped"`
	// PerNode counts, with several nodes, the committed payments seen on
	// the event stream by the node they were sent to.
	PerNode  []int         `json:"committedPerNode,omitempty"`
	Blocks   int           `json:"blocks"`
	SendTime time.Duration `json:"sendTimeNs"`
	// Elapsed runs from the first send to the last commit seen.
	Elapsed  time.Duration `json:"elapsedNs"`
	TxPerSec float64       `json:"committedTxPerSec"`
	// Submit-to-commit latency percentiles.
	P50 time.Duration `json:"p50Ns"`
	P90 time.Duration `json:"p90Ns"`
	P99 time.Duration `json:"p99Ns"`
	Max time.Duration `json:"maxNs"`

	// CPUTime is this process's CPU time (user + system) from the first
	// send to the end of the drain: with --spawn, node and load generator
	// together. On a shared machine CPUPerTx moves much less than TxPerSec.
	CPUTime  time.Duration `json:"cpuTimeNs,omitempty"`
	CPUPerTx time.Duration `json:"cpuPerTxNs,omitempty"`
	// ApplyTime is the spawned node's time in ApplyBlock over the run (0
	// when driving a remote node): ApplyTime/Elapsed is how busy its block
	// producer was.
	ApplyTime time.Duration `json:"applyTimeNs,omitempty"`
	// Stages splits the CPU time of the run by what the node was doing
	// (--stages; the spawned node's process only).
	Stages *StageReport `json:"stages,omitempty"`

	// Verification is what the contracts recorded of the run, read back
	// after it; nil if the run ended before it could be read.
	Verification *Verification `json:"verification,omitempty"`

	committedHashes []common.Hash // every committed payment, for the failure sample
}

// BookReport is how a run came by its loan book.
type BookReport struct {
	Loans int `json:"loans"`
	// Dir is the --book-dir the book was booked into or reused from.
	Dir    string `json:"dir,omitempty"`
	Reused bool   `json:"reused"`
	// Creates counts the creates this run sent: zero when reused.
	Creates       int           `json:"creates"`
	BookTime      time.Duration `json:"bookTimeNs,omitempty"`
	CreatesPerSec float64       `json:"createsPerSec,omitempty"`
}

// String is the report's line about the book.
func (b *BookReport) String() string {
	if b.Reused {
		return fmt.Sprintf("book reused from %s (%d loans)", b.Dir, b.Loans)
	}
	s := fmt.Sprintf("booked %d loans in %s (%.0f creates/s)", b.Loans, b.BookTime.Round(time.Millisecond), b.CreatesPerSec)
	if b.Dir != "" {
		s += " into " + b.Dir
	}
	return s
}

func (r *Result) summarise(lat []time.Duration, start, lastCommit time.Time) {
	r.Committed = len(lat)
	if len(lat) == 0 {
		return
	}
	r.Elapsed = lastCommit.Sub(start)
	if r.Elapsed > 0 {
		r.TxPerSec = float64(r.Committed) / r.Elapsed.Seconds()
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	r.P50, r.P90, r.P99, r.Max = percentile(s, 50), percentile(s, 90), percentile(s, 99), s[len(s)-1]
}

// percentile is the nearest-rank percentile of sorted samples.
func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

// Print writes the result for people.
func (r *Result) Print(w io.Writer) {
	rate := "max"
	if r.Rate > 0 {
		rate = fmt.Sprintf("%.0f tx/s", r.Rate)
	}
	scenario := string(r.Scenario)
	if r.Loans > 0 {
		scenario = fmt.Sprintf("%s (%d loans)", r.Scenario, r.Loans)
		if r.Seed != 0 {
			scenario = fmt.Sprintf("%s (%d loans, seed %d)", r.Scenario, r.Loans, r.Seed)
		}
	}
	nodes := ""
	if r.Nodes > 1 {
		nodes = fmt.Sprintf(", %d nodes", r.Nodes)
	}
	fmt.Fprintf(w, "scenario %s, mode %s, %d workers%s, batch %d, rate %s\n", scenario, r.Mode, r.Workers, nodes, r.BatchSize, rate)
	if r.Book != nil {
		fmt.Fprintln(w, r.Book)
	}
	fmt.Fprintf(w, "committed %d of %d admitted (%d refused, %d stuck, %d dropped) in %d blocks over %s\n",
		r.Committed, r.Sent, r.Refused, r.Stuck, r.Dropped, r.Blocks, r.Elapsed.Round(time.Millisecond))
	if len(r.PerNode) > 1 {
		fmt.Fprintf(w, "committed per node sent to: %v\n", r.PerNode)
	}
	if r.Stuck > 0 {
		fmt.Fprintf(w, "stuck (admitted, still pending after the drain): %d, e.g. %s\n", r.Stuck, r.StuckSample[0].Hex())
	}
	fmt.Fprintf(w, "throughput %.0f committed tx/s\n", r.TxPerSec)
	fmt.Fprintf(w, "latency submit→commit p50 %s  p90 %s  p99 %s  max %s\n",
		r.P50.Round(time.Millisecond), r.P90.Round(time.Millisecond), r.P99.Round(time.Millisecond), r.Max.Round(time.Millisecond))
	if r.CPUTime > 0 {
		fmt.Fprintf(w, "process CPU %s, %s per committed tx\n", r.CPUTime.Round(time.Millisecond), r.CPUPerTx.Round(time.Microsecond))
	}
	if r.ApplyTime > 0 && r.Elapsed > 0 {
		fmt.Fprintf(w, "block producer busy %.0f%% (%s applying blocks)\n",
			100*r.ApplyTime.Seconds()/r.Elapsed.Seconds(), r.ApplyTime.Round(time.Millisecond))
	}
	if r.Stages != nil {
		r.Stages.Print(w)
	}
	if v := r.Verification; v != nil {
		v.print(w)
	}
}

func (v *Verification) print(w io.Writer) {
	verdict := "verified"
	if len(v.Mismatches) > 0 {
		verdict = "MISMATCH"
	}
	fmt.Fprintf(w, "%s: %d payments (%d cents) recorded, %d failed", verdict, v.Recorded, v.Paid, v.Failed)
	if v.PoolLoans > 0 {
		fmt.Fprintf(w, "; pool disclosure %d loans, balance %d, WAC %d bps; portfolio %d payments",
			v.PoolLoans, v.PoolBalance, v.PoolWACBps, v.PortfolioRecorded)
	}
	if v.GasPerPayment > 0 {
		fmt.Fprintf(w, "; gas per payment %d", v.GasPerPayment)
	}
	fmt.Fprintln(w)
	for _, m := range v.Mismatches {
		fmt.Fprintf(w, "  mismatch: %s\n", m)
	}
	for _, f := range v.FailureSample {
		fmt.Fprintf(w, "  failed: %s\n", f)
	}
}
