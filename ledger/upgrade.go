package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
	"github.com/meshledger/meshledger/status"
)

// methodMigrate is the reserved method an upgrade runs in the new code,
// when the code lists it, against the contract's kept state. Like init it
// runs only there: a call naming it would let anyone migrate again.
const methodMigrate = "migrate"

// statusForbidden is the receipt status of an upgrade its sender may not
// make (the registry's code for the same refusal).
var statusForbidden = status.Code(registry.Code(registry.ErrForbidden))

// effectRun is a deploy or upgrade computed but not yet recorded: the
// init or migrate call's result and the contract record it leads to. A
// registry operation that executed it records both, or, when it failed,
// neither.
type effectRun struct {
	contract common.Address
	deploy   bool
	res      *runtime.Result // init or migrate; nil when no call ran
	// calls ran the contracts init or migrate called: their effects are
	// recorded after the call's own when the effect takes place.
	calls   *crossCalls
	record  *contractRecord // the record to write when ok
	gasUsed uint64
	// failure, when set, is why the effect cannot take place.
	failure status.Code
	message string
}

func (r *effectRun) ok() bool { return r.failure == "" }

func (r *effectRun) fail(code status.Code, format string, args ...any) *effectRun {
	r.failure, r.message = code, fmt.Sprintf(format, args...)
	return r
}

// loadEffectCode returns mod, or loads the code of hash (stored by the
// transaction that proposed it); a refusal fails run.
func (l *Ledger) loadEffectCode(ctx context.Context, b *pendingBlock, mod Contract, hash common.Hash, run *effectRun) (Contract, error) {
	if mod != nil {
		return mod, nil
	}
	mod, err := l.loadModule(ctx, b, hash)
	var de *runtime.DeployError
	switch {
	case errors.As(err, &de):
		code := de.Code
		if code == "" {
			code = status.DeployFailed
		}
		run.fail(code, "%s", de.Msg)
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("load code %s: %w", hash, err)
	}
	return mod, nil
}

// deployEffect runs a deploy's init at its reserved address with the
// deployer as caller and gas as its limit, in the transaction env that
// executes it (the deploy itself under the open policy, or the vote that
// approved it). mod is the loaded code, or nil to load it by hash. org is
// the deployer's organisation when it deployed, which the contract
// belongs to.
func (l *Ledger) deployEffect(ctx context.Context, b *pendingBlock, env runtime.Env, mod Contract, p *registry.DeployParams, org string, approvers []string, gas uint64) (*effectRun, error) {
	run := &effectRun{contract: p.Address, deploy: true}
	mod, err := l.loadEffectCode(ctx, b, mod, p.CodeHash, run)
	if err != nil || mod == nil {
		return run, err
	}
	if p.Address == SystemAddress || p.Address == registry.Address {
		// A keccak preimage of a reserved address: never in practice, but
		// the system namespaces must stay unwritable by contracts.
		return run.fail(status.AddressInUse, "%s is reserved for the ledger's own records", p.Address), nil
	}
	if existing, err := l.contractRecord(b, p.Address); err != nil {
		return nil, err
	} else if existing != nil {
		return run.fail(status.AddressInUse, "address %s already holds a contract", p.Address), nil
	}
	man, err := l.checkManifest(b, p.CodeHash, methodInit, p.InitArgs, run)
	if err != nil || man == nil {
		return run, err
	}
	env.Caller, env.Contract, env.GasLimit, env.ReadOnly = runtime.Address(p.Deployer), runtime.Address(p.Address), gas, false
	run.calls = l.newBlockCalls(b, p.Address, env)
	initEnv := env
	initEnv.Calls = run.calls
	res, err := mod.Call(ctx, initEnv, methodInit, p.InitArgs, b.ov.view(p.Address, l.baseState(b, p.Address)))
	if err != nil {
		return nil, err
	}
	run.res, run.gasUsed = res, res.GasUsed
	if !res.OK() {
		return run.fail(res.Code, "%s", res.Message), nil
	}
	methods, err := l.listMethods(ctx, mod, env)
	if err != nil {
		return nil, err
	}
	run.record = &contractRecord{
		Name: p.Name, CodeHash: p.CodeHash, Deployer: p.Deployer,
		Height: b.height, TxHash: p.TxHash, Methods: methods, Org: org,
		Versions:     []codeVersion{{CodeHash: p.CodeHash, Height: b.height, TxHash: common.Hash(env.TxHash), Approvers: approvers}},
		ManifestHash: man.hash,
	}
	return run, nil
}

// upgradeEffect replaces a contract's code, keeping its state: the new
// code's migrate method runs first if it lists one (caller the upgrade's
// proposer, gas as its limit), then the record takes the new code hash
// and methods and one more version.
func (l *Ledger) upgradeEffect(ctx context.Context, b *pendingBlock, env runtime.Env, mod Contract, p *registry.UpgradeParams, approvers []string, gas uint64) (*effectRun, error) {
	run := &effectRun{contract: p.Contract}
	rec, err := l.contractRecord(b, p.Contract)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return run.fail(status.UnknownContract, "no contract at %s", p.Contract), nil
	}
	if mod, err = l.loadEffectCode(ctx, b, mod, p.CodeHash, run); err != nil || mod == nil {
		return run, err
	}
	man, err := l.checkManifest(b, p.CodeHash, methodMigrate, p.MigrateArgs, run)
	if err != nil || man == nil {
		return run, err
	}
	env.Caller, env.Contract, env.GasLimit, env.ReadOnly = runtime.Address(p.Proposer), runtime.Address(p.Contract), gas, false
	methods, err := l.listMethods(ctx, mod, env)
	if err != nil {
		return nil, err
	}
	if slices.Contains(methods, methodMigrate) {
		run.calls = l.newBlockCalls(b, p.Contract, env)
		migrateEnv := env
		migrateEnv.Calls = run.calls
		res, err := mod.Call(ctx, migrateEnv, methodMigrate, p.MigrateArgs, b.ov.view(p.Contract, l.baseState(b, p.Contract)))
		if err != nil {
			return nil, err
		}
		run.res, run.gasUsed = res, res.GasUsed
		if !res.OK() {
			return run.fail(res.Code, "migrate: %s", res.Message), nil
		}
	}
	run.record = rec.withVersion(p.CodeHash, methods, codeVersion{
		CodeHash: p.CodeHash, Height: b.height, TxHash: common.Hash(env.TxHash), Approvers: approvers,
	})
	run.record.ManifestHash = man.hash
	return run, nil
}

// finishEffect records a computed effect in the executing transaction's
// receipt: its gas always; on success its call's return, events and
// writes and the new contract record; on failure the failure, naming the
// proposal that it was to execute (nil under the open policy).
func (l *Ledger) finishEffect(b *pendingBlock, rc *block.Receipt, run *effectRun, p *registry.Proposal) error {
	rc.GasUsed += run.gasUsed
	if run.res != nil {
		rc.Return = run.res.Return
	}
	if !run.ok() {
		rc.Status, rc.Message = run.failure, run.message
		if p != nil {
			rc.Message = fmt.Sprintf("proposal %d (%s) not executed: %s", p.ID, p.Kind, run.message)
		}
		// Nothing of the operation is recorded: the receipt is failed.
		rc.Events, rc.Writes = nil, nil
		return nil
	}
	if run.res != nil {
		b.applyWrites(run.contract, rc, run.res.Events, run.res.Writes)
	}
	if run.calls != nil {
		run.calls.bottom().apply(b, rc)
	}
	if run.deploy {
		rc.ContractAddress = run.contract
	}
	b.contracts[run.contract] = run.record
	return b.recordContract(run.contract, run.record, rc.Index, rc.TxHash)
}

// runUpgrade executes an Upgrade transaction. Like a deploy it stores the
// code it carries and pays the intrinsic deploy gas before loading it.
// Under the open policy a deployer of the contract's organisation
// upgrades at once; under the approval policy the upgrade becomes a
// proposal. It returns the intrinsic gas charged.
func (l *Ledger) runUpgrade(ctx context.Context, b *pendingBlock, t *tx.Tx, u *tx.Upgrade, env runtime.Env, rc *block.Receipt, intrinsic uint64) (uint64, error) {
	mod, charged, err := l.loadCarriedCode(ctx, b, t, u.CodeHash, env.GasLimit, rc, intrinsic)
	if err != nil || mod == nil {
		return charged, err
	}
	rec, err := l.contractRecord(b, u.Contract)
	if err != nil {
		return 0, err
	}
	if rec == nil {
		rc.Status, rc.Message = status.UnknownContract, fmt.Sprintf("no contract at %s", u.Contract)
		return intrinsic, nil
	}
	gas := min(env.GasLimit-intrinsic, l.txGasCap)
	sender := common.Address(env.Caller)
	params := registry.UpgradeParams{
		Contract: u.Contract, Proposer: sender, CodeHash: u.CodeHash,
		MigrateArgs: u.MigrateArgs, TxHash: common.Hash(env.TxHash),
	}
	policy, err := b.dir.networkPolicy()
	if err != nil {
		return 0, err
	}
	if policy.DeployPolicy != registry.DeployOpen {
		return intrinsic, l.proposeCode(ctx, b, env, rc, gas, func(st registry.Store, renv registry.Env) (*registry.Outcome, error) {
			return registry.ProposeUpgrade(st, renv, params)
		}, u.Contract)
	}
	m, err := b.dir.member(sender)
	if err != nil {
		return 0, err
	}
	if !m.HasRole(registry.RoleDeployer) || m.Org != rec.Org {
		rc.Status = statusForbidden
		rc.Message = fmt.Sprintf("%s may not upgrade %s: a deployer of organisation %q upgrades it", sender, u.Contract, rec.Org)
		return intrinsic, nil
	}
	run, err := l.upgradeEffect(ctx, b, env, mod, &params, nil, gas)
	if err != nil {
		return 0, err
	}
	return intrinsic, l.finishEffect(b, rc, run, nil)
}
