package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/state"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
	"github.com/meshledger/meshledger/status"
)

// Reserved method names (docs/abi.md). init runs only at deploy: a call
// naming it would let anyone re-initialise a contract.
const (
	methodInit    = "init"
	methodMethods = "mesh.methods"
)

// pendingBlock is a block being executed: every effect it will have, held
// in memory until the block commits in one batch.
type pendingBlock struct {
	// parent is the header this block executes on; nil while prev, the
	// block it executes after, is not sealed yet (seal sets it).
	parent *block.SignedHeader
	// prev is the block executed just before this one when that block was
	// not yet durable as this one started (pipeline.go): its effects are
	// read through it. nil once it is durable or when executing on the
	// latest block.
	prev     *pendingBlock
	height   uint64
	timeMs   int64
	proposer common.Address

	ov *overlay
	// dir answers registry lookups at the block's state (admission, and
	// contracts through runtime.Env.Directory); reset after every
	// registry write.
	dir       *directory
	nonces    map[common.Address]uint64
	codes     map[common.Hash][]byte
	contracts map[common.Address]*contractRecord

	txs      []*tx.Tx
	records  []*txRecord
	receipts []*block.Receipt
	// enc encodes records and receipts and derives the roots as
	// transactions are included.
	enc      *blockEncoder
	changes  []state.Change
	rejected []Rejected
	// gasUsed is the execution gas of the included transactions and
	// deployGasUsed their intrinsic deploy gas (see gas.go).
	gasUsed, deployGasUsed uint64

	// spec is the outcome of the transaction about to run when it was
	// executed ahead of its turn and still holds (parallel.go); run takes
	// it instead of calling the contract. parallel counts what became of
	// the block's speculations.
	spec     *speculation
	parallel parallelStats
}

// execute runs a proposal on top of the latest block: the one code path
// shared by ApplyBlock (producers) and Reexecute (auditors). It has no
// effect on the store. A returned error is a host failure (or a proposal
// that cannot make a block at all); transaction problems are rejections
// or failed receipts.
func (l *Ledger) execute(ctx context.Context, p Proposal) (*pendingBlock, error) {
	return l.executeAfter(ctx, p, nil)
}

// executeAfter is execute on top of prev, a block executed but not yet
// durable (Pipeline), whose effects every read of this block sees as a
// sequential execution would see them in the store; prev nil is the
// latest block.
func (l *Ledger) executeAfter(ctx context.Context, p Proposal, prev *pendingBlock) (_ *pendingBlock, err error) {
	parent := l.latest.Load()
	parentHeight, parentTime := parent.Header.Height, parent.Header.TimeMs
	if prev != nil {
		parent, parentHeight, parentTime = nil, prev.height, prev.timeMs
	}
	if p.TimeMs <= parentTime {
		return nil, fmt.Errorf("%w: %d <= parent %d", ErrBadTime, p.TimeMs, parentTime)
	}
	b := &pendingBlock{
		parent: parent, prev: prev, height: parentHeight + 1, timeMs: p.TimeMs, proposer: p.Proposer,
		ov:        newOverlay(),
		nonces:    make(map[common.Address]uint64),
		codes:     make(map[common.Hash][]byte),
		contracts: make(map[common.Address]*contractRecord),
		txs:       make([]*tx.Tx, 0, len(p.Txs)),
		records:   make([]*txRecord, 0, len(p.Txs)),
		receipts:  make([]*block.Receipt, 0, len(p.Txs)),
		enc:       startEncoder(len(p.Txs)),
	}
	b.dir = directoryOver(blockRegistry{b: b, base: l.baseState(b, registry.Address)})
	// Until the block writes the registry, its state is the parent's:
	// the latest block's cached lookups answer (one block executes at a
	// time, so the cache is the parent's for the whole block), unless
	// the parent is a block not yet durable that wrote the registry.
	if !prev.wroteRegistry() {
		b.dir.base = tipDirectory{l: l, c: l.tipMembers.Load()}
	}
	defer func() {
		if err != nil {
			_ = b.enc.finish() // stop its goroutine; the block is abandoned
		}
	}()
	// Signatures are checked in parallel, ahead of execution: recovery is
	// the one costly step that needs no state. Everything else is
	// sequential, in proposal order.
	rec := l.startRecovery(p.Txs)
	defer rec.cancel()
	// Contract calls that do not conflict execute in parallel, ahead of
	// their turn; in their turn, in order, their outcomes are taken or
	// they run again (parallel.go).
	spec := l.newSpeculator(b, p.Txs, rec)
	for i, t := range p.Txs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if t == nil {
			b.reject(i, nil, fmt.Errorf("%w: nil transaction", tx.ErrMalformed))
			continue
		}
		if err := rec.wait(i); err != nil {
			b.reject(i, t, err)
			continue
		}
		sender, err := t.Recover()
		if err != nil {
			b.reject(i, t, err)
			continue
		}
		intrinsic, err := l.admit(b, t, sender)
		if err != nil {
			b.reject(i, t, err)
			continue
		}
		b.spec = spec.take(ctx, i)
		if err := l.run(ctx, b, t, sender, intrinsic); err != nil {
			return nil, err
		}
		spec.included(i, b.receipts[len(b.receipts)-1])
		if p.Cutoff != nil && p.Cutoff() {
			break
		}
	}
	return b, nil
}

func (b *pendingBlock) reject(i int, t *tx.Tx, err error) {
	b.rejected = append(b.rejected, Rejected{Index: i, Tx: t, Err: err})
}

// admit decides whether a transaction with a valid signature can enter
// this block. Every check here is deterministic in the block's inputs.
// For a deploy it returns the intrinsic deploy gas run charges.
func (l *Ledger) admit(b *pendingBlock, t *tx.Tx, sender common.Address) (deployGas uint64, err error) {
	if err := l.checkStateless(t); err != nil {
		return 0, err
	}
	msg := t.Message()
	if err := checkSender(b.dir, msg, sender); err != nil {
		return 0, err
	}
	next, err := l.nextNonce(b, sender)
	if err != nil {
		return 0, err
	}
	if err := tx.CheckNonce(msg.AccountNonce(), next); err != nil {
		return 0, err
	}
	if d, ok := msg.(tx.CodeCarrier); ok && t.Code() == nil {
		has, err := l.hasCode(b, d.CodeHashOf())
		if err != nil {
			return 0, err
		}
		if !has {
			return 0, fmt.Errorf("%w: %s", ErrUnknownCode, d.CodeHashOf())
		}
	}
	intrinsic, exec, need, err := l.gasParts(b, t)
	if err != nil {
		return 0, err
	}
	if left := l.gasLimit - b.gasUsed; exec > left {
		return 0, fmt.Errorf("%w: gas limit %d, %d left in block %d", ErrBlockGasExhausted, exec, left, b.height)
	}
	if left := l.deployGasLimit - b.deployGasUsed; intrinsic > left {
		return 0, fmt.Errorf("%w: deploy gas %d, %d deploy gas left in block %d", ErrBlockGasExhausted, intrinsic, left, b.height)
	}
	return need, nil
}

// checkStateless makes the checks that need neither state nor signature:
// sizes (transactions built in-process skip the decoders' limits) and the
// gas limit against the per-transaction cap or, for a deploy, the block
// deploy gas limit.
func (l *Ledger) checkStateless(t *tx.Tx) error {
	lim := l.txLimits
	if err := t.Message().Validate(lim); err != nil {
		return err
	}
	maxCode := lim.MaxCodeBytes
	if maxCode == 0 {
		maxCode = tx.DefaultLimits().MaxCodeBytes
	}
	if n := len(t.Code()); n > maxCode {
		return &tx.LimitError{Field: "code", Size: n, Limit: maxCode}
	}
	return l.checkGasLimits(t.Message())
}

// run executes an admitted transaction and records its receipt. Only host
// failures are returned.
func (l *Ledger) run(ctx context.Context, b *pendingBlock, t *tx.Tx, sender common.Address, deployGas uint64) error {
	index := uint32(len(b.txs))
	body, err := t.MarshalBinary()
	if err != nil {
		return fmt.Errorf("ledger: encode tx %s: %w", t.Hash(), err)
	}
	rc := &block.Receipt{TxHash: t.Hash(), Status: status.OK, Height: b.height, Index: index}
	rec := &txRecord{Body: body, Hash: t.Hash(), Sender: sender, CarriedCode: t.Code() != nil}
	env := b.txEnv(t, sender)
	spec := b.spec
	b.spec = nil
	intrinsic := uint64(0)
	switch m := t.Message().(type) {
	case *tx.Deploy:
		intrinsic, err = l.runDeploy(ctx, b, t, m, env, rc, deployGas)
	case *tx.Upgrade:
		intrinsic, err = l.runUpgrade(ctx, b, t, m, env, rc, deployGas)
	case *tx.Call:
		if m.Contract == registry.Address {
			err = l.runRegistryCall(ctx, b, m, env, rc)
			break
		}
		if spec != nil {
			spec.applyTo(b, rc)
			break
		}
		err = l.runCall(ctx, b, m, env, rc)
	default:
		return fmt.Errorf("ledger: transaction type %q has no executor", t.Type())
	}
	if err != nil {
		return fmt.Errorf("ledger: execute tx %d (%s) of block %d: %w", index, t.Hash(), b.height, err)
	}
	b.nonces[sender] = t.Message().AccountNonce() + 1
	b.recordNonce(sender, b.nonces[sender], index, t.Hash())
	b.deployGasUsed += intrinsic
	b.gasUsed += rc.GasUsed - intrinsic
	b.txs = append(b.txs, t)
	b.records = append(b.records, rec)
	b.receipts = append(b.receipts, rc)
	b.enc.add(rec, rc)
	return nil
}

// txEnv is the env of transaction t of sender in b: the same whether t
// runs in its turn or ahead of it (parallel.go).
func (b *pendingBlock) txEnv(t *tx.Tx, sender common.Address) runtime.Env {
	return runtime.Env{
		Caller: runtime.Address(sender), TxHash: runtime.Hash(t.Hash()),
		Height: b.height, TimeMs: b.timeMs, GasLimit: t.Message().Gas(),
		Directory: b.dir,
	}
}

// runDeploy charges the deploy's intrinsic gas (runtime.DeployGas, as
// admit measured it) before loading its code, so a deploy that cannot pay
// for loading is refused before the work: out_of_gas with gas_used = gas
// limit, nothing loaded, no contract. It returns the intrinsic gas
// charged, part of rc.GasUsed. A deploy that fails later pays the
// intrinsic gas and what its init used. Under the open policy init runs
// now; under the approval policy the deploy becomes a proposal
// (proposeCode) and init runs in the transaction that approves it.
func (l *Ledger) runDeploy(ctx context.Context, b *pendingBlock, t *tx.Tx, d *tx.Deploy, env runtime.Env, rc *block.Receipt, intrinsic uint64) (uint64, error) {
	mod, charged, err := l.loadCarriedCode(ctx, b, t, d.CodeHash, env.GasLimit, rc, intrinsic)
	if err != nil || mod == nil {
		return charged, err
	}
	addr := tx.ContractAddress(common.Address(env.Caller), d.Nonce)
	if addr == SystemAddress || addr == registry.Address {
		// A keccak preimage of a reserved address: never in practice, but
		// the system namespaces must stay unwritable by contracts.
		rc.Status, rc.Message = status.AddressInUse, fmt.Sprintf("%s is reserved for the ledger's own records", addr)
		return intrinsic, nil
	}
	if existing, err := l.contractRecord(b, addr); err != nil {
		return 0, err
	} else if existing != nil {
		rc.Status, rc.Message = status.AddressInUse, fmt.Sprintf("address %s already holds a contract", addr)
		return intrinsic, nil
	}
	gas := min(env.GasLimit-intrinsic, l.txGasCap)
	params := registry.DeployParams{
		Address: addr, Deployer: common.Address(env.Caller), Name: d.Name,
		CodeHash: d.CodeHash, InitArgs: d.InitArgs, TxHash: common.Hash(env.TxHash),
	}
	policy, err := b.dir.networkPolicy()
	if err != nil {
		return 0, err
	}
	if policy.DeployPolicy != registry.DeployOpen {
		return intrinsic, l.proposeCode(ctx, b, env, rc, gas, func(st registry.Store, renv registry.Env) (*registry.Outcome, error) {
			return registry.ProposeDeploy(st, renv, params)
		}, addr)
	}
	deployer, err := b.dir.member(params.Deployer)
	if err != nil {
		return 0, err
	}
	org := ""
	if deployer != nil { // admission lets only members with the deployer role deploy
		org = deployer.Org
	}
	run, err := l.deployEffect(ctx, b, env, mod, &params, org, nil, gas)
	if err != nil {
		return 0, err
	}
	return intrinsic, l.finishEffect(b, rc, run, nil)
}

// loadCarriedCode stores the code a deploy or upgrade carries, charges
// its intrinsic deploy gas and loads it. It returns the module, or nil
// with rc already failed (out of gas before loading, code refused) and
// the gas charged.
func (l *Ledger) loadCarriedCode(ctx context.Context, b *pendingBlock, t *tx.Tx, hash common.Hash, gasLimit uint64, rc *block.Receipt, intrinsic uint64) (Contract, uint64, error) {
	if code := t.Code(); code != nil {
		// Stored whatever the outcome, so that export and replay can
		// reproduce a failed deploy exactly.
		if has, err := l.hasCode(b, hash); err != nil {
			return nil, 0, err
		} else if !has {
			b.codes[hash] = code
		}
	}
	if gasLimit < intrinsic {
		rc.Status, rc.GasUsed = status.OutOfGas, gasLimit
		rc.Message = fmt.Sprintf("%s needs %d gas before running code, gas limit %d", t.Type(), intrinsic, gasLimit)
		return nil, gasLimit, nil
	}
	rc.GasUsed = intrinsic
	mod, err := l.loadModule(ctx, b, hash)
	var de *runtime.DeployError
	switch {
	case errors.As(err, &de):
		rc.Status, rc.Message = de.Code, de.Msg
		if rc.Status == "" {
			rc.Status = status.DeployFailed
		}
		return nil, intrinsic, nil
	case err != nil:
		return nil, 0, err
	}
	return mod, intrinsic, nil
}

// listMethods asks the contract for its methods. A contract that cannot
// answer simply has no listed methods: the list is informational.
func (l *Ledger) listMethods(ctx context.Context, mod Contract, env runtime.Env) ([]string, error) {
	env.ReadOnly, env.GasLimit = true, DefaultMethodsGas
	res, err := mod.Call(ctx, env, methodMethods, nil, emptyState{})
	if err != nil {
		return nil, err
	}
	var methods []string
	if !res.OK() || json.Unmarshal(res.Return, &methods) != nil {
		return nil, nil
	}
	return methods, nil
}

func (l *Ledger) runCall(ctx context.Context, b *pendingBlock, c *tx.Call, env runtime.Env, rc *block.Receipt) error {
	rec, err := l.contractRecord(b, c.Contract)
	if err != nil {
		return err
	}
	if rec == nil {
		rc.Status, rc.Message = status.UnknownContract, fmt.Sprintf("no contract at %s", c.Contract)
		return nil
	}
	switch c.Method {
	case methodInit:
		rc.Status, rc.Message = status.UnknownMethod, "init runs only at deploy"
		return nil
	case methodMigrate:
		rc.Status, rc.Message = status.UnknownMethod, "migrate runs only at upgrade"
		return nil
	}
	if err := l.checkArgs(b, rec.CodeHash, c.Method, c.Args); err != nil {
		var ae *ArgsError
		if !errors.As(err, &ae) {
			return err
		}
		rc.Status, rc.Message = status.InvalidArgs, ae.Error()
		return nil
	}
	mod, err := l.loadModule(ctx, b, rec.CodeHash)
	if err != nil {
		// Stored code loaded once already: failing now is a host problem.
		return fmt.Errorf("load code %s of %s: %w", rec.CodeHash, c.Contract, err)
	}
	env.Contract = runtime.Address(c.Contract)
	calls := l.newBlockCalls(b, c.Contract, env)
	env.Calls = calls
	res, err := mod.Call(ctx, env, c.Method, c.Args, b.ov.view(c.Contract, l.baseState(b, c.Contract)))
	if err != nil {
		return err
	}
	l.applyResult(b, c.Contract, rc, res)
	if res.OK() {
		// The contracts it called, after its own effects, in call order.
		calls.bottom().apply(b, rc)
	}
	return nil
}

// applyResult copies a call's outcome into the receipt and, on success,
// its writes into the block's overlay and change list.
func (l *Ledger) applyResult(b *pendingBlock, contract common.Address, rc *block.Receipt, res *runtime.Result) {
	rc.Status, rc.Message, rc.GasUsed, rc.Return = res.Code, res.Message, res.GasUsed, res.Return
	if !res.OK() {
		return
	}
	b.applyWrites(contract, rc, res.Events, res.Writes)
}

// applyWrites records a successful call's events in the receipt and its
// writes in the receipt, the block's overlay and its change list.
func (b *pendingBlock) applyWrites(contract common.Address, rc *block.Receipt, events []runtime.Event, writes []runtime.Write) {
	for _, e := range events {
		rc.Events = append(rc.Events, block.Event{Contract: contract, Name: e.Name, Data: e.Data, Audience: e.Audience})
	}
	for _, w := range writes {
		var value []byte
		if !w.Delete {
			value = w.Value
			if value == nil {
				value = []byte{}
			}
		}
		rc.Writes = append(rc.Writes, block.Write{Contract: contract, Key: w.Key, Value: value, Delete: w.Delete})
		b.ov.set(contract, w.Key, value, w.Delete)
		b.changes = append(b.changes, state.Change{
			Contract: contract, Key: w.Key, Value: value, Delete: w.Delete, TxIndex: rc.Index, TxHash: rc.TxHash,
		})
	}
}

// loadModule returns the loaded contract of a code hash: from the engine's
// caches, else from the code in this block or the store.
func (l *Ledger) loadModule(ctx context.Context, b *pendingBlock, hash common.Hash) (Contract, error) {
	if m, ok, err := l.engine.LoadCached(ctx, hash); err != nil {
		return nil, err
	} else if ok {
		return m, nil
	}
	code, err := l.codeOf(b, hash)
	if err != nil {
		return nil, err
	}
	return l.engine.Load(ctx, code)
}

func (l *Ledger) nextNonce(b *pendingBlock, account common.Address) (uint64, error) {
	if n, ok := b.nonce(account); ok {
		return n, nil
	}
	return l.storedNonce(account)
}

func (l *Ledger) storedNonce(account common.Address) (uint64, error) {
	v, ok, err := storage.Get(l.kv, storage.NonceKey(account))
	if err != nil || !ok {
		return 0, err
	}
	n, err := storage.DecodeUint64(v)
	if err != nil {
		return 0, fmt.Errorf("%w: nonce of %s: %v", storage.ErrCorrupt, account, err)
	}
	return n, nil
}

func (l *Ledger) hasCode(b *pendingBlock, hash common.Hash) (bool, error) {
	if _, ok := b.code(hash); ok {
		return true, nil
	}
	ok, err := l.kv.Has(storage.CodeKey(hash))
	if err != nil {
		return false, fmt.Errorf("ledger: read code %s: %w", hash, err)
	}
	return ok, nil
}

// contractRecord returns a contract's metadata, or nil if there is none.
func (l *Ledger) contractRecord(b *pendingBlock, addr common.Address) (*contractRecord, error) {
	if c, ok := b.contract(addr); ok {
		return c, nil
	}
	// The cache holds committed records only, and commit replaces those a
	// block rewrote (an upgrade), so a cached record is never stale;
	// absence is not cached, since a later block may deploy there.
	if c, ok := l.contracts.Load(addr); ok {
		return c.(*contractRecord), nil
	}
	v, ok, err := storage.Get(l.kv, storage.ContractKey(addr))
	if err != nil {
		return nil, fmt.Errorf("ledger: read contract %s: %w", addr, err)
	}
	if !ok {
		return nil, nil
	}
	c, err := decodeContract(v)
	if err != nil {
		return nil, err
	}
	l.contracts.Store(addr, c)
	return c, nil
}
