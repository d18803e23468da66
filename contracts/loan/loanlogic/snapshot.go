package loanlogic

import "github.com/meshledger/meshledger/sdk/contract"

// The methods of the pool and portfolio contracts a boarded loan reports
// its Snapshot to (poollogic.Report, portfoliologic.Report).
const (
	ReportBoarded = "onLoanBoarded"
	ReportPayment = "onPayment"
	ReportStatus  = "onStatusChange"
)

// Snapshot is what the loan contract tells the pool and portfolio
// contracts about a boarded loan after each change, in the same
// transaction (a cross-contract call). It carries the loan's whole
// reportable state, not a delta, so that the receiver can replace what it
// last knew of the loan and adjust its totals by the difference: no
// receiver ever scans its loans.
type Snapshot struct {
	ID    string           `json:"id"`
	Owner contract.Address `json:"owner"`
	// Securitizer is the loan's securitizer, whom the pool checks against
	// its own on boarding: the loan's securitizer reads the loan.
	Securitizer contract.Address `json:"securitizer"`
	Pool        string           `json:"pool"`
	Balance     int64            `json:"balance"`
	RateBps     int64            `json:"rate_bps"`
	Bucket      string           `json:"bucket"`
	PaidOff     bool             `json:"paid_off"`
	// InAssistance: an assistance plan is active.
	InAssistance bool `json:"in_assistance"`
	// Cured: this change moved the loan from a delinquent bucket to current.
	Cured bool `json:"cured"`
	// Payment is the amount of the payment this change records, 0 if none.
	Payment int64 `json:"payment"`
	At      int64 `json:"at"`
}

// SnapshotOf is the snapshot of l and sv at now after ch, recording a
// payment of payment cents (0 for none).
func SnapshotOf(l *Loan, sv *Servicing, ch Change, payment, now int64) Snapshot {
	return Snapshot{
		ID: l.ID, Owner: l.Owner, Securitizer: sv.Securitizer, Pool: sv.Pool,
		Balance: l.Balance, RateBps: l.RateBps, Bucket: sv.Bucket,
		PaidOff:      l.Status == StatusPaidOff,
		InAssistance: sv.Plan != nil && sv.Plan.Status == PlanActive,
		Cured:        ch.Cured,
		Payment:      payment,
		At:           now,
	}
}
