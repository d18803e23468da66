package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/sdk/contract"
	"github.com/meshledger/meshledger/sdk/contract/contracttest"
)

var (
	owner    = contract.Address{0x0e}
	borrower = contract.Address{0xb0}
	servicer = contract.Address{0x5e}
	stranger = contract.Address{0x99}
	auditor  = contract.Address{0xad}
	outsider = contract.Address{0x77} // not a member
)

// members enters the test's participants in h's registry: the owner
// and servicer work for two companies, the borrower is a home owner, the
// stranger a member of a third company with no role here, the auditor a
// member with the network role auditor.
func members(h *contracttest.Host) {
	h.SetParticipant(owner, "lender", loanlogic.RoleOwner)
	h.SetParticipant(servicer, "servicing", loanlogic.RoleServicer)
	h.SetParticipant(borrower, "homes", "borrower")
	h.SetParticipant(stranger, "other")
	h.SetParticipant(auditor, "audit", loanlogic.RoleAuditor)
}

// newMockHost returns a mock host with the test's participants.
func newMockHost() *contracttest.Host {
	h := contracttest.New()
	members(h)
	return h
}

const start = contracttest.DefaultTimeMillis / 1000

func validCreate() map[string]any {
	return map[string]any{
		"id": "L-1", "borrower": borrower, "servicer": servicer,
		"principal": 200_000_00, "rate_bps": 600, "term_months": 360, "first_due": start + 31*86400,
	}
}

// newHost returns a mock host holding loan L-1, created by owner.
func newHost(t *testing.T) *contracttest.Host {
	t.Helper()
	h := newMockHost()
	h.SetCaller(owner)
	if res := h.Call("create", validCreate()); !res.OK {
		t.Fatalf("create: %s: %s", res.Code, res.Message)
	}
	return h
}

func TestCreate(t *testing.T) {
	h := newMockHost()
	h.SetCaller(owner)
	res := h.Call("create", validCreate())
	var l loanlogic.Loan
	if err := res.Decode(&l); err != nil {
		t.Fatal(err)
	}
	want := loanlogic.Loan{
		ID: "L-1", Owner: owner, Borrower: borrower, Servicer: servicer,
		Principal: 200_000_00, RateBps: 600, TermMonths: 360, FirstDue: start + 31*86400, CreatedAt: start,
		Installment: 1199_11, Balance: 200_000_00, InterestDue: 1000_00, NextDue: start + 31*86400,
		Status: loanlogic.StatusActive,
	}
	if l != want {
		t.Fatalf("loan\n got %+v\nwant %+v", l, want)
	}
	var stored loanlogic.Loan
	if ok, err := h.GetJSON("loan/L-1", &stored); !ok || err != nil || stored != want {
		t.Fatalf("stored %+v (%v, %v)", stored, ok, err)
	}
	if len(res.Events) != 1 || res.Events[0].Name != EventLoanCreated {
		t.Fatalf("events %+v", res.Events)
	}
	if want := []string{owner.Hex(), borrower.Hex(), servicer.Hex()}; !slices.Equal(res.Events[0].Audience, want) {
		t.Fatalf("LoanCreated audience %q, want %q", res.Events[0].Audience, want)
	}
}

// TestCreateNeedsRole: booking a loan takes the role owner, servicer or
// admin; the creator becomes the loan's owner whichever it has.
func TestCreateNeedsRole(t *testing.T) {
	tests := []struct {
		name  string
		org   string // "" for a non-member
		roles []string
		ok    bool
	}{
		{"owner", "lender", []string{"owner"}, true},
		{"servicer", "servicing", []string{"servicer"}, true},
		{"admin", "dev", []string{"admin", "deployer", "auditor"}, true},
		{"one of several", "lender", []string{"borrower", "owner"}, true},
		{"borrower", "homes", []string{"borrower"}, false},
		{"auditor", "audit", []string{"auditor"}, false},
		{"member without roles", "other", nil, false},
		{"non-member", "", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := contracttest.New()
			who := contract.Address{0x42}
			if tc.org != "" {
				h.SetParticipant(who, tc.org, tc.roles...)
			}
			h.SetCaller(who)
			res := h.Call("create", validCreate())
			if !tc.ok {
				if res.Code != "error" || res.Message != "not authorized: booking a loan needs the role owner, servicer, admin" {
					t.Fatalf("got %s %q, want the role refusal", res.Code, res.Message)
				}
				if len(res.Writes) != 0 || len(res.Events) != 0 || len(h.Keys()) != 0 {
					t.Fatalf("refused create left writes %v events %v keys %v", res.Writes, res.Events, h.Keys())
				}
				return
			}
			var l loanlogic.Loan
			if err := res.Decode(&l); err != nil {
				t.Fatal(err)
			}
			if l.Owner != who {
				t.Fatalf("owner %s, want the creator %s", l.Owner, who)
			}
		})
	}
}

func TestCreateRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(m map[string]any)
		code   string
		msg    string
	}{
		{"empty id", func(m map[string]any) { m["id"] = "" }, "error", "invalid loan: id must be"},
		{"long id", func(m map[string]any) { m["id"] = strings.Repeat("x", 65) }, "error", "invalid loan: id must be"},
		{"id with slash", func(m map[string]any) { m["id"] = "a/b" }, "error", "may hold only"},
		{"no borrower", func(m map[string]any) { delete(m, "borrower") }, "error", "borrower is required"},
		{"no servicer", func(m map[string]any) { delete(m, "servicer") }, "error", "servicer is required"},
		{"zero principal", func(m map[string]any) { m["principal"] = 0 }, "error", "principal must be"},
		{"huge principal", func(m map[string]any) { m["principal"] = loanlogic.MaxPrincipal + 1 }, "error", "principal must be"},
		{"negative rate", func(m map[string]any) { m["rate_bps"] = -1 }, "error", "rate_bps must be"},
		{"rate over 100%", func(m map[string]any) { m["rate_bps"] = 10_001 }, "error", "rate_bps must be"},
		{"zero term", func(m map[string]any) { m["term_months"] = 0 }, "error", "term_months must be"},
		{"long term", func(m map[string]any) { m["term_months"] = 601 }, "error", "term_months must be"},
		{"first due in past", func(m map[string]any) { m["first_due"] = start }, "error", "first_due"},
		{"duplicate", func(m map[string]any) {}, "error", "loan already exists"},
		{"bad address", func(m map[string]any) { m["borrower"] = "0x12" }, "bad_args", "bad address"},
		{"money as float", func(m map[string]any) { m["principal"] = 1.5 }, "bad_args", "principal"},
		{"unknown field", func(m map[string]any) { m["colour"] = "red" }, "bad_args", "colour"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHost(t) // L-1 exists, so "duplicate" needs no change
			args := validCreate()
			tc.change(args)
			res := h.Call("create", args)
			if res.Code != tc.code || !strings.Contains(res.Message, tc.msg) {
				t.Fatalf("got %s %q, want %s containing %q", res.Code, res.Message, tc.code, tc.msg)
			}
			if len(res.Writes) != 0 || len(res.Events) != 0 {
				t.Fatalf("failed create left writes %v events %v", res.Writes, res.Events)
			}
		})
	}
}

func TestPay(t *testing.T) {
	h := newHost(t)
	h.SetCaller(servicer)
	h.SetTime(start + 30*86400)

	// Part of an installment: all of it goes to interest, due date stays.
	res := h.Call("pay", map[string]any{"id": "L-1", "amount": 600_00})
	var p loanlogic.Payment
	if err := res.Decode(&p); err != nil {
		t.Fatal(err)
	}
	want := loanlogic.Payment{ID: "L-1", Amount: 600_00, Interest: 600_00, Balance: 200_000_00, InterestDue: 400_00,
		Payments: 1, NextDue: start + 31*86400, PaidAt: start + 30*86400, Status: loanlogic.StatusActive}
	if p != want {
		t.Fatalf("payment\n got %+v\nwant %+v", p, want)
	}

	// The rest of the installment: interest, then principal; the next
	// period opens with interest on the new balance.
	res = h.Call("pay", map[string]any{"id": "L-1", "amount": 599_11})
	if err := res.Decode(&p); err != nil {
		t.Fatal(err)
	}
	newBalance := int64(200_000_00 - 199_11)
	want = loanlogic.Payment{ID: "L-1", Amount: 599_11, Interest: 400_00, Principal: 199_11, Balance: newBalance,
		InterestDue: loanlogic.PeriodInterest(newBalance, 600), Payments: 2,
		NextDue: loanlogic.DueDate(start+31*86400, 1), PaidAt: start + 30*86400, Status: loanlogic.StatusActive}
	if p != want {
		t.Fatalf("payment\n got %+v\nwant %+v", p, want)
	}
	if len(res.Events) != 1 || res.Events[0].Name != EventPaymentRecorded {
		t.Fatalf("events %+v", res.Events)
	}
	if want := []string{owner.Hex(), borrower.Hex(), servicer.Hex()}; !slices.Equal(res.Events[0].Audience, want) {
		t.Fatalf("PaymentRecorded audience %q, want %q", res.Events[0].Audience, want)
	}
	var ev loanlogic.Payment
	if err := json.Unmarshal(res.Events[0].Data, &ev); err != nil || ev != want {
		t.Fatalf("event %+v (%v)", ev, err)
	}

	// Paying the payoff amount closes the loan.
	res = h.Call("pay", map[string]any{"id": "L-1", "amount": p.Balance + p.InterestDue})
	if err := res.Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Status != loanlogic.StatusPaidOff || p.Balance != 0 || p.NextDue != 0 {
		t.Fatalf("after payoff %+v", p)
	}
	var l loanlogic.Loan
	if err := h.Query("get", map[string]any{"id": "L-1"}).Decode(&l); err != nil {
		t.Fatal(err)
	}
	if l.Payments != 3 || l.PrincipalPaid != l.Principal || l.Status != loanlogic.StatusPaidOff {
		t.Fatalf("loan after payoff %+v", l)
	}
}

func TestPayRejects(t *testing.T) {
	tests := []struct {
		name   string
		caller contract.Address
		args   any
		code   string
		msg    string
	}{
		{"not servicer", owner, map[string]any{"id": "L-1", "amount": 100}, "error", "not authorized: only the servicer"},
		{"borrower", borrower, map[string]any{"id": "L-1", "amount": 100}, "error", "not authorized"},
		{"zero amount", servicer, map[string]any{"id": "L-1", "amount": 0}, "error", "amount must be positive"},
		{"negative amount", servicer, map[string]any{"id": "L-1", "amount": -5}, "error", "amount must be positive"},
		{"unknown loan", servicer, map[string]any{"id": "L-2", "amount": 100}, "error", "loan not found"},
		{"bad id", servicer, map[string]any{"id": "", "amount": 100}, "error", "invalid loan"},
		{"overpayment", servicer, map[string]any{"id": "L-1", "amount": 200_000_00 + 1000_00 + 1}, "error", "payment exceeds payoff amount"},
		{"amount as string", servicer, map[string]any{"id": "L-1", "amount": "100"}, "bad_args", "amount"},
		{"not json", servicer, []byte(`{"id":`), "bad_args", "bad args for pay"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHost(t)
			h.SetCaller(tc.caller)
			res := h.Call("pay", tc.args)
			if res.Code != tc.code || !strings.Contains(res.Message, tc.msg) {
				t.Fatalf("got %s %q, want %s containing %q", res.Code, res.Message, tc.code, tc.msg)
			}
			if len(res.Writes) != 0 || len(res.Events) != 0 {
				t.Fatalf("failed pay left writes %v events %v", res.Writes, res.Events)
			}
		})
	}
}

func TestPayAfterPayoffRejected(t *testing.T) {
	h := newHost(t)
	h.SetCaller(servicer)
	if res := h.Call("pay", map[string]any{"id": "L-1", "amount": 200_000_00 + 1000_00}); !res.OK {
		t.Fatalf("payoff: %s %s", res.Code, res.Message)
	}
	res := h.Call("pay", map[string]any{"id": "L-1", "amount": 1})
	if res.Code != "error" || !strings.Contains(res.Message, "loan is paid off") {
		t.Fatalf("got %s %q", res.Code, res.Message)
	}
}

func TestGet(t *testing.T) {
	h := newHost(t)
	h.Put("loan/broken", []byte("{"))
	refused := func(id string) string {
		return `not authorized: the caller is not a party to a loan "` + id + `"`
	}
	tests := []struct {
		name   string
		caller contract.Address
		id     string
		code   string
		msg    string
	}{
		{"owner", owner, "L-1", "ok", ""},
		{"borrower", borrower, "L-1", "ok", ""},
		{"servicer", servicer, "L-1", "ok", ""},
		{"auditor, not a party", auditor, "L-1", "ok", ""},
		{"member of another company", stranger, "L-1", "error", refused("L-1")},
		{"non-member", outsider, "L-1", "error", refused("L-1")},
		// A missing loan is refused alike, so that queries do not reveal
		// which loans exist; only an auditor learns that it is missing.
		{"missing, for a stranger", stranger, "L-9", "error", refused("L-9")},
		{"missing, for the owner of another", owner, "L-9", "error", refused("L-9")},
		{"missing, for an auditor", auditor, "L-9", "error", `loan not found: "L-9"`},
		{"corrupt", auditor, "broken", "error", "stored loan is corrupt"},
		{"bad id", owner, "", "error", "invalid loan"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.SetCaller(tc.caller)
			res := h.Query("get", map[string]any{"id": tc.id})
			if res.Code != tc.code || !strings.Contains(res.Message, tc.msg) {
				t.Fatalf("get %s: %s %q, want %s %q", tc.id, res.Code, res.Message, tc.code, tc.msg)
			}
			if tc.code == "ok" {
				var l loanlogic.Loan
				if err := res.Decode(&l); err != nil || l.ID != tc.id || l.Owner != owner {
					t.Fatalf("loan %+v (%v)", l, err)
				}
			}
		})
	}
}

// TestEventAudienceOncePerParty: a party holding two parts of a loan (the
// servicer is also the borrower, as in the README's walkthrough) is named
// once.
func TestEventAudienceOncePerParty(t *testing.T) {
	h := newMockHost()
	h.SetCaller(owner)
	args := validCreate()
	args["borrower"] = servicer
	res := h.Call("create", args)
	if !res.OK {
		t.Fatalf("create: %s %s", res.Code, res.Message)
	}
	if want := []string{owner.Hex(), servicer.Hex()}; !slices.Equal(res.Events[0].Audience, want) {
		t.Fatalf("audience %q, want %q", res.Events[0].Audience, want)
	}
}

// TestReadPolicy: a node asks mesh.canRead whether a reader may read a
// raw key: a loan's key is for its parties; nothing else is readable.
// (Auditors read everything without the node asking.)
func TestReadPolicy(t *testing.T) {
	h := newHost(t)
	h.Put("loan/broken", []byte("{"))
	h.Put("other", []byte("x"))
	tests := []struct {
		reader contract.Address
		key    string
		want   bool
	}{
		{owner, "loan/L-1", true},
		{borrower, "loan/L-1", true},
		{servicer, "loan/L-1", true},
		{stranger, "loan/L-1", false},
		{outsider, "loan/L-1", false},
		{auditor, "loan/L-1", false},
		{owner, "loan/L-9", false},
		{owner, "loan/broken", false},
		{owner, "loan/", false},
		{owner, "loan/a b", false},
		{owner, "other", false},
		{owner, "", false},
	}
	for _, tc := range tests {
		got, res := h.CanRead(tc.reader, []byte(tc.key))
		if got != tc.want || !res.OK || len(res.Writes) != 0 {
			t.Errorf("CanRead(%s, %q) = %v (%s %s %s), want %v", tc.reader, tc.key, got, res.Code, res.Message, res.Return, tc.want)
		}
	}
}

func TestMethods(t *testing.T) {
	res := contracttest.New().Query("mesh.methods", nil)
	if !res.OK || string(res.Return) != `["accept","assess","board","create","get","mesh.canRead","offerAssistance","pay","servicing"]` {
		t.Fatalf("mesh.methods: %s %s", res.Code, res.Return)
	}
}
