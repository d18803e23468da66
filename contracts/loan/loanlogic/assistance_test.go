package loanlogic

import (
	"errors"
	"testing"
)

func b1Offer() OfferRequest {
	return OfferRequest{ID: "B1", ForbearanceMonths: 3, PlanMonths: 6, ModRateBps: 400, ModTermMonths: 360}
}

// offeredB1 is B1 boarded, with the servicer's offer made on boarding day.
func offeredB1(t *testing.T) MapStore {
	t.Helper()
	s := boardB1(t)
	if _, _, _, err := OfferAssistance(s, servicer, b1At, b1Offer()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOfferFigures(t *testing.T) {
	s := boardB1(t)
	_, sv, o, err := OfferAssistance(s, servicer, b1At, b1Offer())
	if err != nil {
		t.Fatal(err)
	}
	// Arrears: May and June, 2 × 1,199.11. Forbearance: arrears plus July
	// to September suspended, due with October's installment. Repayment
	// plan: 2,398.22 / 6 = 399.70333 → 399.70 a month on top of 1,199.11,
	// the sixth absorbing the 0.02 left. Modification: balance 199,399.67
	// plus unpaid interest 997.00 = 200,396.67 re-amortised at 4% over 30
	// years: 956.724354… rounded up to 956.73.
	want := Offer{
		ID: "B1", MadeAt: b1At, ExpiresAt: b1At + 30*86400, Arrears: 2398_22,
		Forbearance:   Forbearance{Months: 3, LumpSum: 5995_55, DueAt: utc(2024, 10, 1)},
		RepaymentPlan: RepaymentPlan{Months: 6, Installment: 1598_81, FinalInstallment: 1598_83, FirstDue: utc(2024, 7, 1)},
		Modification:  Modification{Principal: 200_396_67, RateBps: 400, TermMonths: 360, Installment: 956_73, FirstDue: utc(2024, 7, 1)},
	}
	if *o != want {
		t.Fatalf("offer\n got %+v\nwant %+v", *o, want)
	}
	if sv.Offer == nil || *sv.Offer != want {
		t.Fatal("offer not kept in the servicing record")
	}
	if stored, _, _ := LoadServicing(s, "B1"); stored.Offer == nil || *stored.Offer != want {
		t.Fatal("offer not stored")
	}
}

func TestRepaymentPlanRounding(t *testing.T) {
	l := &Loan{ID: "R", Installment: 100_00, Balance: 10_000_00, FirstDue: utc(2024, 1, 31), TermMonths: 120}
	tests := []struct {
		name                 string
		now                  int64
		months               int64
		arrears, inst, final int64
	}{
		// Arrears of one installment (Jan 31) over 3 months: 33.33, 33.33, 33.34.
		{"thirds", utc(2024, 2, 15), 3, 100_00, 133_33, 133_34},
		// Two installments (Jan 31, Feb 29) over 7: 28.57 × 6 + 28.58.
		{"sevenths", utc(2024, 3, 15), 7, 200_00, 128_57, 128_58},
		// Over one month the plan is the arrears at once.
		{"one month", utc(2024, 2, 15), 1, 100_00, 200_00, 200_00},
		// Fewer cents than months: nothing on top until the last.
		{"tiny", utc(2024, 2, 15), 60, 100_00, 101_66, 102_06},
	}
	for _, tc := range tests {
		o, err := ComputeOffer(l, tc.now, OfferRequest{ForbearanceMonths: 1, PlanMonths: tc.months, ModTermMonths: 12})
		if err != nil {
			t.Fatal(err)
		}
		r := o.RepaymentPlan
		if o.Arrears != tc.arrears || r.Installment != tc.inst || r.FinalInstallment != tc.final {
			t.Errorf("%s: arrears %d, plan %d then %d; want %d, %d then %d", tc.name, o.Arrears, r.Installment, r.FinalInstallment, tc.arrears, tc.inst, tc.final)
		}
		if got := (tc.months-1)*(r.Installment-l.Installment) + r.FinalInstallment - l.Installment; got != o.Arrears {
			t.Errorf("%s: plan collects %d of arrears %d", tc.name, got, o.Arrears)
		}
	}
	// A part payment counts against the arrears.
	l.PaidThisPeriod = 40_00
	if o, _ := ComputeOffer(l, utc(2024, 3, 15), OfferRequest{ForbearanceMonths: 1, PlanMonths: 1, ModTermMonths: 12}); o.Arrears != 160_00 {
		t.Errorf("arrears after a part payment = %d, want 16000", o.Arrears)
	}
}

func TestOfferRejects(t *testing.T) {
	tests := []struct {
		name   string
		caller [20]byte
		mutate func(*OfferRequest)
		at     int64
		want   error
	}{
		{"not the servicer", owner, nil, b1At, ErrUnauthorized},
		{"borrower", borrower, nil, b1At, ErrUnauthorized},
		{"no forbearance months", servicer, func(r *OfferRequest) { r.ForbearanceMonths = 0 }, b1At, ErrInvalid},
		{"too long forbearance", servicer, func(r *OfferRequest) { r.ForbearanceMonths = MaxForbearanceMonths + 1 }, b1At, ErrInvalid},
		{"no plan months", servicer, func(r *OfferRequest) { r.PlanMonths = 0 }, b1At, ErrInvalid},
		{"too long plan", servicer, func(r *OfferRequest) { r.PlanMonths = MaxPlanMonths + 1 }, b1At, ErrInvalid},
		{"negative rate", servicer, func(r *OfferRequest) { r.ModRateBps = -1 }, b1At, ErrInvalid},
		{"no term", servicer, func(r *OfferRequest) { r.ModTermMonths = 0 }, b1At, ErrInvalid},
		{"not in arrears", servicer, nil, utc(2024, 4, 15), ErrNotInArrears},
		{"not boarded", servicer, func(r *OfferRequest) { r.ID = "L1" }, b1At, ErrNotBoarded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := MapStore{}
			req := b1Request()
			if tc.at < b1At {
				req.History = req.History[:3]
			}
			if _, _, _, err := Board(s, servicer, min(tc.at, b1At), req); err != nil {
				t.Fatal(err)
			}
			newLoan(t, s)
			before := s["servicing/B1"]
			r := b1Offer()
			if tc.mutate != nil {
				tc.mutate(&r)
			}
			if _, _, _, err := OfferAssistance(s, tc.caller, tc.at, r); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if string(s["servicing/B1"]) != string(before) {
				t.Fatal("refused offer changed the servicing record")
			}
		})
	}
}

func TestAcceptRejects(t *testing.T) {
	tests := []struct {
		name   string
		caller [20]byte
		option string
		at     int64
		offer  bool
		want   error
	}{
		{"servicer", servicer, OptionRepaymentPlan, b1At, true, ErrUnauthorized},
		{"owner", owner, OptionRepaymentPlan, b1At, true, ErrUnauthorized},
		{"securitizer", securitizer, OptionRepaymentPlan, b1At, true, ErrUnauthorized},
		{"no offer", borrower, OptionRepaymentPlan, b1At, false, ErrNoOffer},
		{"expired", borrower, OptionRepaymentPlan, b1At + OfferValidity + 1, true, ErrOfferExpired},
		{"unknown option", borrower, "holiday", b1At, true, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := boardB1(t)
			if tc.offer {
				if _, _, _, err := OfferAssistance(s, servicer, b1At, b1Offer()); err != nil {
					t.Fatal(err)
				}
			}
			loanBefore, svBefore := string(s["loan/B1"]), string(s["servicing/B1"])
			if _, _, _, err := Accept(s, tc.caller, tc.at, AcceptRequest{ID: "B1", Option: tc.option}); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if string(s["loan/B1"]) != loanBefore || string(s["servicing/B1"]) != svBefore {
				t.Fatal("refused accept changed state")
			}
		})
	}
	// Accepting at the last second of the offer is still in time; a
	// second offer is refused while the plan runs.
	s := offeredB1(t)
	if _, _, _, err := Accept(s, borrower, b1At+OfferValidity, AcceptRequest{ID: "B1", Option: OptionForbearance}); err != nil {
		t.Fatalf("accept at expiry: %v", err)
	}
	if _, _, _, err := OfferAssistance(s, servicer, b1At+OfferValidity, b1Offer()); !errors.Is(err, ErrPlanActive) {
		t.Fatalf("offer during a plan: %v, want ErrPlanActive", err)
	}
	if _, _, _, err := Accept(s, borrower, b1At+OfferValidity, AcceptRequest{ID: "B1", Option: OptionForbearance}); !errors.Is(err, ErrNoOffer) {
		t.Fatalf("accepting the same offer twice: %v, want ErrNoOffer", err)
	}
}

// pay records a payment on a boarded loan as the contract does.
func pay(t *testing.T, s MapStore, at, amount int64) (*Servicing, Change) {
	t.Helper()
	l, _, err := Pay(s, servicer, at, PayRequest{ID: "B1", Amount: amount})
	if err != nil {
		t.Fatal(err)
	}
	sv, ch, ok, err := RecordServicedPayment(s, l, amount, at)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	return sv, ch
}

func TestRepaymentPlanCompletes(t *testing.T) {
	s := offeredB1(t)
	_, sv, ch, err := Accept(s, borrower, b1At, AcceptRequest{ID: "B1", Option: OptionRepaymentPlan})
	if err != nil {
		t.Fatal(err)
	}
	// On the plan the loan is judged against July 1: current, so cured.
	if !ch.Cured || ch.To != BucketCurrent || ch.Due != utc(2024, 7, 1) || sv.Plan.Status != PlanActive || sv.Offer != nil {
		t.Fatalf("after accept: %+v, plan %+v", ch, sv.Plan)
	}
	for i := range int64(6) {
		due := DueDate(utc(2024, 7, 1), i)
		amount := int64(1598_81)
		if i == 5 {
			amount = 1598_83
		}
		sv, ch = pay(t, s, due, amount)
		if sv.Plan.PaymentsMade != i+1 || ch.To != BucketCurrent || ch.Missed {
			t.Fatalf("plan payment %d: %+v, plan %+v", i+1, ch, sv.Plan)
		}
	}
	if sv.Plan.Status != PlanCompleted || !ch.PlanCompleted || sv.Plan.EndedAt != utc(2024, 12, 1) {
		t.Fatalf("plan after six payments: %+v", sv.Plan)
	}
	// Six plan payments are exactly eight installments: the loan is on
	// its own schedule again, next due January 2025.
	l, _ := Load(s, "B1")
	if l.Period != 11 || l.NextDue != utc(2025, 1, 1) || l.PaidThisPeriod != 0 {
		t.Fatalf("loan after the plan: period %d, next due %d, paid this period %d", l.Period, l.NextDue, l.PaidThisPeriod)
	}
	if _, _, ch, _ = Assess(s, servicer, utc(2024, 12, 31), AssessRequest{ID: "B1"}); ch.To != BucketCurrent || ch.Missed {
		t.Fatalf("after the plan: %+v", ch)
	}
}

func TestRepaymentPlanRedefaults(t *testing.T) {
	s := offeredB1(t)
	if _, _, _, err := Accept(s, borrower, b1At, AcceptRequest{ID: "B1", Option: OptionRepaymentPlan}); err != nil {
		t.Fatal(err)
	}
	pay(t, s, utc(2024, 7, 1), 1598_81)
	// August's plan payment is missed: announced, still current.
	_, _, ch, _ := Assess(s, servicer, utc(2024, 8, 2), AssessRequest{ID: "B1"})
	if !ch.Missed || ch.To != BucketCurrent || ch.AmountDue != 1598_81 || ch.PlanDefaulted {
		t.Fatalf("August missed: %+v", ch)
	}
	// 30 days behind the plan: it defaults, and the loan is judged on its
	// own schedule again: one plan payment met May's installment and part
	// of June's, so it is 91 days past June 1.
	_, sv, ch, _ := Assess(s, servicer, utc(2024, 8, 31), AssessRequest{ID: "B1"})
	want := Change{ID: "B1", From: BucketCurrent, To: Bucket90, Due: utc(2024, 6, 1), DaysPastDue: 91,
		AmountDue: 3*1199_11 - 399_70, Missed: true, Delinquent: true, PlanDefaulted: true}
	if ch != want {
		t.Fatalf("re-default\n got %+v\nwant %+v", ch, want)
	}
	if sv.Plan.Status != PlanDefaulted || sv.Plan.EndedAt != utc(2024, 8, 31) {
		t.Fatalf("plan %+v", sv.Plan)
	}
	// A new offer may follow a defaulted plan.
	if _, _, _, err := OfferAssistance(s, servicer, utc(2024, 8, 31), b1Offer()); err != nil {
		t.Fatalf("offer after re-default: %v", err)
	}
}

func TestForbearance(t *testing.T) {
	t.Run("lump sum paid", func(t *testing.T) {
		s := offeredB1(t)
		_, sv, ch, err := Accept(s, borrower, b1At, AcceptRequest{ID: "B1", Option: OptionForbearance})
		if err != nil {
			t.Fatal(err)
		}
		if !ch.Cured || ch.Due != utc(2024, 10, 1) || sv.Plan.LumpSum != 5995_55 {
			t.Fatalf("after accept: %+v plan %+v", ch, sv.Plan)
		}
		// Nothing is due during the suspension.
		if _, _, ch, _ = Assess(s, servicer, utc(2024, 9, 30), AssessRequest{ID: "B1"}); ch.Missed || ch.To != BucketCurrent {
			t.Fatalf("during forbearance: %+v", ch)
		}
		sv, ch = pay(t, s, utc(2024, 9, 30), 5995_55)
		if sv.Plan.Status != PlanCompleted || !ch.PlanCompleted || ch.To != BucketCurrent {
			t.Fatalf("after the lump sum: %+v plan %+v", ch, sv.Plan)
		}
		if l, _ := Load(s, "B1"); l.NextDue != utc(2024, 10, 1) || l.Period != 8 {
			t.Fatalf("loan after forbearance: %+v", l)
		}
	})
	t.Run("lump sum missed", func(t *testing.T) {
		s := offeredB1(t)
		if _, _, _, err := Accept(s, borrower, b1At, AcceptRequest{ID: "B1", Option: OptionForbearance}); err != nil {
			t.Fatal(err)
		}
		_, _, ch, _ := Assess(s, servicer, utc(2024, 10, 2), AssessRequest{ID: "B1"})
		if !ch.Missed || ch.AmountDue != 5995_55 || ch.To != BucketCurrent {
			t.Fatalf("lump sum missed: %+v", ch)
		}
		_, sv, ch, _ := Assess(s, servicer, utc(2024, 10, 31), AssessRequest{ID: "B1"})
		if !ch.PlanDefaulted || sv.Plan.Status != PlanDefaulted || ch.To != Bucket90 || ch.Due != utc(2024, 5, 1) || ch.DaysPastDue != 183 {
			t.Fatalf("forbearance default: %+v", ch)
		}
	})
}

func TestModification(t *testing.T) {
	s := offeredB1(t)
	l, sv, ch, err := Accept(s, borrower, b1At, AcceptRequest{ID: "B1", Option: OptionModification})
	if err != nil {
		t.Fatal(err)
	}
	// 200,396.67 at 4%: first month's interest 667.9889 → 667.99.
	if l.Balance != 200_396_67 || l.RateBps != 400 || l.TermMonths != 360 || l.Installment != 956_73 ||
		l.InterestDue != 667_99 || l.Period != 0 || l.NextDue != utc(2024, 7, 1) || l.FirstDue != utc(2024, 7, 1) {
		t.Fatalf("modified loan %+v", l)
	}
	if l.Principal != 200_000_00 {
		t.Fatal("the original principal is kept")
	}
	if sv.Plan.Kind != OptionModification || sv.Plan.Status != PlanCompleted || !ch.Cured || ch.Due != utc(2024, 7, 1) {
		t.Fatalf("after modification: %+v plan %+v", ch, sv.Plan)
	}
	if stored, _ := Load(s, "B1"); *stored != *l {
		t.Fatal("modified loan not stored")
	}
	// The modified schedule pays off in its term.
	var n int64
	for l.Status == StatusActive {
		amount := min(l.Installment, l.Balance+l.InterestDue)
		if l, _, err = Pay(s, servicer, b1At, PayRequest{ID: "B1", Amount: amount}); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 360 {
		t.Fatalf("modified loan paid off after %d installments", n)
	}
}

// TestModificationBound: capitalising unpaid interest may not lift a
// balance beyond MaxPrincipal.
func TestModificationBound(t *testing.T) {
	l := &Loan{ID: "X", Installment: 1_000_00, Balance: MaxPrincipal, InterestDue: 1, FirstDue: utc(2024, 1, 1), TermMonths: 12}
	if _, err := ComputeOffer(l, utc(2024, 2, 15), OfferRequest{ForbearanceMonths: 1, PlanMonths: 1, ModTermMonths: 12}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	l.InterestDue = 0
	if _, err := ComputeOffer(l, utc(2024, 2, 15), OfferRequest{ForbearanceMonths: 1, PlanMonths: 1, ModTermMonths: 12}); err != nil {
		t.Fatalf("at the bound: %v", err)
	}
}
