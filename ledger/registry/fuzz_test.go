package registry

import (
	"encoding/json"
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

// FuzzDecodeStrict: whatever decodeStrict accepts, encoding/json decodes
// to the same value, and the value re-encodes to arguments it accepts
// again (the strict reading never disagrees with the ordinary one).
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{
		`{"address":"0x0000000000000000000000000000000000000007","roles":["a"]}`,
		`{"roles":[],"address":"0x0000000000000000000000000000000000000007"}`,
		`{"ADDRESS":"0x0000000000000000000000000000000000000007","roles":[]}`,
		`{"address":"0x0000000000000000000000000000000000000007","roles":[],"roles":[]}`,
		`{"address":"0x0000000000000000000000000000000000000007","roles":null} `,
		`{"addr\u0065ss":"0x0000000000000000000000000000000000000007","roles":[]}`,
		`[]`, `null`, `{`, `{}{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var strict MemberArgs
		if err := decodeStrict("arguments", data, &strict, "address", "roles"); err != nil {
			if Code(err) != "invalid_args" {
				t.Fatalf("refusal without invalid_args: %v", err)
			}
			return
		}
		var loose MemberArgs
		if err := json.Unmarshal(data, &loose); err != nil {
			t.Fatalf("strict accepted what encoding/json refuses: %v", err)
		}
		if string(mustJSON(strict)) != string(mustJSON(loose)) {
			t.Fatalf("strict %s, loose %s", mustJSON(strict), mustJSON(loose))
		}
		var again MemberArgs
		if err := decodeStrict("arguments", mustJSON(strict), &again, "address", "roles"); err != nil {
			t.Fatalf("re-encoded arguments refused: %v", err)
		}
	})
}
