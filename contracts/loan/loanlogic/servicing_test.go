package loanlogic

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/meshledger/meshledger/sdk/contract"
)

var securitizer = contract.Address{4}

func utc(y int, m time.Month, d int) int64 { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() }

// The boarded loan of these tests: 200,000.00 at 6% over 30 years,
// originated 2024-01-01, first due 2024-02-01, three installments of
// 1,199.11 paid on their due dates, boarded on 2024-06-15 with May and
// June unpaid.
var (
	b1First = utc(2024, 2, 1)
	b1At    = utc(2024, 6, 15)
)

func b1Request() BoardRequest {
	return BoardRequest{
		ID: "B1", Owner: owner, Borrower: borrower, Securitizer: securitizer,
		PoolContract: contract.Address{0x90}, Pool: "P1",
		Principal: 200_000_00, RateBps: 600, TermMonths: 360, FirstDue: b1First, OriginatedAt: now,
		History: []HistoricPayment{
			{1199_11, b1First}, {1199_11, DueDate(b1First, 1)}, {1199_11, DueDate(b1First, 2)},
		},
	}
}

func boardB1(t *testing.T) MapStore {
	t.Helper()
	s := MapStore{}
	if _, _, _, err := Board(s, servicer, b1At, b1Request()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBoardReplaysHistory(t *testing.T) {
	s := MapStore{}
	l, sv, ch, err := Board(s, servicer, b1At, b1Request())
	if err != nil {
		t.Fatal(err)
	}
	// Hand-computed: interest 1,000.00, 999.00, 998.00 (half up on
	// 999.00445 and 998.0039), principal 199.11, 200.11, 201.11.
	want := Loan{
		ID: "B1", Owner: owner, Borrower: borrower, Servicer: servicer,
		Principal: 200_000_00, RateBps: 600, TermMonths: 360, FirstDue: b1First, CreatedAt: now,
		Installment: 1199_11, Balance: 199_399_67, InterestDue: 997_00, Period: 3, NextDue: utc(2024, 5, 1),
		TotalPaid: 3597_33, InterestPaid: 2997_00, PrincipalPaid: 600_33, Payments: 3, LastPaymentAt: utc(2024, 4, 1),
		Status: StatusActive,
	}
	if *l != want {
		t.Fatalf("loan\n got %+v\nwant %+v", *l, want)
	}
	wantCh := Change{ID: "B1", From: BucketCurrent, To: Bucket30, Due: utc(2024, 5, 1), DaysPastDue: 45,
		AmountDue: 2 * 1199_11, Missed: true, Delinquent: true}
	if ch != wantCh {
		t.Fatalf("change\n got %+v\nwant %+v", ch, wantCh)
	}
	if sv.Bucket != Bucket30 || sv.DaysPastDue != 45 || sv.MissedDue != utc(2024, 5, 1) || sv.Securitizer != securitizer {
		t.Fatalf("servicing %+v", sv)
	}
	stored, ok, err := LoadServicing(s, "B1")
	if !ok || err != nil || stored.Bucket != Bucket30 || stored.Pool != "P1" {
		t.Fatalf("stored servicing %+v %v %v", stored, ok, err)
	}
	if got, _ := Load(s, "B1"); *got != want {
		t.Fatalf("stored loan %+v", got)
	}
}

func TestBoardRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*BoardRequest)
		want   error
	}{
		{"bad id", func(r *BoardRequest) { r.ID = "a/b" }, ErrInvalid},
		{"no owner", func(r *BoardRequest) { r.Owner = contract.Address{} }, ErrInvalid},
		{"no borrower", func(r *BoardRequest) { r.Borrower = contract.Address{} }, ErrInvalid},
		{"zero principal", func(r *BoardRequest) { r.Principal = 0 }, ErrInvalid},
		{"huge principal", func(r *BoardRequest) { r.Principal = MaxPrincipal + 1 }, ErrInvalid},
		{"negative rate", func(r *BoardRequest) { r.RateBps = -1 }, ErrInvalid},
		{"zero term", func(r *BoardRequest) { r.TermMonths = 0 }, ErrInvalid},
		{"originated in the future", func(r *BoardRequest) { r.OriginatedAt = b1At + 1 }, ErrInvalid},
		{"first due before origination", func(r *BoardRequest) { r.FirstDue = now }, ErrInvalid},
		{"history out of order", func(r *BoardRequest) { r.History[1].PaidAt = r.History[0].PaidAt - 1 }, ErrInvalid},
		{"history in the future", func(r *BoardRequest) { r.History[2].PaidAt = b1At + 1 }, ErrInvalid},
		{"history before origination", func(r *BoardRequest) { r.History[0].PaidAt = now - 1 }, ErrInvalid},
		{"zero payment", func(r *BoardRequest) { r.History[0].Amount = 0 }, ErrInvalid},
		{"overpayment", func(r *BoardRequest) { r.History[0].Amount = 200_000_00 + 1000_00 + 1 }, ErrInvalid},
		{"payment after payoff", func(r *BoardRequest) {
			r.History = []HistoricPayment{{200_000_00 + 1000_00, b1First}, {1, b1First}}
		}, ErrInvalid},
		{"too much history", func(r *BoardRequest) { r.History = make([]HistoricPayment, MaxHistory+1) }, ErrInvalid},
		{"pool without contract", func(r *BoardRequest) { r.PoolContract = contract.Address{} }, ErrInvalid},
		{"contract without pool", func(r *BoardRequest) { r.Pool = "" }, ErrInvalid},
		{"bad pool id", func(r *BoardRequest) { r.Pool = "p 1" }, ErrInvalid},
		{"securitizer without pool", func(r *BoardRequest) { r.Pool, r.PoolContract = "", contract.Address{} }, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := MapStore{}
			req := b1Request()
			tc.mutate(&req)
			if _, _, _, err := Board(s, servicer, b1At, req); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if len(s) != 0 {
				t.Fatalf("refused board wrote %v", s)
			}
		})
	}
	s := boardB1(t)
	if _, _, _, err := Board(s, servicer, b1At, b1Request()); !errors.Is(err, ErrExists) {
		t.Fatalf("boarding twice: %v, want ErrExists", err)
	}
}

func TestBucketBoundaries(t *testing.T) {
	due := utc(2024, 3, 1)
	tests := []struct {
		now  int64
		days int64
		want string
	}{
		{due - 1, 0, BucketCurrent},
		{due, 0, BucketCurrent},
		{due + 86399, 0, BucketCurrent},
		{due + 86400, 1, BucketCurrent},
		{due + 30*86400 - 1, 29, BucketCurrent},
		{due + 30*86400, 30, Bucket30},
		{due + 60*86400 - 1, 59, Bucket30},
		{due + 60*86400, 60, Bucket60},
		{due + 90*86400 - 1, 89, Bucket60},
		{due + 90*86400, 90, Bucket90},
		{due + 400*86400, 400, Bucket90},
	}
	for _, tc := range tests {
		d := DaysPastDue(due, tc.now)
		if d != tc.days || BucketOf(d) != tc.want {
			t.Errorf("at due%+ds: %d days, %q; want %d, %q", tc.now-due, d, BucketOf(d), tc.days, tc.want)
		}
	}
	if DaysPastDue(0, due) != 0 {
		t.Error("a paid-off loan (due 0) is past due")
	}
	for i, b := range Buckets {
		if BucketRank(b) != i {
			t.Errorf("BucketRank(%q) = %d", b, BucketRank(b))
		}
	}
	if BucketRank("120") != -1 {
		t.Error("unknown bucket ranked")
	}
}

// TestAssessLeapYearMonthEnd: a loan due on the 31st is due on the last
// day of shorter months, and February's length decides when 30 days pass.
func TestAssessLeapYearMonthEnd(t *testing.T) {
	tests := []struct {
		name      string
		first     int64
		wantDue   int64
		day29     int64 // 29 days after wantDue: still current
		day30     int64 // 30 days after: bucket 30
		origin    int64
		wantDays  int64
		wantLater string
	}{
		{"leap year", utc(2024, 1, 31), utc(2024, 2, 29), utc(2024, 3, 29), utc(2024, 3, 30), utc(2024, 1, 1), 30, Bucket30},
		{"common year", utc(2023, 1, 31), utc(2023, 2, 28), utc(2023, 3, 29), utc(2023, 3, 30), utc(2023, 1, 1), 30, Bucket30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := MapStore{}
			req := BoardRequest{ID: "M", Owner: owner, Borrower: borrower, Principal: 10_000_00, RateBps: 1200,
				TermMonths: 12, FirstDue: tc.first, OriginatedAt: tc.origin,
				History: []HistoricPayment{{Installment(10_000_00, 1200, 12), tc.first}}}
			l, _, ch, err := Board(s, servicer, tc.day29, req)
			if err != nil {
				t.Fatal(err)
			}
			if l.NextDue != tc.wantDue {
				t.Fatalf("next due %s, want %s", time.Unix(l.NextDue, 0).UTC(), time.Unix(tc.wantDue, 0).UTC())
			}
			if ch.To != BucketCurrent || !ch.Missed || ch.DaysPastDue != 29 {
				t.Fatalf("at day 29: %+v", ch)
			}
			_, _, ch, err = Assess(s, servicer, tc.day30, AssessRequest{ID: "M"})
			if err != nil {
				t.Fatal(err)
			}
			if ch.To != tc.wantLater || ch.DaysPastDue != tc.wantDays || ch.Missed || !ch.Delinquent {
				t.Fatalf("at day 30: %+v", ch)
			}
		})
	}
}

// TestAssessLifecycle walks one loan from current through every bucket
// and back: each due date is announced missed once, each worse bucket is
// announced delinquent, and paying the arrears cures it.
func TestAssessLifecycle(t *testing.T) {
	s := MapStore{}
	first := utc(2024, 2, 1)
	req := BoardRequest{ID: "C", Owner: owner, Borrower: borrower, Securitizer: securitizer, PoolContract: contract.Address{0x90}, Pool: "P1",
		Principal: 100_000_00, RateBps: 500, TermMonths: 360, FirstDue: first, OriginatedAt: now}
	if _, _, ch, err := Board(s, servicer, utc(2024, 1, 15), req); err != nil || ch.Missed || ch.To != BucketCurrent {
		t.Fatalf("board: %+v %v", ch, err)
	}
	inst := Installment(100_000_00, 500, 360)
	if inst != 536_83 { // 536.8216 rounded up; the textbook table shows 536.82
		t.Fatalf("installment %d", inst)
	}
	steps := []struct {
		at                        int64
		to                        string
		days                      int64
		amountDue                 int64
		missed, delinquent, cured bool
	}{
		{utc(2024, 2, 1), BucketCurrent, 0, 0, false, false, false},
		{utc(2024, 2, 1) + 1, BucketCurrent, 0, inst, true, false, false},
		{utc(2024, 2, 20), BucketCurrent, 19, inst, false, false, false},
		{utc(2024, 3, 1), BucketCurrent, 29, inst, false, false, false}, // Feb 2024 has 29 days
		{utc(2024, 3, 2), Bucket30, 30, 2 * inst, false, true, false},
		{utc(2024, 4, 1), Bucket60, 60, 2 * inst, false, true, false},
		{utc(2024, 4, 30), Bucket60, 89, 3 * inst, false, false, false},
		{utc(2024, 5, 1), Bucket90, 90, 3 * inst, false, true, false},
		{utc(2024, 5, 1), Bucket90, 90, 3 * inst, false, false, false}, // assessing again changes nothing
	}
	for i, st := range steps {
		_, _, ch, err := Assess(s, servicer, st.at, AssessRequest{ID: "C"})
		if err != nil {
			t.Fatal(err)
		}
		if ch.To != st.to || ch.DaysPastDue != st.days || ch.AmountDue != st.amountDue ||
			ch.Missed != st.missed || ch.Delinquent != st.delinquent || ch.Cured != st.cured {
			t.Fatalf("step %d at %s: %+v", i, time.Unix(st.at, 0).UTC(), ch)
		}
	}
	// Paying three installments leaves May's unpaid but not 30 days late:
	// the loan is cured, and May's due date, now the one judged against,
	// is announced missed for the first time.
	at := utc(2024, 5, 10)
	l, _, err := Pay(s, servicer, at, PayRequest{ID: "C", Amount: 3 * inst})
	if err != nil {
		t.Fatal(err)
	}
	sv, ch, ok, err := RecordServicedPayment(s, l, 3*inst, at)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	want := Change{ID: "C", From: Bucket90, To: BucketCurrent, Due: utc(2024, 5, 1), DaysPastDue: 9, AmountDue: inst, Missed: true, Cured: true}
	if ch != want || sv.Cures != 1 {
		t.Fatalf("after paying arrears: %+v (cures %d)\nwant %+v", ch, sv.Cures, want)
	}
}

func TestAssessRejects(t *testing.T) {
	s := boardB1(t)
	newLoan(t, s) // L1: created, not boarded
	s["servicing/bad"], s["loan/bad"] = []byte("{"), s["loan/L1"]
	tests := []struct {
		name   string
		caller contract.Address
		id     string
		want   error
	}{
		{"not the servicer", owner, "B1", ErrUnauthorized},
		{"borrower", borrower, "B1", ErrUnauthorized},
		{"not boarded", servicer, "L1", ErrNotBoarded},
		{"missing", servicer, "nope", ErrNotFound},
		{"corrupt servicing", servicer, "bad", ErrCorrupt},
	}
	for _, tc := range tests {
		if _, _, _, err := Assess(s, tc.caller, b1At, AssessRequest{ID: tc.id}); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// A payment on a loan that was not boarded has no servicing to update.
	l, _ := Load(s, "L1")
	if _, _, ok, err := RecordServicedPayment(s, l, 1, b1At); ok || err != nil {
		t.Fatalf("RecordServicedPayment on a created loan: %v %v", ok, err)
	}
}

func TestAudienceAndParties(t *testing.T) {
	l := &Loan{Owner: owner, Borrower: borrower, Servicer: servicer}
	sv := &Servicing{Securitizer: securitizer}
	if got, want := Audience(l, sv), []contract.Address{owner, servicer, securitizer, borrower}; !slices.Equal(got, want) {
		t.Fatalf("Audience = %v, want %v", got, want)
	}
	if got, want := Audience(l, nil), []contract.Address{owner, servicer, borrower}; !slices.Equal(got, want) {
		t.Fatalf("Audience without servicing = %v, want %v", got, want)
	}
	if got, want := Audience(&Loan{Owner: owner, Borrower: borrower, Servicer: owner}, &Servicing{Securitizer: owner}), []contract.Address{owner, borrower}; !slices.Equal(got, want) {
		t.Fatalf("Audience with repeats = %v, want %v", got, want)
	}
	for _, a := range []contract.Address{owner, borrower, servicer, securitizer} {
		if !IsServicingParty(l, sv, a) {
			t.Errorf("%s is not a party", a)
		}
	}
	if IsServicingParty(l, sv, contract.Address{0x99}) || IsServicingParty(l, &Servicing{}, contract.Address{}) {
		t.Error("a stranger or the zero address is a party")
	}
}
