package poollogic

import (
	"errors"
	"fmt"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/sdk/contract"
)

// Store is the contract state pools live in; *contract.Context and
// loanlogic.MapStore satisfy it.
type Store = loanlogic.Store

// Sentinel errors, for errors.Is.
var (
	ErrInvalid      = errors.New("invalid pool request")
	ErrExists       = errors.New("already exists")
	ErrNotFound     = errors.New("not found")
	ErrUnauthorized = errors.New("not authorized")
	ErrPoolFull     = errors.New("pool balance limit reached")
	ErrCorrupt      = errors.New("stored pool record is corrupt")
)

// RoleSecuritizer is the role of which a member needs to create pools.
const RoleSecuritizer = "securitizer"

// MaxPoolBalance caps a pool's balance (nine trillion dollars) so that
// the sum of balance × rate over its loans, the weighted-average-coupon
// numerator, stays below 2^63 at MaxRateBps.
const MaxPoolBalance = 900_000_000_000_000

// Key prefixes.
const (
	PoolPrefix       = "pool/"
	DisclosurePrefix = "disclosure/"
	MemberPrefix     = "member/"
)

// Pool is a securitizer's pool, stored under "pool/<id>".
type Pool struct {
	ID          string           `json:"id"`
	Securitizer contract.Address `json:"securitizer"`
	// LoanContract is the only contract whose reports the pool accepts.
	LoanContract contract.Address `json:"loan_contract"`
	CreatedAt    int64            `json:"created_at"`
}

// BucketTotal counts the loans in a delinquency bucket and their balance.
type BucketTotal struct {
	Count   int64 `json:"count"`
	Balance int64 `json:"balance"`
}

// Buckets are the disclosure's delinquency buckets.
type Buckets struct {
	Current BucketTotal `json:"current"`
	D30     BucketTotal `json:"30"`
	D60     BucketTotal `json:"60"`
	D90     BucketTotal `json:"90+"`
}

func (b *Buckets) of(bucket string) *BucketTotal {
	switch bucket {
	case loanlogic.Bucket30:
		return &b.D30
	case loanlogic.Bucket60:
		return &b.D60
	case loanlogic.Bucket90:
		return &b.D90
	default:
		return &b.Current
	}
}

// Disclosure is a pool's investor disclosure, stored under
// "disclosure/<id>" and updated with every report.
type Disclosure struct {
	Pool string `json:"pool"`
	// Loans and Balance count the loans not paid off.
	Loans   int64 `json:"loans"`
	Balance int64 `json:"balance"`
	// RateBalance is Σ balance × rate_bps; WACBps is RateBalance/Balance
	// rounded half up to the basis point (0 for an empty pool).
	RateBalance int64   `json:"rate_balance"`
	WACBps      int64   `json:"wac_bps"`
	Buckets     Buckets `json:"buckets"`
	// InAssistance counts the loans on an active assistance plan.
	InAssistance BucketTotal `json:"in_assistance"`
	Cures        int64       `json:"cures"`
	PaidOff      int64       `json:"paid_off"`
	Payments     int64       `json:"payments"`
	PaymentsPaid int64       `json:"payments_paid"`
	UpdatedAt    int64       `json:"updated_at"`
}

// Member is what the pool last knew of one of its loans, stored under
// "member/<pool>/<loan>".
type Member struct {
	ID           string `json:"id"`
	Balance      int64  `json:"balance"`
	RateBps      int64  `json:"rate_bps"`
	Bucket       string `json:"bucket"`
	InAssistance bool   `json:"in_assistance"`
	PaidOff      bool   `json:"paid_off"`
}

// PoolKey, DisclosureKey and MemberKey are the state keys of a pool's
// records; ids hold no '/' (checkID), so the keys are unambiguous.
func PoolKey(id string) []byte       { return []byte(PoolPrefix + id) }
func DisclosureKey(id string) []byte { return []byte(DisclosurePrefix + id) }
func MemberKey(pool, loan string) []byte {
	return []byte(MemberPrefix + pool + "/" + loan)
}

// CreateRequest is the argument of createPool.
type CreateRequest struct {
	ID           string           `json:"id"`
	LoanContract contract.Address `json:"loan_contract"`
}

// Create stores a new, empty pool of securitizer caller at now.
func Create(s Store, caller contract.Address, now int64, req CreateRequest) (*Pool, *Disclosure, error) {
	if err := checkID(req.ID); err != nil {
		return nil, nil, err
	}
	if req.LoanContract.IsZero() {
		return nil, nil, fmt.Errorf("%w: loan_contract is required", ErrInvalid)
	}
	if _, ok := s.Get(PoolKey(req.ID)); ok {
		return nil, nil, fmt.Errorf("%w: pool %q", ErrExists, req.ID)
	}
	p := &Pool{ID: req.ID, Securitizer: caller, LoanContract: req.LoanContract, CreatedAt: now}
	d := &Disclosure{Pool: req.ID, UpdatedAt: now}
	put(s, PoolKey(p.ID), p)
	put(s, DisclosureKey(p.ID), d)
	return p, d, nil
}

// Report kinds: the method the loan contract called.
const (
	ReportBoarded = loanlogic.ReportBoarded
	ReportPayment = loanlogic.ReportPayment
	ReportStatus  = loanlogic.ReportStatus
)

// Report applies a loan contract's report of kind about snap to the pool
// snap.Pool and returns the updated disclosure. Only the pool's loan
// contract reports; a loan is boarded into a pool once and reported on
// afterwards.
func Report(s Store, caller contract.Address, kind string, snap loanlogic.Snapshot) (*Disclosure, error) {
	if err := checkSnapshot(snap); err != nil {
		return nil, err
	}
	p, err := LoadPool(s, snap.Pool)
	if err != nil {
		return nil, err
	}
	if caller != p.LoanContract {
		return nil, fmt.Errorf("%w: only the loan contract %s reports to pool %q", ErrUnauthorized, p.LoanContract, p.ID)
	}
	d, err := LoadDisclosure(s, p.ID)
	if err != nil {
		return nil, err
	}
	var old Member
	found, err := get(s, MemberKey(p.ID, snap.ID), &old)
	if err != nil {
		return nil, err
	}
	switch {
	case kind != ReportBoarded && kind != ReportPayment && kind != ReportStatus:
		return nil, fmt.Errorf("%w: unknown report %q", ErrInvalid, kind)
	case kind == ReportBoarded && found:
		return nil, fmt.Errorf("%w: loan %q in pool %q", ErrExists, snap.ID, p.ID)
	case kind == ReportBoarded && snap.Securitizer != p.Securitizer:
		// The loan's securitizer reads the loan: only the pool's own may
		// be named, or boarding would open the loan to anyone.
		return nil, fmt.Errorf("%w: loan %q names securitizer %s, pool %q is %s's", ErrInvalid, snap.ID, snap.Securitizer, p.ID, p.Securitizer)
	case kind != ReportBoarded && !found:
		return nil, fmt.Errorf("%w: loan %q in pool %q", ErrNotFound, snap.ID, p.ID)
	}
	m := Member{ID: snap.ID, Balance: snap.Balance, RateBps: snap.RateBps, Bucket: snap.Bucket,
		InAssistance: snap.InAssistance, PaidOff: snap.PaidOff}
	if snap.PaidOff {
		m.Balance = 0
	}
	if found {
		d.add(old, -1)
	}
	d.add(m, 1)
	if d.Balance > MaxPoolBalance {
		return nil, fmt.Errorf("%w: pool %q would hold %d cents, more than %d", ErrPoolFull, p.ID, d.Balance, int64(MaxPoolBalance))
	}
	if snap.Cured {
		d.Cures++
	}
	if snap.Payment > 0 {
		d.Payments++
		d.PaymentsPaid += snap.Payment
	}
	d.WACBps = WAC(d.RateBalance, d.Balance)
	d.UpdatedAt = snap.At
	put(s, MemberKey(p.ID, m.ID), &m)
	put(s, DisclosureKey(p.ID), d)
	return d, nil
}

// add adds (sign 1) or removes (sign -1) m's contribution.
func (d *Disclosure) add(m Member, sign int64) {
	if m.PaidOff {
		d.PaidOff += sign
		return
	}
	d.Loans += sign
	d.Balance += sign * m.Balance
	d.RateBalance += sign * m.Balance * m.RateBps
	b := d.Buckets.of(m.Bucket)
	b.Count += sign
	b.Balance += sign * m.Balance
	if m.InAssistance {
		d.InAssistance.Count += sign
		d.InAssistance.Balance += sign * m.Balance
	}
}

// WAC is the weighted average coupon rateBalance/balance in basis
// points, rounded half up; 0 when balance is 0.
func WAC(rateBalance, balance int64) int64 {
	if balance <= 0 {
		return 0
	}
	return (rateBalance + balance/2) / balance
}

func checkSnapshot(snap loanlogic.Snapshot) error {
	if err := checkID(snap.ID); err != nil {
		return fmt.Errorf("loan: %w", err)
	}
	if err := checkID(snap.Pool); err != nil {
		return fmt.Errorf("pool: %w", err)
	}
	switch {
	case snap.Balance < 0 || snap.Balance > loanlogic.MaxPrincipal:
		return fmt.Errorf("%w: balance %d out of range", ErrInvalid, snap.Balance)
	case snap.RateBps < 0 || snap.RateBps > loanlogic.MaxRateBps:
		return fmt.Errorf("%w: rate_bps %d out of range", ErrInvalid, snap.RateBps)
	case loanlogic.BucketRank(snap.Bucket) < 0:
		return fmt.Errorf("%w: unknown bucket %q", ErrInvalid, snap.Bucket)
	case snap.Payment < 0:
		return fmt.Errorf("%w: negative payment %d", ErrInvalid, snap.Payment)
	}
	return nil
}

// LoadPool reads pool id.
func LoadPool(s Store, id string) (*Pool, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var p Pool
	if ok, err := get(s, PoolKey(id), &p); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("%w: pool %q", ErrNotFound, id)
	}
	return &p, nil
}

// LoadDisclosure reads pool id's disclosure.
func LoadDisclosure(s Store, id string) (*Disclosure, error) {
	var d Disclosure
	if ok, err := get(s, DisclosureKey(id), &d); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("%w: disclosure of pool %q", ErrNotFound, id)
	}
	return &d, nil
}

// LoadMember reads what pool knows of loan.
func LoadMember(s Store, pool, loan string) (*Member, error) {
	if err := checkID(loan); err != nil {
		return nil, err
	}
	var m Member
	if ok, err := get(s, MemberKey(pool, loan), &m); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("%w: loan %q in pool %q", ErrNotFound, loan, pool)
	}
	return &m, nil
}

// PoolOfKey returns the pool a state key belongs to, for the read policy.
func PoolOfKey(key string) (string, bool) {
	for _, prefix := range [...]string{PoolPrefix, DisclosurePrefix, MemberPrefix} {
		if len(key) > len(prefix) && key[:len(prefix)] == prefix {
			rest := key[len(prefix):]
			for i := 0; i < len(rest); i++ {
				if rest[i] == '/' {
					return rest[:i], prefix == MemberPrefix
				}
			}
			return rest, prefix != MemberPrefix
		}
	}
	return "", false
}

func get(s Store, key []byte, v any) (bool, error) {
	return loanlogic.GetJSON(s, key, v, ErrCorrupt)
}

func put(s Store, key []byte, v any) { loanlogic.PutJSON(s, key, v) }

func checkID(id string) error { return loanlogic.CheckID(id, ErrInvalid) }
