package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// Registry method names (Call transactions to Address).
const (
	MethodAddMember    = "addMember"
	MethodSetRoles     = "setRoles"
	MethodRemoveMember = "removeMember"
	MethodPropose      = "propose"
	MethodApprove      = "approve"
	MethodReject       = "reject"
)

// Event names the registry emits (Outcome.Events); their audience is
// every member.
const (
	EventMemberAdded      = "MemberAdded"
	EventMemberRemoved    = "MemberRemoved"
	EventRolesChanged     = "RolesChanged"
	EventProposalCreated  = "ProposalCreated"
	EventProposalVoted    = "ProposalVoted"
	EventProposalExecuted = "ProposalExecuted"
	EventProposalRejected = "ProposalRejected"
	EventOrgAdded         = "OrgAdded"
	EventOrgRemoved       = "OrgRemoved"
	EventPolicyChanged    = "PolicyChanged"
	EventRoleGranted      = "RoleGranted"
	EventRoleRevoked      = "RoleRevoked"
	EventNodesChanged     = "NodesChanged"
)

// MemberArgs are the arguments of addMember and setRoles.
type MemberArgs struct {
	Address common.Address `json:"address"`
	Roles   []string       `json:"roles"`
}

// AddressArgs are the arguments of removeMember.
type AddressArgs struct {
	Address common.Address `json:"address"`
}

// ProposeArgs are the arguments of propose.
type ProposeArgs struct {
	Kind   string          `json:"kind"`
	Params json.RawMessage `json:"params"`
}

// VoteArgs are the arguments of approve and reject.
type VoteArgs struct {
	ID uint64 `json:"id"`
}

// RolesChange is the data of a RolesChanged event.
type RolesChange struct {
	Address  common.Address `json:"address"`
	Org      string         `json:"org"`
	Roles    []string       `json:"roles"`
	Previous []string       `json:"previous"`
}

// call is one registry call in progress: its store, block, caller and
// what it has emitted so far.
type call struct {
	st     Store
	env    Env
	events []Event
}

func (c *call) emit(name string, data any) {
	c.events = append(c.events, Event{Name: name, Data: mustJSON(data)})
}

// adminOf returns the caller's member record if the caller is an admin of
// its organisation; anyone else is forbidden.
func (c *call) adminOf() (*Member, error) {
	m, err := readMember(c.st, c.env.Caller)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("%w: %s is not a member", ErrForbidden, lowerHex(c.env.Caller))
	}
	if !m.HasRole(RoleAdmin) {
		return nil, fmt.Errorf("%w: %s is not an admin of organisation %s", ErrForbidden, lowerHex(c.env.Caller), m.Org)
	}
	return m, nil
}

// orgRoles checks roles that an org admin sets: valid, and no network
// role, which only a proposal grants or revokes.
func orgRoles(roles []string) ([]string, error) {
	out, err := NormalizeRoles(roles)
	if err != nil {
		return nil, err
	}
	if slices.Contains(out, RoleAuditor) {
		return nil, fmt.Errorf("%w: %s is a network role: only a %s proposal grants it", ErrForbidden, RoleAuditor, KindGrantRole)
	}
	return out, nil
}

func (c *call) addMember(admin *Member, args []byte) ([]byte, error) {
	var a MemberArgs
	if err := decodeStrict("arguments", args, &a, "address", "roles"); err != nil {
		return nil, err
	}
	if err := validateAddress("address", a.Address); err != nil {
		return nil, err
	}
	roles, err := NormalizeRoles(a.Roles)
	if err != nil {
		return nil, err
	}
	if roles, err = orgRoles(roles); err != nil {
		return nil, err
	}
	existing, err := readMember(c.st, a.Address)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		if existing.Org != admin.Org {
			return nil, fmt.Errorf("%w: %s is a member of another organisation", ErrConflict, lowerHex(a.Address))
		}
		return nil, fmt.Errorf("%w: %s is a member already (setRoles changes its roles)", ErrConflict, lowerHex(a.Address))
	}
	m := &Member{Address: a.Address, Org: admin.Org, Roles: roles}
	if err := c.putMember(m, nil); err != nil {
		return nil, err
	}
	c.emit(EventMemberAdded, m)
	return mustJSON(m), nil
}

func (c *call) setRoles(admin *Member, args []byte) ([]byte, error) {
	var a MemberArgs
	if err := decodeStrict("arguments", args, &a, "address", "roles"); err != nil {
		return nil, err
	}
	if err := validateAddress("address", a.Address); err != nil {
		return nil, err
	}
	roles, err := NormalizeRoles(a.Roles)
	if err != nil {
		return nil, err
	}
	m, err := c.memberOfOrg(a.Address, admin.Org)
	if err != nil {
		return nil, err
	}
	// A network role stays as the network set it: setRoles can neither
	// add nor drop it, so the list must name it exactly when the member
	// holds it.
	if slices.Contains(roles, RoleAuditor) != m.HasRole(RoleAuditor) {
		return nil, fmt.Errorf("%w: %s is a network role: only a %s or %s proposal changes it", ErrForbidden, RoleAuditor, KindGrantRole, KindRevokeRole)
	}
	if m.HasRole(RoleAdmin) && !slices.Contains(roles, RoleAdmin) {
		if err := c.keepsAnAdmin(admin.Org, m.Address); err != nil {
			return nil, err
		}
	}
	prev := m.Roles
	next := &Member{Address: m.Address, Org: m.Org, Roles: roles}
	if err := c.putMember(next, m); err != nil {
		return nil, err
	}
	c.emit(EventRolesChanged, RolesChange{Address: m.Address, Org: m.Org, Roles: roles, Previous: prev})
	return mustJSON(next), nil
}

func (c *call) removeMember(admin *Member, args []byte) ([]byte, error) {
	var a AddressArgs
	if err := decodeStrict("arguments", args, &a, "address"); err != nil {
		return nil, err
	}
	if err := validateAddress("address", a.Address); err != nil {
		return nil, err
	}
	m, err := c.memberOfOrg(a.Address, admin.Org)
	if err != nil {
		return nil, err
	}
	if m.HasRole(RoleAdmin) {
		if err := c.keepsAnAdmin(admin.Org, m.Address); err != nil {
			return nil, err
		}
	}
	if err := c.deleteMember(m); err != nil {
		return nil, err
	}
	c.emit(EventMemberRemoved, m)
	return mustJSON(m), nil
}

// memberOfOrg returns addr's member record if it belongs to org: absent
// is ErrNotFound, another organisation's member ErrForbidden.
func (c *call) memberOfOrg(addr common.Address, org string) (*Member, error) {
	m, err := readMember(c.st, addr)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("%w: %s is not a member", ErrNotFound, lowerHex(addr))
	}
	if m.Org != org {
		return nil, fmt.Errorf("%w: %s is a member of another organisation", ErrForbidden, lowerHex(addr))
	}
	return m, nil
}

// keepsAnAdmin refuses a change that takes the admin role from addr when
// addr is its organisation's last admin: an organisation without admins
// could neither manage its members nor vote.
func (c *call) keepsAnAdmin(org string, addr common.Address) error {
	o, err := c.org(org)
	if err != nil {
		return err
	}
	for _, a := range o.Admins {
		if a != addr {
			return nil
		}
	}
	return fmt.Errorf("%w: %s is the last admin of organisation %s", ErrConflict, lowerHex(addr), org)
}

// org reads an organisation that must exist (ErrNotFound otherwise).
func (c *call) org(id string) (*Org, error) {
	o, err := readOrg(c.st, id)
	if err != nil {
		return nil, err
	}
	if o == nil {
		return nil, fmt.Errorf("%w: no organisation %s", ErrNotFound, id)
	}
	return o, nil
}

// putMember writes m (replacing prev, nil for a new member), its index
// entry, and its organisation's admin list when the admin role changed.
func (c *call) putMember(m, prev *Member) error {
	putJSON(c.st, MemberKey(m.Address), m)
	if prev == nil {
		c.st.Set(OrgMemberKey(m.Org, m.Address), []byte{})
	}
	if prev.HasRole(RoleAdmin) != m.HasRole(RoleAdmin) {
		return c.updateAdmins(m.Org, m.Address, m.HasRole(RoleAdmin))
	}
	return nil
}

// deleteMember removes m, its index entry and its place among its
// organisation's admins.
func (c *call) deleteMember(m *Member) error {
	c.st.Delete(MemberKey(m.Address))
	c.st.Delete(OrgMemberKey(m.Org, m.Address))
	if m.HasRole(RoleAdmin) {
		return c.updateAdmins(m.Org, m.Address, false)
	}
	return nil
}

// updateAdmins adds addr to, or removes it from, org's sorted Admins.
func (c *call) updateAdmins(org string, addr common.Address, admin bool) error {
	o, err := c.org(org)
	if err != nil {
		return err
	}
	i, found := slices.BinarySearchFunc(o.Admins, addr, func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	switch {
	case admin && !found:
		o.Admins = slices.Insert(o.Admins, i, addr)
	case !admin && found:
		o.Admins = slices.Delete(o.Admins, i, i+1)
	default:
		return nil
	}
	putJSON(c.st, OrgKey(org), o)
	return nil
}

func insertAddr(s []common.Address, a common.Address) []common.Address {
	i, found := slices.BinarySearchFunc(s, a, func(x, y common.Address) int { return bytes.Compare(x[:], y[:]) })
	if found {
		return s
	}
	return slices.Insert(s, i, a)
}
