package registry

import (
	"encoding/json"

	"github.com/ethereum/go-ethereum/common"
)

// Address is the reserved address of the registry system contract: calls
// to it are registry methods, and its records are keys of its namespace.
var Address = common.HexToAddress("0x0000000000000000000000000000000000000001")

// Roles the network defines. Other role strings are given meaning by
// contracts (servicer, owner, securitizer, borrower...).
const (
	RoleAdmin    = "admin"    // administers its organisation: members, roles, votes
	RoleDeployer = "deployer" // may deploy and upgrade contracts (subject to the deploy policy)
	RoleAuditor  = "auditor"  // reads everything; a network role, granted only by a proposal
)

// Deploy policies.
const (
	DeployApproval = "approval" // a deploy or upgrade takes effect once a proposal reaches the threshold
	DeployOpen     = "open"     // a member with the deployer role deploys at once
)

// Audience entries of an event (runtime.Event.Audience).
const (
	AudienceMembers    = "members" // every member of the network
	AudienceOrgPrefix  = "org:"
	AudienceRolePrefix = "role:"
)

// Key prefixes of the registry's namespace (docs/access.md).
const (
	KeyPolicy          = "policy"       // → Policy
	KeyOrgPrefix       = "org/"         // ‖ org id → Org
	KeyMemberPrefix    = "member/"      // ‖ lower-case 0x address → Member
	KeyOrgMemberPrefix = "orgmember/"   // ‖ org id ‖ "/" ‖ lower-case 0x address → "" (index)
	KeyProposalPrefix  = "proposal/"    // ‖ 20-digit zero-padded decimal id → Proposal
	KeyNextProposal    = "seq/proposal" // → decimal next proposal id
)

// Org is an organisation of the network.
type Org struct {
	ID    string           `json:"id"`
	Name  string           `json:"name"`
	Nodes []common.Address `json:"nodes"` // addresses of the nodes it operates (block signers / validators)
	// Admins are its members with the admin role, ascending. Kept in the
	// record so that a single proof shows who may act for the org.
	Admins      []common.Address `json:"admins"`
	AddedHeight uint64           `json:"addedHeight"`
	// Validator is its consensus validator on a CometBFT network; nil on a
	// solo network (and omitted, so such records encode as they always
	// did).
	Validator *Validator `json:"validator,omitempty"`
}

// Member is an address that belongs to an organisation.
type Member struct {
	Address common.Address `json:"address"`
	Org     string         `json:"org"`
	Roles   []string       `json:"roles"` // ascending, unique
}

// HasRole reports whether m has role.
func (m *Member) HasRole(role string) bool {
	if m == nil {
		return false
	}
	for _, r := range m.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Policy is the network policy, itself governed.
type Policy struct {
	// Threshold is how many organisations must approve a network-level
	// proposal: 0 means a majority of the current organisations
	// (n/2+1); k > 0 means k, capped at the number of organisations.
	Threshold uint32 `json:"threshold"`
	// DeployPolicy is DeployApproval or DeployOpen.
	DeployPolicy string `json:"deployPolicy"`
	// ProposalTTLMs is how long a proposal stays open (block time).
	ProposalTTLMs int64 `json:"proposalTtlMs"`
	// AllowNonMembers lets addresses outside every organisation send
	// transactions (they still need the roles a contract asks for).
	AllowNonMembers bool `json:"allowNonMembers"`
	// RequireManifest refuses a deploy or upgrade whose code carries no
	// manifest (bad_manifest), as it refuses a bad one: every contract then
	// states its methods' argument schemas, and every call is checked
	// against them. Omitted when false, so that the policy record, the
	// genesis hash and the proposals of a network that predates the field
	// encode as they always did; a setPolicy proposal that leaves it out
	// turns it off.
	RequireManifest bool `json:"requireManifest,omitempty"`
}

// Proposal kinds.
const (
	KindAddOrg     = "addOrg"
	KindRemoveOrg  = "removeOrg"
	KindSetPolicy  = "setPolicy"
	KindGrantRole  = "grantRole"  // a network role (auditor) to a member
	KindRevokeRole = "revokeRole" // a network role from a member
	KindSetNodes   = "setNodes"   // an organisation's node addresses
	// KindSetValidator sets, changes or (power 0) removes an
	// organisation's consensus validator.
	KindSetValidator = "setValidator"
	KindDeploy       = "deploy"  // created by a Deploy transaction under the approval policy
	KindUpgrade      = "upgrade" // created by an Upgrade transaction under the approval policy
)

// Proposal statuses. An open proposal past its expiry reads as expired.
const (
	StatusOpen     = "open"
	StatusExecuted = "executed"
	StatusRejected = "rejected"
	StatusExpired  = "expired"
)

// Proposal is a network-level change waiting for, or decided by, the
// organisations' votes.
type Proposal struct {
	ID          uint64          `json:"id"`
	Kind        string          `json:"kind"`
	Params      json.RawMessage `json:"params"` // the kind's parameters (AddOrgParams, ...)
	Proposer    common.Address  `json:"proposer"`
	ProposerOrg string          `json:"proposerOrg"`
	Height      uint64          `json:"height"`    // block that created it
	CreatedMs   int64           `json:"createdMs"` // its block time
	ExpiresMs   int64           `json:"expiresMs"`
	Approvals   []string        `json:"approvals"`  // org ids, ascending
	Rejections  []string        `json:"rejections"` // org ids, ascending
	Status      string          `json:"status"`
	// DecidedHeight is the block in which it was executed or rejected.
	DecidedHeight uint64 `json:"decidedHeight,omitempty"`
}

// AddOrgParams: a new organisation and its first admins.
type AddOrgParams struct {
	ID     string           `json:"id"`
	Name   string           `json:"name"`
	Admins []common.Address `json:"admins"`
	Nodes  []common.Address `json:"nodes"`
}

// RemoveOrgParams: an organisation to remove with all its members.
type RemoveOrgParams struct {
	ID string `json:"id"`
}

// SetPolicyParams: the new policy (every field).
type SetPolicyParams struct {
	Policy Policy `json:"policy"`
}

// RoleParams: a network role granted to, or revoked from, a member.
type RoleParams struct {
	Address common.Address `json:"address"`
	Role    string         `json:"role"`
}

// SetNodesParams: an organisation's node addresses.
type SetNodesParams struct {
	Org   string           `json:"org"`
	Nodes []common.Address `json:"nodes"`
}

// DeployParams: a contract deploy waiting for approval. The code is stored
// by the Deploy transaction; init runs when the proposal is executed.
type DeployParams struct {
	Address  common.Address `json:"address"` // where the contract will live
	Deployer common.Address `json:"deployer"`
	Name     string         `json:"name"`
	CodeHash common.Hash    `json:"codeHash"`
	InitArgs []byte         `json:"initArgs"`
	TxHash   common.Hash    `json:"txHash"` // the Deploy transaction
}

// UpgradeParams: new code for a deployed contract, waiting for approval.
type UpgradeParams struct {
	Contract    common.Address `json:"contract"`
	Proposer    common.Address `json:"proposer"`
	CodeHash    common.Hash    `json:"codeHash"`
	MigrateArgs []byte         `json:"migrateArgs"`
	TxHash      common.Hash    `json:"txHash"` // the Upgrade transaction
}
