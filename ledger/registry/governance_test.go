package registry

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func propose(kind string, params any) map[string]any {
	return map[string]any{"kind": kind, "params": params}
}

func addOrg(id string, admins ...common.Address) map[string]any {
	return propose(KindAddOrg, AddOrgParams{ID: id, Name: "Org " + id, Admins: admins})
}

func vote(id uint64) VoteArgs { return VoteArgs{ID: id} }

func TestThresholdFormula(t *testing.T) {
	tests := []struct {
		k    uint32
		n    int
		want int
	}{
		{0, 1, 1}, {0, 2, 2}, {0, 3, 2}, {0, 4, 3}, {0, 5, 3},
		{1, 4, 1}, {2, 3, 2}, {3, 4, 3}, {5, 4, 4}, {1000, 1, 1},
	}
	for _, tt := range tests {
		if got := Threshold(&Policy{Threshold: tt.k}, tt.n); got != tt.want {
			t.Errorf("Threshold(k=%d, n=%d) = %d, want %d", tt.k, tt.n, got, tt.want)
		}
	}
}

// TestGovernanceThresholds runs an addOrg proposal through every vote
// sequence that matters for 1, 3 and 4 organisations under a majority
// and explicit thresholds.
func TestGovernanceThresholds(t *testing.T) {
	tests := []struct {
		name      string
		orgs      int
		threshold uint32
		votes     []int // org numbers after the proposer (o1): + approve, - reject
		statuses  []string
	}{
		{"1 org passes in the propose tx", 1, 0, nil, nil},
		{"1 org, k=3 capped at 1", 1, 3, nil, nil},
		{"3 orgs majority: second approval executes", 3, 0, []int{2}, []string{StatusExecuted}},
		{"3 orgs majority: one reject keeps it open", 3, 0, []int{-2, 3}, []string{StatusOpen, StatusExecuted}},
		{"3 orgs majority: two rejects reject", 3, 0, []int{-2, -3}, []string{StatusOpen, StatusRejected}},
		{"3 orgs k=3: one reject rejects", 3, 3, []int{-2}, []string{StatusRejected}},
		{"3 orgs k=3: all approve", 3, 3, []int{2, 3}, []string{StatusOpen, StatusExecuted}},
		{"4 orgs majority needs 3", 4, 0, []int{2, 3}, []string{StatusOpen, StatusExecuted}},
		{"4 orgs majority: two rejects reject", 4, 0, []int{-2, -3}, []string{StatusOpen, StatusRejected}},
		{"4 orgs majority: 2-1 stays open", 4, 0, []int{2, -3}, []string{StatusOpen, StatusOpen}},
		{"4 orgs k=2", 4, 2, []int{4}, []string{StatusExecuted}},
		{"4 orgs k=1 passes at once", 4, 1, nil, nil},
		{"4 orgs k=9 capped at 4", 4, 9, []int{2, 3, 4}, []string{StatusOpen, StatusOpen, StatusExecuted}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := DefaultPolicy()
			pol.Threshold = tt.threshold
			n := newNet(t, orgsSpec(tt.orgs, &pol))
			out := n.ok(admin(1), MethodPropose, addOrg("new", addr(9)))
			p := n.proposal(out.Return)
			if !slices.Equal(p.Approvals, []string{"o1"}) {
				t.Fatalf("approvals at creation %v", p.Approvals)
			}
			if len(tt.votes) == 0 {
				if p.Status != StatusExecuted || p.DecidedHeight != p.Height {
					t.Fatalf("status %s decided %d, want executed at once", p.Status, p.DecidedHeight)
				}
			} else if p.Status != StatusOpen {
				t.Fatalf("status after propose %s, want open", p.Status)
			}
			for i, v := range tt.votes {
				method, org := MethodApprove, v
				if v < 0 {
					method, org = MethodReject, -v
				}
				out := n.ok(admin(org), method, vote(p.ID))
				got := n.proposal(out.Return)
				if got.Status != tt.statuses[i] {
					t.Fatalf("vote %d (%+d): status %s, want %s", i, v, got.Status, tt.statuses[i])
				}
			}
			final, err := LookupProposal(n.st, p.ID, n.timeMs)
			if err != nil {
				t.Fatal(err)
			}
			_, err = LookupOrg(n.st, "new")
			if executed := final.Status == StatusExecuted; executed != (err == nil) {
				t.Fatalf("status %s but org lookup: %v", final.Status, err)
			}
			checkInvariants(t, n.st)
		})
	}
}

func TestVoteErrors(t *testing.T) {
	n := newNet(t, orgsSpec(4, nil))
	p := n.proposal(n.ok(admin(1), MethodPropose, addOrg("new", addr(9))).Return)
	n.fails(admin(1), MethodApprove, vote(p.ID), ErrAlreadyVoted)
	n.fails(admin(1), MethodReject, vote(p.ID), ErrAlreadyVoted)
	n.ok(admin(2), MethodReject, vote(p.ID))
	n.fails(admin(2), MethodApprove, vote(p.ID), ErrAlreadyVoted)
	n.fails(plain(3), MethodApprove, vote(p.ID), ErrForbidden)
	n.fails(addr(9), MethodApprove, vote(p.ID), ErrForbidden)
	n.fails(admin(3), MethodApprove, vote(p.ID+1), ErrNotFound)
	n.fails(admin(3), MethodApprove, vote(0), ErrInvalidArgs)
	n.fails(admin(3), MethodApprove, []byte(`{"id":"1"}`), ErrInvalidArgs)
	n.fails(admin(3), MethodApprove, []byte(`{"id":-1}`), ErrInvalidArgs)
	n.fails(admin(3), MethodApprove, []byte(`{}`), ErrInvalidArgs)
	n.ok(admin(3), MethodApprove, vote(p.ID))
	n.ok(admin(4), MethodApprove, vote(p.ID)) // 3 of 4: executed
	n.fails(admin(4), MethodApprove, vote(p.ID), ErrClosed)
	n.fails(n.newAdmin(), MethodApprove, vote(p.ID), ErrClosed)

	// A rejected proposal is closed too.
	q := n.proposal(n.ok(admin(1), MethodPropose, addOrg("other", addr(10))).Return)
	n.ok(admin(2), MethodReject, vote(q.ID))
	n.ok(admin(3), MethodReject, vote(q.ID)) // 5 orgs, need 3: 5-2 = 3, still open
	n.ok(admin(4), MethodReject, vote(q.ID)) // 5-3 < 3: rejected
	if got, _ := LookupProposal(n.st, q.ID, n.timeMs); got.Status != StatusRejected {
		t.Fatalf("status %s", got.Status)
	}
	n.fails(n.newAdmin(), MethodApprove, vote(q.ID), ErrClosed)
}

// newAdmin is the admin of the org "new" that TestVoteErrors adds.
func (n *net) newAdmin() common.Address { return addr(9) }

func TestExpiry(t *testing.T) {
	pol := DefaultPolicy()
	pol.ProposalTTLMs = MinProposalTTL
	n := newNet(t, orgsSpec(3, &pol))
	p := n.proposal(n.ok(admin(1), MethodPropose, addOrg("new", addr(9))).Return)
	if p.ExpiresMs != p.CreatedMs+MinProposalTTL {
		t.Fatalf("expires %d, created %d", p.ExpiresMs, p.CreatedMs)
	}
	if got, _ := LookupProposal(n.st, p.ID, p.ExpiresMs-1); got.Status != StatusOpen {
		t.Fatalf("before expiry: %s", got.Status)
	}
	if got, _ := LookupProposal(n.st, p.ID, p.ExpiresMs); got.Status != StatusExpired {
		t.Fatalf("at expiry: %s", got.Status)
	}
	n.timeMs = p.ExpiresMs - 1
	n.ok(admin(2), MethodReject, vote(p.ID)) // the last moment to vote
	n.timeMs = p.ExpiresMs
	n.fails(admin(3), MethodApprove, vote(p.ID), ErrExpired)
	n.fails(admin(3), MethodReject, vote(p.ID), ErrExpired)
	if _, err := LookupOrg(n.st, "new"); Code(err) != "not_found" {
		t.Fatalf("expired proposal executed: %v", err)
	}
	list, err := Proposals(n.st, StatusExpired, 0, 0, n.timeMs)
	if err != nil || len(list) != 1 || list[0].ID != p.ID {
		t.Fatalf("expired list %v, %v", list, err)
	}
	// Expiry is evaluated before the duplicate-vote check but after
	// closure: an expired proposal never closes.
	n.fails(admin(2), MethodApprove, vote(p.ID), ErrExpired)
}

// TestOrgRemovedMidProposal: the votes of a removed organisation stop
// counting, the threshold follows the new org count, and the next vote
// decides with both.
func TestOrgRemovedMidProposal(t *testing.T) {
	n := newNet(t, orgsSpec(4, nil))
	// o1 proposes an addOrg and o2 approves: 2 of 4, need 3.
	p := n.proposal(n.ok(admin(1), MethodPropose, addOrg("new", addr(9))).Return)
	n.ok(admin(2), MethodApprove, vote(p.ID))
	// Remove o2: o1 proposes, o3 and o4 approve (3 of 4).
	rm := n.proposal(n.ok(admin(1), MethodPropose, propose(KindRemoveOrg, RemoveOrgParams{ID: "o2"})).Return)
	n.ok(admin(3), MethodApprove, vote(rm.ID))
	out := n.ok(admin(4), MethodApprove, vote(rm.ID))
	if names := eventNames(out); !slices.Contains(names, EventOrgRemoved) {
		t.Fatalf("events %v", names)
	}
	if _, err := LookupMember(n.st, admin(2)); Code(err) != "not_found" {
		t.Fatalf("o2's admin survived: %v", err)
	}
	if _, err := LookupMember(n.st, plain(2)); Code(err) != "not_found" {
		t.Fatalf("o2's member survived: %v", err)
	}
	checkInvariants(t, n.st)
	// Now 3 orgs: majority 2. o1's approval counts, o2's does not, so
	// the proposal is still open; o3's approval executes it.
	got, _ := LookupProposal(n.st, p.ID, n.timeMs)
	if got.Status != StatusOpen {
		t.Fatalf("status %s", got.Status)
	}
	out = n.ok(admin(3), MethodApprove, vote(p.ID))
	got = n.proposal(out.Return)
	if got.Status != StatusExecuted || !slices.Equal(got.Approvals, []string{"o1", "o2", "o3"}) {
		t.Fatalf("after o3: %+v", got)
	}
	// A removed org's admin cannot vote any more.
	q := n.proposal(n.ok(admin(1), MethodPropose, addOrg("x", addr(10))).Return)
	n.fails(admin(2), MethodApprove, vote(q.ID), ErrForbidden)
}

// TestRemovedOrgsVotesNotCounted: an organisation removed after voting
// leaves its vote in the record but out of the count, so a later vote is
// decided on the remaining organisations' votes.
func TestRemovedOrgsVotesNotCounted(t *testing.T) {
	pol := DefaultPolicy()
	pol.Threshold = 2
	n := newNet(t, orgsSpec(3, &pol))
	// setPolicy to k=3 first, with o1 and o2: executed.
	pol3 := pol
	pol3.Threshold = 3
	sp := n.proposal(n.ok(admin(1), MethodPropose, propose(KindSetPolicy, SetPolicyParams{Policy: pol3})).Return)
	n.ok(admin(2), MethodApprove, vote(sp.ID))
	if got, _ := LookupPolicy(n.st); got.Threshold != 3 {
		t.Fatalf("threshold %d", got.Threshold)
	}
	// Under k=3 a proposal needs every org: o1 proposes, o2 approves.
	p := n.proposal(n.ok(admin(1), MethodPropose, addOrg("new", addr(9))).Return)
	n.ok(admin(2), MethodApprove, vote(p.ID))
	// Remove o2 (o1, o2, o3 all approve).
	rm := n.proposal(n.ok(admin(1), MethodPropose, propose(KindRemoveOrg, RemoveOrgParams{ID: "o2"})).Return)
	n.ok(admin(2), MethodApprove, vote(rm.ID))
	n.ok(admin(3), MethodApprove, vote(rm.ID))
	// 2 orgs, k=3 capped at 2: o1 counts, o2 not; o3 rejects → 2-1 < 2.
	out := n.ok(admin(3), MethodReject, vote(p.ID))
	if got := n.proposal(out.Return); got.Status != StatusRejected {
		t.Fatalf("status %s", got.Status)
	}
}

func TestSetPolicyChangesThreshold(t *testing.T) {
	n := newNet(t, orgsSpec(4, nil))
	pol := DefaultPolicy()
	pol.Threshold = 1
	pol.DeployPolicy = DeployOpen
	sp := n.proposal(n.ok(admin(1), MethodPropose, propose(KindSetPolicy, SetPolicyParams{Policy: pol})).Return)
	n.ok(admin(2), MethodApprove, vote(sp.ID))
	out := n.ok(admin(3), MethodApprove, vote(sp.ID))
	if names := eventNames(out); !slices.Contains(names, EventPolicyChanged) {
		t.Fatalf("events %v", names)
	}
	got, err := LookupPolicy(n.st)
	if err != nil || *got != pol {
		t.Fatalf("policy %+v, %v", got, err)
	}
	// Threshold 1: any org's proposal passes at once.
	p := n.proposal(n.ok(admin(4), MethodPropose, addOrg("new", addr(9))).Return)
	if p.Status != StatusExecuted {
		t.Fatalf("status %s", p.Status)
	}
}

// TestThresholdChangeReevaluatesOpenProposals: an open proposal is
// judged against the policy of the time of each vote.
func TestThresholdChangeReevaluatesOpenProposals(t *testing.T) {
	n := newNet(t, orgsSpec(4, nil))
	p := n.proposal(n.ok(admin(1), MethodPropose, addOrg("new", addr(9))).Return) // 1 of 3
	pol := DefaultPolicy()
	pol.Threshold = 4
	sp := n.proposal(n.ok(admin(1), MethodPropose, propose(KindSetPolicy, SetPolicyParams{Policy: pol})).Return)
	n.ok(admin(2), MethodApprove, vote(sp.ID))
	n.ok(admin(3), MethodApprove, vote(sp.ID))
	// Now k=4: o2's approval makes 2 of 4, still open; o3's reject
	// makes it unreachable.
	if got := n.proposal(n.ok(admin(2), MethodApprove, vote(p.ID)).Return); got.Status != StatusOpen {
		t.Fatalf("status %s", got.Status)
	}
	if got := n.proposal(n.ok(admin(3), MethodReject, vote(p.ID)).Return); got.Status != StatusRejected {
		t.Fatalf("status %s", got.Status)
	}
}

func TestProposalEvents(t *testing.T) {
	n := newNet(t, orgsSpec(3, nil))
	out := n.ok(admin(1), MethodPropose, addOrg("new", addr(9)))
	if names := eventNames(out); !slices.Equal(names, []string{EventProposalCreated}) {
		t.Fatalf("propose events %v", names)
	}
	out = n.ok(admin(2), MethodApprove, vote(1))
	want := []string{EventProposalVoted, EventOrgAdded, EventMemberAdded, EventProposalExecuted}
	if names := eventNames(out); !slices.Equal(names, want) {
		t.Fatalf("approve events %v, want %v", names, want)
	}
	var v Vote
	if err := json.Unmarshal(out.Events[0].Data, &v); err != nil || v != (Vote{ID: 1, Org: "o2", Approve: true}) {
		t.Fatalf("vote event %s", out.Events[0].Data)
	}
	if out.Effect != nil {
		t.Fatalf("a registry kind returned an effect")
	}
	n.ok(admin(1), MethodPropose, addOrg("new2", addr(10)))
	// 4 orgs now, need 3: o2's reject leaves 3 possible, o3's makes it
	// unreachable.
	if names := eventNames(n.ok(admin(2), MethodReject, vote(2))); !slices.Equal(names, []string{EventProposalVoted}) {
		t.Fatalf("first reject events %v", names)
	}
	out = n.ok(admin(3), MethodReject, vote(2))
	if names := eventNames(out); !slices.Equal(names, []string{EventProposalVoted, EventProposalRejected}) {
		t.Fatalf("reject events %v", names)
	}
}

func TestProposeErrors(t *testing.T) {
	tests := []struct {
		name   string
		caller common.Address
		args   any
		want   error
	}{
		{"non-member", addr(9), addOrg("new", addr(9)), ErrForbidden},
		{"not an admin", plain(1), addOrg("new", addr(9)), ErrForbidden},
		{"unknown kind", admin(1), propose("addMember", map[string]any{}), ErrInvalidArgs},
		{"deploy kind", admin(1), propose(KindDeploy, DeployParams{}), ErrInvalidArgs},
		{"upgrade kind", admin(1), propose(KindUpgrade, UpgradeParams{}), ErrInvalidArgs},
		{"params missing", admin(1), map[string]any{"kind": KindAddOrg}, ErrInvalidArgs},
		{"params not an object", admin(1), propose(KindAddOrg, "o9"), ErrInvalidArgs},
		{"extra top-level field", admin(1), map[string]any{"kind": KindRemoveOrg, "params": RemoveOrgParams{ID: "o2"}, "id": 1}, ErrInvalidArgs},

		{"addOrg: bad id", admin(1), addOrg("New", addr(9)), ErrInvalidArgs},
		{"addOrg: id with slash", admin(1), addOrg("a/b", addr(9)), ErrInvalidArgs},
		{"addOrg: id too long", admin(1), addOrg("a23456789012345678901234567890123", addr(9)), ErrInvalidArgs},
		{"addOrg: no admins", admin(1), addOrg("new"), ErrInvalidArgs},
		{"addOrg: zero admin", admin(1), addOrg("new", common.Address{}), ErrInvalidArgs},
		{"addOrg: admin twice", admin(1), addOrg("new", addr(9), addr(9)), ErrInvalidArgs},
		{"addOrg: empty name", admin(1), propose(KindAddOrg, AddOrgParams{ID: "new", Admins: []common.Address{addr(9)}}), ErrInvalidArgs},
		{"addOrg: long name", admin(1), propose(KindAddOrg, AddOrgParams{ID: "new", Name: string(make([]byte, 129)), Admins: []common.Address{addr(9)}}), ErrInvalidArgs},
		{"addOrg: bad UTF-8 name", admin(1), []byte("{\"kind\":\"addOrg\",\"params\":{\"id\":\"new\",\"name\":\"\xff\",\"admins\":[\"0x0000000000000000000000000000000000000009\"]}}"), ErrInvalidArgs},
		{"addOrg: unknown param", admin(1), propose(KindAddOrg, map[string]any{"id": "new", "name": "N", "admins": []common.Address{addr(9)}, "roles": []string{}}), ErrInvalidArgs},
		{"addOrg: id exists", admin(1), addOrg("o2", addr(9)), ErrConflict},
		{"addOrg: admin is a member", admin(1), addOrg("new", plain(2)), ErrConflict},
		{"addOrg: node of another org", admin(1), propose(KindAddOrg, AddOrgParams{ID: "new", Name: "N", Admins: []common.Address{addr(9)}, Nodes: []common.Address{addr(1002)}}), ErrConflict},
		{"addOrg: zero node", admin(1), propose(KindAddOrg, AddOrgParams{ID: "new", Name: "N", Admins: []common.Address{addr(9)}, Nodes: []common.Address{{}}}), ErrInvalidArgs},

		{"removeOrg: missing", admin(1), propose(KindRemoveOrg, RemoveOrgParams{ID: "o9"}), ErrNotFound},
		{"removeOrg: bad id", admin(1), propose(KindRemoveOrg, RemoveOrgParams{ID: "-x"}), ErrInvalidArgs},

		{"setPolicy: bad deploy policy", admin(1), propose(KindSetPolicy, SetPolicyParams{Policy: Policy{DeployPolicy: "any", ProposalTTLMs: MinProposalTTL}}), ErrInvalidArgs},
		{"setPolicy: ttl too short", admin(1), propose(KindSetPolicy, SetPolicyParams{Policy: Policy{DeployPolicy: DeployOpen, ProposalTTLMs: MinProposalTTL - 1}}), ErrInvalidArgs},
		{"setPolicy: ttl too long", admin(1), propose(KindSetPolicy, SetPolicyParams{Policy: Policy{DeployPolicy: DeployOpen, ProposalTTLMs: MaxProposalTTL + 1}}), ErrInvalidArgs},
		{"setPolicy: threshold too high", admin(1), propose(KindSetPolicy, SetPolicyParams{Policy: Policy{Threshold: MaxThreshold + 1, DeployPolicy: DeployOpen, ProposalTTLMs: MinProposalTTL}}), ErrInvalidArgs},
		{"setPolicy: field missing", admin(1), propose(KindSetPolicy, map[string]any{"policy": map[string]any{"threshold": 0, "deployPolicy": "open", "proposalTtlMs": MinProposalTTL}}), ErrInvalidArgs},
		{"setPolicy: unknown field", admin(1), propose(KindSetPolicy, map[string]any{"policy": map[string]any{"threshold": 0, "deployPolicy": "open", "proposalTtlMs": MinProposalTTL, "allowNonMembers": true, "open": true}}), ErrInvalidArgs},
		{"setPolicy: negative threshold", admin(1), propose(KindSetPolicy, map[string]any{"policy": map[string]any{"threshold": -1, "deployPolicy": "open", "proposalTtlMs": MinProposalTTL, "allowNonMembers": true}}), ErrInvalidArgs},

		{"grantRole: not a network role", admin(1), propose(KindGrantRole, RoleParams{Address: plain(2), Role: RoleAdmin}), ErrInvalidArgs},
		{"grantRole: contract role", admin(1), propose(KindGrantRole, RoleParams{Address: plain(2), Role: "servicer"}), ErrInvalidArgs},
		{"grantRole: zero address", admin(1), propose(KindGrantRole, RoleParams{Role: RoleAuditor}), ErrInvalidArgs},
		{"grantRole: not a member", admin(1), propose(KindGrantRole, RoleParams{Address: addr(9), Role: RoleAuditor}), ErrNotFound},
		{"grantRole: holds it", admin(1), propose(KindGrantRole, RoleParams{Address: addr(1003), Role: RoleAuditor}), ErrConflict},
		{"revokeRole: does not hold it", admin(1), propose(KindRevokeRole, RoleParams{Address: plain(2), Role: RoleAuditor}), ErrNotFound},
		{"revokeRole: not a member", admin(1), propose(KindRevokeRole, RoleParams{Address: addr(9), Role: RoleAuditor}), ErrNotFound},

		{"setNodes: missing org", admin(1), propose(KindSetNodes, SetNodesParams{Org: "o9", Nodes: []common.Address{addr(5)}}), ErrNotFound},
		{"setNodes: node of another org", admin(1), propose(KindSetNodes, SetNodesParams{Org: "o1", Nodes: []common.Address{addr(1002)}}), ErrConflict},
		{"setNodes: node twice", admin(1), propose(KindSetNodes, SetNodesParams{Org: "o1", Nodes: []common.Address{addr(5), addr(5)}}), ErrInvalidArgs},
		{"setNodes: nodes missing", admin(1), propose(KindSetNodes, map[string]any{"org": "o1"}), ErrInvalidArgs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNet(t, richSpec())
			n.fails(tt.caller, MethodPropose, tt.args, tt.want)
		})
	}
}

// richSpec is three orgs where o2 operates node addr(1002) and o3's
// addr(1003) is an auditor.
func richSpec() GenesisSpec {
	g := orgsSpec(3, nil)
	g.Orgs[1].Nodes = []common.Address{addr(1002)}
	g.Orgs[2].Members = append(g.Orgs[2].Members, GenesisMember{Address: addr(1003), Roles: []string{RoleAuditor}})
	return g
}

func TestRemoveLastOrg(t *testing.T) {
	n := newNet(t, orgsSpec(1, nil))
	n.fails(admin(1), MethodPropose, propose(KindRemoveOrg, RemoveOrgParams{ID: "o1"}), ErrConflict)
}

func TestNetworkRoles(t *testing.T) {
	pol := DefaultPolicy()
	pol.Threshold = 1
	n := newNet(t, richSpec())
	n.st.Set([]byte(KeyPolicy), mustJSON(pol))
	out := n.ok(admin(1), MethodPropose, propose(KindGrantRole, RoleParams{Address: plain(2), Role: RoleAuditor}))
	if names := eventNames(out); !slices.Contains(names, EventRoleGranted) {
		t.Fatalf("events %v", names)
	}
	if m := n.member(plain(2)); !slices.Equal(m.Roles, []string{RoleAuditor, "servicer"}) {
		t.Fatalf("roles %v", m.Roles)
	}
	out = n.ok(admin(1), MethodPropose, propose(KindRevokeRole, RoleParams{Address: addr(1003), Role: RoleAuditor}))
	if names := eventNames(out); !slices.Contains(names, EventRoleRevoked) {
		t.Fatalf("events %v", names)
	}
	if m := n.member(addr(1003)); len(m.Roles) != 0 {
		t.Fatalf("roles %v", m.Roles)
	}
	out = n.ok(admin(1), MethodPropose, propose(KindSetNodes, SetNodesParams{Org: "o2", Nodes: []common.Address{addr(6), addr(5)}}))
	if names := eventNames(out); !slices.Contains(names, EventNodesChanged) {
		t.Fatalf("events %v", names)
	}
	if o := n.org("o2"); !slices.Equal(o.Nodes, []common.Address{addr(5), addr(6)}) {
		t.Fatalf("nodes %v", o.Nodes)
	}
	// The proposal stores the parameters sorted, whatever their order.
	p, _ := LookupProposal(n.st, 3, n.timeMs)
	if want := `{"org":"o2","nodes":["0x0000000000000000000000000000000000000005","0x0000000000000000000000000000000000000006"]}`; string(p.Params) != want {
		t.Fatalf("params %s", p.Params)
	}
	checkInvariants(t, n.st)
}

// TestExecutionFailsAgainstNewState: a proposal valid when made whose
// change no longer applies fails the approving call, records nothing,
// and can still be rejected.
func TestExecutionFailsAgainstNewState(t *testing.T) {
	n := newNet(t, orgsSpec(3, nil))
	p := n.proposal(n.ok(admin(1), MethodPropose, addOrg("new", addr(9))).Return)
	// addr(9) joins o2 in the meantime.
	n.ok(admin(2), MethodAddMember, MemberArgs{Address: addr(9), Roles: []string{}})
	n.fails(admin(3), MethodApprove, vote(p.ID), ErrConflict)
	if got, _ := LookupProposal(n.st, p.ID, n.timeMs); !slices.Equal(got.Approvals, []string{"o1"}) || got.Status != StatusOpen {
		t.Fatalf("the failed vote was recorded: %+v", got)
	}
	n.ok(admin(3), MethodReject, vote(p.ID))
	if got := n.proposal(n.ok(admin(2), MethodReject, vote(p.ID)).Return); got.Status != StatusRejected {
		t.Fatalf("status %s", got.Status)
	}
}

func TestProposalsList(t *testing.T) {
	n := newNet(t, orgsSpec(3, nil))
	for i := range 5 {
		n.ok(admin(1), MethodPropose, addOrg(fmt.Sprintf("n%d", i), addr(50+i)))
	}
	n.ok(admin(2), MethodApprove, vote(2))
	n.ok(admin(2), MethodReject, vote(3))
	n.ok(admin(3), MethodReject, vote(3))
	ids := func(ps []*Proposal) (out []uint64) {
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	tests := []struct {
		status string
		after  uint64
		limit  int
		want   []uint64
	}{
		{"", 0, 0, []uint64{1, 2, 3, 4, 5}},
		{"", 0, 2, []uint64{1, 2}},
		{"", 2, 2, []uint64{3, 4}},
		{"", 5, 0, nil},
		{"", ^uint64(0), 0, nil},
		{StatusOpen, 0, 0, []uint64{1, 4, 5}},
		{StatusOpen, 1, 1, []uint64{4}},
		{StatusExecuted, 0, 0, []uint64{2}},
		{StatusRejected, 0, 0, []uint64{3}},
	}
	for _, tt := range tests {
		got, err := Proposals(n.st, tt.status, tt.after, tt.limit, n.timeMs)
		if err != nil || !slices.Equal(ids(got), tt.want) {
			t.Errorf("Proposals(%q, %d, %d) = %v, %v; want %v", tt.status, tt.after, tt.limit, ids(got), err, tt.want)
		}
	}
	if _, err := Proposals(n.st, "pending", 0, 0, n.timeMs); Code(err) != "invalid_args" {
		t.Fatalf("unknown status: %v", err)
	}
	late := n.timeMs + DefaultPolicy().ProposalTTLMs
	if got, _ := Proposals(n.st, StatusExpired, 0, 0, late); !slices.Equal(ids(got), []uint64{1, 4, 5}) {
		t.Fatalf("expired %v", ids(got))
	}
}
