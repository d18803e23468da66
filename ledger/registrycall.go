package ledger

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
	"github.com/meshledger/meshledger/status"
)

// registryAudience is the audience of every registry event: the registry
// is the network's own record, read by every member.
var registryAudience = []string{registry.AudienceMembers}

func registryEnv(b *pendingBlock, env runtime.Env) registry.Env {
	return registry.Env{Caller: common.Address(env.Caller), TxHash: common.Hash(env.TxHash), Height: b.height, TimeMs: b.timeMs}
}

// runRegistryCall executes a call to the registry system contract. It
// costs registry.CallGas whatever it does; a gas limit below that is
// out_of_gas with nothing done. A refused call is a failed receipt whose
// status is the registry's code, with nothing written. A call that
// executes a deploy or upgrade proposal runs it with the gas left
// (settleRegistry).
func (l *Ledger) runRegistryCall(ctx context.Context, b *pendingBlock, c *tx.Call, env runtime.Env, rc *block.Receipt) error {
	if env.GasLimit < registry.CallGas {
		rc.Status, rc.GasUsed = status.OutOfGas, env.GasLimit
		rc.Message = fmt.Sprintf("a registry call needs %d gas, gas limit %d", registry.CallGas, env.GasLimit)
		return nil
	}
	rc.GasUsed = registry.CallGas
	st := newRegistryStore(b.dir.r)
	out, err := registry.Execute(st, registryEnv(b, env), c.Method, c.Args)
	if err != nil {
		return registryFailure(rc, c.Method, err)
	}
	gas := min(env.GasLimit-registry.CallGas, l.txGasCap)
	if err := l.settleRegistry(ctx, b, env, rc, st, out, gas); err != nil {
		return err
	}
	if rc.OK() {
		rc.Return = out.Return
	}
	return nil
}

// registryFailure records a refused registry operation in rc, or returns
// err when it is not one (the store failed: a host failure).
func registryFailure(rc *block.Receipt, what string, err error) error {
	code := registry.Code(err)
	if code == "" {
		return fmt.Errorf("registry %s: %w", what, err)
	}
	rc.Status, rc.Message = status.Code(code), err.Error()
	return nil
}

// settleRegistry makes a successful registry operation's outcome part of
// the block: the effect it executed, if any, and then its writes and
// events. If the effect fails, nothing of the operation is recorded (the
// vote that executed it included) and rc carries the effect's failure.
// gas bounds the effect's init or migrate call.
func (l *Ledger) settleRegistry(ctx context.Context, b *pendingBlock, env runtime.Env, rc *block.Receipt, st *registryStore, out *registry.Outcome, gas uint64) error {
	var run *effectRun
	if eff := out.Effect; eff != nil {
		var err error
		switch {
		case eff.Deploy != nil:
			// The proposer's organisation at proposal time: the
			// deployer's when it deployed.
			org := ""
			if eff.Proposal != nil {
				org = eff.Proposal.ProposerOrg
			}
			run, err = l.deployEffect(ctx, b, env, nil, eff.Deploy, org, eff.Approvers, gas)
		case eff.Upgrade != nil:
			run, err = l.upgradeEffect(ctx, b, env, nil, eff.Upgrade, eff.Approvers, gas)
		default:
			return fmt.Errorf("registry effect of proposal %d has nothing to run", proposalID(eff))
		}
		if err != nil {
			return err
		}
		if !run.ok() {
			return l.finishEffect(b, rc, run, eff.Proposal)
		}
	}
	events := make([]runtime.Event, len(out.Events))
	for i, e := range out.Events {
		events[i] = runtime.Event{Name: e.Name, Data: e.Data, Audience: registryAudience}
	}
	if ws := st.writes(); len(ws) > 0 || len(events) > 0 {
		b.applyWrites(registry.Address, rc, events, ws)
		b.dir.reset()
	}
	if run != nil {
		return l.finishEffect(b, rc, run, out.Effect.Proposal)
	}
	return nil
}

func proposalID(eff *registry.Effect) uint64 {
	if eff.Proposal == nil {
		return 0
	}
	return eff.Proposal.ID
}

// proposalReturn is the return value of a deploy or upgrade that became a
// proposal: {"proposal": id, "address": "0x…"} (the contract's address,
// reserved for a deploy).
func proposalReturn(out *registry.Outcome, addr common.Address) ([]byte, error) {
	var p struct {
		ID uint64 `json:"id"`
	}
	if err := json.Unmarshal(out.Return, &p); err != nil {
		return nil, fmt.Errorf("registry proposal outcome: %w", err)
	}
	return json.Marshal(struct {
		Proposal uint64 `json:"proposal"`
		Address  string `json:"address"`
	}{p.ID, addr.Hex()})
}

// proposeCode turns a deploy or upgrade into a proposal under the
// approval policy (propose is registry.ProposeDeploy or ProposeUpgrade).
// Its code is already stored and its intrinsic gas charged. When the
// proposer's organisation alone reaches the threshold, the proposal
// executes here, with gas for its init or migrate call.
func (l *Ledger) proposeCode(ctx context.Context, b *pendingBlock, env runtime.Env, rc *block.Receipt, gas uint64,
	propose func(registry.Store, registry.Env) (*registry.Outcome, error), addr common.Address) error {
	st := newRegistryStore(b.dir.r)
	out, err := propose(st, registryEnv(b, env))
	if err != nil {
		return registryFailure(rc, "proposal", err)
	}
	ret, err := proposalReturn(out, addr)
	if err != nil {
		return err
	}
	if err := l.settleRegistry(ctx, b, env, rc, st, out, gas); err != nil {
		return err
	}
	if rc.OK() {
		rc.Return = ret
	}
	return nil
}
