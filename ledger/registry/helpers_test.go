package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// addr returns a distinct test address: 0x00..00<n>.
func addr(n int) common.Address { return common.BigToAddress(bigInt(n)) }

// addr2 is addr(n) as a one-address list.
func addr2(n int) []common.Address { return []common.Address{addr(n)} }

func bigInt(n int) *big.Int { return big.NewInt(int64(n)) }

// net is a registry under test with a block clock.
type net struct {
	t      testing.TB
	st     *MemStore
	height uint64
	timeMs int64
}

const t0 = int64(1_700_000_000_000)

func newNet(t testing.TB, g GenesisSpec) *net {
	t.Helper()
	st := NewMemStore()
	if err := Genesis(st, g); err != nil {
		t.Fatalf("Genesis: %v", err)
	}
	return &net{t: t, st: st, height: 1, timeMs: t0}
}

// orgsSpec is a genesis of n organisations o1..on whose admins are
// addr(100*i), each with a plain member addr(100*i+1).
func orgsSpec(n int, policy *Policy) GenesisSpec {
	g := GenesisSpec{Policy: policy}
	for i := 1; i <= n; i++ {
		g.Orgs = append(g.Orgs, GenesisOrg{
			ID:   fmt.Sprintf("o%d", i),
			Name: fmt.Sprintf("Org %d", i),
			Members: []GenesisMember{
				{Address: admin(i), Roles: []string{RoleAdmin, RoleDeployer}},
				{Address: plain(i), Roles: []string{"servicer"}},
			},
		})
	}
	return g
}

func admin(i int) common.Address { return addr(100 * i) }
func plain(i int) common.Address { return addr(100*i + 1) }

func (n *net) env(caller common.Address) Env {
	return Env{Caller: caller, Height: n.height, TimeMs: n.timeMs, TxHash: common.BigToHash(bigInt(int(n.height)))}
}

// call runs a method like the ledger does: a failed call's writes are
// discarded (the store is restored from a copy).
func (n *net) call(caller common.Address, method string, args any) (*Outcome, error) {
	n.t.Helper()
	raw, ok := args.([]byte)
	if !ok {
		raw = mustJSON(args)
	}
	before := n.st.Clone()
	out, err := Execute(n.st, n.env(caller), method, raw)
	if err != nil {
		n.st = before
	}
	n.height++
	n.timeMs += 1000
	return out, err
}

func (n *net) ok(caller common.Address, method string, args any) *Outcome {
	n.t.Helper()
	out, err := n.call(caller, method, args)
	if err != nil {
		n.t.Fatalf("%s by %s: %v", method, caller.Hex(), err)
	}
	return out
}

// fails checks that a call fails with want and changes nothing.
func (n *net) fails(caller common.Address, method string, args any, want error) error {
	n.t.Helper()
	before := n.st.Dump()
	_, err := n.call(caller, method, args)
	if !errors.Is(err, want) {
		n.t.Fatalf("%s by %s: err %v, want %v", method, caller.Hex(), err, want)
	}
	if Code(err) != want.Error() {
		n.t.Fatalf("Code(%v) = %q, want %q", err, Code(err), want.Error())
	}
	if after := n.st.Dump(); after != before {
		n.t.Fatalf("%s failed but the store changed", method)
	}
	return err
}

func (n *net) proposal(ret []byte) *Proposal {
	n.t.Helper()
	var p Proposal
	if err := json.Unmarshal(ret, &p); err != nil {
		n.t.Fatalf("decode proposal %s: %v", ret, err)
	}
	return &p
}

func (n *net) member(a common.Address) *Member {
	n.t.Helper()
	m, err := LookupMember(n.st, a)
	if err != nil {
		n.t.Fatalf("LookupMember(%s): %v", a.Hex(), err)
	}
	return m
}

func (n *net) org(id string) *Org {
	n.t.Helper()
	o, err := LookupOrg(n.st, id)
	if err != nil {
		n.t.Fatalf("LookupOrg(%s): %v", id, err)
	}
	return o
}

func eventNames(out *Outcome) []string {
	var names []string
	for _, e := range out.Events {
		names = append(names, e.Name)
	}
	return names
}

// checkInvariants checks what every registry state must hold: each
// member's org exists and indexes it, each index entry has its member,
// each org's Admins are exactly its members with the admin role and are
// not empty, every member's roles are sorted and valid.
func checkInvariants(t testing.TB, st *MemStore) {
	t.Helper()
	orgs, err := Orgs(st)
	if err != nil {
		t.Fatalf("Orgs: %v", err)
	}
	if len(orgs) == 0 {
		t.Fatalf("no organisations")
	}
	total := 0
	for _, o := range orgs {
		ms, err := OrgMembers(st, o.ID)
		if err != nil {
			t.Fatalf("OrgMembers(%s): %v", o.ID, err)
		}
		total += len(ms)
		var admins []common.Address
		for _, m := range ms {
			if _, err := NormalizeRoles(m.Roles); err != nil {
				t.Fatalf("member %s roles %v: %v", m.Address.Hex(), m.Roles, err)
			}
			for i := 1; i < len(m.Roles); i++ {
				if m.Roles[i-1] >= m.Roles[i] {
					t.Fatalf("member %s roles not sorted: %v", m.Address.Hex(), m.Roles)
				}
			}
			if m.HasRole(RoleAdmin) {
				admins = append(admins, m.Address)
			}
		}
		if len(admins) == 0 || fmt.Sprint(admins) != fmt.Sprint(o.Admins) {
			t.Fatalf("org %s admins %v, members with admin %v", o.ID, o.Admins, admins)
		}
	}
	members := 0
	prefix := []byte(KeyMemberPrefix)
	_ = st.Iterate(prefix, prefix, func(k, v []byte) bool {
		members++
		return true
	})
	if members != total {
		t.Fatalf("%d member records, %d indexed", members, total)
	}
}
