package client

import (
	"encoding/json"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/status"
)

// Registry operations: ordinary calls to the registry system contract at
// registry.Address, submitted like any other Op (Submit, Wait). A refused
// operation is committed with a failed receipt whose status is the
// registry's code (forbidden, invalid_args, not_found, conflict,
// proposal_expired, proposal_closed, already_voted); ReceiptError turns it
// into a *CallFailedError.

// memberArgs are the arguments of addMember and setRoles, addressArgs
// those of removeMember.
type (
	memberArgs struct {
		Address common.Address `json:"address"`
		Roles   []string       `json:"roles"`
	}
	addressArgs struct {
		Address common.Address `json:"address"`
	}
)

// AddMemberOp adds addr to the sender's organisation with roles (the
// sender must be an admin of it). Network roles (auditor) are granted by
// a proposal instead (GrantRoleOp).
func AddMemberOp(addr common.Address, roles ...string) Op {
	return registryOp("addMember", memberArgs{Address: addr, Roles: nonNil(roles)})
}

// SetRolesOp replaces the organisation roles of a member of the sender's
// organisation.
func SetRolesOp(addr common.Address, roles ...string) Op {
	return registryOp("setRoles", memberArgs{Address: addr, Roles: nonNil(roles)})
}

// RemoveMemberOp removes a member from the sender's organisation.
func RemoveMemberOp(addr common.Address) Op {
	return registryOp("removeMember", addressArgs{Address: addr})
}

// ProposeOp proposes a network-level change of kind (registry.KindAddOrg,
// ...) with its parameters (registry.AddOrgParams, ...). The sender's
// organisation approves it at once; when that reaches the threshold (a
// network of one organisation) it takes effect in the same transaction.
// The receipt's return value is the proposal; see ProposalOf.
func ProposeOp(kind string, params any) Op {
	raw, err := json.Marshal(params)
	if err != nil {
		return Op{err: fmt.Errorf("client: encode %s params: %w", kind, err)}
	}
	return registryOp("propose", struct {
		Kind   string          `json:"kind"`
		Params json.RawMessage `json:"params"`
	}{kind, raw})
}

// AddOrgOp proposes a new organisation.
func AddOrgOp(p registry.AddOrgParams) Op { return ProposeOp(registry.KindAddOrg, p) }

// RemoveOrgOp proposes removing an organisation with all its members.
func RemoveOrgOp(id string) Op {
	return ProposeOp(registry.KindRemoveOrg, registry.RemoveOrgParams{ID: id})
}

// SetPolicyOp proposes a new network policy (every field).
func SetPolicyOp(p registry.Policy) Op {
	return ProposeOp(registry.KindSetPolicy, registry.SetPolicyParams{Policy: p})
}

// GrantRoleOp proposes granting a network role (auditor) to a member.
func GrantRoleOp(addr common.Address, role string) Op {
	return ProposeOp(registry.KindGrantRole, registry.RoleParams{Address: addr, Role: role})
}

// RevokeRoleOp proposes revoking a network role from a member.
func RevokeRoleOp(addr common.Address, role string) Op {
	return ProposeOp(registry.KindRevokeRole, registry.RoleParams{Address: addr, Role: role})
}

// voteArgs are the arguments of approve and reject.
type voteArgs struct {
	ID uint64 `json:"id"`
}

// ApproveOp votes for proposal id on behalf of the sender's organisation.
// The vote that reaches the threshold executes the proposal in the same
// transaction (for a deploy or upgrade, the contract's init or migrate
// runs then, bounded by this transaction's gas limit).
func ApproveOp(id uint64) Op { return registryOp("approve", voteArgs{ID: id}) }

// RejectOp votes against proposal id on behalf of the sender's
// organisation.
func RejectOp(id uint64) Op { return registryOp("reject", voteArgs{ID: id}) }

func registryOp(method string, args any) Op {
	return CallOp(registry.Address, method, args)
}

// nonNil makes an empty role list travel as [] rather than be left out.
func nonNil(roles []string) []string {
	if roles == nil {
		return []string{}
	}
	return roles
}

// UpgradeOp replaces the code of contract with code, keeping its state;
// the new code's migrate method, if it lists one, runs with migrateArgs
// (encoded like Query's args; nil for none). Under the approval deploy
// policy the upgrade becomes a proposal (see ProposalResult) and takes
// effect once approved.
func UpgradeOp(contract common.Address, code []byte, migrateArgs any) Op {
	raw, err := encodeArgs(migrateArgs)
	return Op{upgrade: &tx.Upgrade{Contract: contract, MigrateArgs: raw}, code: code, err: err}
}

// ProposalResult is what the receipt of a transaction that creates a
// proposal returns: propose, and a deploy or upgrade under the approval
// policy. Read the proposal (Client.Proposal) to see whether it took
// effect in that same transaction.
type ProposalResult struct {
	Proposal uint64          `json:"proposal"`
	Address  *common.Address `json:"address,omitempty"` // a deploy's future contract address
}

// ProposalOf decodes the proposal a committed transaction created from its
// receipt's return value: {"proposal": N, "address": ...} for a deploy or
// upgrade under the approval policy (with the new contract's address when
// the deploying transaction itself reached the threshold), the proposal
// record for propose. ok is false when the receipt names none (an
// open-policy deploy, whose return value is its init's, any other call, a
// failed transaction).
func ProposalOf(rec *api.Tx) (res ProposalResult, ok bool) {
	if rec == nil || rec.Receipt == nil {
		return res, false
	}
	r := rec.Receipt
	if r.Status != status.OK || len(r.Return) == 0 {
		return res, false
	}
	var wire struct {
		Proposal *uint64         `json:"proposal"`
		Address  *common.Address `json:"address"`
		ID       *uint64         `json:"id"`
		Kind     string          `json:"kind"`
	}
	if json.Unmarshal(r.Return, &wire) != nil {
		return res, false
	}
	switch {
	case wire.Proposal != nil && r.ContractAddress == nil:
		res.Proposal, res.Address = *wire.Proposal, wire.Address
	case wire.Proposal != nil && wire.Address != nil && *wire.Address == *r.ContractAddress:
		// Approved in the deploying transaction itself: the contract
		// exists, at the address the proposal named.
		res.Proposal, res.Address = *wire.Proposal, wire.Address
	case r.ContractAddress != nil:
		// A deploy's return value is its init's: not the registry's.
		return res, false
	case wire.ID != nil && wire.Kind != "":
		res.Proposal = *wire.ID
	default:
		return res, false
	}
	return res, true
}
