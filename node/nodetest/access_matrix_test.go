package nodetest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/audit"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/status"
)

// party is one key of the access matrix: who it is and what it should be
// allowed to read of the loan that the scenario books.
type party struct {
	name  string
	org   string   // "" for an outsider
	roles []string // at genesis
	key   *client.Key
	// readsLoan: the loan's owner, servicer and borrower, and auditors.
	readsLoan bool
}

// matrixNet is the four-organisation network of the access matrix: a loan
// owner, a servicer, a securitizer and the home owners' organisation,
// under the approval deploy policy with a majority threshold (3 of 4).
type matrixNet struct {
	parties map[string]*party
	genesis string // the genesis file, shared by the replaying node
}

func newMatrixNet(t *testing.T) *matrixNet {
	t.Helper()
	m := &matrixNet{parties: map[string]*party{}}
	add := func(name, org string, roles ...string) {
		k, err := client.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		m.parties[name] = &party{name: name, org: org, roles: roles, key: k}
	}
	add("owner", "owner-co", "admin", "owner")
	add("servicer", "servicer-co", "admin", "deployer", "servicer")
	add("securitizer", "securitizer-co", "admin", "securitizer")
	add("homeadmin", "homeowners", "admin")
	add("borrower", "homeowners", "borrower")
	add("neighbour", "homeowners", "borrower") // another home owner
	add("regulator", "owner-co")               // made an auditor by a proposal
	add("outsider", "")
	byOrg := map[string][]registry.GenesisMember{}
	var orgs []string
	for _, name := range []string{"owner", "servicer", "securitizer", "homeadmin", "borrower", "neighbour", "regulator"} {
		p := m.parties[name]
		if _, ok := byOrg[p.org]; !ok {
			orgs = append(orgs, p.org)
		}
		byOrg[p.org] = append(byOrg[p.org], registry.GenesisMember{Address: p.key.Address(), Roles: append([]string{}, p.roles...)})
	}
	g := &block.Genesis{ChainID: 4242, TimeMs: time.Now().UnixMilli(), BlockGasLimit: block.DefaultBlockGasLimit}
	for _, id := range orgs {
		g.Orgs = append(g.Orgs, registry.GenesisOrg{ID: id, Name: strings.ToUpper(id[:1]) + id[1:], Members: byOrg[id]})
	}
	pol := registry.DefaultPolicy() // approval, majority
	g.Policy = &pol
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	m.genesis = filepath.Join(t.TempDir(), "genesis.json")
	if err := os.WriteFile(m.genesis, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *matrixNet) start(t *testing.T, dir string) *nodetest.Node {
	t.Helper()
	cfg := nodetest.Config(dir)
	cfg.GenesisFile = m.genesis
	return nodetest.Start(t, cfg)
}

func clientOf(t *testing.T, n *nodetest.Node, p *party) *client.Client {
	t.Helper()
	opts := []client.Option{client.WithPollInterval(5 * time.Millisecond)}
	if p != nil {
		opts = append(opts, client.WithKey(p.key))
	}
	c, err := client.New(n.URL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func submitOK(t *testing.T, c *client.Client, op client.Op, what string) *api.Tx {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rec, err := c.Submit(ctx, op, client.Wait())
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if rec.Receipt == nil || rec.Receipt.Status != status.OK {
		t.Fatalf("%s: receipt %+v", what, rec.Receipt)
	}
	return rec
}

// outcome names how an operation ended, in one comparable word: "ok",
// the API error code ("forbidden", "not_a_member", "unauthenticated",
// "not_found"), or "refused:<status>" for a failed receipt or query.
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	var ae *client.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return "error: " + err.Error()
}

// TestAccessMatrix runs the loan flow on a network of four organisations
// over real HTTP and checks every party's writes and reads against the
// access rules (docs/access.md); then a second node that replayed the
// chain from genesis must decide every read the same way.
func TestAccessMatrix(t *testing.T) {
	if raceEnabled {
		t.Skip("sequential: run without -race (about 10 times slower under it)")
	}
	if testing.Short() {
		t.Skip("builds the loan contract and runs two nodes")
	}
	m := newMatrixNet(t)
	n := m.start(t, t.TempDir())
	P := m.parties
	cl := map[string]*client.Client{}
	for name, p := range P {
		cl[name] = clientOf(t, n, p)
	}
	ctx := context.Background()
	loanCode := nodetest.LoanWasm(t)

	// Writes that must be refused at admission, before anything else.
	for _, tc := range []struct {
		who, want string
		op        client.Op
	}{
		{"outsider", "not_a_member", client.DeployOp(loanCode, "loan", nil)},
		{"borrower", "forbidden", client.DeployOp(loanCode, "loan", nil)}, // no deployer role
		{"outsider", "not_a_member", client.AddMemberOp(P["outsider"].key.Address(), "servicer")},
	} {
		_, err := cl[tc.who].Submit(ctx, tc.op, client.Wait())
		if got := outcome(err); got != tc.want {
			t.Errorf("%s submitting: got %s, want %s", tc.who, got, tc.want)
		}
	}

	// Deploy under the approval policy: a proposal, no contract yet.
	rec := submitOK(t, cl["servicer"], client.DeployOp(loanCode, "loan", nil), "servicer deploys")
	pr, ok := client.ProposalOf(rec)
	if !ok || pr.Address == nil {
		t.Fatalf("deploy under approval returned no proposal: %+v", rec.Receipt)
	}
	loan := *pr.Address
	if _, err := cl["servicer"].Contract(ctx, loan); !client.IsNotFound(err) {
		t.Fatalf("contract exists before approval: %v", err)
	}
	// A vote by a member who is not an org admin is refused in its receipt.
	if rec, err := cl["borrower"].Submit(ctx, client.ApproveOp(pr.Proposal), client.Wait()); err != nil || rec.Receipt.Status != "forbidden" {
		t.Fatalf("borrower approving: %v %+v", err, rec)
	}
	submitOK(t, cl["owner"], client.ApproveOp(pr.Proposal), "owner approves the deploy") // 2 of 4
	if _, err := cl["servicer"].Contract(ctx, loan); !client.IsNotFound(err) {
		t.Fatalf("contract exists with 2 of 4 approvals: %v", err)
	}
	submitOK(t, cl["securitizer"], client.ApproveOp(pr.Proposal), "securitizer approves the deploy") // 3 of 4: executed
	info, err := cl["servicer"].Contract(ctx, loan)
	if err != nil {
		t.Fatalf("contract after 3 of 4 approvals: %v", err)
	}
	if info.Org != "servicer-co" || len(info.Versions) != 1 {
		t.Fatalf("contract record: org %q, versions %+v", info.Org, info.Versions)
	}

	// The regulator becomes an auditor by a network proposal.
	rec = submitOK(t, cl["owner"], client.GrantRoleOp(P["regulator"].key.Address(), registry.RoleAuditor), "propose auditor")
	gp, ok := client.ProposalOf(rec)
	if !ok {
		t.Fatalf("grantRole returned no proposal: %s", rec.Receipt.Return)
	}
	submitOK(t, cl["servicer"], client.ApproveOp(gp.Proposal), "servicer approves the auditor")
	submitOK(t, cl["homeadmin"], client.ApproveOp(gp.Proposal), "home owners approve the auditor")
	mem, err := cl["owner"].Member(ctx, P["regulator"].key.Address())
	if err != nil || !hasRole(mem.Member.Roles, registry.RoleAuditor) {
		t.Fatalf("regulator after the grant: %+v %v", mem, err)
	}

	// The loan flow: the owner books, the servicer collects.
	create := map[string]any{
		"id": "L-1", "borrower": P["borrower"].key.Address(), "servicer": P["servicer"].key.Address(),
		"principal": 30000000, "rate_bps": 650, "term_months": 360, "first_due": 1893456000,
	}
	submitOK(t, cl["owner"], client.CallOp(loan, "create", create), "owner books L-1")
	payRec := submitOK(t, cl["servicer"], client.CallOp(loan, "pay", map[string]any{"id": "L-1", "amount": 189622}), "servicer records a payment")

	// Contract-level write refusals: failed receipts, nothing written.
	for _, who := range []string{"securitizer", "borrower"} {
		rec, err := cl[who].Submit(ctx, client.CallOp(loan, "pay", map[string]any{"id": "L-1", "amount": 1}), client.Wait())
		if err != nil || rec.Receipt.Status == status.OK || len(rec.Receipt.Writes) != 0 {
			t.Errorf("%s paying: %v %+v", who, err, rec)
		}
	}
	if _, err := cl["outsider"].Submit(ctx, client.CallOp(loan, "pay", map[string]any{"id": "L-1", "amount": 1}), client.Wait()); outcome(err) != "not_a_member" {
		t.Errorf("outsider paying: %v", err)
	}

	// An upgrade the other organisations reject leaves the old code running.
	notes := buildtest.Wasm(t, "examples/notes")
	if _, err := cl["borrower"].Submit(ctx, client.UpgradeOp(loan, notes, nil), client.Wait()); outcome(err) != "forbidden" {
		t.Errorf("borrower upgrading: %v", err)
	}
	rec = submitOK(t, cl["servicer"], client.UpgradeOp(loan, notes, nil), "servicer proposes an upgrade")
	up, ok := client.ProposalOf(rec)
	if !ok {
		t.Fatalf("upgrade returned no proposal: %s", rec.Receipt.Return)
	}
	submitOK(t, cl["owner"], client.RejectOp(up.Proposal), "owner rejects the upgrade")
	submitOK(t, cl["securitizer"], client.RejectOp(up.Proposal), "securitizer rejects the upgrade") // 2 of 4 left: unreachable
	pd, err := cl["owner"].Proposal(ctx, up.Proposal)
	if err != nil || pd.Proposal.Status != registry.StatusRejected {
		t.Fatalf("upgrade proposal after two rejections: %+v %v", pd, err)
	}
	if info2, err := cl["owner"].Contract(ctx, loan); err != nil || info2.CodeHash != info.CodeHash || len(info2.Versions) != 1 {
		t.Fatalf("code changed by a rejected upgrade: %+v %v", info2, err)
	}
	lastPay := submitOK(t, cl["servicer"], client.CallOp(loan, "pay", map[string]any{"id": "L-1", "amount": 100}), "the old code still runs")
	// One block after the loan's last event, so that streams know when
	// they have seen everything.
	submitOK(t, cl["homeadmin"], client.SetRolesOp(P["neighbour"].key.Address(), "borrower", "tenant"), "home owners change a role")

	// The read matrix on this node, then on a node that replayed the chain.
	want := expectedReads(P)
	until := lastPay.Receipt.Height
	got := readMatrix(t, n, m, loan, payRec.Hash, until)
	compareMatrix(t, "node 1", got, want)

	dir2 := t.TempDir()
	replayInto(t, n, m, dir2)
	n2 := m.start(t, dir2)
	if n2.Ledger().Latest().Hash() != n.Ledger().Latest().Hash() {
		t.Fatalf("replayed node at %d, source at %d", n2.Ledger().Latest().Header.Height, n.Ledger().Latest().Header.Height)
	}
	got2 := readMatrix(t, n2, m, loan, payRec.Hash, until)
	compareMatrix(t, "replaying node", got2, got)
}

// readers of the matrix, anonymous last.
var matrixReaders = []string{"owner", "servicer", "securitizer", "homeadmin", "borrower", "neighbour", "regulator", "outsider", "anonymous"}

// expectedReads is the access matrix (docs/access.md) for the scenario:
// per reader, per read, the outcome.
func expectedReads(P map[string]*party) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, r := range matrixReaders {
		row := map[string]string{}
		switch r {
		case "anonymous":
			for _, op := range matrixOps {
				row[op] = "unauthenticated"
			}
			row["chain"] = "ok"
		case "outsider":
			for _, op := range matrixOps {
				row[op] = "not_a_member"
			}
			row["chain"] = "ok"
		default:
			party := r == "owner" || r == "servicer" || r == "borrower" || r == "regulator"
			row["chain"], row["registry"], row["contract"], row["block"] = "ok", "ok", "ok", "ok"
			if party {
				row["query"], row["state"], row["history"], row["events"] = "ok", "ok", "ok", "LoanCreated,PaymentRecorded,PaymentRecorded"
			} else {
				row["query"], row["state"], row["history"], row["events"] = "refused:error", "forbidden", "forbidden", ""
			}
			// The pay transaction: the servicer's organisation, auditors,
			// and the audience of its event (owner, borrower, servicer).
			if party {
				row["tx"] = "ok"
			} else {
				row["tx"] = "not_found"
			}
		}
		out[r] = row
	}
	return out
}

var matrixOps = []string{"chain", "registry", "contract", "block", "query", "state", "history", "tx", "events"}

// readMatrix performs every read of matrixOps as every reader and records
// the outcomes.
func readMatrix(t *testing.T, n *nodetest.Node, m *matrixNet, loan common.Address, payTx common.Hash, until uint64) map[string]map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := map[string]map[string]string{}
	for _, r := range matrixReaders {
		c := clientOf(t, n, m.parties[r]) // nil party: anonymous
		row := map[string]string{}
		_, err := c.Chain(ctx)
		row["chain"] = outcome(err)
		_, err = c.Orgs(ctx)
		row["registry"] = outcome(err)
		_, err = c.Contract(ctx, loan)
		row["contract"] = outcome(err)
		_, err = c.Block(ctx, 1)
		row["block"] = outcome(err)
		st, err := c.State(ctx, loan, []byte("loan/L-1"), nil)
		row["state"] = outcome(err)
		if err == nil && (!st.Exists || !bytes.Contains(st.Value, []byte(`"L-1"`))) {
			row["state"] = "wrong value"
		}
		q, err := c.Query(ctx, loan, "get", map[string]any{"id": "L-1"}, nil)
		row["query"] = outcome(err)
		if err == nil && q.Status != status.OK {
			row["query"] = "refused:" + string(q.Status)
		}
		// A proof carries the raw value: a query must not hand out what
		// the reader may not read raw (the refused get still read the loan).
		if err == nil && r != "regulator" && row["state"] != "ok" && (len(q.Proofs) != 0 || q.ProofsWithheld == 0) {
			row["query"] += fmt.Sprintf(" (leaked %d proofs, withheld %d)", len(q.Proofs), q.ProofsWithheld)
		}
		row["history"] = "ok"
		for _, err := range c.History(ctx, loan, []byte("loan/L-1")) {
			if err != nil {
				row["history"] = outcome(err)
				break
			}
		}
		_, err = c.Tx(ctx, payTx)
		row["tx"] = outcome(err)
		row["events"] = eventsSeen(ctx, c, loan, until)
		out[r] = row
	}
	return out
}

// eventsSeen streams the contract's events of the blocks up to until (a
// block's events follow its block item) and lists the names delivered, or
// the refusal.
func eventsSeen(ctx context.Context, c *client.Client, loan common.Address, until uint64) string {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var names []string
	for ev, err := range c.Events(ctx, client.EventFilter{FromHeight: 1, Contract: &loan}) {
		if err != nil {
			return outcome(err)
		}
		if ev.Event != nil {
			names = append(names, ev.Event.Name)
		}
		if ev.Block != nil && ev.Block.Height > until {
			break
		}
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func compareMatrix(t *testing.T, where string, got, want map[string]map[string]string) {
	t.Helper()
	for _, r := range matrixReaders {
		for _, op := range matrixOps {
			if g, w := got[r][op], want[r][op]; g != w {
				t.Errorf("%s: %s reading %s: got %q, want %q", where, r, op, g, w)
			}
		}
	}
}

// replayInto exports n's chain and replays it from genesis into a fresh
// store in dir, as an auditor would, for a second node to serve.
func replayInto(t *testing.T, n *nodetest.Node, m *matrixNet, dir string) {
	t.Helper()
	ctx := context.Background()
	var buf bytes.Buffer
	if err := audit.Export(ctx, n.Ledger(), &buf, 1, n.Ledger().Latest().Header.Height); err != nil {
		t.Fatalf("export: %v", err)
	}
	g, err := block.LoadGenesis(m.genesis)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := ledger.Open(ctx, ledger.Config{Dir: filepath.Join(dir, node.ChainDir), Genesis: g})
	if err != nil {
		t.Fatalf("open replay store: %v", err)
	}
	src, err := audit.ReadExport(&buf, tx.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Replay(ctx, dst, src); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if err := dst.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func hasRole(roles []string, role string) bool {
	for _, r := range roles {
		if r == role {
			return true
		}
	}
	return false
}
