package registry

import (
	"errors"
	"fmt"

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
	switch method {
	case MethodAddMember, MethodSetRoles, MethodRemoveMember, MethodPropose, MethodApprove, MethodReject:
	default:
		return nil, fmt.Errorf("%w: registry has no method %q", ErrUnknownMethod, method)
	}
	c := &call{st: st, env: env}
	// Every method is an org admin's: anyone else is refused before the
	// arguments are even read.
	admin, err := c.adminOf()
	if err != nil {
		return nil, err
	}
	var (
		ret []byte
		eff *Effect
	)
	switch method {
	case MethodAddMember:
		ret, err = c.addMember(admin, args)
	case MethodSetRoles:
		ret, err = c.setRoles(admin, args)
	case MethodRemoveMember:
		ret, err = c.removeMember(admin, args)
	case MethodPropose:
		ret, eff, err = c.propose(admin, args)
	case MethodApprove:
		ret, eff, err = c.vote(admin, args, true)
	case MethodReject:
		ret, eff, err = c.vote(admin, args, false)
	}
	if err != nil {
		return nil, err
	}
	return &Outcome{Return: ret, Events: c.events, Effect: eff}, nil
}

// ProposeDeploy records a deploy waiting for approval (KindDeploy) on
// behalf of env.Caller, who must be a member with the deployer role (the
// ledger checks that before it stores code). The proposer's organisation
// approves it at once; with a threshold of one the returned Outcome
// carries the Effect to run now. Outcome.Return is the proposal's JSON (a
// Proposal) in every case.
func ProposeDeploy(st Store, env Env, p DeployParams) (*Outcome, error) {
	return (&call{st: st, env: env}).proposeEffect(KindDeploy, p)
}

// ProposeUpgrade is ProposeDeploy for an upgrade (KindUpgrade).
func ProposeUpgrade(st Store, env Env, p UpgradeParams) (*Outcome, error) {
	return (&call{st: st, env: env}).proposeEffect(KindUpgrade, p)
}

// Genesis writes the founding organisations, their members and the policy
// into an empty store.
func Genesis(st Store, g GenesisSpec) error { return writeGenesis(st, &g) }

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
	// Validator is the organisation's founding consensus validator on a
	// CometBFT network.
	Validator *Validator `json:"validator,omitempty"`
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
func (g *GenesisSpec) Validate() error { return g.validate() }

// Reads. Each returns ErrNotFound (wrapped) when absent.

// LookupMember returns the member record of addr.
func LookupMember(r Reader, addr common.Address) (*Member, error) {
	m, err := readMember(r, addr)
	if err == nil && m == nil {
		err = fmt.Errorf("%w: %s is not a member", ErrNotFound, lowerHex(addr))
	}
	return m, err
}

// LookupOrg returns an organisation.
func LookupOrg(r Reader, id string) (*Org, error) {
	o, err := readOrg(r, id)
	if err == nil && o == nil {
		err = fmt.Errorf("%w: no organisation %s", ErrNotFound, id)
	}
	return o, err
}

// Orgs lists every organisation in id order.
func Orgs(r Reader) ([]*Org, error) { return listOrgs(r) }

// OrgMembers lists an organisation's members in address order.
func OrgMembers(r Reader, org string) ([]*Member, error) { return listOrgMembers(r, org) }

// LookupPolicy returns the network policy.
func LookupPolicy(r Reader) (*Policy, error) {
	p, err := readPolicy(r)
	if err == nil && p == nil {
		err = fmt.Errorf("%w: no network policy", ErrNotFound)
	}
	return p, err
}

// LookupProposal returns a proposal, its status as of nowMs (an open
// proposal past its expiry reads as StatusExpired).
func LookupProposal(r Reader, id uint64, nowMs int64) (*Proposal, error) {
	p, err := readProposal(r, id)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("%w: no proposal %d", ErrNotFound, id)
	}
	p.Status = p.StatusAt(nowMs)
	return p, nil
}

// Proposals lists proposals in id order from id `after` (exclusive), at
// most limit (limit <= 0: no limit), with status as of nowMs; status ""
// means any. An unknown status is ErrInvalidArgs.
func Proposals(r Reader, status string, after uint64, limit int, nowMs int64) ([]*Proposal, error) {
	return listProposals(r, status, after, limit, nowMs)
}

// Sees reports whether a reader — addr, and its member record (nil for a
// non-member) — is in an event's audience. contractOrg is the
// organisation of the emitting contract, which with auditors reads
// events with an empty audience. Auditors see every event. It is pure
// and cheap: no state is read, so streams filter events per subscriber
// without calling contracts.
func Sees(addr common.Address, m *Member, audience []string, contractOrg string) bool {
	return sees(addr, m, audience, contractOrg)
}

// Code returns the receipt status of a registry error (the sentinel's
// text), or "" when err is not a registry call failure.
func Code(err error) string { return code(err) }
