package registry

import "testing"

func TestSmoke(t *testing.T) {
	n := newNet(t, orgsSpec(1, nil))
	checkInvariants(t, n.st)
	n.ok(admin(1), MethodAddMember, MemberArgs{Address: addr(5), Roles: []string{"owner"}})
	out := n.ok(admin(1), MethodPropose, map[string]any{"kind": KindAddOrg, "params": AddOrgParams{ID: "o2", Name: "Two", Admins: addr2(200)}})
	p := n.proposal(out.Return)
	if p.Status != StatusExecuted {
		t.Fatalf("status %s", p.Status)
	}
	checkInvariants(t, n.st)
	t.Log(n.st.Dump())
}
