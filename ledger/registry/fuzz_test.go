package registry

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// FuzzExecute runs arbitrary methods and arguments from arbitrary callers:
// Execute must never panic, every failure must carry a registry code, and
// the store must keep its invariants.
func FuzzExecute(f *testing.F) {
	seeds := []struct {
		caller byte
		method string
		args   string
	}{
		{100, MethodAddMember, `{"address":"0x0000000000000000000000000000000000000007","roles":["owner"]}`},
		{100, MethodSetRoles, `{"address":"0x0000000000000000000000000000000000000065","roles":["admin"]}`},
		{100, MethodRemoveMember, `{"address":"0x0000000000000000000000000000000000000065"}`},
		{100, MethodPropose, `{"kind":"addOrg","params":{"id":"n","name":"N","admins":["0x0000000000000000000000000000000000000009"]}}`},
		{100, MethodPropose, `{"kind":"removeOrg","params":{"id":"o2"}}`},
		{100, MethodPropose, `{"kind":"setPolicy","params":{"policy":{"threshold":1,"deployPolicy":"open","proposalTtlMs":60000,"allowNonMembers":true}}}`},
		{100, MethodPropose, `{"kind":"grantRole","params":{"address":"0x0000000000000000000000000000000000000065","role":"auditor"}}`},
		{100, MethodPropose, `{"kind":"setNodes","params":{"org":"o1","nodes":["0x0000000000000000000000000000000000000005"]}}`},
		{200, MethodApprove, `{"id":1}`},
		{200, MethodReject, `{"id":1}`},
		{1, "x", `{`},
	}
	for _, s := range seeds {
		f.Add(s.caller, s.method, []byte(s.args), s.caller, MethodApprove, []byte(`{"id":1}`))
	}
	f.Fuzz(func(t *testing.T, c1 byte, m1 string, a1 []byte, c2 byte, m2 string, a2 []byte) {
		n := newNet(t, orgsSpec(2, nil))
		for _, c := range []struct {
			caller byte
			method string
			args   []byte
		}{{c1, m1, a1}, {c2, m2, a2}} {
			_, err := n.call(common.BigToAddress(bigInt(int(c.caller))), c.method, c.args)
			if err != nil && Code(err) == "" {
				t.Fatalf("%s %q failed without a registry code: %v", c.method, c.args, err)
			}
			checkInvariants(t, n.st)
		}
	})
}
