package portfoliologic

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/sdk/contract"
)

// Store is the contract state portfolios live in; *contract.Context and
// loanlogic.MapStore satisfy it.
type Store = loanlogic.Store

// Sentinel errors, for errors.Is.
var (
	ErrInvalid      = errors.New("invalid portfolio request")
	ErrExists       = errors.New("already exists")
	ErrNotFound     = errors.New("not found")
	ErrUnauthorized = errors.New("not authorized")
	ErrCorrupt      = errors.New("stored portfolio record is corrupt")
)

// Key prefixes.
const (
	PortfolioPrefix = "portfolio/"
	HoldingPrefix   = "holding/"
	TrendPrefix     = "trend/"
)

// PortfolioKey, HoldingKey and TrendKey are the state keys of an owner's
// records.
func PortfolioKey(owner contract.Address) []byte { return []byte(PortfolioPrefix + owner.Hex()) }
func HoldingKey(owner contract.Address, loan string) []byte {
	return []byte(HoldingPrefix + owner.Hex() + "/" + loan)
}
func TrendKey(owner contract.Address, month string) []byte {
	return []byte(TrendPrefix + owner.Hex() + "/" + month)
}

// nBuckets is the number of delinquency buckets (loanlogic.Buckets).
const nBuckets = 4

// Portfolio is an owner's aggregate, stored under PortfolioKey(owner).
type Portfolio struct {
	Owner        contract.Address `json:"owner"`
	LoanContract contract.Address `json:"loan_contract"`
	OpenedAt     int64            `json:"opened_at"`
	// Loans and Balance count the loans not paid off; Delinquent those of
	// them in a bucket worse than current.
	Loans      int64 `json:"loans"`
	Balance    int64 `json:"balance"`
	Delinquent int64 `json:"delinquent"`
	// DelinquentBalance is the balance of the delinquent loans.
	DelinquentBalance int64 `json:"delinquent_balance"`
	// Delinquencies counts moves from current into a delinquent bucket
	// (boarding a delinquent loan counts as one); Cures moves back.
	Delinquencies int64 `json:"delinquencies"`
	Cures         int64 `json:"cures"`
	PaidOff       int64 `json:"paid_off"`
	// Entered[i] counts the times a loan entered bucket i (boarding
	// included); Rolls[i][j] the moves from bucket i to bucket j, in the
	// order of loanlogic.Buckets.
	Entered [nBuckets]int64           `json:"entered"`
	Rolls   [nBuckets][nBuckets]int64 `json:"rolls"`
	// DelinquencyRateBps = Delinquent / Loans, CureRateBps = Cures /
	// Delinquencies, RollForwardBps[i] = Rolls[i][i+1] / Entered[i]:
	// basis points rounded half up, 0 when the denominator is 0.
	DelinquencyRateBps int64               `json:"delinquency_rate_bps"`
	CureRateBps        int64               `json:"cure_rate_bps"`
	RollForwardBps     [nBuckets - 1]int64 `json:"roll_forward_bps"`
	Payments           int64               `json:"payments"`
	PaymentsPaid       int64               `json:"payments_paid"`
	UpdatedAt          int64               `json:"updated_at"`
}

// Holding is what the portfolio last knew of one loan.
type Holding struct {
	ID      string `json:"id"`
	Balance int64  `json:"balance"`
	Bucket  string `json:"bucket"`
	PaidOff bool   `json:"paid_off"`
}

// Trend is one calendar month (UTC) of an owner's payment activity.
type Trend struct {
	Month         string `json:"month"`
	Payments      int64  `json:"payments"`
	Amount        int64  `json:"amount"`
	Delinquencies int64  `json:"delinquencies"`
	Cures         int64  `json:"cures"`
}

// OpenRequest is the argument of open.
type OpenRequest struct {
	LoanContract contract.Address `json:"loan_contract"`
}

// Open creates caller's empty portfolio at now.
func Open(s Store, caller contract.Address, now int64, req OpenRequest) (*Portfolio, error) {
	if req.LoanContract.IsZero() {
		return nil, fmt.Errorf("%w: loan_contract is required", ErrInvalid)
	}
	if _, ok := s.Get(PortfolioKey(caller)); ok {
		return nil, fmt.Errorf("%w: portfolio of %s", ErrExists, caller)
	}
	p := &Portfolio{Owner: caller, LoanContract: req.LoanContract, OpenedAt: now, UpdatedAt: now}
	put(s, PortfolioKey(caller), p)
	return p, nil
}

// Report kinds: the method the loan contract called.
const (
	ReportBoarded = loanlogic.ReportBoarded
	ReportPayment = loanlogic.ReportPayment
	ReportStatus  = loanlogic.ReportStatus
)

// Report applies the loan contract's report of kind about snap to the
// portfolio of snap.Owner and returns it updated.
func Report(s Store, caller contract.Address, kind string, snap loanlogic.Snapshot) (*Portfolio, error) {
	if err := checkSnapshot(snap); err != nil {
		return nil, err
	}
	p, err := Load(s, snap.Owner)
	if err != nil {
		return nil, err
	}
	if caller != p.LoanContract {
		return nil, fmt.Errorf("%w: only the loan contract %s reports to the portfolio of %s", ErrUnauthorized, p.LoanContract, p.Owner)
	}
	var old Holding
	found, err := get(s, HoldingKey(p.Owner, snap.ID), &old)
	if err != nil {
		return nil, err
	}
	switch {
	case kind != ReportBoarded && kind != ReportPayment && kind != ReportStatus:
		return nil, fmt.Errorf("%w: unknown report %q", ErrInvalid, kind)
	case kind == ReportBoarded && found:
		return nil, fmt.Errorf("%w: loan %q in the portfolio of %s", ErrExists, snap.ID, p.Owner)
	case kind != ReportBoarded && !found:
		return nil, fmt.Errorf("%w: loan %q in the portfolio of %s", ErrNotFound, snap.ID, p.Owner)
	}
	month := Month(snap.At)
	var tr Trend
	if _, err := get(s, TrendKey(p.Owner, month), &tr); err != nil {
		return nil, err
	}
	tr.Month = month

	h := Holding{ID: snap.ID, Balance: snap.Balance, Bucket: snap.Bucket, PaidOff: snap.PaidOff}
	if h.PaidOff {
		h.Balance = 0
	}
	if found {
		p.add(old, -1)
	}
	p.add(h, 1)
	from, to := loanlogic.BucketRank(old.Bucket), loanlogic.BucketRank(h.Bucket)
	switch {
	case !found:
		p.Entered[to]++
		if to > 0 {
			p.Delinquencies++
			tr.Delinquencies++
		}
	case from != to:
		p.Entered[to]++
		p.Rolls[from][to]++
		if from == 0 {
			p.Delinquencies++
			tr.Delinquencies++
		}
	}
	if snap.Cured {
		p.Cures++
		tr.Cures++
	}
	if snap.Payment > 0 {
		p.Payments++
		p.PaymentsPaid += snap.Payment
		tr.Payments++
		tr.Amount += snap.Payment
	}
	p.DelinquencyRateBps = RateBps(p.Delinquent, p.Loans)
	p.CureRateBps = RateBps(p.Cures, p.Delinquencies)
	for i := range p.RollForwardBps {
		p.RollForwardBps[i] = RateBps(p.Rolls[i][i+1], p.Entered[i])
	}
	p.UpdatedAt = snap.At
	put(s, HoldingKey(p.Owner, h.ID), &h)
	put(s, TrendKey(p.Owner, month), &tr)
	put(s, PortfolioKey(p.Owner), p)
	return p, nil
}

// add adds (sign 1) or removes (sign -1) h's contribution.
func (p *Portfolio) add(h Holding, sign int64) {
	if h.PaidOff {
		p.PaidOff += sign
		return
	}
	p.Loans += sign
	p.Balance += sign * h.Balance
	if h.Bucket != loanlogic.BucketCurrent {
		p.Delinquent += sign
		p.DelinquentBalance += sign * h.Balance
	}
}

// RateBps is n/d in basis points rounded half up, 0 when d is 0. Counts
// are far below 2^63/10000, so n*10000 cannot overflow.
func RateBps(n, d int64) int64 {
	if d <= 0 {
		return 0
	}
	return (n*10_000 + d/2) / d
}

// Month is the calendar month (UTC) of Unix time at, as "YYYY-MM".
func Month(at int64) string { return time.Unix(at, 0).UTC().Format("2006-01") }

// Load reads owner's portfolio.
func Load(s Store, owner contract.Address) (*Portfolio, error) {
	var p Portfolio
	if ok, err := get(s, PortfolioKey(owner), &p); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("%w: portfolio of %s", ErrNotFound, owner)
	}
	return &p, nil
}

// LoadTrend reads owner's trend for month ("YYYY-MM"); a month without
// activity is a zero Trend.
func LoadTrend(s Store, owner contract.Address, month string) (*Trend, error) {
	if _, err := time.Parse("2006-01", month); err != nil || len(month) != 7 {
		return nil, fmt.Errorf("%w: month %q is not YYYY-MM", ErrInvalid, month)
	}
	tr := Trend{Month: month}
	if _, err := get(s, TrendKey(owner, month), &tr); err != nil {
		return nil, err
	}
	return &tr, nil
}

// OwnerOfKey returns the owner a state key belongs to, for the read
// policy.
func OwnerOfKey(key string) (contract.Address, bool) {
	for _, prefix := range [...]string{PortfolioPrefix, HoldingPrefix, TrendPrefix} {
		rest, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		hex, tail, slash := strings.Cut(rest, "/")
		if slash == (prefix == PortfolioPrefix) || slash && tail == "" {
			return contract.Address{}, false
		}
		a, err := contract.ParseAddress(hex)
		// Only the canonical lower-case form names a key.
		if err != nil || a.Hex() != hex {
			return contract.Address{}, false
		}
		return a, true
	}
	return contract.Address{}, false
}

// checkSnapshot refuses what the loan contract would never report. The
// loan id is checked as the loan and pool contracts check it
// (loanlogic.CheckID): it names a holding key, and an id those contracts
// refuse must not become a record here.
func checkSnapshot(snap loanlogic.Snapshot) error {
	if err := loanlogic.CheckID(snap.ID, ErrInvalid); err != nil {
		return fmt.Errorf("loan: %w", err)
	}
	switch {
	case snap.Owner.IsZero():
		return fmt.Errorf("%w: owner is required", ErrInvalid)
	case snap.Balance < 0 || snap.Balance > loanlogic.MaxPrincipal:
		return fmt.Errorf("%w: balance %d out of range", ErrInvalid, snap.Balance)
	case loanlogic.BucketRank(snap.Bucket) < 0:
		return fmt.Errorf("%w: unknown bucket %q", ErrInvalid, snap.Bucket)
	case snap.Payment < 0:
		return fmt.Errorf("%w: negative payment %d", ErrInvalid, snap.Payment)
	case snap.At < 0:
		return fmt.Errorf("%w: negative time %d", ErrInvalid, snap.At)
	}
	return nil
}

func get(s Store, key []byte, v any) (bool, error) {
	return loanlogic.GetJSON(s, key, v, ErrCorrupt)
}

func put(s Store, key []byte, v any) { loanlogic.PutJSON(s, key, v) }
