package loanlogic

import (
	"errors"
	"testing"
	"time"

	"github.com/meshledger/meshledger/sdk/contract"
)

func TestInstallment(t *testing.T) {
	tests := []struct {
		name                     string
		principal, rate, term, w int64
	}{
		{"30y mortgage 6%", 200_000_00, 600, 360, 1199_11}, // 1199.1010 rounded up
		{"zero rate rounds up", 10_000_00, 0, 12, 833_34},
		{"zero rate exact", 12_00, 0, 12, 1_00},
		{"one month", 1_000_00, 1200, 1, 1_010_00},
		{"max terms", MaxPrincipal, MaxRateBps, MaxTermMonths, 8_333_333_333_334},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Installment(tc.principal, tc.rate, tc.term); got != tc.w {
				t.Fatalf("Installment(%d, %d, %d) = %d, want %d", tc.principal, tc.rate, tc.term, got, tc.w)
			}
		})
	}
}

func TestPeriodInterestRoundsHalfUp(t *testing.T) {
	tests := []struct{ balance, rate, want int64 }{
		{200_000_00, 600, 1000_00},
		{100, 600, 1}, // 0.5 cent rounds up
		{99, 600, 0},  // 0.495 cent rounds down
		{1, 600, 0},
		{0, 600, 0},
		{MaxPrincipal, MaxRateBps, MaxPrincipal / 12},
	}
	for _, tc := range tests {
		if got := PeriodInterest(tc.balance, tc.rate); got != tc.want {
			t.Errorf("PeriodInterest(%d, %d) = %d, want %d", tc.balance, tc.rate, got, tc.want)
		}
	}
}

func TestDueDateClampsToMonthEnd(t *testing.T) {
	day := func(y int, m time.Month, d int) int64 { return time.Date(y, m, d, 12, 30, 0, 0, time.UTC).Unix() }
	tests := []struct {
		first  int64
		months int64
		want   int64
	}{
		{day(2024, 1, 31), 0, day(2024, 1, 31)},
		{day(2024, 1, 31), 1, day(2024, 2, 29)},
		{day(2024, 1, 31), 2, day(2024, 3, 31)},
		{day(2024, 1, 31), 13, day(2025, 2, 28)},
		{day(2024, 12, 15), 1, day(2025, 1, 15)},
		{day(2024, 3, 1), 360, day(2054, 3, 1)},
	}
	for _, tc := range tests {
		if got := DueDate(tc.first, tc.months); got != tc.want {
			t.Errorf("DueDate(%s, %d) = %s, want %s", time.Unix(tc.first, 0).UTC(), tc.months,
				time.Unix(got, 0).UTC(), time.Unix(tc.want, 0).UTC())
		}
	}
}

var (
	owner    = contract.Address{1}
	borrower = contract.Address{2}
	servicer = contract.Address{3}
)

const now = 1_704_067_200 // 2024-01-01

func newLoan(t testing.TB, s Store) *Loan {
	t.Helper()
	l, err := Create(s, owner, now, CreateRequest{
		ID: "L1", Borrower: borrower, Servicer: servicer,
		Principal: 200_000_00, RateBps: 600, TermMonths: 360, FirstDue: now + 31*86400,
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestAmortisesToZeroWithinTerm(t *testing.T) {
	s := MapStore{}
	l := newLoan(t, s)
	var n int64
	for l.Status == StatusActive {
		amount := min(l.Installment, l.Balance+l.InterestDue)
		var err error
		if l, _, err = Pay(s, servicer, now, PayRequest{ID: "L1", Amount: amount}); err != nil {
			t.Fatal(err)
		}
		if n++; n > l.TermMonths {
			t.Fatalf("still owing %d after %d installments", l.Balance, n)
		}
	}
	if l.PrincipalPaid != l.Principal || l.TotalPaid != l.PrincipalPaid+l.InterestPaid || l.NextDue != 0 {
		t.Fatalf("paid off loan inconsistent: %+v", l)
	}
	if n != 360 {
		t.Fatalf("paid off after %d installments, want 360", n)
	}
}

func TestLoadErrors(t *testing.T) {
	s := MapStore{"loan/bad": []byte("{not json")}
	for _, tc := range []struct {
		id   string
		want error
	}{
		{"bad", ErrCorrupt},
		{"none", ErrNotFound},
		{"", ErrInvalid},
		{"a/b", ErrInvalid},
	} {
		if _, err := Load(s, tc.id); !errors.Is(err, tc.want) {
			t.Errorf("Load(%q) = %v, want %v", tc.id, err, tc.want)
		}
	}
}
