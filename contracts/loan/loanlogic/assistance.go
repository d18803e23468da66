package loanlogic

import (
	"errors"
	"fmt"

	"github.com/meshledger/meshledger/sdk/contract"
)

// Errors of servicing and assistance.
var (
	ErrNotBoarded   = errors.New("loan not boarded")
	ErrNoOffer      = errors.New("no assistance offer")
	ErrOfferExpired = errors.New("assistance offer expired")
	ErrPlanActive   = errors.New("an assistance plan is active")
	ErrNotInArrears = errors.New("loan is not in arrears")
)

// Assistance options and plan states.
const (
	OptionForbearance   = "forbearance"
	OptionRepaymentPlan = "repayment_plan"
	OptionModification  = "modification"

	PlanActive    = "active"
	PlanCompleted = "completed"
	PlanDefaulted = "defaulted"
)

// OfferValidity is how long an offer may be accepted: 30 days of block
// time.
const OfferValidity = 30 * secondsPerDay

// Bounds on the options a servicer may offer.
const (
	MaxForbearanceMonths = 12
	MaxPlanMonths        = 60
)

// OfferRequest is the argument of offerAssistance: the servicer chooses
// the length of each option and the modified rate and term; the figures
// are computed from the loan.
type OfferRequest struct {
	ID                string `json:"id"`
	ForbearanceMonths int64  `json:"forbearance_months"`
	PlanMonths        int64  `json:"plan_months"`
	ModRateBps        int64  `json:"mod_rate_bps"`
	ModTermMonths     int64  `json:"mod_term_months"`
}

// Forbearance suspends payments for Months installments starting at the
// next scheduled due date; everything in arrears and suspended (LumpSum)
// is then due at DueAt, the first due date after the suspension.
type Forbearance struct {
	Months  int64 `json:"months"`
	LumpSum int64 `json:"lump_sum"`
	DueAt   int64 `json:"due_at"`
}

// RepaymentPlan spreads the arrears over Months installments from FirstDue:
// each is the regular installment plus arrears/Months rounded down to the
// cent, and the final one (FinalInstallment) absorbs the remainder, so the
// plan collects the arrears exactly.
type RepaymentPlan struct {
	Months           int64 `json:"months"`
	Installment      int64 `json:"installment"`
	FinalInstallment int64 `json:"final_installment"`
	FirstDue         int64 `json:"first_due"`
}

// Modification re-amortises the unpaid balance plus unpaid interest
// (Principal) at RateBps over TermMonths from FirstDue; Installment is
// computed as for a new loan (rounded up to the cent).
type Modification struct {
	Principal   int64 `json:"principal"`
	RateBps     int64 `json:"rate_bps"`
	TermMonths  int64 `json:"term_months"`
	Installment int64 `json:"installment"`
	FirstDue    int64 `json:"first_due"`
}

// Offer is the set of options the servicer offered, with their figures
// fixed at MadeAt; the borrower accepts one of them until ExpiresAt.
type Offer struct {
	ID            string        `json:"id"`
	MadeAt        int64         `json:"made_at"`
	ExpiresAt     int64         `json:"expires_at"`
	Arrears       int64         `json:"arrears"`
	Forbearance   Forbearance   `json:"forbearance"`
	RepaymentPlan RepaymentPlan `json:"repayment_plan"`
	Modification  Modification  `json:"modification"`
}

// Plan is an accepted option and how the borrower performs on it.
type Plan struct {
	Kind       string `json:"kind"`
	Status     string `json:"status"`
	AcceptedAt int64  `json:"accepted_at"`
	EndedAt    int64  `json:"ended_at"`
	// Months and the installments are the option's (zero installments in
	// forbearance, which has LumpSum due at NextDue instead).
	Months           int64 `json:"months"`
	Installment      int64 `json:"installment"`
	FinalInstallment int64 `json:"final_installment"`
	LumpSum          int64 `json:"lump_sum"`
	FirstDue         int64 `json:"first_due"`
	// NextDue is the plan's next due date; Paid what was paid toward the
	// plan installment due then; PaymentsMade the plan installments met.
	NextDue      int64 `json:"next_due"`
	Paid         int64 `json:"paid"`
	PaymentsMade int64 `json:"payments_made"`
	// LoanDueAt is, in forbearance, the loan's own next due date that
	// marks every suspended and past-due installment paid.
	LoanDueAt int64 `json:"loan_due_at"`
}

// planInstallment is the plan installment due at NextDue.
func (p *Plan) planInstallment() int64 {
	if p.PaymentsMade == p.Months-1 {
		return p.FinalInstallment
	}
	return p.Installment
}

// recordPayment counts amount toward a repayment plan's installments.
// Forbearance needs no counting: its completion is read off the loan.
func (p *Plan) recordPayment(amount int64) {
	if p.Kind != OptionRepaymentPlan {
		return
	}
	p.Paid += amount
	for p.PaymentsMade < p.Months && p.Paid >= p.planInstallment() {
		p.Paid -= p.planInstallment()
		p.PaymentsMade++
		p.NextDue = DueDate(p.FirstDue, p.PaymentsMade)
	}
}

// completedBy reports whether the loan's state completes the plan.
func (p *Plan) completedBy(l *Loan) bool {
	switch p.Kind {
	case OptionRepaymentPlan:
		return p.PaymentsMade >= p.Months
	case OptionForbearance:
		return l.NextDue >= p.LoanDueAt
	}
	return false
}

// amountDue is what brings the plan back on schedule at now: the plan
// installments whose due date has passed, less what was paid toward them.
func (p *Plan) amountDue(now int64) int64 {
	if p.Kind == OptionForbearance {
		return p.LumpSum
	}
	var due int64
	for k := p.PaymentsMade; k < p.Months && DueDate(p.FirstDue, k) < now; k++ {
		if k == p.Months-1 {
			due += p.FinalInstallment
		} else {
			due += p.Installment
		}
	}
	return max(due-p.Paid, 0)
}

// OfferAssistance computes the three options for loan id at now from its
// terms and history and stores them as the loan's offer, replacing an
// earlier one. Only the loan's servicer offers, only while the loan is in
// arrears and no plan is active.
func OfferAssistance(s Store, caller contract.Address, now int64, req OfferRequest) (*Loan, *Servicing, *Offer, error) {
	l, sv, err := loadBoarded(s, req.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	if caller != l.Servicer {
		return nil, nil, nil, fmt.Errorf("%w: only the servicer of loan %q offers assistance", ErrUnauthorized, l.ID)
	}
	switch {
	case req.ForbearanceMonths < 1 || req.ForbearanceMonths > MaxForbearanceMonths:
		return nil, nil, nil, fmt.Errorf("%w: forbearance_months must be 1 to %d, got %d", ErrInvalid, MaxForbearanceMonths, req.ForbearanceMonths)
	case req.PlanMonths < 1 || req.PlanMonths > MaxPlanMonths:
		return nil, nil, nil, fmt.Errorf("%w: plan_months must be 1 to %d, got %d", ErrInvalid, MaxPlanMonths, req.PlanMonths)
	case req.ModRateBps < 0 || req.ModRateBps > MaxRateBps:
		return nil, nil, nil, fmt.Errorf("%w: mod_rate_bps must be 0 to %d, got %d", ErrInvalid, MaxRateBps, req.ModRateBps)
	case req.ModTermMonths < 1 || req.ModTermMonths > MaxTermMonths:
		return nil, nil, nil, fmt.Errorf("%w: mod_term_months must be 1 to %d, got %d", ErrInvalid, MaxTermMonths, req.ModTermMonths)
	case l.Status == StatusPaidOff:
		return nil, nil, nil, fmt.Errorf("%w: %q", ErrPaidOff, l.ID)
	case sv.Plan != nil && sv.Plan.Status == PlanActive:
		return nil, nil, nil, fmt.Errorf("%w: loan %q is on a %s", ErrPlanActive, l.ID, sv.Plan.Kind)
	}
	o, err := ComputeOffer(l, now, req)
	if err != nil {
		return nil, nil, nil, err
	}
	sv.Offer = o
	saveServicing(s, sv)
	return l, sv, o, nil
}

// ComputeOffer computes the options for l at now (see Forbearance,
// RepaymentPlan and Modification for the rules and their rounding).
func ComputeOffer(l *Loan, now int64, req OfferRequest) (*Offer, error) {
	k := pastDueInstallments(l, now)
	arrears := Arrears(l, now)
	if arrears == 0 {
		return nil, fmt.Errorf("%w: %q", ErrNotInArrears, l.ID)
	}
	// The next scheduled due date not yet passed: plans start there.
	next := DueDate(l.FirstDue, l.Period+k)
	f := req.ForbearanceMonths
	modPrincipal := l.Balance + l.InterestDue
	if modPrincipal > MaxPrincipal {
		// Capitalised interest may not lift a balance past the bound that
		// keeps every interest product inside int64.
		return nil, fmt.Errorf("%w: the modified balance %d would exceed %d", ErrInvalid, modPrincipal, int64(MaxPrincipal))
	}
	return &Offer{
		ID: l.ID, MadeAt: now, ExpiresAt: now + OfferValidity, Arrears: arrears,
		Forbearance: Forbearance{
			Months:  f,
			LumpSum: min(arrears+f*l.Installment, l.Balance+l.InterestDue),
			DueAt:   DueDate(l.FirstDue, l.Period+k+f),
		},
		RepaymentPlan: RepaymentPlan{
			Months:           req.PlanMonths,
			Installment:      l.Installment + arrears/req.PlanMonths,
			FinalInstallment: l.Installment + arrears - (req.PlanMonths-1)*(arrears/req.PlanMonths),
			FirstDue:         next,
		},
		Modification: Modification{
			Principal:   modPrincipal,
			RateBps:     req.ModRateBps,
			TermMonths:  req.ModTermMonths,
			Installment: Installment(modPrincipal, req.ModRateBps, req.ModTermMonths),
			FirstDue:    next,
		},
	}, nil
}

// AcceptRequest is the argument of accept.
type AcceptRequest struct {
	ID     string `json:"id"`
	Option string `json:"option"`
}

// Accept puts the chosen option of loan id's offer into effect at now. Only
// the borrower's own key accepts; the offer must not have expired. A
// modification rewrites the loan's terms and is complete at once; the
// other options start a plan that the loan is judged against until it
// completes or defaults. The returned Change is the judgement right after.
func Accept(s Store, caller contract.Address, now int64, req AcceptRequest) (*Loan, *Servicing, Change, error) {
	l, sv, err := loadBoarded(s, req.ID)
	if err != nil {
		return nil, nil, Change{}, err
	}
	if caller != l.Borrower {
		return nil, nil, Change{}, fmt.Errorf("%w: only the borrower of loan %q accepts assistance", ErrUnauthorized, l.ID)
	}
	o := sv.Offer
	switch {
	case o == nil:
		return nil, nil, Change{}, fmt.Errorf("%w: loan %q", ErrNoOffer, l.ID)
	case now > o.ExpiresAt:
		return nil, nil, Change{}, fmt.Errorf("%w: the offer on loan %q expired at %d", ErrOfferExpired, l.ID, o.ExpiresAt)
	case l.Status == StatusPaidOff:
		return nil, nil, Change{}, fmt.Errorf("%w: %q", ErrPaidOff, l.ID)
	}
	p := &Plan{Kind: req.Option, Status: PlanActive, AcceptedAt: now}
	switch req.Option {
	case OptionForbearance:
		p.Months, p.LumpSum = o.Forbearance.Months, o.Forbearance.LumpSum
		p.FirstDue, p.NextDue = o.Forbearance.DueAt, o.Forbearance.DueAt
		// Paying the lump sum advances the loan past every installment
		// due before DueAt, so its own next due date reaches DueAt.
		p.LoanDueAt = o.Forbearance.DueAt
	case OptionRepaymentPlan:
		r := o.RepaymentPlan
		p.Months, p.Installment, p.FinalInstallment = r.Months, r.Installment, r.FinalInstallment
		p.FirstDue, p.NextDue = r.FirstDue, r.FirstDue
	case OptionModification:
		m := o.Modification
		p.Months, p.Installment, p.FinalInstallment = m.TermMonths, m.Installment, m.Installment
		p.FirstDue, p.NextDue = m.FirstDue, m.FirstDue
		p.Status, p.EndedAt = PlanCompleted, now
		l.Balance = m.Principal
		l.RateBps = m.RateBps
		l.TermMonths = m.TermMonths
		l.Installment = m.Installment
		l.FirstDue = m.FirstDue
		l.Period = 0
		l.PaidThisPeriod = 0
		l.InterestDue = PeriodInterest(m.Principal, m.RateBps)
		l.NextDue = m.FirstDue
		save(s, l)
	default:
		return nil, nil, Change{}, fmt.Errorf("%w: option must be %s, %s or %s, got %q", ErrInvalid, OptionForbearance, OptionRepaymentPlan, OptionModification, req.Option)
	}
	sv.Plan = p
	sv.Offer = nil
	ch := sv.evaluate(l, now)
	saveServicing(s, sv)
	return l, sv, ch, nil
}
