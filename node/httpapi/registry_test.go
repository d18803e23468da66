package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// propose sends a setPolicy proposal from a (an admin) and commits it.
// With the test genesis's single organisation it executes at once.
func propose(t *testing.T, n *testNode, a *nodetest.Account, ttlMs int64) {
	t.Helper()
	p := registry.DefaultPolicy()
	p.DeployPolicy = registry.DeployOpen
	p.ProposalTTLMs = ttlMs
	args := map[string]any{"kind": registry.KindSetPolicy, "params": registry.SetPolicyParams{Policy: p}}
	x := a.Call(t, n.ChainID(), registry.Address, "propose", args)
	if r := n.Do(http.MethodPost, api.PathTxs, encode(t, x)); r.Status != http.StatusAccepted {
		t.Fatalf("propose: %d %s", r.Status, r.Body)
	}
	n.Produce()
	var got api.Tx
	n.Do(http.MethodGet, api.PathTxs+"/"+x.Hash().Hex(), nil).JSON(t, &got)
	if got.Receipt == nil || got.Receipt.Status != "ok" {
		t.Fatalf("propose receipt: %+v", got.Receipt)
	}
}

func TestRegistryEndpoints(t *testing.T) {
	n := open(t, nil)
	admin := nodetest.AccountOf(n.Key())
	height := n.Ledger().Latest().Header.Height

	var orgs api.Orgs
	r := n.Do(http.MethodGet, api.PathOrgs, nil)
	r.JSON(t, &orgs)
	if r.Status != 200 || orgs.Height != height || len(orgs.Orgs) != 1 || orgs.Orgs[0].ID != block.DevOrgID || len(orgs.Orgs[0].Admins) != devMembers+1 {
		t.Fatalf("orgs: %d %.300s", r.Status, r.Body)
	}

	var org api.OrgDetail
	r = n.Do(http.MethodGet, api.PathOrgs+"/"+block.DevOrgID, nil)
	r.JSON(t, &org)
	if r.Status != 200 || org.Org.ID != block.DevOrgID || len(org.Members) != devMembers+1 {
		t.Fatalf("org: %d %.300s", r.Status, r.Body)
	}
	for i := 1; i < len(org.Members); i++ {
		if strings.ToLower(org.Members[i-1].Address.Hex()) >= strings.ToLower(org.Members[i].Address.Hex()) {
			t.Fatalf("members not in address order: %s then %s", org.Members[i-1].Address, org.Members[i].Address)
		}
	}

	var m api.MemberDetail
	r = n.Do(http.MethodGet, api.PathMembers+admin.Addr.Hex(), nil)
	r.JSON(t, &m)
	if r.Status != 200 || m.Member.Org != block.DevOrgID || m.Member.Address != admin.Addr || len(m.Member.Roles) != 3 {
		t.Fatalf("member: %d %s", r.Status, r.Body)
	}

	var pol api.PolicyDetail
	r = n.Do(http.MethodGet, api.PathPolicy, nil)
	r.JSON(t, &pol)
	if r.Status != 200 || pol.Policy.DeployPolicy != registry.DeployOpen || pol.Policy.AllowNonMembers || pol.Height != height {
		t.Fatalf("policy: %d %s", r.Status, r.Body)
	}

	// Every record has a proof: the policy key of the registry contract.
	var st api.State
	r = n.Do(http.MethodGet, api.StatePath(registry.Address.Hex(), registry.KeyPolicy), nil)
	r.JSON(t, &st)
	var proven api.Policy
	if r.Status != 200 || !st.Exists || json.Unmarshal(st.Value, &proven) != nil || proven != pol.Policy {
		t.Fatalf("policy state: %d %s", r.Status, r.Body)
	}

	// Three proposals, each executed in its own transaction.
	for i := range 3 {
		propose(t, n, admin, int64(3600_000*(i+1)))
	}
	var all api.Proposals
	r = n.Do(http.MethodGet, api.PathProposals, nil)
	r.JSON(t, &all)
	if r.Status != 200 || len(all.Proposals) != 3 || all.NextCursor != "" {
		t.Fatalf("proposals: %d %s", r.Status, r.Body)
	}
	for _, p := range all.Proposals {
		if p.Status != registry.StatusExecuted || p.Kind != registry.KindSetPolicy || p.Proposer != admin.Addr || len(p.Approvals) != 1 {
			t.Fatalf("proposal %+v", p)
		}
	}
	// Paged one by one, they are the same three in the same order.
	var paged []uint64
	cursor := ""
	for range 4 {
		path := api.PathProposals + "?limit=1"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		var page api.Proposals
		n.Do(http.MethodGet, path, nil).JSON(t, &page)
		for _, p := range page.Proposals {
			paged = append(paged, p.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(paged) != 3 || paged[0] != all.Proposals[0].ID || paged[2] != all.Proposals[2].ID {
		t.Fatalf("paged ids %v, all %+v", paged, all.Proposals)
	}
	var open, executed api.Proposals
	n.Do(http.MethodGet, api.PathProposals+"?status=open", nil).JSON(t, &open)
	n.Do(http.MethodGet, api.PathProposals+"?status=executed", nil).JSON(t, &executed)
	if len(open.Proposals) != 0 || len(executed.Proposals) != 3 {
		t.Fatalf("open %d, executed %d", len(open.Proposals), len(executed.Proposals))
	}
	var one api.ProposalDetail
	last := all.Proposals[2]
	r = n.Do(http.MethodGet, api.PathProposals+"/"+itoa(last.ID), nil)
	r.JSON(t, &one)
	if r.Status != 200 || one.Proposal.ID != last.ID || one.Proposal.DecidedHeight == 0 {
		t.Fatalf("proposal: %d %s", r.Status, r.Body)
	}
	n.Do(http.MethodGet, api.PathPolicy, nil).JSON(t, &pol)
	if pol.Policy.ProposalTTLMs != 3*3600_000 {
		t.Fatalf("policy after proposals: %+v", pol.Policy)
	}
}

func itoa(v uint64) string { b, _ := json.Marshal(v); return string(b) }

func TestRegistryEndpointsBadInput(t *testing.T) {
	n := open(t, nil)
	stranger := crypto.PubkeyToAddress(nodetest.NewAccount(t).Key.PublicKey)
	tests := []struct {
		path   string
		status int
		code   api.Code
	}{
		{api.PathOrgs + "/nope", 404, api.CodeNotFound},
		{api.PathOrgs + "/a%2Fb", 400, api.CodeBadRequest},
		{api.PathOrgs + "/" + strings.Repeat("x", 65), 400, api.CodeBadRequest},
		{api.PathOrgs + "/a%20b", 400, api.CodeBadRequest},
		{api.PathMembers + "0x12", 400, api.CodeBadRequest},
		{api.PathMembers + "nothex", 400, api.CodeBadRequest},
		{api.PathMembers + stranger.Hex(), 404, api.CodeNotFound},
		{api.PathProposals + "?status=pending", 400, api.CodeBadRequest},
		{api.PathProposals + "?limit=0", 400, api.CodeBadLimit},
		{api.PathProposals + "?limit=-3", 400, api.CodeBadLimit},
		{api.PathProposals + "?limit=many", 400, api.CodeBadLimit},
		{api.PathProposals + "?cursor=x", 400, api.CodeBadCursor},
		{api.PathProposals + "?cursor=01", 400, api.CodeBadCursor},
		{api.PathProposals + "?cursor=-1", 400, api.CodeBadCursor},
		{api.PathProposals + "/abc", 400, api.CodeBadRequest},
		{api.PathProposals + "/-1", 400, api.CodeBadRequest},
		{api.PathProposals + "/999", 404, api.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			wantError(t, n.Do(http.MethodGet, tt.path, nil), tt.status, tt.code)
		})
	}
	// A limit above the maximum is served, capped.
	if r := n.Do(http.MethodGet, api.PathProposals+"?limit=100000", nil); r.Status != 200 {
		t.Fatalf("large limit: %d %s", r.Status, r.Body)
	}
}
