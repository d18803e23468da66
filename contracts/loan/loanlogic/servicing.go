package loanlogic

import (
	"fmt"

	"github.com/meshledger/meshledger/sdk/contract"
)

// ServicingPrefix prefixes a boarded loan's servicing record:
// "servicing/<id>". Loans booked with create have none; their record and
// the gas of their payments are exactly as before servicing existed.
const ServicingPrefix = "servicing/"

// ServicingKey is the state key of loan id's servicing record.
func ServicingKey(id string) []byte { return append([]byte(ServicingPrefix), id...) }

// Servicing is what a servicer tracks about a boarded loan beyond its
// amortisation: who else must hear of it, its delinquency as last judged,
// the assistance offered and the plan accepted. Stored as JSON under
// ServicingKey(id).
type Servicing struct {
	ID          string           `json:"id"`
	Securitizer contract.Address `json:"securitizer"`
	// PoolContract and Pool name the securitizer's pool the loan belongs
	// to; PortfolioContract the owner's portfolio contract. A zero address
	// means the loan reports to no such contract.
	PoolContract      contract.Address `json:"pool_contract"`
	Pool              string           `json:"pool"`
	PortfolioContract contract.Address `json:"portfolio_contract"`
	// Bucket and DaysPastDue are the delinquency last judged (by board,
	// pay, assess or accept) at AssessedAt.
	Bucket      string `json:"bucket"`
	DaysPastDue int64  `json:"days_past_due"`
	AssessedAt  int64  `json:"assessed_at"`
	// MissedDue is the due date a PaymentMissed was last emitted for, so
	// that each missed due date is announced once.
	MissedDue int64  `json:"missed_due"`
	Cures     int64  `json:"cures"`
	Offer     *Offer `json:"offer,omitempty"`
	Plan      *Plan  `json:"plan,omitempty"`
}

// LoadServicing reads loan id's servicing record; ok is false for a loan
// that was not boarded.
func LoadServicing(s Store, id string) (sv *Servicing, ok bool, err error) {
	data, found := s.Get(ServicingKey(id))
	if !found {
		return nil, false, nil
	}
	sv = new(Servicing)
	if err := contract.UnmarshalJSON(data, sv); err != nil {
		return nil, false, fmt.Errorf("%w: servicing record of %q: %v", ErrCorrupt, id, err)
	}
	return sv, true, nil
}

func saveServicing(s Store, sv *Servicing) {
	data, err := contract.MarshalJSON(sv)
	if err != nil {
		// Only addresses, strings and integers: Marshal cannot fail.
		panic(fmt.Sprintf("loanlogic: encoding servicing record: %v", err))
	}
	s.Set(ServicingKey(sv.ID), data)
}

// HistoricPayment is one payment of a boarded loan's history.
type HistoricPayment struct {
	Amount int64 `json:"amount"`
	PaidAt int64 `json:"paid_at"`
}

// MaxHistory bounds the payment history a board call replays (50 years of
// monthly payments, twice over), which bounds its gas.
const MaxHistory = 1200

// BoardRequest is the argument of board: a loan the servicer already
// services elsewhere, with its original terms and its payments so far.
type BoardRequest struct {
	ID                string            `json:"id"`
	Owner             contract.Address  `json:"owner"`
	Borrower          contract.Address  `json:"borrower"`
	Securitizer       contract.Address  `json:"securitizer,omitempty"`
	PoolContract      contract.Address  `json:"pool_contract,omitempty"`
	Pool              string            `json:"pool,omitempty"`
	PortfolioContract contract.Address  `json:"portfolio_contract,omitempty"`
	Principal         int64             `json:"principal"`
	RateBps           int64             `json:"rate_bps"`
	TermMonths        int64             `json:"term_months"`
	FirstDue          int64             `json:"first_due"`
	OriginatedAt      int64             `json:"originated_at"`
	History           []HistoricPayment `json:"history,omitempty"`
}

// Board stores a loan serviced by caller with the terms and history of
// req, as it stands at block time now: the history is replayed in order
// through the same allocation as Pay, then its delinquency is judged at
// now. The returned Change says what that judgement found (a boarded loan
// may already be delinquent).
func Board(s Store, caller contract.Address, now int64, req BoardRequest) (*Loan, *Servicing, Change, error) {
	if err := checkID(req.ID); err != nil {
		return nil, nil, Change{}, err
	}
	switch {
	case req.Owner.IsZero():
		return nil, nil, Change{}, fmt.Errorf("%w: owner is required", ErrInvalid)
	case req.Borrower.IsZero():
		return nil, nil, Change{}, fmt.Errorf("%w: borrower is required", ErrInvalid)
	case req.Principal <= 0 || req.Principal > MaxPrincipal:
		return nil, nil, Change{}, fmt.Errorf("%w: principal must be 1 to %d cents, got %d", ErrInvalid, int64(MaxPrincipal), req.Principal)
	case req.RateBps < 0 || req.RateBps > MaxRateBps:
		return nil, nil, Change{}, fmt.Errorf("%w: rate_bps must be 0 to %d, got %d", ErrInvalid, MaxRateBps, req.RateBps)
	case req.TermMonths <= 0 || req.TermMonths > MaxTermMonths:
		return nil, nil, Change{}, fmt.Errorf("%w: term_months must be 1 to %d, got %d", ErrInvalid, MaxTermMonths, req.TermMonths)
	case req.OriginatedAt <= 0 || req.OriginatedAt > now:
		return nil, nil, Change{}, fmt.Errorf("%w: originated_at %d must be positive and not after the block time %d", ErrInvalid, req.OriginatedAt, now)
	case req.FirstDue <= req.OriginatedAt:
		return nil, nil, Change{}, fmt.Errorf("%w: first_due %d must be after originated_at %d", ErrInvalid, req.FirstDue, req.OriginatedAt)
	case len(req.History) > MaxHistory:
		return nil, nil, Change{}, fmt.Errorf("%w: history of %d payments exceeds %d", ErrInvalid, len(req.History), MaxHistory)
	case req.Pool != "" && req.PoolContract.IsZero(), req.Pool == "" && !req.PoolContract.IsZero():
		return nil, nil, Change{}, fmt.Errorf("%w: pool and pool_contract go together", ErrInvalid)
	case !req.Securitizer.IsZero() && req.Pool == "":
		// The securitizer reads the loan; only a pool, which checks it is
		// its own securitizer, may name one.
		return nil, nil, Change{}, fmt.Errorf("%w: a securitizer is named only with its pool", ErrInvalid)
	}
	if req.Pool != "" {
		if err := checkID(req.Pool); err != nil {
			return nil, nil, Change{}, fmt.Errorf("pool: %w", err)
		}
	}
	if _, exists := s.Get(Key(req.ID)); exists {
		return nil, nil, Change{}, fmt.Errorf("%w: %q", ErrExists, req.ID)
	}
	l := &Loan{
		ID: req.ID, Owner: req.Owner, Borrower: req.Borrower, Servicer: caller,
		Principal: req.Principal, RateBps: req.RateBps, TermMonths: req.TermMonths,
		FirstDue: req.FirstDue, CreatedAt: req.OriginatedAt,
		Installment: Installment(req.Principal, req.RateBps, req.TermMonths),
		Balance:     req.Principal,
		InterestDue: PeriodInterest(req.Principal, req.RateBps),
		NextDue:     req.FirstDue,
		Status:      StatusActive,
	}
	last := req.OriginatedAt
	for i, p := range req.History {
		switch {
		case p.PaidAt < last || p.PaidAt > now:
			return nil, nil, Change{}, fmt.Errorf("%w: history[%d]: paid_at %d must be in order, from originated_at to the block time", ErrInvalid, i, p.PaidAt)
		case l.Status == StatusPaidOff:
			return nil, nil, Change{}, fmt.Errorf("%w: history[%d]: the loan was already paid off", ErrInvalid, i)
		case p.Amount <= 0 || p.Amount > l.Balance+l.InterestDue:
			return nil, nil, Change{}, fmt.Errorf("%w: history[%d]: amount %d must be 1 to the payoff amount %d", ErrInvalid, i, p.Amount, l.Balance+l.InterestDue)
		}
		applyPayment(l, p.Amount, p.PaidAt)
		last = p.PaidAt
	}
	sv := &Servicing{
		ID: req.ID, Securitizer: req.Securitizer,
		PoolContract: req.PoolContract, Pool: req.Pool, PortfolioContract: req.PortfolioContract,
		Bucket: BucketCurrent,
	}
	ch := sv.evaluate(l, now)
	save(s, l)
	saveServicing(s, sv)
	return l, sv, ch, nil
}

// IsServicingParty reports whether a reads a boarded loan: its owner,
// borrower, servicer or, when sv is not nil, its securitizer.
func IsServicingParty(l *Loan, sv *Servicing, a contract.Address) bool {
	return l.IsParty(a) || sv != nil && !sv.Securitizer.IsZero() && a == sv.Securitizer
}

// Audience is the loan's owner, servicer, securitizer (if any) and
// borrower, each once: who hears of its servicing events.
func Audience(l *Loan, sv *Servicing) []contract.Address {
	out := make([]contract.Address, 0, 4)
	cands := [...]contract.Address{l.Owner, l.Servicer, {}, l.Borrower}
	if sv != nil {
		cands[2] = sv.Securitizer
	}
	for _, a := range cands {
		if !a.IsZero() && !containsAddr(out, a) {
			out = append(out, a)
		}
	}
	return out
}
