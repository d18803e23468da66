package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/contracts/portfolio/portfoliologic"
	"github.com/meshledger/meshledger/sdk/contract"
	"github.com/meshledger/meshledger/sdk/contract/contracttest"
)

var (
	owner        = contract.Address{0x0e}
	otherOwner   = contract.Address{0x0f}
	loanContract = contract.Address{0x10}
	servicer     = contract.Address{0x5e}
	auditor      = contract.Address{0xad}
)

// at is 2024-06-15.
const at = 1_718_409_600

func newHost(t *testing.T) *contracttest.Host {
	t.Helper()
	h := contracttest.New()
	h.SetParticipant(owner, "lender", loanlogic.RoleOwner)
	h.SetParticipant(otherOwner, "bank", loanlogic.RoleOwner)
	h.SetParticipant(servicer, "servicing", loanlogic.RoleServicer)
	h.SetParticipant(auditor, "audit", loanlogic.RoleAuditor)
	h.SetCaller(owner)
	if res := h.Call("open", portfoliologic.OpenRequest{LoanContract: loanContract}); !res.OK {
		t.Fatalf("open: %s %s", res.Code, res.Message)
	}
	return h
}

func TestOpen(t *testing.T) {
	h := newHost(t)
	for _, tc := range []struct {
		caller contract.Address
		msg    string
	}{
		{servicer, "not authorized: opening a portfolio needs the role owner"},
		{auditor, "not authorized: opening a portfolio needs the role owner"},
		{owner, "already exists: portfolio of " + owner.Hex()},
	} {
		h.SetCaller(tc.caller)
		if res := h.Call("open", portfoliologic.OpenRequest{LoanContract: loanContract}); res.OK || res.Message != tc.msg || len(res.Writes) != 0 {
			t.Errorf("open by %s: %q, want %q", tc.caller, res.Message, tc.msg)
		}
	}
}

func TestReportsAndReads(t *testing.T) {
	h := newHost(t)
	h.SetCaller(loanContract)
	res := h.Call("onLoanBoarded", loanlogic.Snapshot{ID: "A", Owner: owner, Balance: 100_00, Bucket: loanlogic.Bucket30, At: at})
	var p portfoliologic.Portfolio
	if err := res.Decode(&p); err != nil || p.Loans != 1 || p.Delinquent != 1 || p.DelinquencyRateBps != 10_000 {
		t.Fatalf("portfolio %+v %v", p, err)
	}
	if len(res.Events) != 1 || res.Events[0].Name != EventPortfolioUpdated || !slices.Equal(res.Events[0].Audience, []string{owner.Hex()}) {
		t.Fatalf("events %+v", res.Events)
	}
	pay := loanlogic.Snapshot{ID: "A", Owner: owner, Balance: 90_00, Bucket: loanlogic.BucketCurrent, Cured: true, Payment: 10_00, At: at}
	if err := h.Call("onPayment", pay).Decode(&p); err != nil || p.CureRateBps != 10_000 || p.DelinquencyRateBps != 0 {
		t.Fatalf("after payment %+v %v", p, err)
	}
	h.SetCaller(servicer)
	if res := h.Call("onStatusChange", pay); res.OK || len(res.Writes) != 0 {
		t.Fatalf("report by the servicer: %+v", res)
	}
	// Only the owner and auditors read the portfolio.
	for _, tc := range []struct {
		who  contract.Address
		want bool
	}{{owner, true}, {auditor, true}, {otherOwner, false}, {servicer, false}, {loanContract, false}} {
		h.SetCaller(tc.who)
		if res := h.Query("get", GetRequest{Owner: owner}); res.OK != tc.want {
			t.Errorf("get by %s: %s %s", tc.who, res.Code, res.Message)
		}
		var tr portfoliologic.Trend
		res := h.Query("trend", TrendRequest{Owner: owner, Month: "2024-06"})
		if res.OK != tc.want || tc.want && (res.Decode(&tr) != nil || tr != portfoliologic.Trend{Month: "2024-06", Payments: 1, Amount: 10_00, Delinquencies: 1, Cures: 1}) {
			t.Errorf("trend by %s: %s %s %s", tc.who, res.Code, res.Message, res.Return)
		}
		if tc.who == auditor {
			continue
		}
		for _, key := range []string{"portfolio/" + owner.Hex(), "holding/" + owner.Hex() + "/A", "trend/" + owner.Hex() + "/2024-06"} {
			if got, _ := h.CanRead(tc.who, []byte(key)); got != tc.want {
				t.Errorf("CanRead(%s, %s) = %v", tc.who, key, got)
			}
		}
	}
	h.SetCaller(otherOwner)
	if res := h.Query("get", GetRequest{Owner: otherOwner}); res.OK || res.Message != "not found: portfolio of "+otherOwner.Hex() {
		t.Fatalf("own missing portfolio: %q", res.Message)
	}
	if res := h.Query("get", GetRequest{}); res.OK {
		t.Fatal("the zero owner's portfolio is readable")
	}
	h.SetCaller(owner)
	if res := h.Query("trend", TrendRequest{Owner: owner, Month: "2024-6"}); res.OK {
		t.Fatal("a malformed month was accepted")
	}
}

// TestReportRefusesMalformedLoanIDs: through the contract's ABI, each
// report method refuses a loan id the loan and pool contracts refuse
// (loanlogic.CheckID), with nothing written and no event; then the
// portfolio holds nothing but what was boarded properly.
func TestReportRefusesMalformedLoanIDs(t *testing.T) {
	h := newHost(t)
	h.SetCaller(loanContract)
	if res := h.Call(portfoliologic.ReportBoarded, loanlogic.Snapshot{ID: "A-1", Owner: owner, Balance: 100_00, Bucket: loanlogic.BucketCurrent, At: at}); !res.OK {
		t.Fatalf("board A-1: %s %s", res.Code, res.Message)
	}
	ids := []struct{ id, want string }{
		{"", "id must be 1 to 64 characters"},
		{strings.Repeat("A", loanlogic.MaxIDLength+1), "id must be 1 to 64 characters"},
		{"A/1", `may hold only letters, digits, '-', '_' and '.'`},
		{"A 1", `may hold only letters, digits, '-', '_' and '.'`},
		{"A\t1", `may hold only letters, digits, '-', '_' and '.'`},
		{"Ä1", `may hold only letters, digits, '-', '_' and '.'`},
	}
	for _, kind := range []string{portfoliologic.ReportBoarded, portfoliologic.ReportPayment, portfoliologic.ReportStatus} {
		for _, tc := range ids {
			res := h.Call(kind, loanlogic.Snapshot{ID: tc.id, Owner: owner, Balance: 100_00, Bucket: loanlogic.BucketCurrent, At: at})
			if res.OK || !strings.HasPrefix(res.Message, "loan: invalid portfolio request: ") || !strings.Contains(res.Message, tc.want) ||
				len(res.Writes) != 0 || len(res.Events) != 0 {
				t.Errorf("%s of %q: %s %q (writes %d), want a refusal saying %q", kind, tc.id, res.Code, res.Message, len(res.Writes), tc.want)
			}
		}
	}
	h.SetCaller(owner)
	var p portfoliologic.Portfolio
	if err := h.Query("get", GetRequest{Owner: owner}).Decode(&p); err != nil || p.Loans != 1 || p.Balance != 100_00 {
		t.Fatalf("portfolio after refused reports: %+v %v", p, err)
	}
}
