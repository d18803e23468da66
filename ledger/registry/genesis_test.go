package registry

import (
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// devSpec is the dev network's genesis: one org, the node key as admin,
// deployer and auditor, open deploys.
func devSpec(key common.Address) GenesisSpec {
	pol := DefaultPolicy()
	pol.DeployPolicy = DeployOpen
	return GenesisSpec{
		Orgs: []GenesisOrg{{
			ID: "dev", Name: "Development", Nodes: []common.Address{key},
			Members: []GenesisMember{{Address: key, Roles: []string{RoleDeployer, RoleAuditor, RoleAdmin}}},
		}},
		Policy: &pol,
	}
}

func TestGenesisDev(t *testing.T) {
	st := NewMemStore()
	key := addr(0xABC)
	if err := Genesis(st, devSpec(key)); err != nil {
		t.Fatal(err)
	}
	m, err := LookupMember(st, key)
	if err != nil || m.Org != "dev" || !slices.Equal(m.Roles, []string{RoleAdmin, RoleAuditor, RoleDeployer}) {
		t.Fatalf("member %+v, %v", m, err)
	}
	o, err := LookupOrg(st, "dev")
	if err != nil || !slices.Equal(o.Admins, []common.Address{key}) || !slices.Equal(o.Nodes, []common.Address{key}) {
		t.Fatalf("org %+v, %v", o, err)
	}
	p, err := LookupPolicy(st)
	if err != nil || p.DeployPolicy != DeployOpen || p.Threshold != 0 || p.AllowNonMembers {
		t.Fatalf("policy %+v, %v", p, err)
	}
	checkInvariants(t, st)
	// One org: a proposal passes at once.
	n := &net{t: t, st: st, height: 1, timeMs: t0}
	if got := n.proposal(n.ok(key, MethodPropose, addOrg("b", addr(1))).Return); got.Status != StatusExecuted {
		t.Fatalf("status %s", got.Status)
	}
	if err := Genesis(st, devSpec(key)); Code(err) != "conflict" {
		t.Fatalf("second genesis: %v", err)
	}
}

func TestGenesisDefaultPolicy(t *testing.T) {
	st := NewMemStore()
	if err := Genesis(st, orgsSpec(2, nil)); err != nil {
		t.Fatal(err)
	}
	if p, _ := LookupPolicy(st); *p != DefaultPolicy() {
		t.Fatalf("policy %+v", p)
	}
}

func TestGenesisValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(g *GenesisSpec)
		want   string
	}{
		{"no orgs", func(g *GenesisSpec) { g.Orgs = nil }, "at least one organisation"},
		{"bad id", func(g *GenesisSpec) { g.Orgs[0].ID = "O1" }, "organisation id"},
		{"duplicate id", func(g *GenesisSpec) { g.Orgs[1].ID = "o1" }, "declared twice"},
		{"empty name", func(g *GenesisSpec) { g.Orgs[0].Name = "" }, "name is empty"},
		{"no admin", func(g *GenesisSpec) { g.Orgs[1].Members[0].Roles = []string{RoleDeployer} }, "no member with the admin role"},
		{"no members", func(g *GenesisSpec) { g.Orgs[1].Members = nil }, "no member with the admin role"},
		{"zero member", func(g *GenesisSpec) { g.Orgs[0].Members[1].Address = common.Address{} }, "zero address"},
		{"member twice in an org", func(g *GenesisSpec) { g.Orgs[0].Members[1].Address = admin(1) }, "member of organisations o1 and o1"},
		{"member in two orgs", func(g *GenesisSpec) { g.Orgs[1].Members[1].Address = plain(1) }, "member of organisations o1 and o2"},
		{"bad role", func(g *GenesisSpec) { g.Orgs[0].Members[1].Roles = []string{"A"} }, "role"},
		{"duplicate role", func(g *GenesisSpec) { g.Orgs[0].Members[1].Roles = []string{"x", "x"} }, "listed twice"},
		{"zero node", func(g *GenesisSpec) { g.Orgs[0].Nodes = []common.Address{{}} }, "zero address"},
		{"node in two orgs", func(g *GenesisSpec) {
			g.Orgs[0].Nodes = []common.Address{addr(5)}
			g.Orgs[1].Nodes = []common.Address{addr(5)}
		}, "node"},
		{"bad policy", func(g *GenesisSpec) { g.Policy = &Policy{DeployPolicy: "open", ProposalTTLMs: 1} }, "proposalTtlMs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := orgsSpec(2, nil)
			tt.mutate(&g)
			err := g.Validate()
			if Code(err) != "invalid_args" || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want invalid_args mentioning %q", err, tt.want)
			}
			st := NewMemStore()
			if err := Genesis(st, g); Code(err) != "invalid_args" || len(st.Keys()) != 0 {
				t.Fatalf("Genesis() = %v with %d keys written", err, len(st.Keys()))
			}
		})
	}
}
