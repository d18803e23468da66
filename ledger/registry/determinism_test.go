package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// script is a fixed sequence of registry calls touching every method and
// kind, including failures.
func script(n *net) []string {
	var log []string
	record := func(out *Outcome, err error) {
		if err != nil {
			log = append(log, "err "+err.Error())
			return
		}
		var evs bytes.Buffer
		for _, e := range out.Events {
			fmt.Fprintf(&evs, "%s%s;", e.Name, e.Data)
		}
		log = append(log, fmt.Sprintf("ok %s events %s effect %s", out.Return, evs.String(), mustJSON(out.Effect)))
	}
	record(n.call(admin(1), MethodAddMember, MemberArgs{Address: addr(7), Roles: []string{"z", "a", "m"}}))
	record(n.call(admin(2), MethodSetRoles, MemberArgs{Address: plain(2), Roles: []string{RoleAdmin, "owner"}}))
	record(n.call(admin(3), MethodRemoveMember, AddressArgs{Address: plain(3)}))
	record(n.call(admin(1), MethodPropose, addOrg("new", addr(9), addr(8))))
	record(n.call(admin(2), MethodApprove, vote(1)))
	record(n.call(admin(3), MethodApprove, vote(1)))
	record(n.call(admin(1), MethodPropose, propose(KindSetNodes, SetNodesParams{Org: "o3", Nodes: []common.Address{addr(33), addr(31), addr(32)}})))
	record(n.call(addr(9), MethodReject, vote(2)))
	record(n.call(admin(4), MethodApprove, vote(2)))
	record(n.call(admin(2), MethodApprove, vote(2)))
	record(n.call(admin(1), MethodPropose, propose(KindGrantRole, RoleParams{Address: addr(7), Role: RoleAuditor})))
	record(n.call(admin(2), MethodApprove, vote(3)))
	record(n.call(admin(4), MethodApprove, vote(3)))
	record(ProposeDeploy(n.st, n.env(admin(4)), deployParams(admin(4))))
	record(n.call(admin(1), MethodApprove, vote(4)))
	record(n.call(addr(8), MethodApprove, vote(4)))
	record(n.call(admin(1), MethodPropose, propose(KindRemoveOrg, RemoveOrgParams{ID: "o4"})))
	record(n.call(admin(2), MethodApprove, vote(5)))
	record(n.call(admin(3), MethodApprove, vote(5)))
	return log
}

// TestDeterminism: the same calls give byte-identical stores, returns and
// events on two runs, and the store's key order is the documented one.
func TestDeterminism(t *testing.T) {
	a, b := newNet(t, orgsSpec(4, nil)), newNet(t, orgsSpec(4, nil))
	la, lb := script(a), script(b)
	if fmt.Sprint(la) != fmt.Sprint(lb) {
		t.Fatalf("outcomes differ:\n%v\n%v", la, lb)
	}
	if a.st.Dump() != b.st.Dump() {
		t.Fatalf("stores differ:\n%s\n%s", a.st.Dump(), b.st.Dump())
	}
	checkInvariants(t, a.st)
	// Members listed by address, proposals by id (numeric, via padding).
	var keys []string
	_ = a.st.Iterate([]byte(KeyProposalPrefix), nil, func(k, _ []byte) bool {
		keys = append(keys, string(k))
		return true
	})
	for i, k := range keys {
		if want := string(ProposalKey(uint64(i + 1))); k != want {
			t.Fatalf("proposal key %d = %s, want %s", i, k, want)
		}
	}
	// Each record is the canonical encoding of its struct.
	for _, k := range a.st.Keys() {
		v, _, _ := a.st.Get([]byte(k))
		var re any
		switch {
		case bytes.HasPrefix([]byte(k), []byte(KeyOrgPrefix)):
			re = new(Org)
		case bytes.HasPrefix([]byte(k), []byte(KeyMemberPrefix)):
			re = new(Member)
		case bytes.HasPrefix([]byte(k), []byte(KeyProposalPrefix)):
			re = new(Proposal)
		default:
			continue
		}
		if err := json.Unmarshal(v, re); err != nil {
			t.Fatal(err)
		}
		if got := mustJSON(re); !bytes.Equal(got, v) {
			t.Fatalf("%s is not canonical:\n%s\n%s", k, v, got)
		}
	}
}

// TestArgumentSpellingDoesNotMatter: the same proposal given with fields
// and lists in different orders stores the same parameters.
func TestArgumentSpellingDoesNotMatter(t *testing.T) {
	a, b := newNet(t, orgsSpec(3, nil)), newNet(t, orgsSpec(3, nil))
	a.ok(admin(1), MethodPropose, []byte(`{"kind":"addOrg","params":{"id":"new","name":"N","admins":["0x0000000000000000000000000000000000000009","0x0000000000000000000000000000000000000008"]}}`))
	b.ok(admin(1), MethodPropose, []byte(` { "params" : { "admins" : ["0x0000000000000000000000000000000000000008", "0x0000000000000000000000000000000000000009"], "name":"N", "nodes": null, "id":"new"}, "kind":"addOrg" } `))
	if a.st.Dump() != b.st.Dump() {
		t.Fatalf("stores differ:\n%s\n%s", a.st.Dump(), b.st.Dump())
	}
}

// TestRandomOperations runs random calls from many callers and checks the
// store's invariants after each, and that two runs of the same seed agree.
func TestRandomOperations(t *testing.T) {
	for seed := range uint64(20) {
		a, b := newNet(t, orgsSpec(4, nil)), newNet(t, orgsSpec(4, nil))
		ra, rb := rand.New(rand.NewPCG(seed, 1)), rand.New(rand.NewPCG(seed, 1))
		for range 150 {
			ca, ma, aa := randomCall(ra)
			cb, mb, ab := randomCall(rb)
			oa, ea := a.call(ca, ma, aa)
			ob, eb := b.call(cb, mb, ab)
			if fmt.Sprint(ea) != fmt.Sprint(eb) || (ea == nil && !bytes.Equal(oa.Return, ob.Return)) {
				t.Fatalf("seed %d: runs differ: %v / %v", seed, ea, eb)
			}
			if ea != nil && Code(ea) == "" {
				t.Fatalf("seed %d: %s failed without a registry code: %v", seed, ma, ea)
			}
			checkInvariants(t, a.st)
		}
		if a.st.Dump() != b.st.Dump() {
			t.Fatalf("seed %d: stores differ", seed)
		}
	}
}

func randomCall(r *rand.Rand) (common.Address, string, []byte) {
	who := func() common.Address {
		switch r.IntN(3) {
		case 0:
			return admin(1 + r.IntN(5))
		case 1:
			return plain(1 + r.IntN(5))
		}
		return addr(1 + r.IntN(12))
	}
	roles := func() []string {
		pool := []string{RoleAdmin, RoleDeployer, "owner", "servicer"}
		var out []string
		for _, x := range pool {
			if r.IntN(2) == 0 {
				out = append(out, x)
			}
		}
		if r.IntN(20) == 0 {
			out = append(out, RoleAuditor)
		}
		return out
	}
	caller := who()
	switch r.IntN(7) {
	case 0:
		return caller, MethodAddMember, mustJSON(MemberArgs{Address: who(), Roles: nonNil(roles())})
	case 1:
		return caller, MethodSetRoles, mustJSON(MemberArgs{Address: who(), Roles: nonNil(roles())})
	case 2:
		return caller, MethodRemoveMember, mustJSON(AddressArgs{Address: who()})
	case 3:
		var p any
		var kind string
		switch r.IntN(5) {
		case 0:
			kind, p = KindAddOrg, AddOrgParams{ID: fmt.Sprintf("o%d", 1+r.IntN(6)), Name: "x", Admins: []common.Address{who()}}
		case 1:
			kind, p = KindRemoveOrg, RemoveOrgParams{ID: fmt.Sprintf("o%d", 1+r.IntN(6))}
		case 2:
			pol := DefaultPolicy()
			pol.Threshold = uint32(r.IntN(5))
			kind, p = KindSetPolicy, SetPolicyParams{Policy: pol}
		case 3:
			kind, p = KindGrantRole, RoleParams{Address: who(), Role: RoleAuditor}
		default:
			kind, p = KindRevokeRole, RoleParams{Address: who(), Role: RoleAuditor}
		}
		return caller, MethodPropose, mustJSON(propose(kind, p))
	case 4, 5:
		return caller, MethodApprove, mustJSON(vote(uint64(1 + r.IntN(8))))
	}
	return caller, MethodReject, mustJSON(vote(uint64(1 + r.IntN(8))))
}
