package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/contracts/pool/poollogic"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
	"github.com/meshledger/meshledger/sdk/client"
)

// TestStoryOnDevNetwork plays the whole story against an in-process node
// with the development genesis (open deploy policy), as `go run` does
// against `make run`, and checks what it reports and what it left on the
// ledger.
func TestStoryOnDevNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles three contracts to Wasm and runs a node")
	}
	n := nodetest.Start(t, nodetest.Config(t.TempDir()))
	cfg := Config{
		NodeURL:      n.URL(),
		AdminKey:     client.NewKey(n.Key()),
		TrustedNodes: []common.Address{n.Address()},
		Code: func(_ context.Context, name string) ([]byte, error) {
			return buildtest.Build("contracts/" + name)
		},
		PollInterval: 5 * time.Millisecond,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	rep, err := Run(ctx, cfg, &out)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	text := out.String()
	t.Log(text)

	// Every party learned of the missed payment and the delinquency on its
	// own stream; only the securitizer sees the pool's disclosures and
	// only the owner its portfolio.
	for _, who := range []string{owner, servicer, securitizer, borrower} {
		for _, ev := range []string{"LoanBoarded", "PaymentMissed", "LoanDelinquent", "AssistanceOffered", "AssistanceAccepted", "LoanCured"} {
			if !slices.Contains(rep.Seen[who], ev) {
				t.Errorf("%s's stream lacks %s: %q", who, ev, rep.Seen[who])
			}
		}
	}
	for who, evs := range rep.Seen {
		if got, want := slices.Contains(evs, "DisclosureUpdated"), who == securitizer; got != want {
			t.Errorf("%s saw DisclosureUpdated: %v, want %v", who, got, want)
		}
		if got, want := slices.Contains(evs, "PortfolioUpdated"), who == owner; got != want {
			t.Errorf("%s saw PortfolioUpdated: %v, want %v", who, got, want)
		}
	}
	// The borrower hears of its own loan only: L1 boarded once, no payment
	// recorded on the neighbour's L2.
	if c := count(rep.Seen[borrower], "LoanBoarded"); c != 1 {
		t.Errorf("the borrower saw %d LoanBoarded events, want 1 (its own loan)", c)
	}
	if slices.Contains(rep.Seen[borrower], "PaymentRecorded") {
		t.Errorf("the borrower saw a payment on another loan: %q", rep.Seen[borrower])
	}

	wantRefusals := []string{
		"servicer: accept L1's offer → unauthorized",
		"securitizer: query loan L3 (outside its pools) → unauthorized",
		"securitizer: raw state and proof of loan L3 (outside its pools) → forbidden",
		"borrower: query the neighbour's loan L2 → unauthorized",
		"borrower: raw state and proof of the neighbour's loan L2 → forbidden",
		"borrower: query the owner's portfolio → unauthorized",
		"borrower: raw state and proof of the owner's portfolio → forbidden",
		"owner: query pool P1's disclosure → unauthorized",
		"owner: raw state and proof of pool P1's disclosure → forbidden",
		"neighbour: query the borrower's loan L1 → unauthorized",
		"neighbour: raw state and proof of the borrower's loan L1 → forbidden",
		"outsider: query loan L1 → not_a_member",
		"outsider: raw state and proof of loan L1 → not_a_member",
	}
	// A contract's refusal is a failed call with its reason; the node's
	// own refusals are API codes.
	got := make([]string, len(rep.Refusals))
	for i, r := range rep.Refusals {
		got[i] = r
		if before, reason, ok := strings.Cut(r, " → error: "); ok && strings.HasPrefix(reason, "not authorized") {
			got[i] = before + " → unauthorized"
		}
	}
	if !slices.Equal(got, wantRefusals) {
		t.Errorf("refusals:\n%s\nwant:\n%s", strings.Join(rep.Refusals, "\n"), strings.Join(wantRefusals, "\n"))
	}

	m := regexp.MustCompile(`verified (\d+) figures against proofs`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no verification line in the output")
	}
	if v, _ := strconv.Atoi(m[1]); v != rep.Verified || v < 100 {
		t.Errorf("verified %s figures (report %d), want the same and at least 100", m[1], rep.Verified)
	}
	for _, want := range []string{"repayment_plan.installment $", "modification.rate_bps 4.00%", "plan on L1: kind repayment_plan, status active"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}

	// The ledger agrees: the pool counts L1 in assistance and cured, with
	// both loans current, as the node's auditor reads it.
	auditor, err := client.New(n.URL(), client.WithKey(client.NewKey(n.Key())), client.WithTrustedNodes(n.Address()))
	if err != nil {
		t.Fatal(err)
	}
	st, err := auditor.State(ctx, rep.Pool, poollogic.DisclosureKey("P1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := auditor.Verifier().VerifyState(st); err != nil {
		t.Fatal(err)
	}
	var d poollogic.Disclosure
	if err := json.Unmarshal(st.Value, &d); err != nil {
		t.Fatal(err)
	}
	if d.Loans != 2 || d.InAssistance.Count != 1 || d.Cures != 1 || d.Buckets.Current.Count != 2 || d.Buckets.D30.Count != 0 || d.Payments != 1 {
		t.Errorf("disclosure %+v", d)
	}

	// A second run on the same chain stops before it proposes anything:
	// the network now has five organisations whose votes it does not hold.
	var again bytes.Buffer
	if _, err := Run(ctx, cfg, &again); err == nil || !strings.Contains(err.Error(), "5 organisations and a proposal needs 3 approvals") {
		t.Errorf("second run: %v", err)
	}
	orgs, err := auditor.Orgs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs.Orgs) != 5 || again.Len() != 0 {
		t.Errorf("after the refused run: %d organisations, output %q", len(orgs.Orgs), again.String())
	}
}

// TestRunNeedsConfig: a configuration without a key, code or trusted node
// is refused before anything is sent.
func TestRunNeedsConfig(t *testing.T) {
	var out bytes.Buffer
	for _, cfg := range []Config{
		{NodeURL: "http://127.0.0.1:1", Code: func(context.Context, string) ([]byte, error) { return nil, nil }, TrustedNodes: []common.Address{{1}}},
		{NodeURL: "http://127.0.0.1:1", AdminKey: mustKey(t), TrustedNodes: []common.Address{{1}}},
		{NodeURL: "http://127.0.0.1:1", AdminKey: mustKey(t), Code: func(context.Context, string) ([]byte, error) { return nil, nil }},
	} {
		if _, err := Run(context.Background(), cfg, &out); err == nil || !strings.Contains(err.Error(), "config needs") {
			t.Errorf("Run(%+v) = %v, want a config error", cfg, err)
		}
	}
	if out.Len() != 0 {
		t.Errorf("output %q", out.String())
	}
}

func mustKey(t *testing.T) *client.Key {
	t.Helper()
	k, err := client.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func count(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// TestFormat: cents, basis points and block times print as a reader
// expects.
func TestFormat(t *testing.T) {
	tests := []struct{ path, value, want string }{
		{"balance", "24999967", "$249,999.67"},
		{"repayment_plan.installment", "159881", "$1,598.81"},
		{"amount_due", "-5", "-$0.05"},
		{"rate_bps", "650", "6.50%"},
		{"next_due", strconv.FormatInt(time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC).Unix(), 10), "2026-02-28"},
		{"to", `"30"`, "30"},
		{"loans", "2", "2"},
	}
	for _, tc := range tests {
		if got := formatValue(tc.path, tc.value); got != tc.want {
			t.Errorf("formatValue(%q, %q) = %q, want %q", tc.path, tc.value, got, tc.want)
		}
	}
}

// TestPick: nested fields by dotted path, and a clear error for a field
// the record lacks.
func TestPick(t *testing.T) {
	raw := []byte(`{"a":1,"b":{"30":{"count":2}},"c":[5,6],"s":"x"}`)
	fs, err := pick(raw, "a", "b.30.count", "c.1", "s")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(fs); got != `[{a 1} {b.30.count 2} {c.1 6} {s "x"}]` {
		t.Errorf("pick = %s", got)
	}
	if _, err := pick(raw, "missing"); err == nil || !strings.Contains(err.Error(), `no field "missing"`) {
		t.Errorf("pick of a missing field: %v", err)
	}
	if _, err := pick([]byte(`{`), "a"); err == nil {
		t.Errorf("pick of bad JSON: no error")
	}
}

// TestStoryUnderApprovalPolicy: on a network whose deploys need approval,
// the story approves each contract's deploy proposal with the other
// organisations' admins and plays to the same end.
func TestStoryUnderApprovalPolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles three contracts to Wasm and runs a node")
	}
	n := nodetest.Start(t, nodetest.Config(t.TempDir()))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := client.New(n.URL(), client.WithKey(client.NewKey(n.Key())), client.WithPollInterval(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	cur, err := admin.Policy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pol := cur.Policy
	p := registry.Policy{Threshold: pol.Threshold, DeployPolicy: registry.DeployApproval,
		ProposalTTLMs: pol.ProposalTTLMs, AllowNonMembers: pol.AllowNonMembers, RequireManifest: pol.RequireManifest}
	rec, err := admin.Submit(ctx, client.SetPolicyOp(p), client.Wait())
	if err != nil {
		t.Fatal(err)
	}
	if err := client.ReceiptError(rec); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep, err := Run(ctx, Config{
		NodeURL: n.URL(), AdminKey: client.NewKey(n.Key()), TrustedNodes: []common.Address{n.Address()},
		Code:         func(_ context.Context, name string) ([]byte, error) { return buildtest.Build("contracts/" + name) },
		PollInterval: 5 * time.Millisecond,
	}, &out)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	text := out.String()
	if c := strings.Count(text, ": deploy proposal "); c != 3 {
		t.Errorf("%d deploy proposals in the output, want 3:\n%s", c, text)
	}
	if rep.Verified < 100 || len(rep.Refusals) != 13 {
		t.Errorf("verified %d figures and %d refusals:\n%s", rep.Verified, len(rep.Refusals), text)
	}
}

// TestCheckShown: a figure that differs from the proven record, or that
// the record lacks, fails the verification with both values named.
func TestCheckShown(t *testing.T) {
	sh := shown{what: "offer on L1", prefix: "offer.", fields: []field{{"arrears", "316036"}, {"forbearance.months", "3"}}}
	if err := checkShown(sh, map[string]string{"offer.arrears": "316036", "offer.forbearance.months": "3"}); err != nil {
		t.Errorf("equal figures: %v", err)
	}
	err := checkShown(sh, map[string]string{"offer.arrears": "316037", "offer.forbearance.months": "3"})
	if err == nil || !strings.Contains(err.Error(), "arrears was shown as 316036, the proof says 316037") {
		t.Errorf("a changed figure: %v", err)
	}
	err = checkShown(sh, map[string]string{"offer.arrears": "316036"})
	if err == nil || !strings.Contains(err.Error(), "forbearance.months was shown as 3, the proven record has no such field") {
		t.Errorf("a missing figure: %v", err)
	}
}
