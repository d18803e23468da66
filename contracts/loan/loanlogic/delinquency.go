package loanlogic

import (
	"fmt"

	"github.com/meshledger/meshledger/sdk/contract"
)

// Delinquency buckets, by whole days past the effective due date.
// BucketCurrent covers 0 to 29 days: a payment may be missed (and
// PaymentMissed announced) while the loan is still current.
const (
	BucketCurrent = "current"
	Bucket30      = "30"  // 30 to 59 days past due
	Bucket60      = "60"  // 60 to 89 days past due
	Bucket90      = "90+" // 90 days or more
)

// Buckets lists the buckets from best to worst.
var Buckets = []string{BucketCurrent, Bucket30, Bucket60, Bucket90}

const secondsPerDay = 86_400

// DaysPastDue is the number of whole days from due to now: 0 when now is
// not after due, so a payment due at 12:00 is one day late at 12:00 the
// next day and not before.
func DaysPastDue(due, now int64) int64 {
	if due <= 0 || now <= due {
		return 0
	}
	return (now - due) / secondsPerDay
}

// BucketOf is the bucket of days past due.
func BucketOf(days int64) string {
	switch {
	case days >= 90:
		return Bucket90
	case days >= 60:
		return Bucket60
	case days >= 30:
		return Bucket30
	default:
		return BucketCurrent
	}
}

// BucketRank orders buckets: 0 for current to 3 for 90+, -1 if unknown.
func BucketRank(b string) int {
	for i, x := range Buckets {
		if x == b {
			return i
		}
	}
	return -1
}

// Change is what one judgement of a loan's delinquency found; the
// contract turns it into events and into the calls that update the pool
// and portfolio.
type Change struct {
	ID string `json:"id"`
	// From and To are the buckets before and after.
	From string `json:"from"`
	To   string `json:"to"`
	// Due is the effective due date judged against (the plan's while a
	// plan is active), DaysPastDue the whole days past it.
	Due         int64 `json:"due"`
	DaysPastDue int64 `json:"days_past_due"`
	// AmountDue is what would bring the loan back on schedule.
	AmountDue int64 `json:"amount_due"`
	// Missed: a due date passed unpaid, announced for the first time.
	Missed bool `json:"missed"`
	// Delinquent: the loan moved to a worse bucket than current.
	Delinquent bool `json:"delinquent"`
	// Cured: the loan moved from a delinquent bucket back to current.
	Cured bool `json:"cured"`
	// PlanCompleted and PlanDefaulted report the plan's fate in this
	// judgement (at most one is set).
	PlanCompleted bool `json:"plan_completed"`
	PlanDefaulted bool `json:"plan_defaulted"`
}

// Changed reports whether the bucket moved.
func (c Change) Changed() bool { return c.From != c.To }

// effectiveDue is the due date the loan is judged against: an active
// plan's, otherwise the loan's own.
func (sv *Servicing) effectiveDue(l *Loan) int64 {
	if l.Status == StatusPaidOff {
		return 0
	}
	if p := sv.Plan; p != nil && p.Status == PlanActive {
		return p.NextDue
	}
	return l.NextDue
}

// evaluate judges l's delinquency at now, updating sv. Order matters: the
// plan's completion and re-default are settled first, because they decide
// which schedule the loan is judged against.
func (sv *Servicing) evaluate(l *Loan, now int64) Change {
	ch := Change{ID: l.ID, From: sv.Bucket}
	if p := sv.Plan; p != nil && p.Status == PlanActive {
		switch {
		case l.Status == StatusPaidOff || p.completedBy(l):
			p.Status = PlanCompleted
			p.EndedAt = now
			ch.PlanCompleted = true
		case DaysPastDue(p.NextDue, now) >= 30:
			// Re-default: 30 days behind the plan's own schedule ends
			// the plan; the loan is judged on its original schedule again.
			p.Status = PlanDefaulted
			p.EndedAt = now
			ch.PlanDefaulted = true
		}
	}
	due := sv.effectiveDue(l)
	ch.Due = due
	ch.DaysPastDue = DaysPastDue(due, now)
	ch.To = BucketOf(ch.DaysPastDue)
	if due > 0 && now > due {
		ch.AmountDue = sv.amountDue(l, now)
		if sv.MissedDue != due {
			ch.Missed = true
			sv.MissedDue = due
		}
	}
	if BucketRank(ch.To) > BucketRank(ch.From) && ch.To != BucketCurrent {
		ch.Delinquent = true
	}
	if ch.From != BucketCurrent && ch.To == BucketCurrent {
		ch.Cured = true
		sv.Cures++
	}
	sv.Bucket = ch.To
	sv.DaysPastDue = ch.DaysPastDue
	sv.AssessedAt = now
	return ch
}

// amountDue is what brings the loan back on its effective schedule at now.
func (sv *Servicing) amountDue(l *Loan, now int64) int64 {
	if p := sv.Plan; p != nil && p.Status == PlanActive {
		return p.amountDue(now)
	}
	return Arrears(l, now)
}

// Arrears is the amount of l's installments due before now and unpaid:
// every installment whose due date has passed, less what was already paid
// toward the first of them, never more than the payoff amount.
func Arrears(l *Loan, now int64) int64 {
	k := pastDueInstallments(l, now)
	if k == 0 {
		return 0
	}
	return min(k*l.Installment-l.PaidThisPeriod, l.Balance+l.InterestDue)
}

// pastDueInstallments counts l's installments due before now and unpaid.
func pastDueInstallments(l *Loan, now int64) int64 {
	if l.Status == StatusPaidOff {
		return 0
	}
	var k int64
	for l.Period+k < l.TermMonths && DueDate(l.FirstDue, l.Period+k) < now {
		k++
	}
	return k
}

// AssessRequest is the argument of assess.
type AssessRequest struct {
	ID string `json:"id"`
}

// Assess judges boarded loan id's delinquency at block time now, for its
// servicer. Judging is deterministic (it reads only the records and now),
// so assessing twice at the same time changes nothing the second time.
func Assess(s Store, caller contract.Address, now int64, req AssessRequest) (*Loan, *Servicing, Change, error) {
	l, sv, err := loadBoarded(s, req.ID)
	if err != nil {
		return nil, nil, Change{}, err
	}
	if caller != l.Servicer {
		return nil, nil, Change{}, fmt.Errorf("%w: only the servicer of loan %q assesses it", ErrUnauthorized, l.ID)
	}
	ch := sv.evaluate(l, now)
	saveServicing(s, sv)
	return l, sv, ch, nil
}

// RecordServicedPayment brings a boarded loan's servicing record up to
// date after Pay recorded a payment of amount at now: the payment counts
// toward an active plan, then the loan is judged again (a payment may cure
// it or complete its plan). ok is false for a loan that was not boarded.
func RecordServicedPayment(s Store, l *Loan, amount, now int64) (sv *Servicing, ch Change, ok bool, err error) {
	sv, ok, err = LoadServicing(s, l.ID)
	if err != nil || !ok {
		return nil, Change{}, ok, err
	}
	if p := sv.Plan; p != nil && p.Status == PlanActive {
		p.recordPayment(amount)
	}
	ch = sv.evaluate(l, now)
	saveServicing(s, sv)
	return sv, ch, true, nil
}

// loadBoarded loads a loan and its servicing record, refusing loans that
// were not boarded.
func loadBoarded(s Store, id string) (*Loan, *Servicing, error) {
	l, err := Load(s, id)
	if err != nil {
		return nil, nil, err
	}
	sv, ok, err := LoadServicing(s, id)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, fmt.Errorf("%w: loan %q was not boarded", ErrNotBoarded, id)
	}
	return l, sv, nil
}
