package loanlogic

import (
	"errors"
	"fmt"

	"github.com/meshledger/meshledger/sdk/contract"
)

// Store is the contract state a loan lives in. *contract.Context satisfies
// it; so does MapStore for running the same logic natively.
type Store interface {
	Get(key []byte) ([]byte, bool)
	Set(key, value []byte)
}

// Sentinel errors; callers (and tests) branch with errors.Is. The contract
// returns their text, wrapped with detail, as the failure message.
var (
	ErrInvalid      = errors.New("invalid loan")
	ErrExists       = errors.New("loan already exists")
	ErrNotFound     = errors.New("loan not found")
	ErrUnauthorized = errors.New("not authorized")
	ErrPaidOff      = errors.New("loan is paid off")
	ErrOverpayment  = errors.New("payment exceeds payoff amount")
	ErrCorrupt      = errors.New("stored loan is corrupt")
)

// Bounds on loan terms. They keep every product of money and rate well
// inside int64 (MaxPrincipal * MaxRateBps < 2^63 / 100).
const (
	MaxIDLength   = 64
	MaxPrincipal  = 1_000_000_000_000_00 // one trillion, in cents
	MaxRateBps    = 10_000               // 100% a year
	MaxTermMonths = 600                  // 50 years
)

// Status of a loan.
const (
	StatusActive  = "active"
	StatusPaidOff = "paid_off"
)

// Loan is the record stored under Key(id), as JSON. Money is integer
// cents, rates basis points, times Unix seconds of block time.
type Loan struct {
	ID         string           `json:"id"`
	Owner      contract.Address `json:"owner"`
	Borrower   contract.Address `json:"borrower"`
	Servicer   contract.Address `json:"servicer"`
	Principal  int64            `json:"principal"`
	RateBps    int64            `json:"rate_bps"`
	TermMonths int64            `json:"term_months"`
	FirstDue   int64            `json:"first_due"`
	CreatedAt  int64            `json:"created_at"`
	// Installment is the level monthly payment that retires the loan in
	// TermMonths, rounded up to the cent.
	Installment int64 `json:"installment"`
	// Balance is the unpaid principal.
	Balance int64 `json:"balance"`
	// InterestDue is interest accrued and not yet paid.
	InterestDue int64 `json:"interest_due"`
	// PaidThisPeriod is what was paid toward the installment now due.
	PaidThisPeriod int64 `json:"paid_this_period"`
	// Period is the number of installments satisfied; NextDue is the due
	// date of installment Period+1 (0 once paid off).
	Period        int64  `json:"period"`
	NextDue       int64  `json:"next_due"`
	TotalPaid     int64  `json:"total_paid"`
	InterestPaid  int64  `json:"interest_paid"`
	PrincipalPaid int64  `json:"principal_paid"`
	Payments      int64  `json:"payments"`
	LastPaymentAt int64  `json:"last_payment_at"`
	Status        string `json:"status"`
}

// KeyPrefix prefixes every loan's state key: "loan/<id>".
const KeyPrefix = "loan/"

// Key is the state key of loan id.
func Key(id string) []byte { return append([]byte(KeyPrefix), id...) }

// Load reads loan id from s.
func Load(s Store, id string) (*Loan, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	data, ok := s.Get(Key(id))
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	var l Loan
	if err := l.DecodeJSONSharing(data, id, StatusActive, StatusPaidOff); err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrCorrupt, id, err)
	}
	return &l, nil
}

func save(s Store, l *Loan) {
	s.Set(Key(l.ID), l.AppendJSON(make([]byte, 0, 640)))
}

func checkID(id string) error { return CheckID(id, ErrInvalid) }

// CheckID reports, wrapping invalid, why id is not a valid record id: 1 to
// MaxIDLength letters, digits, '-', '_' and '.' (so never a '/').
func CheckID(id string, invalid error) error {
	if id == "" || len(id) > MaxIDLength {
		return fmt.Errorf("%w: id must be 1 to %d characters", invalid, MaxIDLength)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("%w: id %q may hold only letters, digits, '-', '_' and '.'", invalid, id)
		}
	}
	return nil
}

// MapStore is an in-memory Store, for running the loan logic natively.
type MapStore map[string][]byte

// Get implements Store.
func (m MapStore) Get(key []byte) ([]byte, bool) {
	v, ok := m[string(key)]
	return v, ok
}

// Set implements Store.
func (m MapStore) Set(key, value []byte) { m[string(key)] = value }
