package registry

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestAddMember(t *testing.T) {
	n := newNet(t, orgsSpec(2, nil))
	out := n.ok(admin(1), MethodAddMember, MemberArgs{Address: addr(7), Roles: []string{"servicer", "owner", RoleAdmin}})
	want := &Member{Address: addr(7), Org: "o1", Roles: []string{RoleAdmin, "owner", "servicer"}}
	var got Member
	if err := json.Unmarshal(out.Return, &got); err != nil {
		t.Fatal(err)
	}
	if string(mustJSON(&got)) != string(mustJSON(want)) {
		t.Fatalf("return %s, want %s", out.Return, mustJSON(want))
	}
	if m := n.member(addr(7)); string(mustJSON(m)) != string(mustJSON(want)) {
		t.Fatalf("stored %s", mustJSON(m))
	}
	if o := n.org("o1"); !slices.Contains(o.Admins, addr(7)) {
		t.Fatalf("new admin not in Admins: %v", o.Admins)
	}
	if names := eventNames(out); !slices.Equal(names, []string{EventMemberAdded}) {
		t.Fatalf("events %v", names)
	}
	// A member without roles is a plain member of the org.
	n.ok(admin(2), MethodAddMember, MemberArgs{Address: addr(8), Roles: []string{}})
	if m := n.member(addr(8)); m.Org != "o2" || len(m.Roles) != 0 {
		t.Fatalf("plain member %+v", m)
	}
	checkInvariants(t, n.st)
}

func TestAddMemberErrors(t *testing.T) {
	tests := []struct {
		name   string
		caller common.Address
		args   any
		want   error
	}{
		{"non-member caller", addr(9), MemberArgs{Address: addr(7), Roles: []string{}}, ErrForbidden},
		{"caller not an admin", plain(1), MemberArgs{Address: addr(7), Roles: []string{}}, ErrForbidden},
		{"non-member with bad arguments", addr(9), []byte(`{`), ErrForbidden},
		{"auditor is a network role", admin(1), MemberArgs{Address: addr(7), Roles: []string{RoleAuditor}}, ErrForbidden},
		{"member of another org", admin(1), MemberArgs{Address: plain(2), Roles: []string{}}, ErrConflict},
		{"member already", admin(1), MemberArgs{Address: plain(1), Roles: []string{}}, ErrConflict},
		{"zero address", admin(1), MemberArgs{Roles: []string{}}, ErrInvalidArgs},
		{"bad role", admin(1), MemberArgs{Address: addr(7), Roles: []string{"Owner"}}, ErrInvalidArgs},
		{"role too long", admin(1), MemberArgs{Address: addr(7), Roles: []string{"a234567890123456789012345678901234"}}, ErrInvalidArgs},
		{"duplicate role", admin(1), MemberArgs{Address: addr(7), Roles: []string{"owner", "owner"}}, ErrInvalidArgs},
		{"too many roles", admin(1), MemberArgs{Address: addr(7), Roles: manyRoles(MaxRoles + 1)}, ErrInvalidArgs},
		{"roles missing", admin(1), []byte(`{"address":"0x0000000000000000000000000000000000000007"}`), ErrInvalidArgs},
		{"unknown field", admin(1), []byte(`{"address":"0x0000000000000000000000000000000000000007","roles":[],"org":"o2"}`), ErrInvalidArgs},
		{"field in another case", admin(1), []byte(`{"Address":"0x0000000000000000000000000000000000000007","roles":[]}`), ErrInvalidArgs},
		{"field twice", admin(1), []byte(`{"address":"0x0000000000000000000000000000000000000007","roles":[],"roles":["x"]}`), ErrInvalidArgs},
		{"trailing data", admin(1), []byte(`{"address":"0x0000000000000000000000000000000000000007","roles":[]} {}`), ErrInvalidArgs},
		{"not an object", admin(1), []byte(`["0x0000000000000000000000000000000000000007"]`), ErrInvalidArgs},
		{"null", admin(1), []byte(`null`), ErrInvalidArgs},
		{"empty", admin(1), []byte(``), ErrInvalidArgs},
		{"bad address", admin(1), []byte(`{"address":"0x07","roles":[]}`), ErrInvalidArgs},
		{"roles not strings", admin(1), []byte(`{"address":"0x0000000000000000000000000000000000000007","roles":[1]}`), ErrInvalidArgs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNet(t, orgsSpec(2, nil))
			n.fails(tt.caller, MethodAddMember, tt.args, tt.want)
		})
	}
}

func manyRoles(k int) []string {
	var rs []string
	for i := range k {
		rs = append(rs, "r"+string(rune('a'+i)))
	}
	return rs
}

func TestSetRoles(t *testing.T) {
	n := newNet(t, orgsSpec(2, nil))
	out := n.ok(admin(1), MethodSetRoles, MemberArgs{Address: plain(1), Roles: []string{"owner", RoleAdmin}})
	if m := n.member(plain(1)); !slices.Equal(m.Roles, []string{RoleAdmin, "owner"}) {
		t.Fatalf("roles %v", m.Roles)
	}
	if names := eventNames(out); !slices.Equal(names, []string{EventRolesChanged}) {
		t.Fatalf("events %v", names)
	}
	var ch RolesChange
	if err := json.Unmarshal(out.Events[0].Data, &ch); err != nil || !slices.Equal(ch.Previous, []string{"servicer"}) || ch.Org != "o1" {
		t.Fatalf("event data %s (%v)", out.Events[0].Data, err)
	}
	if o := n.org("o1"); !slices.Equal(o.Admins, []common.Address{admin(1), plain(1)}) {
		t.Fatalf("admins %v", o.Admins)
	}
	// Now there are two admins, the first may drop its own admin role.
	n.ok(admin(1), MethodSetRoles, MemberArgs{Address: admin(1), Roles: []string{RoleDeployer}})
	if o := n.org("o1"); !slices.Equal(o.Admins, []common.Address{plain(1)}) {
		t.Fatalf("admins %v", o.Admins)
	}
	checkInvariants(t, n.st)
}

func TestSetRolesKeepsAuditor(t *testing.T) {
	g := orgsSpec(1, nil)
	g.Orgs[0].Members[1].Roles = []string{RoleAuditor, "servicer"}
	n := newNet(t, g)
	// The list must keep the network role the member holds...
	n.ok(admin(1), MethodSetRoles, MemberArgs{Address: plain(1), Roles: []string{RoleAuditor, "owner"}})
	// ...and may neither drop it nor give it to someone else.
	n.fails(admin(1), MethodSetRoles, MemberArgs{Address: plain(1), Roles: []string{"owner"}}, ErrForbidden)
	n.fails(admin(1), MethodSetRoles, MemberArgs{Address: admin(1), Roles: []string{RoleAdmin, RoleAuditor}}, ErrForbidden)
}

func TestSetRolesErrors(t *testing.T) {
	tests := []struct {
		name   string
		caller common.Address
		args   any
		want   error
	}{
		{"non-member caller", addr(9), MemberArgs{Address: plain(1), Roles: []string{}}, ErrForbidden},
		{"caller not an admin", plain(1), MemberArgs{Address: plain(1), Roles: []string{RoleAdmin}}, ErrForbidden},
		{"member of another org", admin(1), MemberArgs{Address: plain(2), Roles: []string{}}, ErrForbidden},
		{"not a member", admin(1), MemberArgs{Address: addr(7), Roles: []string{}}, ErrNotFound},
		{"demote the last admin", admin(1), MemberArgs{Address: admin(1), Roles: []string{RoleDeployer}}, ErrConflict},
		{"grant auditor", admin(1), MemberArgs{Address: plain(1), Roles: []string{RoleAuditor}}, ErrForbidden},
		{"zero address", admin(1), MemberArgs{Roles: []string{}}, ErrInvalidArgs},
		{"bad role", admin(1), MemberArgs{Address: plain(1), Roles: []string{"-x"}}, ErrInvalidArgs},
		{"roles missing", admin(1), []byte(`{"address":"0x0000000000000000000000000000000000000065"}`), ErrInvalidArgs},
		{"not JSON", admin(1), []byte(`{"address":`), ErrInvalidArgs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNet(t, orgsSpec(2, nil))
			n.fails(tt.caller, MethodSetRoles, tt.args, tt.want)
		})
	}
}

func TestRemoveMember(t *testing.T) {
	n := newNet(t, orgsSpec(2, nil))
	out := n.ok(admin(1), MethodRemoveMember, AddressArgs{Address: plain(1)})
	if _, err := LookupMember(n.st, plain(1)); Code(err) != "not_found" {
		t.Fatalf("removed member still there: %v", err)
	}
	if names := eventNames(out); !slices.Equal(names, []string{EventMemberRemoved}) {
		t.Fatalf("events %v", names)
	}
	// A second admin may be removed, then the address may join another org.
	n.ok(admin(1), MethodAddMember, MemberArgs{Address: addr(7), Roles: []string{RoleAdmin}})
	n.ok(addr(7), MethodRemoveMember, AddressArgs{Address: admin(1)})
	if o := n.org("o1"); !slices.Equal(o.Admins, []common.Address{addr(7)}) {
		t.Fatalf("admins %v", o.Admins)
	}
	n.ok(admin(2), MethodAddMember, MemberArgs{Address: admin(1), Roles: []string{}})
	if m := n.member(admin(1)); m.Org != "o2" {
		t.Fatalf("rejoined %+v", m)
	}
	checkInvariants(t, n.st)
}

func TestRemoveMemberErrors(t *testing.T) {
	tests := []struct {
		name   string
		caller common.Address
		args   any
		want   error
	}{
		{"non-member caller", addr(9), AddressArgs{Address: plain(1)}, ErrForbidden},
		{"caller not an admin", plain(1), AddressArgs{Address: plain(1)}, ErrForbidden},
		{"member of another org", admin(1), AddressArgs{Address: plain(2)}, ErrForbidden},
		{"not a member", admin(1), AddressArgs{Address: addr(7)}, ErrNotFound},
		{"the last admin", admin(1), AddressArgs{Address: admin(1)}, ErrConflict},
		{"zero address", admin(1), AddressArgs{}, ErrInvalidArgs},
		{"extra field", admin(1), []byte(`{"address":"0x0000000000000000000000000000000000000065","roles":[]}`), ErrInvalidArgs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNet(t, orgsSpec(2, nil))
			n.fails(tt.caller, MethodRemoveMember, tt.args, tt.want)
		})
	}
}

func TestUnknownMethod(t *testing.T) {
	n := newNet(t, orgsSpec(1, nil))
	for _, m := range []string{"", "AddMember", "deploy", "mesh.canRead"} {
		n.fails(admin(1), m, []byte(`{}`), ErrUnknownMethod)
	}
}

func TestOrgMembersAndLookups(t *testing.T) {
	n := newNet(t, orgsSpec(2, nil))
	ms, err := OrgMembers(n.st, "o2")
	if err != nil || len(ms) != 2 || ms[0].Address != admin(2) || ms[1].Address != plain(2) {
		t.Fatalf("OrgMembers(o2) = %v, %v", ms, err)
	}
	if _, err := OrgMembers(n.st, "nope"); Code(err) != "not_found" {
		t.Fatalf("OrgMembers of a missing org: %v", err)
	}
	if _, err := LookupOrg(n.st, "nope"); Code(err) != "not_found" {
		t.Fatalf("LookupOrg: %v", err)
	}
	if _, err := LookupMember(n.st, addr(9)); Code(err) != "not_found" {
		t.Fatalf("LookupMember: %v", err)
	}
	if _, err := LookupPolicy(NewMemStore()); Code(err) != "not_found" {
		t.Fatalf("LookupPolicy of an empty store: %v", err)
	}
	if _, err := LookupProposal(n.st, 1, t0); Code(err) != "not_found" {
		t.Fatalf("LookupProposal: %v", err)
	}
	orgs, err := Orgs(n.st)
	if err != nil || len(orgs) != 2 || orgs[0].ID != "o1" || orgs[1].ID != "o2" {
		t.Fatalf("Orgs = %v, %v", orgs, err)
	}
}
