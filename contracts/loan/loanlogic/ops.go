package loanlogic

import (
	"fmt"
	"math/big"
	"time"

	"github.com/meshledger/meshledger/sdk/contract"
)

// CreateRequest is the argument of the create method.
type CreateRequest struct {
	ID         string           `json:"id"`
	Borrower   contract.Address `json:"borrower"`
	Servicer   contract.Address `json:"servicer"`
	Principal  int64            `json:"principal"`
	RateBps    int64            `json:"rate_bps"`
	TermMonths int64            `json:"term_months"`
	FirstDue   int64            `json:"first_due"`
}

// PayRequest is the argument of the pay method.
type PayRequest struct {
	ID     string `json:"id"`
	Amount int64  `json:"amount"`
}

// Payment is the result of pay and the payload of PaymentRecorded.
type Payment struct {
	ID          string `json:"id"`
	Amount      int64  `json:"amount"`
	Interest    int64  `json:"interest"`
	Principal   int64  `json:"principal"`
	Balance     int64  `json:"balance"`
	InterestDue int64  `json:"interest_due"`
	Payments    int64  `json:"payments"`
	NextDue     int64  `json:"next_due"`
	PaidAt      int64  `json:"paid_at"`
	Status      string `json:"status"`
}

// Create validates req and stores a new loan owned by caller at block time
// now (Unix seconds).
func Create(s Store, caller contract.Address, now int64, req CreateRequest) (*Loan, error) {
	if err := checkID(req.ID); err != nil {
		return nil, err
	}
	switch {
	case req.Borrower.IsZero():
		return nil, fmt.Errorf("%w: borrower is required", ErrInvalid)
	case req.Servicer.IsZero():
		return nil, fmt.Errorf("%w: servicer is required", ErrInvalid)
	case req.Principal <= 0 || req.Principal > MaxPrincipal:
		return nil, fmt.Errorf("%w: principal must be 1 to %d cents, got %d", ErrInvalid, int64(MaxPrincipal), req.Principal)
	case req.RateBps < 0 || req.RateBps > MaxRateBps:
		return nil, fmt.Errorf("%w: rate_bps must be 0 to %d, got %d", ErrInvalid, MaxRateBps, req.RateBps)
	case req.TermMonths <= 0 || req.TermMonths > MaxTermMonths:
		return nil, fmt.Errorf("%w: term_months must be 1 to %d, got %d", ErrInvalid, MaxTermMonths, req.TermMonths)
	case req.FirstDue <= now:
		return nil, fmt.Errorf("%w: first_due %d must be after the block time %d", ErrInvalid, req.FirstDue, now)
	}
	if _, exists := s.Get(Key(req.ID)); exists {
		return nil, fmt.Errorf("%w: %q", ErrExists, req.ID)
	}
	l := &Loan{
		ID:          req.ID,
		Owner:       caller,
		Borrower:    req.Borrower,
		Servicer:    req.Servicer,
		Principal:   req.Principal,
		RateBps:     req.RateBps,
		TermMonths:  req.TermMonths,
		FirstDue:    req.FirstDue,
		CreatedAt:   now,
		Installment: Installment(req.Principal, req.RateBps, req.TermMonths),
		Balance:     req.Principal,
		InterestDue: PeriodInterest(req.Principal, req.RateBps),
		NextDue:     req.FirstDue,
		Status:      StatusActive,
	}
	save(s, l)
	return l, nil
}

// Pay records a payment by the loan's servicer at block time now.
//
// Allocation: interest due first, then principal. An installment is
// satisfied once the payments since the last one reach Installment; each
// satisfied installment moves NextDue one month on and accrues the next
// period's interest on the balance at that moment. A payment larger than
// the payoff amount (Balance + InterestDue) is refused; one equal to it
// pays the loan off.
func Pay(s Store, caller contract.Address, now int64, req PayRequest) (*Loan, Payment, error) {
	if req.Amount <= 0 {
		return nil, Payment{}, fmt.Errorf("%w: amount must be positive, got %d", ErrInvalid, req.Amount)
	}
	l, err := Load(s, req.ID)
	if err != nil {
		return nil, Payment{}, err
	}
	if caller != l.Servicer {
		return nil, Payment{}, fmt.Errorf("%w: only the servicer of loan %q records payments", ErrUnauthorized, l.ID)
	}
	if l.Status == StatusPaidOff {
		return nil, Payment{}, fmt.Errorf("%w: %q", ErrPaidOff, l.ID)
	}
	if payoff := l.Balance + l.InterestDue; req.Amount > payoff {
		return nil, Payment{}, fmt.Errorf("%w: %d > %d on loan %q", ErrOverpayment, req.Amount, payoff, l.ID)
	}
	interest, principal := applyPayment(l, req.Amount, now)
	save(s, l)
	return l, Payment{
		ID:          l.ID,
		Amount:      req.Amount,
		Interest:    interest,
		Principal:   principal,
		Balance:     l.Balance,
		InterestDue: l.InterestDue,
		Payments:    l.Payments,
		NextDue:     l.NextDue,
		PaidAt:      now,
		Status:      l.Status,
	}, nil
}

// applyPayment allocates amount to l at time at (interest due first, then
// principal) and advances the installments it satisfies; the caller has
// checked that amount is positive and within the payoff amount. Pay and
// Board (replaying a boarded loan's history) share it, so a boarded loan
// is in exactly the state it would be had its payments been recorded here.
func applyPayment(l *Loan, amount, at int64) (interest, principal int64) {
	interest = min(amount, l.InterestDue)
	principal = amount - interest
	l.InterestDue -= interest
	l.Balance -= principal
	l.InterestPaid += interest
	l.PrincipalPaid += principal
	l.TotalPaid += amount
	l.Payments++
	l.LastPaymentAt = at
	l.PaidThisPeriod += amount
	if l.Balance == 0 {
		l.Status = StatusPaidOff
		l.NextDue = 0
		l.PaidThisPeriod = 0
	} else {
		for l.PaidThisPeriod >= l.Installment {
			l.PaidThisPeriod -= l.Installment
			l.Period++
			l.NextDue = DueDate(l.FirstDue, l.Period)
			l.InterestDue += PeriodInterest(l.Balance, l.RateBps)
		}
	}
	return interest, principal
}

// PeriodInterest is one month's interest on balance at rateBps a year:
// balance * rateBps / 120000, rounded half up to the cent. Operands are
// bounded (MaxPrincipal, MaxRateBps) so the product never overflows.
func PeriodInterest(balance, rateBps int64) int64 {
	return (balance*rateBps + 60_000) / 120_000
}

// Installment is the level monthly payment retiring principal in
// termMonths at rateBps a year, rounded up to the cent:
// P·r·(1+r)^n / ((1+r)^n − 1) with r = rateBps/120000, computed exactly in
// integers (or P/n rounded up when the rate is zero). Rounding up means
// the last installment may be smaller, never that a balance outlives the
// term through rounding.
func Installment(principal, rateBps, termMonths int64) int64 {
	if rateBps == 0 {
		return (principal + termMonths - 1) / termMonths
	}
	base := big.NewInt(120_000)
	growth := new(big.Int).Exp(big.NewInt(120_000+rateBps), big.NewInt(termMonths), nil)
	baseN := new(big.Int).Exp(base, big.NewInt(termMonths), nil)
	num := new(big.Int).Mul(big.NewInt(principal*rateBps), growth)
	den := new(big.Int).Mul(base, new(big.Int).Sub(growth, baseN))
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}

// DueDate is the due date months after firstDue: same time of day, same
// day of month, clamped to the month's last day (Jan 31 → Feb 28/29).
// All in UTC, so it is the same on every node.
func DueDate(firstDue, months int64) int64 {
	t := time.Unix(firstDue, 0).UTC()
	y, m, d := t.Date()
	total := int64(m-1) + months
	year, month := y+int(total/12), time.Month(total%12+1)
	if last := time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day(); d > last {
		d = last
	}
	return time.Date(year, month, d, t.Hour(), t.Minute(), t.Second(), 0, time.UTC).Unix()
}
