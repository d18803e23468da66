package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/api"
)

func TestRegistryOpsSign(t *testing.T) {
	k, _ := GenerateKey()
	who := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	tests := []struct {
		name   string
		op     Op
		method string
		args   string
	}{
		{"addMember", AddMemberOp(who, "servicer", "owner"), "addMember",
			`{"address":"0x00000000000000000000000000000000000000aa","roles":["servicer","owner"]}`},
		{"addMember without roles sends []", AddMemberOp(who), "addMember",
			`{"address":"0x00000000000000000000000000000000000000aa","roles":[]}`},
		{"setRoles", SetRolesOp(who, "deployer"), "setRoles",
			`{"address":"0x00000000000000000000000000000000000000aa","roles":["deployer"]}`},
		{"removeMember", RemoveMemberOp(who), "removeMember",
			`{"address":"0x00000000000000000000000000000000000000aa"}`},
		{"approve", ApproveOp(3), "approve", `{"id":3}`},
		{"reject", RejectOp(4), "reject", `{"id":4}`},
		{"addOrg", AddOrgOp(registry.AddOrgParams{ID: "bank", Name: "Bank", Admins: []common.Address{who}}), "propose",
			`{"kind":"addOrg","params":{"id":"bank","name":"Bank","admins":["0x00000000000000000000000000000000000000aa"],"nodes":null}}`},
		{"removeOrg", RemoveOrgOp("bank"), "propose", `{"kind":"removeOrg","params":{"id":"bank"}}`},
		{"setPolicy", SetPolicyOp(registry.Policy{Threshold: 2, DeployPolicy: "approval", ProposalTTLMs: 1000}), "propose",
			`{"kind":"setPolicy","params":{"policy":{"threshold":2,"deployPolicy":"approval","proposalTtlMs":1000,"allowNonMembers":false}}}`},
		{"grantRole", GrantRoleOp(who, "auditor"), "propose",
			`{"kind":"grantRole","params":{"address":"0x00000000000000000000000000000000000000aa","role":"auditor"}}`},
		{"revokeRole", RevokeRoleOp(who, "auditor"), "propose",
			`{"kind":"revokeRole","params":{"address":"0x00000000000000000000000000000000000000aa","role":"auditor"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signed, err := tt.op.Sign(k, 7, 5, 1_000_000)
			if err != nil {
				t.Fatal(err)
			}
			call, ok := signed.Message().(*tx.Call)
			if !ok {
				t.Fatalf("message %T, want a call", signed.Message())
			}
			if call.Contract != registry.Address || call.Method != tt.method || call.From != k.Address() || call.Nonce != 5 {
				t.Fatalf("call %+v: want %s on the registry from %s at nonce 5", call, tt.method, k.Address().Hex())
			}
			if string(call.Args) != tt.args {
				t.Fatalf("args\n got %s\nwant %s", call.Args, tt.args)
			}
			if from, err := signed.Verify(7); err != nil || from != k.Address() {
				t.Fatalf("signature recovers %s, %v", from.Hex(), err)
			}
		})
	}
}

func TestProposeOpBadParams(t *testing.T) {
	k, _ := GenerateKey()
	if _, err := ProposeOp("addOrg", make(chan int)).Sign(k, 7, 0, 1); err == nil {
		t.Fatal("params that do not encode signed anyway")
	}
}

func TestUpgradeOpSigns(t *testing.T) {
	k, _ := GenerateKey()
	contract := common.HexToAddress("0x00000000000000000000000000000000000000cc")
	code := []byte("\x00asm\x01\x00\x00\x00")
	signed, err := UpgradeOp(contract, code, map[string]int{"version": 2}).Sign(k, 7, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	u, ok := signed.Message().(*tx.Upgrade)
	if !ok {
		t.Fatalf("message %T, want an upgrade", signed.Message())
	}
	if u.Contract != contract || u.CodeHash != crypto.Keccak256Hash(code) || string(u.MigrateArgs) != `{"version":2}` {
		t.Fatalf("upgrade %+v", u)
	}
	if u.GasLimit != DefaultDeployGasLimit {
		t.Fatalf("gas limit %d, want the deploy default %d (the new code is validated and compiled)", u.GasLimit, DefaultDeployGasLimit)
	}
	if string(signed.Code()) != string(code) {
		t.Fatal("the code does not travel with the upgrade")
	}
	if _, err := UpgradeOp(contract, code, json.RawMessage("{bad")).Sign(k, 7, 1, 0); err == nil {
		t.Fatal("invalid migrate args signed anyway")
	}
}

func TestProposalOf(t *testing.T) {
	addr := common.HexToAddress("0x00000000000000000000000000000000000000dd")
	rec := func(status string, ret string, contract *common.Address) *api.Tx {
		return &api.Tx{Receipt: &api.Receipt{Status: "ok", Return: []byte(ret), ContractAddress: contract}}
	}
	failed := rec("ok", `{"proposal":1}`, nil)
	failed.Receipt.Status = "forbidden"
	tests := []struct {
		name   string
		rec    *api.Tx
		want   uint64
		wantOK bool
		addr   *common.Address
	}{
		{"deploy under approval", rec("ok", `{"proposal":4,"address":"0x00000000000000000000000000000000000000dd"}`, nil), 4, true, &addr},
		{"propose returns the proposal", rec("ok", `{"id":9,"kind":"addOrg","status":"executed"}`, nil), 9, true, nil},
		{"deploy approved in its own transaction", rec("ok", `{"proposal":4,"address":"0x00000000000000000000000000000000000000dd"}`, &addr), 4, true, &addr},
		{"open deploy whose init returns a proposal field", rec("ok", `{"proposal":4}`, &addr), 0, false, nil},
		{"open deploy whose init names another address", rec("ok", `{"proposal":4,"address":"0x00000000000000000000000000000000000000ee"}`, &addr), 0, false, nil},
		{"open deploy whose init returns a record", rec("ok", `{"id":9,"kind":"addOrg"}`, &addr), 0, false, nil},
		{"a contract's own id", rec("ok", `{"id":"L1"}`, nil), 0, false, nil},
		{"a number without a kind", rec("ok", `{"id":3}`, nil), 0, false, nil},
		{"not JSON", rec("ok", `zz`, nil), 0, false, nil},
		{"failed receipt", failed, 0, false, nil},
		{"pending", &api.Tx{}, 0, false, nil},
		{"nil", nil, 0, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ProposalOf(tt.rec)
			if ok != tt.wantOK || got.Proposal != tt.want {
				t.Fatalf("ProposalOf = %+v, %v; want %d, %v", got, ok, tt.want, tt.wantOK)
			}
			if (got.Address == nil) != (tt.addr == nil) || got.Address != nil && *got.Address != *tt.addr {
				t.Fatalf("address %v, want %v", got.Address, tt.addr)
			}
		})
	}
}

// TestRegistryReads checks the routes and queries the reads ask for and
// that they decode the node's answers (pages of proposals included).
func TestRegistryReads(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	answers := map[string]string{
		"/v1/orgs":        `{"height":3,"orgs":[{"id":"dev","name":"Development"}]}`,
		"/v1/orgs/a b":    `{"height":3,"org":{"id":"a b"},"members":[{"address":"0x00000000000000000000000000000000000000aa","org":"a b","roles":["admin"]}]}`,
		"/v1/policy":      `{"height":3,"policy":{"threshold":0,"deployPolicy":"open","proposalTtlMs":5}}`,
		"/v1/proposals/2": `{"height":3,"proposal":{"id":2,"kind":"addOrg","status":"open"}}`,
		"/v1/members/":    `{"height":3,"member":{"address":"0x00000000000000000000000000000000000000aa","org":"dev","roles":["servicer"]}}`,
	}
	hs := loopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		if r.URL.Path == api.PathProposals {
			q := r.URL.Query()
			if q.Get(api.ParamCursor) == "" {
				w.Write([]byte(`{"height":3,"proposals":[{"id":1},{"id":2}],"nextCursor":"c2"}`))
			} else {
				w.Write([]byte(`{"height":3,"proposals":[{"id":3}]}`))
			}
			return
		}
		for p, body := range answers {
			if r.URL.Path == p || (p[len(p)-1] == '/' && len(r.URL.Path) > len(p) && r.URL.Path[:len(p)] == p) {
				w.Write([]byte(body))
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":{"code":"not_found","message":"no such thing"}}`))
	}))
	c, _ := New(hs.URL)
	ctx := context.Background()
	orgs, err := c.Orgs(ctx)
	if err != nil || len(orgs.Orgs) != 1 || orgs.Orgs[0].ID != "dev" || orgs.Height != 3 {
		t.Fatalf("Orgs = %+v, %v", orgs, err)
	}
	org, err := c.Org(ctx, "a b")
	if err != nil || org.Org.ID != "a b" || len(org.Members) != 1 || org.Members[0].Roles[0] != "admin" {
		t.Fatalf("Org = %+v, %v", org, err)
	}
	who := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	m, err := c.Member(ctx, who)
	if err != nil || m.Member.Address != who || m.Member.Org != "dev" {
		t.Fatalf("Member = %+v, %v", m, err)
	}
	pol, err := c.Policy(ctx)
	if err != nil || pol.Policy.DeployPolicy != "open" || pol.Policy.ProposalTTLMs != 5 {
		t.Fatalf("Policy = %+v, %v", pol, err)
	}
	p, err := c.Proposal(ctx, 2)
	if err != nil || p.Proposal.ID != 2 || p.Proposal.Status != "open" {
		t.Fatalf("Proposal = %+v, %v", p, err)
	}
	var ids []uint64
	for p, err := range c.Proposals(ctx, "open", PageSize(2)) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	if len(ids) != 3 || ids[0] != 1 || ids[2] != 3 {
		t.Fatalf("Proposals ids %v, want 1 2 3 over two pages", ids)
	}
	if _, err := c.Proposal(ctx, 99); !IsNotFound(err) {
		t.Fatalf("unknown proposal: %v, want 404", err)
	}
	mu.Lock()
	defer mu.Unlock()
	asked = asked[:len(asked)-1] // the 404
	want := []string{
		"/v1/orgs?", "/v1/orgs/a b?", "/v1/members/" + who.Hex() + "?", "/v1/policy?", "/v1/proposals/2?",
		"/v1/proposals?" + url.Values{"limit": {"2"}, "status": {"open"}}.Encode(),
		"/v1/proposals?" + url.Values{"cursor": {"c2"}, "limit": {"2"}, "status": {"open"}}.Encode(),
	}
	if len(asked) != len(want) {
		t.Fatalf("asked %q\nwant %q", asked, want)
	}
	for i := range want {
		if asked[i] != want[i] {
			t.Errorf("request %d: %q, want %q", i, asked[i], want[i])
		}
	}
}

// FuzzProposalOf: any receipt return value decodes without panicking, and
// only a successful receipt without a new contract ever names a proposal.
func FuzzProposalOf(f *testing.F) {
	for _, s := range []string{`{"proposal":4,"address":"0x00000000000000000000000000000000000000dd"}`,
		`{"id":9,"kind":"addOrg"}`, `{"id":"L1"}`, `[]`, `null`, `{"proposal":-1}`, `{"proposal":1e3}`} {
		f.Add([]byte(s), true, false)
	}
	f.Add([]byte(`{"proposal":2,"address":"0xdd00000000000000000000000000000000000000"}`), true, true)
	f.Fuzz(func(t *testing.T, ret []byte, ok, withContract bool) {
		rec := &api.Tx{Receipt: &api.Receipt{Status: "ok", Return: ret}}
		if !ok {
			rec.Receipt.Status = "error"
		}
		if withContract {
			rec.Receipt.ContractAddress = &common.Address{0xdd}
		}
		res, named := ProposalOf(rec)
		if named && !ok {
			t.Fatalf("ProposalOf named proposal %d for a failed receipt", res.Proposal)
		}
		if named && withContract && (res.Address == nil || *res.Address != *rec.Receipt.ContractAddress) {
			t.Fatalf("ProposalOf named proposal %d of a deploy that created another contract", res.Proposal)
		}
		if !named && res != (ProposalResult{}) {
			t.Fatalf("no proposal, but a result %+v", res)
		}
	})
}
