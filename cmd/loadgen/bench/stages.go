package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Stages of a node's work on a transaction, as the CPU profile of a run
// against a spawned node shows them. A sample belongs to the first rule
// (in this order) one of whose patterns names a function on its stack, so
// that, for example, signature recovery called from the HTTP handler
// counts as recovery and a state read during execution as execution.
//
// Samples taken in the contract's compiled code have no Go stack: the
// profiler cannot unwind wazero's machine code and records them as
// runtime._ExternalCode. The node runs no other code outside Go text
// (secp256k1 is a cgo call, which unwinds), so they count as execution.
var stageRules = []struct {
	name     string
	patterns []string
}{
	// The load generator shares the process with a spawned node: its
	// sends, its HTTP client and the event stream it reads.
	{StageLoadgen, []string{"/cmd/loadgen/bench.", "/sdk/client.", "net/http.(*persistConn)", "net/http.(*Transport)", "net/http.(*Client)"}},
	{StageSignature, []string{"secp256k1", "crypto.Ecrecover", "crypto.SigToPub", "/ledger/tx.recoverAddress", "/ledger/tx.RecoverAll"}},
	{StageMempool, []string{"/node/mempool."}},
	{StageExecution, []string{"/ledger.(*Ledger).execute", "/ledger.(*Ledger).run", "/ledger.(*speculator)", "tetratelabs/wazero", "meshledger/runtime.", "runtime._ExternalCode"}},
	{StageCommit, []string{"/ledger.(*Ledger).seal", "/ledger.(*Ledger).commit", "/ledger/state.", "go-ethereum/trie", "goleveldb", "/ledger/histlog."}},
	// What else the block producer does (receipts, block encoding).
	{StageExecution, []string{"/ledger.(*Ledger).ApplyBlock", "/ledger.(*Ledger).Finalize", "/node.(*Node).produce"}},
	{StageHTTP, []string{"net/http.", "labstack/echo", "encoding/json", "/node/httpapi.", "/sdk/api."}},
	{StageGC, []string{"runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge"}},
}

// stageNames are the stages in the order reports list them.
var stageNames = []string{StageHTTP, StageSignature, StageMempool, StageExecution, StageCommit, StageLoadgen, StageGC, StageOther}

// Stage names.
const (
	StageLoadgen   = "load generator (client, in process)"
	StageSignature = "signature recovery"
	StageMempool   = "mempool"
	StageExecution = "execution (wasm, state reads, block assembly)"
	StageCommit    = "state commit (trie hash + LevelDB write)"
	StageHTTP      = "HTTP + JSON (admission, event stream)"
	StageGC        = "GC (background)"
	StageOther     = "other"
)

// stageOf names the stage of a sample's stack.
func stageOf(funcs []string) string {
	for _, r := range stageRules {
		for _, f := range funcs {
			for _, p := range r.patterns {
				if strings.Contains(f, p) {
					return r.name
				}
			}
		}
	}
	return StageOther
}

// StageReport is a run's CPU split by stage.
type StageReport struct {
	// Profiled is the CPU time the profile sampled; Committed the
	// committed transactions it is divided by.
	Profiled  time.Duration `json:"profiledNs"`
	Committed int           `json:"committed"`
	Stages    []StageCPU    `json:"stages"`
}

// StageCPU is one stage's share.
type StageCPU struct {
	Name  string        `json:"name"`
	CPU   time.Duration `json:"cpuNs"`
	PerTx time.Duration `json:"perTxNs"`
	Share float64       `json:"share"`
}

// splitStages attributes the samples of a CPU profile to stages and
// divides them by committed. Every stage is listed, in stageNames order,
// so that runs compare line by line.
func splitStages(samples []cpuSample, committed int) *StageReport {
	by := map[string]int64{}
	var total int64
	for _, s := range samples {
		by[stageOf(s.funcs)] += s.cpu
		total += s.cpu
	}
	r := &StageReport{Profiled: time.Duration(total), Committed: committed}
	for _, n := range stageNames {
		st := StageCPU{Name: n, CPU: time.Duration(by[n])}
		if committed > 0 {
			st.PerTx = st.CPU / time.Duration(committed)
		}
		if total > 0 {
			st.Share = float64(by[n]) / float64(total)
		}
		r.Stages = append(r.Stages, st)
	}
	return r
}

// Print writes the split for people.
func (r *StageReport) Print(w io.Writer) {
	per := time.Duration(0)
	if r.Committed > 0 {
		per = r.Profiled / time.Duration(r.Committed)
	}
	fmt.Fprintf(w, "CPU by stage (profile: %s sampled, %s per committed tx):\n", r.Profiled.Round(time.Millisecond), per.Round(100*time.Nanosecond))
	for _, s := range r.Stages {
		fmt.Fprintf(w, "  %-46s %9s/tx  %5.1f%%\n", s.Name, s.PerTx.Round(100*time.Nanosecond), 100*s.Share)
	}
}
