package main

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/contracts/pool/poollogic"
	"github.com/meshledger/meshledger/contracts/portfolio/portfoliologic"
	"github.com/meshledger/meshledger/sdk/contract"
	"github.com/meshledger/meshledger/sdk/contract/contracttest"
)

var (
	securitizer  = contract.Address{0x5c}
	poolAddr     = contract.Address{0x90}
	portfolioAdr = contract.Address{0x91}
)

func utc(y int, m time.Month, d int) int64 { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() }

// scenario is a loan contract on a mock host whose calls to the pool and
// portfolio contracts run their logic natively over their own state, as
// those contracts would, answering with the same refusals.
type scenario struct {
	h         *contracttest.Host
	pool      loanlogic.MapStore
	portfolio loanlogic.MapStore
	refuse    error // when set, the pool refuses every report with it
}

func newScenario(t *testing.T) *scenario {
	t.Helper()
	sc := &scenario{h: newMockHost(), pool: loanlogic.MapStore{}, portfolio: loanlogic.MapStore{}}
	sc.h.SetParticipant(securitizer, "securities", poollogic.RoleSecuritizer)
	if _, _, err := poollogic.Create(sc.pool, securitizer, start, poollogic.CreateRequest{ID: "P1", LoanContract: contracttest.DefaultContract}); err != nil {
		t.Fatal(err)
	}
	if _, err := portfoliologic.Open(sc.portfolio, owner, start, portfoliologic.OpenRequest{LoanContract: contracttest.DefaultContract}); err != nil {
		t.Fatal(err)
	}
	sc.h.OnCall(poolAddr, func(req contracttest.CallRequest) ([]byte, error) {
		if sc.refuse != nil {
			return nil, &contract.CallError{Code: "error", Message: sc.refuse.Error()}
		}
		var snap loanlogic.Snapshot
		if err := json.Unmarshal(req.Args, &snap); err != nil {
			return nil, &contract.CallError{Code: "bad_args", Message: err.Error()}
		}
		d, err := poollogic.Report(sc.pool, req.From, req.Method, snap)
		if err != nil {
			return nil, err
		}
		return json.Marshal(d)
	})
	sc.h.OnCall(portfolioAdr, func(req contracttest.CallRequest) ([]byte, error) {
		var snap loanlogic.Snapshot
		if err := json.Unmarshal(req.Args, &snap); err != nil {
			return nil, &contract.CallError{Code: "bad_args", Message: err.Error()}
		}
		p, err := portfoliologic.Report(sc.portfolio, req.From, req.Method, snap)
		if err != nil {
			return nil, err
		}
		return json.Marshal(p)
	})
	return sc
}

func (sc *scenario) call(t *testing.T, at int64, caller contract.Address, method string, args any) contracttest.Result {
	t.Helper()
	sc.h.SetTime(at)
	sc.h.SetCaller(caller)
	return sc.h.Call(method, args)
}

func (sc *scenario) mustCall(t *testing.T, at int64, caller contract.Address, method string, args any, out any) contracttest.Result {
	t.Helper()
	res := sc.call(t, at, caller, method, args)
	if !res.OK {
		t.Fatalf("%s: %s: %s", method, res.Code, res.Message)
	}
	if out != nil {
		if err := res.Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

var first = utc(2024, 2, 1)

func boardArgs() loanlogic.BoardRequest {
	return loanlogic.BoardRequest{
		ID: "B1", Owner: owner, Borrower: borrower, Securitizer: securitizer,
		PoolContract: poolAddr, Pool: "P1", PortfolioContract: portfolioAdr,
		Principal: 200_000_00, RateBps: 600, TermMonths: 360, FirstDue: first, OriginatedAt: start,
		History: []loanlogic.HistoricPayment{
			{Amount: 1199_11, PaidAt: first},
			{Amount: 1199_11, PaidAt: loanlogic.DueDate(first, 1)},
			{Amount: 1199_11, PaidAt: loanlogic.DueDate(first, 2)},
		},
	}
}

func eventNames(res contracttest.Result) []string {
	var names []string
	for _, e := range res.Events {
		names = append(names, e.Name)
	}
	return names
}

// TestServicingStory plays the assistance scenario on the mock host: a
// loan boarded 45 days late, the servicer's offer, the borrower's
// acceptance and the plan's payments, with the pool's disclosure and the
// owner's portfolio following in the same calls.
func TestServicingStory(t *testing.T) {
	sc := newScenario(t)
	at := utc(2024, 6, 15)
	var l loanlogic.Loan
	res := sc.mustCall(t, at, servicer, "board", boardArgs(), &l)
	if l.Servicer != servicer || l.Balance != 199_399_67 || l.NextDue != utc(2024, 5, 1) {
		t.Fatalf("boarded %+v", l)
	}
	if got, want := eventNames(res), []string{EventLoanBoarded, EventPaymentMissed, EventLoanDelinquent}; !slices.Equal(got, want) {
		t.Fatalf("board events %q, want %q", got, want)
	}
	wantAud := []string{owner.Hex(), servicer.Hex(), securitizer.Hex(), borrower.Hex()}
	for _, e := range res.Events {
		if !slices.Equal(e.Audience, wantAud) {
			t.Fatalf("%s audience %q, want %q", e.Name, e.Audience, wantAud)
		}
	}
	calls := sc.h.Calls()
	if len(calls) != 2 || calls[0].To != poolAddr || calls[1].To != portfolioAdr || calls[0].Method != "onLoanBoarded" {
		t.Fatalf("calls %+v", calls)
	}
	d, _ := poollogic.LoadDisclosure(sc.pool, "P1")
	if d.Loans != 1 || d.Balance != 199_399_67 || d.WACBps != 600 || d.Buckets.D30 != (poollogic.BucketTotal{Count: 1, Balance: 199_399_67}) {
		t.Fatalf("disclosure after boarding %+v", d)
	}

	var o loanlogic.Offer
	sc.mustCall(t, at, servicer, "offerAssistance", loanlogic.OfferRequest{ID: "B1", ForbearanceMonths: 3, PlanMonths: 6, ModRateBps: 400, ModTermMonths: 360}, &o)
	if o.RepaymentPlan.Installment != 1598_81 || o.RepaymentPlan.FinalInstallment != 1598_83 || o.Modification.Installment != 956_73 {
		t.Fatalf("offer %+v", o)
	}
	// Only the borrower's own key accepts: the servicer, owner and
	// securitizer are refused, and nothing changes.
	for _, who := range []contract.Address{servicer, owner, securitizer, stranger} {
		if res := sc.call(t, at, who, "accept", loanlogic.AcceptRequest{ID: "B1", Option: loanlogic.OptionRepaymentPlan}); res.OK || len(res.Writes) != 0 {
			t.Fatalf("accept by %s: %+v", who, res)
		}
	}
	var plan loanlogic.Plan
	res = sc.mustCall(t, at, borrower, "accept", loanlogic.AcceptRequest{ID: "B1", Option: loanlogic.OptionRepaymentPlan}, &plan)
	if plan.Status != loanlogic.PlanActive || plan.Installment != 1598_81 {
		t.Fatalf("plan %+v", plan)
	}
	if got, want := eventNames(res), []string{EventAssistanceAccepted, EventLoanCured}; !slices.Equal(got, want) {
		t.Fatalf("accept events %q, want %q", got, want)
	}
	d, _ = poollogic.LoadDisclosure(sc.pool, "P1")
	if d.Cures != 1 || d.InAssistance.Count != 1 || d.Buckets.Current.Count != 1 || d.Buckets.D30.Count != 0 {
		t.Fatalf("disclosure after accept %+v", d)
	}
	for i := range int64(6) {
		amount := int64(1598_81)
		if i == 5 {
			amount = 1598_83
		}
		res = sc.mustCall(t, loanlogic.DueDate(utc(2024, 7, 1), i), servicer, "pay", loanlogic.PayRequest{ID: "B1", Amount: amount}, nil)
	}
	if got, want := eventNames(res), []string{EventPaymentRecorded, EventPlanCompleted}; !slices.Equal(got, want) {
		t.Fatalf("last plan payment events %q, want %q", got, want)
	}
	d, _ = poollogic.LoadDisclosure(sc.pool, "P1")
	if d.InAssistance.Count != 0 || d.Payments != 6 || d.PaymentsPaid != 5*1598_81+1598_83 {
		t.Fatalf("disclosure after the plan %+v", d)
	}
	p, _ := portfoliologic.Load(sc.portfolio, owner)
	if p.Loans != 1 || p.Delinquencies != 1 || p.Cures != 1 || p.CureRateBps != 10_000 || p.Payments != 6 || p.DelinquencyRateBps != 0 {
		t.Fatalf("portfolio %+v", p)
	}
	var sv loanlogic.Servicing
	sc.mustCall(t, at, securitizer, "servicing", GetRequest{ID: "B1"}, &sv)
	if sv.Plan == nil || sv.Plan.Status != loanlogic.PlanCompleted || sv.Cures != 1 {
		t.Fatalf("servicing %+v", sv)
	}
}

// TestReportRefusalFailsTheCall: when the pool refuses a report, the
// loan's own change is undone too, so the two never disagree.
func TestReportRefusalFailsTheCall(t *testing.T) {
	sc := newScenario(t)
	sc.refuse = errors.New("pool closed")
	res := sc.call(t, utc(2024, 6, 15), servicer, "board", boardArgs())
	if res.OK || res.Code != "error" || len(res.Writes) != 0 || len(res.Events) != 0 || len(sc.h.Keys()) != 0 {
		t.Fatalf("board with a refusing pool: %+v, keys %v", res, sc.h.Keys())
	}
	if want := `reporting loan "B1" to its pool contract ` + poolAddr.Hex() + `: contract: call failed: error: pool closed`; res.Message != want {
		t.Fatalf("message %q, want %q", res.Message, want)
	}
	// A loan naming a pool whose securitizer is someone else is refused by
	// the pool.
	sc.refuse = nil
	args := boardArgs()
	args.Securitizer = stranger
	if res := sc.call(t, utc(2024, 6, 15), servicer, "board", args); res.OK || len(sc.h.Keys()) != 0 {
		t.Fatalf("board under another securitizer: %+v", res)
	}
}

func TestBoardNeedsServicerRole(t *testing.T) {
	sc := newScenario(t)
	for _, who := range []contract.Address{owner, borrower, securitizer, stranger, auditor} {
		res := sc.call(t, utc(2024, 6, 15), who, "board", boardArgs())
		if res.OK || res.Message != "not authorized: boarding a loan needs the role servicer" || len(sc.h.Keys()) != 0 {
			t.Fatalf("board by %s: %+v", who, res)
		}
	}
}

// TestServicingReads: the loan's parties, its securitizer included, and
// auditors read a boarded loan, its servicing record and their keys;
// nobody else does, and a created loan has no securitizer.
func TestServicingReads(t *testing.T) {
	sc := newScenario(t)
	sc.mustCall(t, utc(2024, 6, 15), servicer, "board", boardArgs(), nil)
	for _, tc := range []struct {
		who  contract.Address
		want bool
	}{
		{owner, true}, {borrower, true}, {servicer, true}, {securitizer, true}, {auditor, true},
		{stranger, false}, {outsider, false},
	} {
		sc.h.SetCaller(tc.who)
		for _, m := range []string{"get", "servicing"} {
			if res := sc.h.Query(m, GetRequest{ID: "B1"}); res.OK != tc.want {
				t.Errorf("%s by %s: %s %s", m, tc.who, res.Code, res.Message)
			}
		}
		if tc.who == auditor {
			continue // the node lets auditors read without asking the policy
		}
		for _, key := range []string{"loan/B1", "servicing/B1"} {
			if got, _ := sc.h.CanRead(tc.who, []byte(key)); got != tc.want {
				t.Errorf("CanRead(%s, %s) = %v", tc.who, key, got)
			}
		}
	}
	sc.h.SetCaller(borrower)
	if res := sc.h.Query("servicing", GetRequest{ID: "nope"}); res.OK || res.Message != `not authorized: the caller is not a party to a loan "nope"` {
		t.Fatalf("servicing of a missing loan: %+v", res)
	}
	sc.h.SetCaller(owner)
	sc.h.SetTime(start)
	if res := sc.h.Call("create", validCreate()); !res.OK {
		t.Fatal(res.Message)
	}
	if res := sc.h.Query("servicing", GetRequest{ID: "L-1"}); res.OK || res.Message != `loan not boarded: loan "L-1" was not boarded` {
		t.Fatalf("servicing of a created loan: %+v", res)
	}
	if got, _ := sc.h.CanRead(securitizer, []byte("loan/L-1")); got {
		t.Fatal("the securitizer reads a loan outside its pools")
	}
}

// TestAssessReportsOnlyChanges: an assessment that changes no bucket calls
// neither the pool nor the portfolio.
func TestAssessReportsOnlyChanges(t *testing.T) {
	sc := newScenario(t)
	sc.mustCall(t, utc(2024, 6, 15), servicer, "board", boardArgs(), nil)
	n := len(sc.h.Calls())
	var ch loanlogic.Change
	res := sc.mustCall(t, utc(2024, 6, 20), servicer, "assess", loanlogic.AssessRequest{ID: "B1"}, &ch)
	if ch.Changed() || len(res.Events) != 0 || len(sc.h.Calls()) != n {
		t.Fatalf("quiet assess: %+v, events %q, calls %d", ch, eventNames(res), len(sc.h.Calls())-n)
	}
	res = sc.mustCall(t, utc(2024, 6, 30), servicer, "assess", loanlogic.AssessRequest{ID: "B1"}, &ch)
	if ch.To != loanlogic.Bucket60 || !slices.Equal(eventNames(res), []string{EventLoanDelinquent}) || len(sc.h.Calls()) != n+2 {
		t.Fatalf("roll to 60: %+v, events %q", ch, eventNames(res))
	}
	if res := sc.call(t, utc(2024, 6, 30), owner, "assess", loanlogic.AssessRequest{ID: "B1"}); res.OK {
		t.Fatal("the owner assessed")
	}
	p, _ := portfoliologic.Load(sc.portfolio, owner)
	if p.Rolls[1][2] != 1 || p.RollForwardBps[1] != 10_000 {
		t.Fatalf("portfolio rolls %+v", p)
	}
}
