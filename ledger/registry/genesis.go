package registry

import (
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

func (g *GenesisSpec) validate() error {
	if len(g.Orgs) == 0 {
		return invalid("genesis: at least one organisation is required")
	}
	orgs := map[string]bool{}
	members := map[common.Address]string{}
	nodes := map[common.Address]string{}
	validators := map[string]string{}
	for i := range g.Orgs {
		o := &g.Orgs[i]
		if err := ValidateOrgID(o.ID); err != nil {
			return fmt.Errorf("genesis organisation %d: %w", i, err)
		}
		if orgs[o.ID] {
			return invalid("genesis: organisation %s declared twice", o.ID)
		}
		orgs[o.ID] = true
		if err := ValidateName(o.Name); err != nil {
			return fmt.Errorf("genesis organisation %s: %w", o.ID, err)
		}
		ns, err := normalizeAddrs("nodes", o.Nodes, MaxNodes)
		if err != nil {
			return fmt.Errorf("genesis organisation %s: %w", o.ID, err)
		}
		for _, n := range ns {
			if other, ok := nodes[n]; ok {
				return invalid("genesis: node %s is listed by organisations %s and %s", lowerHex(n), other, o.ID)
			}
			nodes[n] = o.ID
		}
		admins := 0
		for _, m := range o.Members {
			if err := validateAddress("genesis member address", m.Address); err != nil {
				return fmt.Errorf("genesis organisation %s: %w", o.ID, err)
			}
			if other, ok := members[m.Address]; ok {
				return invalid("genesis: %s is a member of organisations %s and %s", lowerHex(m.Address), other, o.ID)
			}
			members[m.Address] = o.ID
			roles, err := NormalizeRoles(m.Roles)
			if err != nil {
				return fmt.Errorf("genesis member %s: %w", lowerHex(m.Address), err)
			}
			for _, r := range roles {
				if r == RoleAdmin {
					admins++
				}
			}
		}
		if admins == 0 {
			return invalid("genesis: organisation %s has no member with the %s role", o.ID, RoleAdmin)
		}
		if v := o.Validator; v != nil {
			if err := v.Validate(); err != nil {
				return fmt.Errorf("genesis organisation %s: %w", o.ID, err)
			}
			key := string(v.PubKey)
			if other, ok := validators[key]; ok {
				return invalid("genesis: organisations %s and %s declare the same validator key", other, o.ID)
			}
			validators[key] = o.ID
		}
	}
	if g.Policy != nil {
		if err := g.Policy.Validate(); err != nil {
			return fmt.Errorf("genesis policy: %w", err)
		}
	}
	return nil
}

// writeGenesis writes a validated spec. It refuses a store that has a
// policy already: genesis happens once.
func writeGenesis(st Store, g *GenesisSpec) error {
	if err := g.validate(); err != nil {
		return err
	}
	if _, ok, err := st.Get([]byte(KeyPolicy)); err != nil {
		return fmt.Errorf("registry: genesis: %w", err)
	} else if ok {
		return fmt.Errorf("%w: genesis: the registry has a policy already", ErrConflict)
	}
	policy := DefaultPolicy()
	if g.Policy != nil {
		policy = *g.Policy
	}
	putJSON(st, []byte(KeyPolicy), policy)
	for _, spec := range g.Orgs {
		nodes, _ := normalizeAddrs("nodes", spec.Nodes, MaxNodes)
		org := &Org{ID: spec.ID, Name: spec.Name, Nodes: nodes, Admins: []common.Address{}}
		if v := spec.Validator; v != nil {
			org.Validator = &Validator{PubKey: slices.Clone(v.PubKey), Power: v.Power}
		}
		for _, gm := range spec.Members {
			roles, _ := NormalizeRoles(gm.Roles)
			m := &Member{Address: gm.Address, Org: spec.ID, Roles: roles}
			putJSON(st, MemberKey(m.Address), m)
			st.Set(OrgMemberKey(spec.ID, m.Address), []byte{})
			if m.HasRole(RoleAdmin) {
				org.Admins = insertAddr(org.Admins, m.Address)
			}
		}
		putJSON(st, OrgKey(org.ID), org)
	}
	return nil
}
