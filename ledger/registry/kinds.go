package registry

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// OrgRemoval is the data of an OrgRemoved event: the organisation and the
// members removed with it.
type OrgRemoval struct {
	Org     *Org             `json:"org"`
	Members []common.Address `json:"members"`
}

// NodesChange is the data of a NodesChanged event.
type NodesChange struct {
	Org   string           `json:"org"`
	Nodes []common.Address `json:"nodes"`
}

// canonicalParams checks a registry kind's parameters and returns them
// re-encoded with sorted lists, so that a proposal's stored parameters do
// not depend on how the proposer ordered or spaced them.
func canonicalParams(kind string, raw json.RawMessage) ([]byte, error) {
	switch kind {
	case KindAddOrg:
		var p AddOrgParams
		if err := decodeStrict(kind+" params", raw, &p, "id", "name", "admins"); err != nil {
			return nil, err
		}
		if err := ValidateOrgID(p.ID); err != nil {
			return nil, err
		}
		if err := ValidateName(p.Name); err != nil {
			return nil, err
		}
		admins, err := normalizeAddrs("admins", p.Admins, MaxAdmins)
		if err != nil {
			return nil, err
		}
		if len(admins) == 0 {
			return nil, invalid("admins: a new organisation needs at least one admin")
		}
		nodes, err := normalizeAddrs("nodes", p.Nodes, MaxNodes)
		if err != nil {
			return nil, err
		}
		p.Admins, p.Nodes = admins, nodes
		return mustJSON(p), nil
	case KindRemoveOrg:
		var p RemoveOrgParams
		if err := decodeStrict(kind+" params", raw, &p, "id"); err != nil {
			return nil, err
		}
		if err := ValidateOrgID(p.ID); err != nil {
			return nil, err
		}
		return mustJSON(p), nil
	case KindSetPolicy:
		var outer struct {
			Policy json.RawMessage `json:"policy"`
		}
		if err := decodeStrict(kind+" params", raw, &outer, "policy"); err != nil {
			return nil, err
		}
		var p Policy
		if err := decodeStrict("setPolicy policy", outer.Policy, &p, "threshold", "deployPolicy", "proposalTtlMs", "allowNonMembers"); err != nil {
			return nil, err
		}
		if err := p.Validate(); err != nil {
			return nil, err
		}
		return mustJSON(SetPolicyParams{Policy: p}), nil
	case KindGrantRole, KindRevokeRole:
		var p RoleParams
		if err := decodeStrict(kind+" params", raw, &p, "address", "role"); err != nil {
			return nil, err
		}
		if err := validateAddress("address", p.Address); err != nil {
			return nil, err
		}
		if p.Role != RoleAuditor {
			return nil, invalid("role %q: only the network role %q is granted or revoked by proposal (org admins set the others)", p.Role, RoleAuditor)
		}
		return mustJSON(p), nil
	case KindSetNodes:
		var p SetNodesParams
		if err := decodeStrict(kind+" params", raw, &p, "org", "nodes"); err != nil {
			return nil, err
		}
		if err := ValidateOrgID(p.Org); err != nil {
			return nil, err
		}
		nodes, err := normalizeAddrs("nodes", p.Nodes, MaxNodes)
		if err != nil {
			return nil, err
		}
		p.Nodes = nodes
		return mustJSON(p), nil
	case KindSetValidator:
		return canonicalSetValidator(raw)
	}
	return nil, invalid("kind %q", kind)
}

// decodeStored decodes a stored proposal's parameters; they were checked
// when it was made, so a failure is damage to the state.
func decodeStored(p *Proposal, v any) error {
	if err := json.Unmarshal(p.Params, v); err != nil {
		return fmt.Errorf("registry: decode params of proposal %d: %w", p.ID, err)
	}
	return nil
}

// applyKind checks, and unless dryRun applies, a registry kind's change
// against the current state. propose runs it dry to refuse proposals
// that could not execute; execution runs it for real, since the state
// may have changed in between.
func (c *call) applyKind(kind string, params []byte, dryRun bool) error {
	switch kind {
	case KindAddOrg:
		var p AddOrgParams
		if err := json.Unmarshal(params, &p); err != nil {
			return fmt.Errorf("registry: decode %s params: %w", kind, err)
		}
		return c.addOrg(&p, dryRun)
	case KindRemoveOrg:
		var p RemoveOrgParams
		if err := json.Unmarshal(params, &p); err != nil {
			return fmt.Errorf("registry: decode %s params: %w", kind, err)
		}
		return c.removeOrg(p.ID, dryRun)
	case KindSetPolicy:
		var p SetPolicyParams
		if err := json.Unmarshal(params, &p); err != nil {
			return fmt.Errorf("registry: decode %s params: %w", kind, err)
		}
		if !dryRun {
			putJSON(c.st, []byte(KeyPolicy), p.Policy)
			c.emit(EventPolicyChanged, p.Policy)
		}
		return nil
	case KindGrantRole, KindRevokeRole:
		var p RoleParams
		if err := json.Unmarshal(params, &p); err != nil {
			return fmt.Errorf("registry: decode %s params: %w", kind, err)
		}
		return c.changeNetworkRole(&p, kind == KindGrantRole, dryRun)
	case KindSetNodes:
		var p SetNodesParams
		if err := json.Unmarshal(params, &p); err != nil {
			return fmt.Errorf("registry: decode %s params: %w", kind, err)
		}
		return c.setNodes(&p, dryRun)
	case KindSetValidator:
		var p SetValidatorParams
		if err := json.Unmarshal(params, &p); err != nil {
			return fmt.Errorf("registry: decode %s params: %w", kind, err)
		}
		return c.setValidator(&p, dryRun)
	}
	return fmt.Errorf("registry: no registry change for kind %q", kind)
}

func (c *call) addOrg(p *AddOrgParams, dryRun bool) error {
	o, err := readOrg(c.st, p.ID)
	if err != nil {
		return err
	}
	if o != nil {
		return fmt.Errorf("%w: organisation %s exists", ErrConflict, p.ID)
	}
	for _, a := range p.Admins {
		m, err := readMember(c.st, a)
		if err != nil {
			return err
		}
		if m != nil {
			return fmt.Errorf("%w: admin %s is a member of organisation %s", ErrConflict, lowerHex(a), m.Org)
		}
	}
	if err := c.nodesFree(p.ID, p.Nodes); err != nil {
		return err
	}
	if dryRun {
		return nil
	}
	org := &Org{ID: p.ID, Name: p.Name, Nodes: nonNil(p.Nodes), Admins: nonNil(p.Admins), AddedHeight: c.env.Height}
	putJSON(c.st, OrgKey(org.ID), org)
	c.emit(EventOrgAdded, org)
	for _, a := range org.Admins {
		m := &Member{Address: a, Org: org.ID, Roles: []string{RoleAdmin}}
		putJSON(c.st, MemberKey(a), m)
		c.st.Set(OrgMemberKey(org.ID, a), []byte{})
		c.emit(EventMemberAdded, m)
	}
	return nil
}

func (c *call) removeOrg(id string, dryRun bool) error {
	o, err := c.org(id)
	if err != nil {
		return err
	}
	orgs, err := orgIDs(c.st)
	if err != nil {
		return err
	}
	if len(orgs) <= 1 {
		return fmt.Errorf("%w: organisation %s is the last one; a network needs at least one", ErrConflict, id)
	}
	if o.Validator != nil {
		all, err := c.validators()
		if err != nil {
			return err
		}
		if len(all) == 1 {
			return fmt.Errorf("%w: organisation %s runs the network's last validator", ErrConflict, id)
		}
	}
	if dryRun {
		return nil
	}
	if o.Validator != nil {
		c.emit(EventValidatorChanged, ValidatorChange{Org: id, PubKey: o.Validator.PubKey, Power: 0})
	}
	addrs, err := orgMemberAddrs(c.st, id)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		c.st.Delete(MemberKey(a))
		c.st.Delete(OrgMemberKey(id, a))
	}
	c.st.Delete(OrgKey(id))
	c.emit(EventOrgRemoved, OrgRemoval{Org: o, Members: nonNil(addrs)})
	return nil
}

func (c *call) changeNetworkRole(p *RoleParams, grant, dryRun bool) error {
	m, err := readMember(c.st, p.Address)
	if err != nil {
		return err
	}
	if m == nil {
		return fmt.Errorf("%w: %s is not a member", ErrNotFound, lowerHex(p.Address))
	}
	has := m.HasRole(p.Role)
	switch {
	case grant && has:
		return fmt.Errorf("%w: %s holds role %s already", ErrConflict, lowerHex(p.Address), p.Role)
	case grant && len(m.Roles) >= MaxRoles:
		return fmt.Errorf("%w: %s holds %d roles, at most %d", ErrConflict, lowerHex(p.Address), len(m.Roles), MaxRoles)
	case !grant && !has:
		return fmt.Errorf("%w: %s does not hold role %s", ErrNotFound, lowerHex(p.Address), p.Role)
	}
	if dryRun {
		return nil
	}
	if grant {
		m.Roles = insertSorted(m.Roles, p.Role)
	} else {
		m.Roles = slices.DeleteFunc(m.Roles, func(r string) bool { return r == p.Role })
	}
	putJSON(c.st, MemberKey(m.Address), m)
	if grant {
		c.emit(EventRoleGranted, p)
	} else {
		c.emit(EventRoleRevoked, p)
	}
	return nil
}

func (c *call) setNodes(p *SetNodesParams, dryRun bool) error {
	o, err := c.org(p.Org)
	if err != nil {
		return err
	}
	if err := c.nodesFree(p.Org, p.Nodes); err != nil {
		return err
	}
	if dryRun {
		return nil
	}
	o.Nodes = nonNil(p.Nodes)
	putJSON(c.st, OrgKey(o.ID), o)
	c.emit(EventNodesChanged, NodesChange{Org: o.ID, Nodes: o.Nodes})
	return nil
}

// nodesFree refuses node addresses that another organisation operates: a
// node signs for one organisation.
func (c *call) nodesFree(org string, nodes []common.Address) error {
	if len(nodes) == 0 {
		return nil
	}
	var clash error
	prefix := []byte(KeyOrgPrefix)
	err := c.st.Iterate(prefix, prefix, func(_, v []byte) bool {
		var o Org
		if err := json.Unmarshal(v, &o); err != nil {
			clash = fmt.Errorf("registry: decode organisation: %w", err)
			return false
		}
		if o.ID == org {
			return true
		}
		for _, n := range nodes {
			if slices.Contains(o.Nodes, n) {
				clash = fmt.Errorf("%w: node %s is operated by organisation %s", ErrConflict, lowerHex(n), o.ID)
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("registry: list organisations: %w", err)
	}
	return clash
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
