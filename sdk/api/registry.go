package api

import (
	"encoding/json"

	"github.com/ethereum/go-ethereum/common"
)

// Registry responses. Each carries the Height it was read at: the same
// records are keys of the registry contract (RegistryAddress) in the state
// trie, so a client proves any of them with GET /v1/contracts/{registry}/
// state/{key} at that height. The keys are:
//
//	policy                      the network policy
//	org/<id>                    an organisation
//	member/<0x lower-case addr> a member
//	orgmember/<id>/<0x addr>    index of an organisation's members
//	proposal/<20-digit id>      a proposal
//	seq/proposal                the next proposal id
//
// Values are the JSON records below (Org, Member, Proposal, Policy).

// RegistryAddress is the reserved address of the participant registry.
var RegistryAddress = common.HexToAddress("0x0000000000000000000000000000000000000001")

// Org is an organisation of the network.
type Org struct {
	ID          string           `json:"id"`
	Name        string           `json:"name"`
	Nodes       []common.Address `json:"nodes"`  // the nodes it operates
	Admins      []common.Address `json:"admins"` // its members with the admin role, ascending
	AddedHeight uint64           `json:"addedHeight"`
}

// Member is an address that belongs to an organisation, with its roles
// (ascending).
type Member struct {
	Address common.Address `json:"address"`
	Org     string         `json:"org"`
	Roles   []string       `json:"roles"`
}

// Policy is the governed network policy.
type Policy struct {
	// Threshold is how many organisations must approve a network-level
	// proposal; 0 means a majority of the current organisations.
	Threshold       uint32 `json:"threshold"`
	DeployPolicy    string `json:"deployPolicy"` // "approval" or "open"
	ProposalTTLMs   int64  `json:"proposalTtlMs"`
	AllowNonMembers bool   `json:"allowNonMembers"`
	// RequireManifest: a deploy or upgrade whose code carries no manifest
	// is refused (422 bad_manifest).
	RequireManifest bool `json:"requireManifest"`
}

// Proposal is a network-level change waiting for, or decided by, the
// organisations' votes. Status is open, executed, rejected or expired (an
// open proposal past ExpiresMs reads as expired).
type Proposal struct {
	ID            uint64          `json:"id"`
	Kind          string          `json:"kind"`
	Params        json.RawMessage `json:"params"`
	Proposer      common.Address  `json:"proposer"`
	ProposerOrg   string          `json:"proposerOrg"`
	Height        uint64          `json:"height"`
	CreatedMs     int64           `json:"createdMs"`
	ExpiresMs     int64           `json:"expiresMs"`
	Approvals     []string        `json:"approvals"`
	Rejections    []string        `json:"rejections"`
	Status        string          `json:"status"`
	DecidedHeight uint64          `json:"decidedHeight,omitempty"`
}

// Orgs is GET /v1/orgs: every organisation in id order.
type Orgs struct {
	Height uint64 `json:"height"`
	Orgs   []Org  `json:"orgs"`
}

// OrgDetail is GET /v1/orgs/{id}: an organisation and its members in
// address order.
type OrgDetail struct {
	Height  uint64   `json:"height"`
	Org     Org      `json:"org"`
	Members []Member `json:"members"`
}

// MemberDetail is GET /v1/members/{address}.
type MemberDetail struct {
	Height uint64 `json:"height"`
	Member Member `json:"member"`
}

// Proposals is one page of GET /v1/proposals, in id order. When NextCursor
// is set, more follow: ask again with cursor=NextCursor.
type Proposals struct {
	Height     uint64     `json:"height"`
	Proposals  []Proposal `json:"proposals"`
	NextCursor string     `json:"nextCursor,omitempty"`
}

// ProposalDetail is GET /v1/proposals/{id}.
type ProposalDetail struct {
	Height   uint64   `json:"height"`
	Proposal Proposal `json:"proposal"`
}

// PolicyDetail is GET /v1/policy.
type PolicyDetail struct {
	Height uint64 `json:"height"`
	Policy Policy `json:"policy"`
}

// Page sizes of GET /v1/proposals (limit): a larger limit is served as
// MaxProposalsLimit.
const (
	DefaultProposalsLimit = 50
	MaxProposalsLimit     = 500
)

// Proposal statuses accepted by GET /v1/proposals?status=.
var ProposalStatuses = []string{"open", "executed", "rejected", "expired"}
