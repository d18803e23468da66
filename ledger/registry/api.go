package registry

import (
	"errors"

	"github.com/ethereum/go-ethereum/common"
)

// Store is the registry's view of its namespace in the state, with the
// writes of the current transaction (and block) visible. Iterate visits
// keys in ascending byte order.
type Store interface {
	Get(key []byte) (value []byte, ok bool, err error)
	Iterate(prefix, start []byte, fn func(key, value []byte) bool) error
	Set(key, value []byte)
	Delete(key []byte)
}

// Reader is the read half of Store.
type Reader interface {
	Get(key []byte) (value []byte, ok bool, err error)
	Iterate(prefix, start []byte, fn func(key, value []byte) bool) error
}

// Env is what a registry call knows: who calls, in which block.
type Env struct {
	Caller common.Address
	TxHash common.Hash
	Height uint64
	TimeMs int64
}

// Event is an event the registry emitted; its audience is every member.
type Event struct {
	Name string
	Data []byte // JSON
}

// Effect is a change the registry cannot make itself: an approved deploy or
// upgrade, which the ledger runs in the same transaction. If it fails the
// whole transaction fails and nothing of it is recorded.
type Effect struct {
	Proposal  *Proposal
	Deploy    *DeployParams
	Upgrade   *UpgradeParams
	Approvers []string // org ids whose approvals executed it, ascending
}

// Outcome is the result of a registry call.
type Outcome struct {
	Return []byte // JSON
	Events []Event
	Effect *Effect // nil unless the call executed a deploy or upgrade proposal
}

// CallGas is the gas a registry call uses, whatever it does: a handful of
// small reads and writes of JSON records (docs/access.md).
const CallGas uint64 = 200_000

// Errors of registry calls. A call's error becomes a failed receipt: the
// receipt status is the error's Code (see Code).
var (
	ErrForbidden     = errors.New("forbidden")        // the caller may not do this
	ErrInvalidArgs   = errors.New("invalid_args")     // arguments malformed or out of range
	ErrNotFound      = errors.New("not_found")        // no such org, member or proposal
	ErrConflict      = errors.New("conflict")         // exists already, or would leave an org without admins
	ErrExpired       = errors.New("proposal_expired") // voting on an expired proposal
	ErrClosed        = errors.New("proposal_closed")  // voting on an executed or rejected proposal
	ErrAlreadyVoted  = errors.New("already_voted")    // the caller's org voted already
	ErrUnknownMethod = errors.New("unknown_method")
)

var errUnimplemented = errors.New("registry: not implemented")

// Execute runs registry method with JSON args for env.Caller against st.
// A returned error wrapping one of the Err* sentinels is a failed call (the
// ledger discards st's writes); any other error is a host failure (an
// unreadable store).
//
// Methods: addMember, setRoles, removeMember (an admin of the caller's
// organisation, for members of that organisation; network roles cannot be
// set this way), propose (an org admin; KindAddOrg, KindRemoveOrg,
// KindSetPolicy, KindGrantRole, KindRevokeRole, KindSetNodes), approve and
// reject (an org admin, one vote per organisation).
func Execute(st Store, env Env, method string, args []byte) (*Outcome, error) {
	return nil, errUnimplemented
}

// ProposeDeploy records a deploy waiting for approval (KindDeploy) on
// behalf of env.Caller, who must be a member with the deployer role (the
// ledger checks that before it stores code). The proposer's organisation
// approves it at once; with a threshold of one the returned Outcome
// carries the Effect to run now.
func ProposeDeploy(st Store, env Env, p DeployParams) (*Outcome, error) {
	return nil, errUnimplemented
}

// ProposeUpgrade is ProposeDeploy for an upgrade (KindUpgrade).
func ProposeUpgrade(st Store, env Env, p UpgradeParams) (*Outcome, error) {
	return nil, errUnimplemented
}

// Genesis writes the founding organisations, their members and the policy
// into an empty store.
func Genesis(st Store, g GenesisSpec) error {
	return errUnimplemented
}

// GenesisSpec is the registry part of a genesis file.
type GenesisSpec struct {
	Orgs   []GenesisOrg `json:"orgs"`
	Policy *Policy      `json:"policy,omitempty"` // nil: DefaultPolicy()
}

// GenesisOrg is a founding organisation with its members. At least one
// member must have the admin role.
type GenesisOrg struct {
	ID      string           `json:"id"`
	Name    string           `json:"name"`
	Nodes   []common.Address `json:"nodes,omitempty"`
	Members []GenesisMember  `json:"members"`
}

// GenesisMember is a founding member.
type GenesisMember struct {
	Address common.Address `json:"address"`
	Roles   []string       `json:"roles"`
}

// DefaultPolicy: majority threshold, approval deploy policy, proposals
// open for 7 days, members only.
func DefaultPolicy() Policy {
	return Policy{Threshold: 0, DeployPolicy: DeployApproval, ProposalTTLMs: 7 * 24 * 3600 * 1000}
}

// Validate checks a genesis spec: at least one organisation, valid ids,
// names and roles, an admin per organisation, no address in two
// organisations, a valid policy.
func (g *GenesisSpec) Validate() error { return errUnimplemented }

// Reads. Each returns ErrNotFound (wrapped) when absent.

// LookupMember returns the member record of addr.
func LookupMember(r Reader, addr common.Address) (*Member, error) { return nil, errUnimplemented }

// LookupOrg returns an organisation.
func LookupOrg(r Reader, id string) (*Org, error) { return nil, errUnimplemented }

// Orgs lists every organisation in id order.
func Orgs(r Reader) ([]*Org, error) { return nil, errUnimplemented }

// OrgMembers lists an organisation's members in address order.
func OrgMembers(r Reader, org string) ([]*Member, error) { return nil, errUnimplemented }

// LookupPolicy returns the network policy.
func LookupPolicy(r Reader) (*Policy, error) { return nil, errUnimplemented }

// LookupProposal returns a proposal, its status as of nowMs (an open
// proposal past its expiry reads as StatusExpired).
func LookupProposal(r Reader, id uint64, nowMs int64) (*Proposal, error) {
	return nil, errUnimplemented
}

// Proposals lists proposals in id order from id `after` (exclusive), at
// most limit, with status as of nowMs; status "" means any.
func Proposals(r Reader, status string, after uint64, limit int, nowMs int64) ([]*Proposal, error) {
	return nil, errUnimplemented
}

// Sees reports whether a reader — addr, and its member record (nil for a
// non-member) — is in an event's audience. contractOrg is the
// organisation of the emitting contract, which with auditors reads
// events with an empty audience. Auditors see every event. It is pure
// and cheap: no state is read, so streams filter events per subscriber
// without calling contracts.
func Sees(addr common.Address, m *Member, audience []string, contractOrg string) bool {
	return false
}

// Code returns the receipt status of a registry error (the sentinel's
// text), or "" when err is not a registry call failure.
func Code(err error) string { return "" }
