package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/meshledger/meshledger/internal/memo"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/histlog"
	"github.com/meshledger/meshledger/ledger/state"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
)

// Ledger is one node's chain: blocks, transactions, receipts, indexes,
// contract code and metadata, and contract state, in one store.
//
// Reads are safe for concurrent use with each other and with ApplyBlock;
// ApplyBlock, a Pipeline (from Execute to Settle), Reexecute and
// CommitReexecution are serialised internally.
type Ledger struct {
	kv      ethdb.KeyValueStore
	ownedDB *storage.DB // closed by Close when the ledger opened it
	state   *state.DB
	engine  Engine
	// closeEngine closes the runtime the ledger created for itself (nil
	// when Config.Engine was given: its owner closes it).
	closeEngine func(context.Context) error

	genesis  *block.Genesis
	chainID  uint64
	gasLimit uint64
	txLimits tx.Limits
	queryCap uint64
	scanCap  int
	workers  int
	// execWorkers: see Config.ExecWorkers (parallel.go).
	execWorkers int

	// txGasCap and deployGasLimit: see Config.TxGasCap and
	// Config.BlockDeployGasLimit.
	txGasCap, deployGasLimit uint64
	deployGas                *memo.Cache[common.Hash, uint64] // runtime.DeployGas of the latest stored codes deployed by hash

	applyMu sync.Mutex // one writer at a time (a Pipeline holds it across blocks)
	// commitSeq is odd while a block's batch is being written and the tip
	// moved: a reader of the flat index that sees it even and unchanged
	// across its reads read exactly the latest block's state (a seqlock:
	// readers never hold up a commit). Commits are serialised by applyMu.
	commitSeq atomic.Uint64
	latest    atomic.Pointer[block.SignedHeader]
	closed    atomic.Bool

	contracts sync.Map // common.Address → *contractRecord, committed only
	// tipMembers caches admission's registry lookups at the latest block;
	// commit replaces it when a block writes the registry.
	tipMembers atomic.Pointer[memberCache]

	log *histlog.Log // the history log of every committed block (histlog)

	batchPerTx atomic.Int64                     // batch bytes per transaction of the last block
	tries      *memo.Cache[uint64, *blockTries] // proof tries of the latest blocks Tx was asked about

	access accessState // read-access decisions and the contract organisations they need (access_cache.go)

	manifests manifestCache // compiled contract manifests by code hash (manifest.go)
}

// Open opens (creating from cfg.Genesis if empty) a ledger.
func Open(ctx context.Context, cfg Config) (*Ledger, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	l := &Ledger{txLimits: cfg.TxLimits, queryCap: cfg.QueryGasCap, scanCap: cfg.QueryScanLimit, workers: cfg.RecoverWorkers, execWorkers: cfg.ExecWorkers}
	l.tries = memo.New(blocksProved, l.buildTries)
	l.deployGas = memo.New(deployGasMemoized, l.storedDeployGas)
	switch {
	case cfg.Store != nil:
		l.kv = cfg.Store
	case cfg.Dir != "":
		db, err := storage.Open(cfg.Dir, cfg.StorageOptions)
		if err != nil {
			return nil, fmt.Errorf("ledger: open storage: %w", err)
		}
		l.kv, l.ownedDB = db, db
	default:
		return nil, errors.New("ledger: config needs Dir or Store")
	}
	fail := func(err error) (*Ledger, error) {
		l.release(ctx)
		return nil, err
	}
	l.state = state.New(l.kv, cfg.StateOptions)
	l.tipMembers.Store(new(memberCache))
	if err := l.initGenesis(cfg.Genesis); err != nil {
		return fail(err)
	}
	l.chainID = l.genesis.ChainID
	l.gasLimit = l.genesis.GasLimit()
	if cfg.BlockGasLimit != 0 {
		l.gasLimit = cfg.BlockGasLimit
	}
	l.txGasCap, l.deployGasLimit = cfg.TxGasCap, cfg.BlockDeployGasLimit
	l.txGasCap = min(l.txGasCap, l.gasLimit)
	if err := l.loadLatest(); err != nil {
		return fail(err)
	}
	if cfg.Engine != nil {
		l.engine = cfg.Engine
	} else {
		rc := runtime.NewConfig()
		if cfg.RuntimeConfig != nil {
			rc = *cfg.RuntimeConfig
		}
		rt, err := runtime.New(ctx, rc)
		if err != nil {
			return fail(fmt.Errorf("ledger: start runtime: %w", err))
		}
		l.engine, l.closeEngine = NewRuntimeEngine(rt), rt.Close
	}
	return l, nil
}

// initGenesis writes the genesis block into an empty store, or checks the
// stored genesis against the configured one. The genesis block's state is
// the registry's genesis records (founding organisations, members,
// policy): its header commits their root.
func (l *Ledger) initGenesis(g *block.Genesis) error {
	stored, ok, err := storage.Get(l.kv, storage.ChainMetaKey(storage.MetaGenesis))
	if err != nil {
		return fmt.Errorf("ledger: read genesis: %w", err)
	}
	if ok {
		sg, err := block.ParseGenesis(stored)
		if err != nil {
			return fmt.Errorf("%w: stored genesis: %v", storage.ErrCorrupt, err)
		}
		if g != nil && g.Hash() != sg.Hash() {
			return fmt.Errorf("%w: store %s, config %s", ErrGenesisMismatch, sg.Hash(), g.Hash())
		}
		l.genesis = sg
		return l.checkGenesisHeader(sg)
	}
	if g == nil {
		return errors.New("ledger: empty store and no genesis")
	}
	if err := g.Validate(); err != nil {
		return err
	}
	l.genesis = g
	doc, err := l.genesisDoc()
	if err != nil {
		return err
	}
	b := l.kv.NewBatch()
	root, err := genesisState(l.state, g, b)
	if err != nil {
		return err
	}
	gh := &block.SignedHeader{Header: g.Header(root)}
	// The genesis block is leaf 0 of the history log, written with it.
	empty, err := histlog.Open(l.kv, 0)
	if err != nil {
		return fmt.Errorf("ledger: history log: %w", err)
	}
	if _, err := empty.Append(gh.Hash(), b); err != nil {
		return fmt.Errorf("ledger: write genesis: %w", err)
	}
	enc, err := gh.Encode()
	if err != nil {
		return fmt.Errorf("ledger: encode genesis header: %w", err)
	}
	puts := []struct{ k, v []byte }{
		{storage.HeaderKey(0), enc},
		{storage.BlockHashKey(gh.Hash()), storage.EncodeUint64(0)},
		{storage.ChainMetaKey(storage.MetaLatestHeight), storage.EncodeUint64(0)},
		{storage.ChainMetaKey(storage.MetaGenesis), doc},
	}
	for _, p := range puts {
		if err := b.Put(p.k, p.v); err != nil {
			return fmt.Errorf("ledger: write genesis: %w", err)
		}
	}
	if err := b.Write(); err != nil {
		return fmt.Errorf("ledger: write genesis: %w", err)
	}
	return nil
}

// checkGenesisHeader re-derives the genesis header from the stored
// genesis: a store whose block 0 is not what its genesis makes was not
// written by this ledger (or by another version of its rules).
func (l *Ledger) checkGenesisHeader(g *block.Genesis) error {
	want, err := GenesisHeader(g)
	if err != nil {
		return fmt.Errorf("%w: stored genesis: %v", storage.ErrCorrupt, err)
	}
	sh, err := l.readHeader(0)
	if err != nil {
		return fmt.Errorf("%w: genesis header: %v", ErrInconsistent, err)
	}
	if sh.Header != want {
		return fmt.Errorf("%w: stored genesis header %s, genesis derives %s", ErrInconsistent, sh.Hash(), want.Hash())
	}
	return nil
}

// loadLatest reads the latest header and checks the state agrees with it:
// a store where they differ was written by something other than a whole
// block batch.
func (l *Ledger) loadLatest() error {
	v, ok, err := storage.Get(l.kv, storage.ChainMetaKey(storage.MetaLatestHeight))
	if err != nil {
		return fmt.Errorf("ledger: read latest height: %w", err)
	}
	if !ok {
		return fmt.Errorf("%w: no latest height", ErrInconsistent)
	}
	h, err := storage.DecodeUint64(v)
	if err != nil {
		return fmt.Errorf("%w: latest height: %v", storage.ErrCorrupt, err)
	}
	sh, err := l.readHeader(h)
	if err != nil {
		return fmt.Errorf("%w: latest header %d: %v", ErrInconsistent, h, err)
	}
	root, err := l.state.LatestRoot()
	if err != nil {
		return fmt.Errorf("ledger: read state root: %w", err)
	}
	if root != sh.Header.StateRoot {
		return fmt.Errorf("%w: header %d state root %s, state at %s", ErrInconsistent, h, sh.Header.StateRoot, root)
	}
	// The log's size is not stored: every block up to the latest is a
	// leaf (one source of truth, the latest height). The latest header
	// commits the log of the blocks before it, which checks the nodes read.
	if l.log, err = histlog.Open(l.kv, h+1); err != nil {
		return fmt.Errorf("%w: %v", ErrInconsistent, err)
	}
	if logRoot, err := l.log.Root(h); err != nil || logRoot != sh.Header.LogRoot {
		return fmt.Errorf("%w: header %d log root %s, history log %s (%v)", ErrInconsistent, h, sh.Header.LogRoot, logRoot, err)
	}
	l.latest.Store(sh)
	return nil
}

// Close releases what the ledger opened. Blocks are durable as soon as
// ApplyBlock returns, or a Pipeline reports them, so Close has nothing to
// flush; it waits for a Pipeline to Settle (whose next Execute fails with
// ErrClosed and settles).
func (l *Ledger) Close(ctx context.Context) error {
	if l.closed.Swap(true) {
		return nil
	}
	l.applyMu.Lock()
	defer l.applyMu.Unlock()
	return l.release(ctx)
}

func (l *Ledger) release(ctx context.Context) error {
	var errs []error
	if l.closeEngine != nil {
		errs = append(errs, l.closeEngine(ctx))
	}
	if l.ownedDB != nil {
		errs = append(errs, l.ownedDB.Close())
	}
	return errors.Join(errs...)
}

func (l *Ledger) genesisDoc() ([]byte, error) {
	doc, err := json.Marshal(l.genesis)
	if err != nil {
		return nil, fmt.Errorf("ledger: encode genesis: %w", err)
	}
	return doc, nil
}

// Genesis returns the chain's genesis.
func (l *Ledger) Genesis() *block.Genesis { return l.genesis.Clone() }

// ChainID returns the chain id.
func (l *Ledger) ChainID() uint64 { return l.chainID }

// TxLimits are the size limits transactions are decoded and checked with.
func (l *Ledger) TxLimits() tx.Limits { return l.txLimits }

// BlockGasLimit returns the block gas limit in force.
func (l *Ledger) BlockGasLimit() uint64 { return l.gasLimit }

// Latest returns the latest committed header.
func (l *Ledger) Latest() *block.SignedHeader { return l.latest.Load() }

func (l *Ledger) checkOpen() error {
	if l.closed.Load() {
		return ErrClosed
	}
	return nil
}

// lockApply takes applyMu for a writer (ApplyBlock, Reexecute,
// CommitReexecution) once the ledger is known open; the caller must call
// the returned unlock. It fails with ErrClosed, holding nothing, if the
// ledger was closed before or while waiting.
func (l *Ledger) lockApply() (unlock func(), err error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	l.applyMu.Lock()
	if err := l.checkOpen(); err != nil { // closed while waiting
		l.applyMu.Unlock()
		return nil, err
	}
	return l.applyMu.Unlock, nil
}
