package registry

import (
	"errors"
	"testing"
)

var errDisk = errors.New("disk failure")

// failingStore fails every read from the after-th one on.
type failingStore struct {
	*MemStore
	reads, after int
}

func (s *failingStore) Get(key []byte) ([]byte, bool, error) {
	if s.reads++; s.reads > s.after {
		return nil, false, errDisk
	}
	return s.MemStore.Get(key)
}

func (s *failingStore) Iterate(prefix, start []byte, fn func(k, v []byte) bool) error {
	if s.reads++; s.reads > s.after {
		return errDisk
	}
	return s.MemStore.Iterate(prefix, start, fn)
}

// TestStoreFailures fails the store at every read of calls that succeed
// on a sound store: each must come back as a host failure (no registry
// code, wrapping the store's error), never as a call result.
func TestStoreFailures(t *testing.T) {
	calls := []struct {
		name string
		run  func(st Store, n *net) (*Outcome, error)
	}{
		{"addMember", func(st Store, n *net) (*Outcome, error) {
			return Execute(st, n.env(admin(1)), MethodAddMember, mustJSON(MemberArgs{Address: addr(7), Roles: []string{RoleAdmin}}))
		}},
		{"setRoles", func(st Store, n *net) (*Outcome, error) {
			return Execute(st, n.env(admin(1)), MethodSetRoles, mustJSON(MemberArgs{Address: admin(1), Roles: []string{}}))
		}},
		{"removeMember", func(st Store, n *net) (*Outcome, error) {
			return Execute(st, n.env(admin(1)), MethodRemoveMember, mustJSON(AddressArgs{Address: admin(1)}))
		}},
		{"propose addOrg", func(st Store, n *net) (*Outcome, error) {
			return Execute(st, n.env(admin(1)), MethodPropose, mustJSON(propose(KindAddOrg, AddOrgParams{ID: "n", Name: "N", Admins: addr2(9), Nodes: addr2(5)})))
		}},
		{"propose removeOrg", func(st Store, n *net) (*Outcome, error) {
			return Execute(st, n.env(admin(1)), MethodPropose, mustJSON(propose(KindRemoveOrg, RemoveOrgParams{ID: "o2"})))
		}},
		{"propose grantRole", func(st Store, n *net) (*Outcome, error) {
			return Execute(st, n.env(admin(1)), MethodPropose, mustJSON(propose(KindGrantRole, RoleParams{Address: plain(2), Role: RoleAuditor})))
		}},
		{"propose setNodes", func(st Store, n *net) (*Outcome, error) {
			return Execute(st, n.env(admin(1)), MethodPropose, mustJSON(propose(KindSetNodes, SetNodesParams{Org: "o2", Nodes: addr2(5)})))
		}},
		{"propose setPolicy", func(st Store, n *net) (*Outcome, error) {
			return Execute(st, n.env(admin(1)), MethodPropose, mustJSON(propose(KindSetPolicy, SetPolicyParams{Policy: DefaultPolicy()})))
		}},
		{"approve", func(st Store, n *net) (*Outcome, error) {
			return Execute(st, n.env(admin(2)), MethodApprove, mustJSON(vote(1)))
		}},
		{"deploy", func(st Store, n *net) (*Outcome, error) {
			return ProposeDeploy(st, n.env(admin(2)), deployParams(admin(2)))
		}},
		{"reads", func(st Store, n *net) (*Outcome, error) {
			if _, err := Orgs(st); err != nil {
				return nil, err
			}
			if _, err := OrgMembers(st, "o1"); err != nil {
				return nil, err
			}
			if _, err := LookupProposal(st, 1, t0); err != nil {
				return nil, err
			}
			if _, err := LookupPolicy(st); err != nil {
				return nil, err
			}
			_, err := Proposals(st, "", 0, 0, t0)
			return nil, err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			pol := DefaultPolicy()
			pol.Threshold = 1
			g := orgsSpec(2, &pol)
			n := newNet(t, g)
			// Proposal 1 (open under threshold 2) for approve and reads.
			pol2 := pol
			pol2.Threshold = 2
			n.st.Set([]byte(KeyPolicy), mustJSON(pol2))
			n.ok(admin(1), MethodPropose, addOrg("x", addr(9)))
			n.st.Set([]byte(KeyPolicy), mustJSON(pol))
			n.ok(admin(1), MethodAddMember, MemberArgs{Address: addr(8), Roles: []string{RoleAdmin}})
			for after := 0; ; after++ {
				fs := &failingStore{MemStore: n.st.Clone(), after: after}
				_, err := c.run(fs, n)
				if err == nil {
					if after == 0 {
						t.Fatalf("succeeded without reading")
					}
					break
				}
				if !errors.Is(err, errDisk) || Code(err) != "" {
					t.Fatalf("failure at read %d: %v (code %q), want a host failure", after, err, Code(err))
				}
			}
		})
	}
}

// TestDamagedRecords: records the registry cannot decode are host
// failures, not call results.
func TestDamagedRecords(t *testing.T) {
	damage := []struct {
		name string
		key  []byte
		val  string
		run  func(st Store) error
	}{
		{"member", MemberKey(admin(1)), "{", func(st Store) error {
			_, err := Execute(st, Env{Caller: admin(1)}, MethodRemoveMember, mustJSON(AddressArgs{Address: plain(1)}))
			return err
		}},
		{"org", OrgKey("o1"), "[", func(st Store) error { _, err := Orgs(st); return err }},
		{"org in nodesFree", OrgKey("o2"), "[", func(st Store) error {
			_, err := Execute(st, Env{Caller: admin(1)}, MethodPropose, mustJSON(propose(KindSetNodes, SetNodesParams{Org: "o1", Nodes: addr2(5)})))
			return err
		}},
		{"policy", []byte(KeyPolicy), "x", func(st Store) error { _, err := LookupPolicy(st); return err }},
		{"sequence", []byte(KeyNextProposal), "x", func(st Store) error {
			_, err := Execute(st, Env{Caller: admin(1)}, MethodPropose, mustJSON(propose(KindRemoveOrg, RemoveOrgParams{ID: "o2"})))
			return err
		}},
		{"sequence zero", []byte(KeyNextProposal), "0", func(st Store) error {
			_, err := Execute(st, Env{Caller: admin(1)}, MethodPropose, mustJSON(propose(KindRemoveOrg, RemoveOrgParams{ID: "o2"})))
			return err
		}},
		{"proposal", ProposalKey(1), "7", func(st Store) error { _, err := Proposals(st, "", 0, 0, 0); return err }},
		{"index key", []byte(KeyOrgMemberPrefix + "o1/nothex"), "", func(st Store) error { _, err := OrgMembers(st, "o1"); return err }},
		{"index without member", OrgMemberKey("o1", addr(77)), "", func(st Store) error { _, err := OrgMembers(st, "o1"); return err }},
	}
	for _, d := range damage {
		t.Run(d.name, func(t *testing.T) {
			st := NewMemStore()
			if err := Genesis(st, orgsSpec(2, nil)); err != nil {
				t.Fatal(err)
			}
			st.Set(d.key, []byte(d.val))
			if err := d.run(st); err == nil || Code(err) != "" {
				t.Fatalf("err %v (code %q), want a host failure", err, Code(err))
			}
		})
	}
	// Without genesis there is no policy: proposing is a host failure.
	st := NewMemStore()
	putJSON(st, MemberKey(admin(1)), &Member{Address: admin(1), Org: "o1", Roles: []string{RoleAdmin}})
	putJSON(st, OrgKey("o1"), &Org{ID: "o1", Name: "x"})
	putJSON(st, OrgKey("o2"), &Org{ID: "o2", Name: "y"})
	if _, err := Execute(st, Env{Caller: admin(1)}, MethodPropose, mustJSON(propose(KindRemoveOrg, RemoveOrgParams{ID: "o2"}))); err == nil || Code(err) != "" {
		t.Fatalf("propose without a policy: %v", err)
	}
}
