package registry

import (
	"strings"
	"testing"
)

// TestInvalidArgsMessages: a refused argument says precisely what is
// wrong with it.
func TestInvalidArgsMessages(t *testing.T) {
	tests := []struct {
		method string
		args   string
		want   string
	}{
		{MethodAddMember, `{"address":"0x0000000000000000000000000000000000000007","roles":[],"org":"x"}`, `arguments: unknown field "org" (want address, roles)`},
		{MethodAddMember, `{"address":"0x0000000000000000000000000000000000000007"}`, `arguments: field "roles" is required`},
		{MethodAddMember, `{"address":"0x0000000000000000000000000000000000000007","roles":[]}x`, `trailing data after the arguments`},
		{MethodAddMember, `{"address":"0x0000000000000000000000000000000000000007","roles":["a","a"]}`, `role "a" listed twice`},
		{MethodAddMember, `{"address":"0x0000000000000000000000000000000000000000","roles":[]}`, `address is required (the zero address is not allowed)`},
		{MethodAddMember, `{"address":"0x0000000000000000000000000000000000000007","roles":["Servicer"]}`, `role "Servicer"`},
		{MethodAddMember, "{\"address\":\"0x0000000000000000000000000000000000000007\",\"roles\":[\"\xc3\"]}", `arguments are not valid UTF-8`},
		{MethodApprove, `{"id":1,"id":2}`, `arguments: field "id" given twice`},
		{MethodApprove, `{"id":0}`, `proposal ids start at 1`},
		{MethodPropose, `{"kind":"addOrg","params":[]}`, `addOrg params must be a JSON object`},
		{MethodPropose, `{"kind":"addOrg","params":{"id":"x","name":"X"}}`, `addOrg params: field "admins" is required`},
		{MethodPropose, `{"kind":"setPolicy","params":{"policy":{"threshold":0}}}`, `setPolicy policy: field "deployPolicy" is required`},
		{MethodPropose, `{"kind":"setPolicy","params":{"policy":{"threshold":0,"deployPolicy":"x","proposalTtlMs":60000,"allowNonMembers":false}}}`, `deployPolicy "x": want "approval" or "open"`},
		{MethodPropose, `{"kind":"grantRole","params":{"address":"0x0000000000000000000000000000000000000065","role":"admin"}}`, `only the network role "auditor"`},
		{MethodPropose, `{"kind":"deploy","params":{}}`, `deploy proposals are made by sending the deploy transaction`},
		{MethodPropose, `{"kind":"vote","params":{}}`, `kind "vote": want one of`},
	}
	for _, tt := range tests {
		n := newNet(t, orgsSpec(2, nil))
		err := n.fails(admin(1), tt.method, []byte(tt.args), ErrInvalidArgs)
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %s: %q, want it to say %q", tt.method, tt.args, err, tt.want)
		}
	}
}
