package node

import (
	"context"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/lru"

	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
)

// loadFunc loads a deploy's or upgrade's module into the runtime
// (validate, instrument, compile, initialise) so that its block finds it
// cached. code is nil for a transaction naming stored code.
type loadFunc func(ctx context.Context, codeHash common.Hash, code []byte) error

// precompiler loads admitted deploys' code on a few background workers, so
// that compiling a large module never holds up a block: the producer
// leaves a deploy (and whatever depends on it) pending while its code is
// being compiled here. Work is deduplicated by code hash and bounded by a
// queue; a deploy that finds the queue full is not held and is compiled by
// its block, as without a precompiler. Code compiled lately is not queued
// again: otherwise deploys of one popular code, admitted back to back,
// would each wait for a compile of their own.
//
// Its outcome does not matter to the chain: the executor loads the module
// again (from the runtime's caches when this worked) and decides the
// receipt, so code the runtime rejects still gets its deterministic
// failed receipt.
type precompiler struct {
	load loadFunc
	// done is signalled (coalesced) after each job, for the producer.
	done chan struct{}

	mu      sync.Mutex
	jobs    map[common.Hash][]common.Address    // queued or compiling code, with the contracts it will create
	holding map[common.Address]common.Hash      // contract address → code being compiled for it
	recent  lru.BasicLRU[common.Hash, struct{}] // code compiled lately, whatever the outcome
	queue   chan compileJob
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

type compileJob struct {
	hash common.Hash
	code []byte
}

func newPrecompiler(load loadFunc, queue int) *precompiler {
	return &precompiler{
		load:    load,
		done:    make(chan struct{}, 1),
		jobs:    make(map[common.Hash][]common.Address),
		holding: make(map[common.Address]common.Hash),
		queue:   make(chan compileJob, queue),
		recent:  lru.NewBasicLRU[common.Hash, struct{}](recentCompiles),
	}
}

// recentCompiles is how many compiled code hashes the precompiler
// remembers. Forgetting one costs only a compile that the runtime's caches
// answer.
const recentCompiles = 1024

// start runs workers until stop.
func (p *precompiler) start(workers int) {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	for range workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.work(ctx)
		}()
	}
}

// stop cancels the compile in progress, waits for the workers and
// forgets queued work, so that nothing stays held.
func (p *precompiler) stop() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.jobs)
	clear(p.holding)
	p.signal()
}

func (p *precompiler) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-p.queue:
			// Errors are the executor's to report, in a receipt or as a
			// host failure, when the deploy's block runs.
			_ = p.load(ctx, j.hash, j.code)
			p.finish(j.hash)
		}
	}
}

func (p *precompiler) finish(hash common.Hash) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.jobs[hash] {
		delete(p.holding, a)
	}
	delete(p.jobs, hash)
	p.recent.Add(hash, struct{}{})
	p.signal()
}

func (p *precompiler) signal() {
	select {
	case p.done <- struct{}{}:
	default:
	}
}

// enqueue schedules the code of an admitted deploy or upgrade. It never
// blocks. An upgrade holds only itself while its code compiles: calls to
// the contract it upgrades run against the code in place, as they would
// if they came first in the block.
func (p *precompiler) enqueue(t *tx.Tx) {
	var (
		hash   common.Hash
		holder []common.Address // contracts whose calls wait for the code
	)
	switch m := t.Message().(type) {
	case *tx.Deploy:
		addr := m.ContractAddress()
		hash, holder = m.CodeHash, []common.Address{addr}
	case *tx.Upgrade:
		hash = m.CodeHash
	default:
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.recent.Contains(hash) {
		return
	}
	if addrs, queued := p.jobs[hash]; queued {
		p.jobs[hash] = append(addrs, holder...)
		for _, a := range holder {
			p.holding[a] = hash
		}
		return
	}
	select {
	case p.queue <- compileJob{hash: hash, code: t.Code()}:
		p.jobs[hash] = holder
		for _, a := range holder {
			p.holding[a] = hash
		}
	default:
		// Queue full: the block compiles it.
	}
}

// holds reports whether t must wait for a compile: a deploy or upgrade
// whose code is being compiled, or a call to the contract such a deploy creates (which
// would otherwise run before the contract exists).
func (p *precompiler) holds(t *tx.Tx) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.jobs) == 0 {
		return false
	}
	switch m := t.Message().(type) {
	case *tx.Deploy:
		_, ok := p.jobs[m.CodeHash]
		return ok
	case *tx.Upgrade:
		_, ok := p.jobs[m.CodeHash]
		return ok
	case *tx.Call:
		_, ok := p.holding[m.Contract]
		return ok
	}
	return false
}

// busy reports whether any compile is queued or running.
func (p *precompiler) busy() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.jobs) > 0
}

// precompile is the node's loadFunc: the runtime's caches first (memory,
// then disk), else the code, carried or stored.
func (n *Node) precompile(ctx context.Context, codeHash common.Hash, code []byte) error {
	rt := n.rt
	if _, ok, err := rt.LoadCached(ctx, runtime.Hash(codeHash)); err != nil || ok {
		return err
	}
	if code == nil {
		c, err := n.ledger.Code(codeHash)
		if err != nil {
			return err
		}
		code = c
	}
	_, err := rt.Load(ctx, code)
	return err
}
