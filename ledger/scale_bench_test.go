package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"

	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
)

// The benchmarks in this file measure what a servicer's node does at the
// scale of a real loan book: a block of 1,000 payments to distinct loans
// drawn at random from 10⁴–10⁷ loans changes 1,000 scattered trie paths,
// where BenchmarkApplyBlock1000LoanPayments pays one loan a thousand times.
//
// The book is built the honest way, by applying blocks of signed create
// transactions through ApplyBlock, so the loans are exactly the records
// the loan contract writes. That is slow (minutes at 10⁶ loans, tens of
// minutes at 10⁷), so it happens only in benchmarks, and a directory named
// by MESHLEDGER_BENCH_DIR keeps each book between runs:
//
//	MESHLEDGER_BENCH_DIR=/var/tmp/mlbench go test -run '^$' -bench 'Scale|On1MLoans' -count 5 ./ledger/
//
// Without it each benchmark builds its book in its own temporary directory.
// A kept book whose build was cut short is resumed where it stopped.

// Environment variables of the scale benchmarks.
const (
	// benchDirEnv names a directory that keeps built books between runs.
	benchDirEnv = "MESHLEDGER_BENCH_DIR"
	// bench10MEnv set to 1 adds the 10M-loan size (make bench-scale).
	bench10MEnv = "MESHLEDGER_BENCH_10M"
	// benchWarmEnv is how many blocks of payments are applied, untimed,
	// after filling the node cache and before the timed ones (default
	// benchWarmBlocks). 0 times the cold start of a reopened book: no
	// warm-up at all.
	benchWarmEnv = "MESHLEDGER_BENCH_WARM"
)

// benchWarmBlocks is the default warm-up. What a node that has been
// running for a while sees is emulated in two steps: the node cache is
// filled from the trie (state.DB.WarmNodeCache), as payments to every
// loan of the book would have filled it, then blocks of payments bring
// every table's index and filter blocks and the hot data blocks into
// LevelDB's block cache. A reopened book has neither (docs/state.md,
// "A million loans").
const benchWarmBlocks = 30

// bookCreatesPerBlock is how many creates each block of the book's setup
// holds: large blocks amortise the per-block commit.
const bookCreatesPerBlock = 2000

// bookManifest marks a book directory complete and says what is in it.
const bookManifest = "book.json"

// loanBook is a ledger holding a book of loans, all serviced by e.servicer.
type loanBook struct {
	e     *env
	loans int
	// setup is how long building (or reopening) the book took.
	setup time.Duration
	built bool // built by this run, not reopened
}

// bookRecord is the content of bookManifest.
type bookRecord struct {
	Loans int            `json:"loans"`
	Loan  common.Address `json:"loanContract"`
}

// bookLoanID is the id of loan i of a book.
func bookLoanID(i int) string { return fmt.Sprintf("B%08d", i) }

// openBook returns a ledger holding loans loans, reopened from
// MESHLEDGER_BENCH_DIR when a complete book of that size is there, else
// built (and, with MESHLEDGER_BENCH_DIR, kept there).
func openBook(b *testing.B, loans int) *loanBook {
	b.Helper()
	start := time.Now()
	dir, keep := b.TempDir(), false
	if root := os.Getenv(benchDirEnv); root != "" {
		dir, keep = filepath.Join(root, fmt.Sprintf("book-%d", loans)), true
	}
	e := &env{
		tb: b, dir: dir,
		proposer: ledgertest.KeySigner{Key: ledgertest.MustKey(b, 9)},
		owner:    ledgertest.MustKey(b, 1), servicer: ledgertest.MustKey(b, 2),
		issued: map[common.Address]uint64{},
	}
	e.genesis = ledgertest.Genesis(ledgertest.AddrOf(e.owner), "servicer", ledgertest.AddrOf(e.servicer), ledgertest.AddrOf(ledgertest.MustKey(b, 3)))
	bk := &loanBook{e: e, loans: loans}
	if keep {
		if rec, err := readBookRecord(dir); err == nil && rec.Loans == loans {
			e.l = e.open(Config{Dir: dir})
			b.Cleanup(func() { e.l.Close(context.Background()) })
			e.loan = rec.Loan
			bk.setup = time.Since(start)
			return bk
		}
		// An incomplete book (a run cut short) is resumed: every block
		// of creates committed whole, so the owner's nonce says how far
		// it got (deploy, "L1", then one create per loan).
		if _, err := os.Stat(dir); err == nil {
			e.l = e.open(Config{Dir: dir})
			if cs, err := e.l.Contracts(); err == nil && len(cs) == 1 && e.nonce(e.owner) >= 2 {
				b.Cleanup(func() { e.l.Close(context.Background()) })
				e.loan = cs[0].Address
				from := int(e.nonce(e.owner) - 2)
				b.Logf("resuming the book in %s at %d of %d loans", dir, from, loans)
				bk.fill(b, from)
				bk.keep(b, dir)
				bk.setup, bk.built = time.Since(start), true
				return bk
			}
			e.l.Close(context.Background())
		}
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	e.l = e.open(Config{Dir: dir})
	b.Cleanup(func() { e.l.Close(context.Background()) })
	e.setup() // deploys the contract and creates "L1"
	bk.fill(b, 0)
	if keep {
		bk.keep(b, dir)
	}
	bk.setup, bk.built = time.Since(start), true
	return bk
}

// keep marks the book in dir complete.
func (bk *loanBook) keep(b *testing.B, dir string) {
	raw, err := json.Marshal(bookRecord{Loans: bk.loans, Loan: bk.e.loan})
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, bookManifest), raw, 0o644)
	}
	if err != nil {
		b.Fatalf("writing the book's manifest: %v", err)
	}
}

func readBookRecord(dir string) (bookRecord, error) {
	var rec bookRecord
	raw, err := os.ReadFile(filepath.Join(dir, bookManifest))
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return rec, fmt.Errorf("%s: %w", bookManifest, err)
	}
	if rec.Loans <= 0 {
		return rec, errors.New("book manifest without loans")
	}
	return rec, nil
}

// fill creates the book's loans from loan from on, owner signing,
// bookCreatesPerBlock a block, signing each block's creates over every CPU
// while the previous block applies.
func (bk *loanBook) fill(b *testing.B, from int) {
	b.Helper()
	e := bk.e
	ctx := context.Background()
	nonce := e.nonce(e.owner)
	borrower := ledgertest.AddrOf(ledgertest.MustKey(b, 3))
	servicer := ledgertest.AddrOf(e.servicer)
	sign := func(lo, hi int, first uint64) ([]*tx.Tx, error) {
		txs := make([]*tx.Tx, hi-lo)
		var g errgroup.Group
		workers := runtime.GOMAXPROCS(0)
		for w := range workers {
			g.Go(func() error {
				for i := w; i < len(txs); i += workers {
					raw, err := json.Marshal(ledgertest.LoanCreateArgs(bookLoanID(lo+i), borrower, servicer))
					if err != nil {
						return err
					}
					t, err := tx.SignCall(tx.Call{From: ledgertest.AddrOf(e.owner), Nonce: first + uint64(i), Contract: e.loan,
						Method: "create", Args: raw, GasLimit: ledgertest.CallGas}, ledgertest.ChainID, e.owner)
					if err != nil {
						return err
					}
					txs[i] = t
				}
				return nil
			})
		}
		return txs, g.Wait()
	}
	type signed struct {
		txs []*tx.Tx
		err error
	}
	next := make(chan signed, 1)
	go func() {
		defer close(next)
		for lo := from; lo < bk.loans; lo += bookCreatesPerBlock {
			hi := min(lo+bookCreatesPerBlock, bk.loans)
			txs, err := sign(lo, hi, nonce+uint64(lo-from))
			next <- signed{txs, err}
			if err != nil {
				return
			}
		}
	}()
	done, report := from, time.Now()
	for s := range next {
		if s.err != nil {
			b.Fatalf("signing creates: %v", s.err)
		}
		a, err := e.l.ApplyBlock(ctx, e.proposal(s.txs...), e.proposer)
		if err != nil {
			b.Fatalf("applying creates %d..: %v", done, err)
		}
		if len(a.Rejected) != 0 || len(a.Receipts) != len(s.txs) || !a.Receipts[len(s.txs)-1].OK() {
			b.Fatalf("creates %d..: %d receipts, rejected %v", done, len(a.Receipts), a.Rejected)
		}
		done += len(s.txs)
		if time.Since(report) > 30*time.Second {
			b.Logf("book: %d of %d loans", done, bk.loans)
			report = time.Now()
		}
	}
}

// payBlock signs n payments by the book's servicer to distinct loans drawn
// from the book by rng.
func (bk *loanBook) payBlock(b *testing.B, rng *rand.Rand, n int) []*tx.Tx {
	b.Helper()
	e := bk.e
	seen := make(map[int]struct{}, n)
	txs := make([]*tx.Tx, 0, n)
	for len(txs) < n {
		i := rng.IntN(bk.loans)
		if _, dup := seen[i]; dup {
			continue
		}
		seen[i] = struct{}{}
		txs = append(txs, e.callTx(e.servicer, e.next(e.servicer), e.loan, "pay", map[string]any{"id": bookLoanID(i), "amount": 1}))
	}
	return txs
}

// benchPaymentsOnBook applies blocks of benchBlockTxs payments to distinct
// random loans of a book of loans loans, signature recovery included, on
// LevelDB with synced writes; it reports tx/s and CPU per tx of the apply
// alone, and the book's setup time.
func benchPaymentsOnBook(b *testing.B, loans int) {
	bk := openBook(b, loans)
	verb := "reopened"
	if bk.built {
		verb = "built"
	}
	b.Logf("%s a book of %d loans in %s", verb, loans, bk.setup.Round(time.Millisecond))
	// A fixed seed: every run pays the same loans in the same order.
	rng := rand.New(rand.NewPCG(uint64(loans), 13))
	warm := benchWarm(b)
	bk.warmNodeCache(b, warm)
	start := time.Now()
	for range warm {
		bk.e.apply(bk.payBlock(b, rng, benchBlockTxs)...)
	}
	if warm > 0 {
		b.Logf("warmed up with %d blocks in %s", warm, time.Since(start).Round(time.Millisecond))
	}
	before := bookStats(b, bk)
	benchApplyBlocks(b, bk.e, func() []*tx.Tx { return bk.payBlock(b, rng, benchBlockTxs) })
	after := bookStats(b, bk)
	// LevelDB's I/O per transaction does not depend on how busy the
	// machine is: it says whether the caches hold what a block reads and
	// how much compaction its writes cause.
	txs := float64(benchBlockTxs * b.N)
	b.ReportMetric(float64(after.ReadBytes-before.ReadBytes)/1024/txs, "read-KiB/tx")
	b.ReportMetric(float64(after.CompactionWriteBytes-before.CompactionWriteBytes)/1024/txs, "compact-write-KiB/tx")
	b.ReportMetric(float64((after.CompactionTime-before.CompactionTime).Microseconds())/txs, "compact-µs/tx")
	b.ReportMetric(bk.setup.Seconds(), "setup-s")
}

// BenchmarkApplyBlock1000PaymentsOn1MLoans is BenchmarkApplyBlock1000LoanPayments
// on a loan book's scale: each block pays 1,000 distinct loans drawn at
// random from a million.
func BenchmarkApplyBlock1000PaymentsOn1MLoans(b *testing.B) {
	benchPaymentsOnBook(b, 1_000_000)
}

// BenchmarkScaleApply is the same block at 10k and 1M loans, and at 10M
// with MESHLEDGER_BENCH_10M=1 (make bench-scale): how the apply of a
// block scales with the book.
func BenchmarkScaleApply(b *testing.B) {
	sizes := []struct {
		name  string
		loans int
	}{{"loans=10k", 10_000}, {"loans=1M", 1_000_000}}
	if os.Getenv(bench10MEnv) == "1" {
		sizes = append(sizes, struct {
			name  string
			loans int
		}{"loans=10M", 10_000_000})
	}
	for _, s := range sizes {
		b.Run(s.name, func(b *testing.B) { benchPaymentsOnBook(b, s.loans) })
	}
}

// bookStats returns the LevelDB counters of the book's store.
func bookStats(b *testing.B, bk *loanBook) storage.Stats {
	b.Helper()
	st, err := bk.e.l.ownedDB.Stats()
	if err != nil {
		b.Fatal(err)
	}
	return st
}

// benchWarm is the warm-up MESHLEDGER_BENCH_WARM asks for.
func benchWarm(b *testing.B) int {
	v := os.Getenv(benchWarmEnv)
	if v == "" {
		return benchWarmBlocks
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		b.Fatalf("%s=%q: want a count of blocks", benchWarmEnv, v)
	}
	return n
}

// warmNodeCache fills the node cache from the book's trie, unless warm is
// 0 (a cold start).
func (bk *loanBook) warmNodeCache(b *testing.B, warm int) {
	b.Helper()
	if warm == 0 {
		return
	}
	start := time.Now()
	root, err := bk.e.l.state.LatestRoot()
	if err != nil {
		b.Fatal(err)
	}
	n, err := bk.e.l.state.WarmNodeCache(context.Background(), root)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("read %d trie nodes into the node cache in %s", n, time.Since(start).Round(time.Millisecond))
}

// BenchmarkReadLoanOn1MLoans reads what a payment reads of a random loan
// of a million, apart from compaction and execution: its value from the
// flat index, as the contract does, and its leaf from the trie, as the
// commit does. After the warm-up (MESHLEDGER_BENCH_WARM, in blocks'
// worth of reads) it measures how well the node cache and LevelDB's
// block and table caches hold a book of that size; read-KiB/op is what
// LevelDB read from its files.
func BenchmarkReadLoanOn1MLoans(b *testing.B) {
	bk := openBook(b, 1_000_000)
	st := bk.e.l.state
	root, err := st.LatestRoot()
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1_000_000, 17))
	read := func() {
		key := []byte("loan/" + bookLoanID(rng.IntN(bk.loans)))
		if _, ok, err := st.Get(bk.e.loan, key); err != nil || !ok {
			b.Fatalf("flat read of %s: found %v, %v", key, ok, err)
		}
		if e, err := st.EntryAt(root, bk.e.loan, key); err != nil || e == nil {
			b.Fatalf("trie read of %s: %v, %v", key, e, err)
		}
	}
	warm := benchWarm(b)
	bk.warmNodeCache(b, warm)
	for range warm * benchBlockTxs {
		read()
	}
	before, cpu := bookStats(b, bk), ledgertest.CPUTime()
	for b.Loop() {
		read()
	}
	cpu = ledgertest.CPUTime() - cpu
	after := bookStats(b, bk)
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(after.ReadBytes-before.ReadBytes)/1024/float64(b.N), "read-KiB/op")
}
