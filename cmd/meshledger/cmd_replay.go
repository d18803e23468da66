package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/audit"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/runtime"
)

// Errors of the replay command that tests and scripts tell apart.
var (
	errDestNotEmpty = errors.New("destination is not empty")
	errExportOrder  = errors.New("exports out of order")
)

// progressEvery is how often replay reports progress on stderr.
const progressEvery = time.Second

func newReplayCmd(a *app) *cobra.Command {
	var (
		files         []string
		fromDataDir   string
		toDir         string
		compiledCache string
		quiet         bool
	)
	cmd := &cobra.Command{
		Use:   "replay (--from-file FILE... | --from-data-dir DIR) --to DIR",
		Short: "Rebuild a fresh store from an export or a data directory, checking every block",
		Long: `Rebuild a fresh store in --to DIR by re-executing every block from genesis
through the same executor a node uses, and check each block against its
signed header: chain id, height, parent, time, proposer signature, the
transaction root, every stored receipt field by field, the receipt root and
the state root. From --from-data-dir the source's stored latest state is then
compared with the replayed one key by key.

The first disagreement stops the replay: the report names the block, the
transaction (index and hash), what differs (and for a receipt which field;
for state the contract and key), what the source holds and what re-execution
produced, and the exit status is 1. DIR keeps the blocks verified before it.

--from-file may be repeated to replay consecutive exports (1..N, N+1..M, ...)
in order. DIR must be new or empty; it is laid out like a node's data
directory (chain/, genesis.json, wasm-cache/), so 'meshledger export
--data-dir DIR' reads it back. Progress goes to stderr.`,
		Example: `  meshledger replay --from-file chain.export --to ./audit
  meshledger replay --from-file upto-5000.export --from-file rest.export --to ./audit --json
  meshledger replay --from-data-dir /backup/meshledger --to ./audit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case len(files) == 0 && fromDataDir == "":
				return errors.New("give the source: --from-file FILE or --from-data-dir DIR")
			case len(files) > 0 && fromDataDir != "":
				return errors.New("--from-file and --from-data-dir exclude each other")
			case toDir == "":
				return errors.New("--to DIR is required: the new store to rebuild")
			}
			if err := checkFreshDir(toDir); err != nil {
				return err
			}
			r := &replayRun{a: a, toDir: toDir, compiledCache: compiledCache}
			if !quiet {
				r.progress = a.stderr
			}
			return r.run(cmd.Context(), files, fromDataDir)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&files, "from-file", nil, "export stream to replay (repeat for consecutive exports, in order)")
	f.StringVar(&fromDataDir, "from-data-dir", "", "data directory (of a stopped node) to replay")
	f.StringVar(&toDir, "to", "", "new or empty directory to rebuild the store in")
	f.StringVar(&compiledCache, "compiled-cache", "", "directory of compiled contract code to share (default DIR/wasm-cache); only one you control")
	f.BoolVar(&quiet, "quiet", false, "no progress on stderr")
	return cmd
}

// checkFreshDir refuses a destination that holds anything: replay builds a
// store from genesis, and writing into another store would mix two chains.
func checkFreshDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("%w: %s holds %d entries; replay builds a fresh store, give a new or empty directory", errDestNotEmpty, dir, len(entries))
	}
	return nil
}

// replayRun is one replay invocation.
type replayRun struct {
	a             *app
	toDir         string
	compiledCache string
	progress      io.Writer // nil: quiet
}

// replayResult is what replay prints, --json's output.
type replayResult struct {
	OK            bool            `json:"ok"`
	Sources       []string        `json:"sources"`
	ChainID       uint64          `json:"chainId"`
	GenesisHash   common.Hash     `json:"genesisHash"`
	Height        uint64          `json:"height"` // the last block replayed and verified
	Hash          common.Hash     `json:"hash"`
	StateRoot     common.Hash     `json:"stateRoot"`
	Blocks        uint64          `json:"blocks"`
	Txs           uint64          `json:"txs"`
	StateCompared bool            `json:"stateCompared"`
	Mismatch      *mismatchReport `json:"mismatch,omitempty"`
}

// mismatchReport is a *audit.Mismatch for scripts.
type mismatchReport struct {
	Height   uint64          `json:"height"`
	TxIndex  *int            `json:"txIndex,omitempty"`
	TxHash   *common.Hash    `json:"txHash,omitempty"`
	What     string          `json:"what"`
	Field    string          `json:"field,omitempty"`
	Contract *common.Address `json:"contract,omitempty"`
	Key      hexutil.Bytes   `json:"key,omitempty"`
	Expected string          `json:"expected"`
	Got      string          `json:"got"`
}

func (r *replayRun) run(ctx context.Context, files []string, fromDataDir string) error {
	var (
		g       *block.Genesis
		blocks  ledger.BlockSource
		srcL    *ledger.Ledger
		sources []string
	)
	if fromDataDir != "" {
		l, err := openSourceLedger(ctx, fromDataDir)
		if err != nil {
			return err
		}
		defer l.Close(context.WithoutCancel(ctx))
		g, srcL, sources = l.Genesis(), l, []string{fromDataDir}
		blocks = l.Blocks(1, l.Latest().Header.Height)
	} else {
		es, err := openExports(files)
		if err != nil {
			return err
		}
		defer es.close()
		g, blocks, sources = es.genesis, es, files
	}

	dst, closeDst, err := openDestination(ctx, r.toDir, g, r.compiledCache)
	if err != nil {
		return err
	}
	prog := &progressSource{src: blocks, w: r.progress, every: progressEvery, now: time.Now}
	prog.start()
	// With a data dir this is audit.ReplayLedger, unrolled so that progress
	// can be reported between blocks.
	_, err = audit.Replay(ctx, dst, prog)
	stateCompared := false
	if err == nil && srcL != nil {
		err, stateCompared = audit.CompareState(srcL, dst), true
	}
	latest := dst.Latest()
	if cerr := closeDst(); err == nil {
		err = cerr
	}
	res := &replayResult{
		OK: err == nil, Sources: sources, ChainID: g.ChainID, GenesisHash: g.Hash(),
		Height: latest.Header.Height, Hash: latest.Hash(), StateRoot: latest.Header.StateRoot,
		Blocks: prog.blocks, Txs: prog.txs, StateCompared: stateCompared && err == nil,
	}
	var m *audit.Mismatch
	if errors.As(err, &m) {
		res.Mismatch = reportOf(m)
	} else if err != nil {
		return err
	}
	prog.finish()
	if perr := r.print(res); perr != nil && err == nil {
		err = perr
	}
	return err
}

func (r *replayRun) print(res *replayResult) error {
	w := r.a.stdout
	if r.a.jsonOut {
		return printJSON(w, res)
	}
	var k kv
	if m := res.Mismatch; m != nil {
		fmt.Fprintf(w, "replay FAILED at block %d: %s\n", m.Height, strings.TrimSpace(m.What+" "+m.Field))
		k.add("source", strings.Join(res.Sources, ", "))
		k.add("verified", fmt.Sprintf("%d blocks (up to %d)", res.Blocks, res.Height))
		k.add("height", fmt.Sprint(m.Height))
		m.addTo(&k)
		return k.print(w)
	}
	k.add("source", strings.Join(res.Sources, ", "))
	k.add("chain id", fmt.Sprint(res.ChainID))
	k.add("genesis", res.GenesisHash.Hex())
	k.add("height", fmt.Sprint(res.Height))
	k.add("hash", res.Hash.Hex())
	k.add("state root", res.StateRoot.Hex())
	k.add("txs", fmt.Sprint(res.Txs))
	if res.StateCompared {
		k.add("state", "the source's stored state equals the replayed state, key by key")
	}
	if err := k.print(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "verified %d blocks\n", res.Blocks)
	return err
}

// addTo lists the mismatch's fields for people, as replay and audit print
// them.
func (m *mismatchReport) addTo(k *kv) {
	if m.TxIndex != nil {
		k.add("tx index", fmt.Sprint(*m.TxIndex))
		k.add("tx hash", m.TxHash.Hex())
	}
	k.add("what", m.What)
	if m.Field != "" {
		k.add("field", m.Field)
	}
	if m.Contract != nil {
		k.add("contract", m.Contract.Hex())
		k.add("key", showBytes(m.Key))
	}
	k.add("expected", showReported(m.Expected))
	k.add("got", showReported(m.Got))
}

func reportOf(m *audit.Mismatch) *mismatchReport {
	rep := &mismatchReport{Height: m.Height, What: m.What, Field: m.Field, Expected: m.Expected, Got: m.Got}
	if m.TxIndex >= 0 {
		i, h := m.TxIndex, m.TxHash
		rep.TxIndex, rep.TxHash = &i, &h
	}
	if m.What == audit.MismatchStateValue {
		c := m.Contract
		rep.Contract, rep.Key = &c, m.Key
	}
	return rep
}

// showReported renders a reported value: the ledger gives byte values as
// 0x-hex, which people read better as text or JSON, with the exact hex
// kept beside it.
func showReported(s string) string {
	b, err := hexutil.Decode(s)
	if err != nil || len(b) == 0 {
		return s
	}
	if shown := showBytes(b); shown != s {
		return shown + "  (" + s + ")"
	}
	return s
}

// openDestination creates the fresh store in dir, laid out like a node's
// data directory. Blocks are written without fsync, since a replay that
// dies is simply run again; the store is synced once on close.
func openDestination(ctx context.Context, dir string, g *block.Genesis, compiledCache string) (*ledger.Ledger, func() error, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("--to: %w", err)
	}
	doc, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("encode genesis: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, node.GenesisFile), append(doc, '\n'), 0o644); err != nil {
		return nil, nil, fmt.Errorf("--to: %w", err)
	}
	db, err := storage.Open(filepath.Join(dir, node.ChainDir), storage.Options{NoSync: true})
	if err != nil {
		return nil, nil, fmt.Errorf("--to: %w", err)
	}
	// The same runtime configuration as a node's, so gas is metered alike.
	rtCfg := runtime.NewConfig().WithCacheDir(filepath.Join(dir, node.WasmCacheDir))
	if compiledCache != "" {
		rtCfg = rtCfg.WithCompiledCacheDir(compiledCache)
	}
	l, err := ledger.Open(ctx, ledger.Config{Store: db, Genesis: g, RuntimeConfig: &rtCfg})
	if err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("--to: open ledger: %w", err)
	}
	closeAll := func() error {
		errs := []error{l.Close(context.WithoutCancel(ctx)), db.SyncKeyValue(), db.Close()}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("--to: close store: %w", err)
		}
		return nil
	}
	return l, closeAll, nil
}

// exportChain reads one or more export streams as one source, in order.
type exportChain struct {
	genesis *block.Genesis
	names   []string
	files   []*os.File
	readers []*audit.ExportReader
	i       int
	started bool   // a block of readers[i] was returned
	last    uint64 // height of the last block returned
}

// openExports opens every file and reads its genesis up front, so that a
// wrong file is refused before anything is replayed.
func openExports(names []string) (*exportChain, error) {
	es := &exportChain{names: names}
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			es.close()
			return nil, fmt.Errorf("--from-file: %w", err)
		}
		es.files = append(es.files, f)
		er, err := audit.ReadExport(f, tx.Limits{})
		if err != nil {
			es.close()
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if es.genesis == nil {
			es.genesis = er.Genesis()
		} else if h := er.Genesis().Hash(); h != es.genesis.Hash() {
			es.close()
			return nil, fmt.Errorf("%s is from another chain: genesis %s, but %s has %s", name, h, names[0], es.genesis.Hash())
		}
		es.readers = append(es.readers, er)
	}
	return es, nil
}

func (es *exportChain) close() {
	for _, f := range es.files {
		_ = f.Close()
	}
}

// Next checks that each file continues where the previous one ended (the
// first at block 1): a gap between files is the caller's mistake, not
// tampering, and deserves its own message.
func (es *exportChain) Next(ctx context.Context) (*ledger.SourceBlock, error) {
	for es.i < len(es.readers) {
		sb, err := es.readers[es.i].Next(ctx)
		if errors.Is(err, io.EOF) {
			es.i, es.started = es.i+1, false
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", es.names[es.i], err)
		}
		if h := sb.Header.Header.Height; !es.started && h != es.last+1 {
			return nil, fmt.Errorf("%w: %s starts at block %d, but the replay needs block %d next: give every export from block 1 on, in order", errExportOrder, es.names[es.i], h, es.last+1)
		}
		es.started, es.last = true, sb.Header.Header.Height
		return sb, nil
	}
	return nil, io.EOF
}

// progressSource counts what audit.Replay verifies and reports it now
// and then. Replay asks for the next block only after the previous one
// was committed, so a block counts as verified when the next is asked for.
type progressSource struct {
	src   ledger.BlockSource
	w     io.Writer // nil: quiet
	every time.Duration
	now   func() time.Time

	began, last   time.Time
	blocks, txs   uint64
	height        uint64
	pending       int // txs of the block handed out last
	pendingHeight uint64
	handedOut     bool
}

func (p *progressSource) start() { p.began = p.now(); p.last = p.began }

func (p *progressSource) Next(ctx context.Context) (*ledger.SourceBlock, error) {
	p.settle()
	if p.w != nil {
		if now := p.now(); now.Sub(p.last) >= p.every {
			p.last = now
			fmt.Fprintf(p.w, "replayed block %d  %d txs  %.0f tx/s\n", p.height, p.txs, p.rate(now))
		}
	}
	sb, err := p.src.Next(ctx)
	if err == nil {
		p.handedOut, p.pending, p.pendingHeight = true, len(sb.Txs), sb.Header.Header.Height
	} else if errors.Is(err, io.EOF) {
		return nil, err // unwrapped: Replay stops on io.EOF
	}
	return sb, err
}

// settle counts the block handed out last as verified.
func (p *progressSource) settle() {
	if p.handedOut {
		p.blocks++
		p.txs += uint64(p.pending)
		p.height = p.pendingHeight
		p.handedOut = false
	}
}

func (p *progressSource) rate(now time.Time) float64 {
	if s := now.Sub(p.began).Seconds(); s > 0 {
		return float64(p.txs) / s
	}
	return 0
}

// finish prints the last progress line.
func (p *progressSource) finish() {
	if p.w != nil {
		now := p.now()
		fmt.Fprintf(p.w, "replayed %d blocks, %d txs in %s (%.0f tx/s)\n", p.blocks, p.txs, now.Sub(p.began).Round(time.Millisecond), p.rate(now))
	}
}
