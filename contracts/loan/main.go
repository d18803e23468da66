// Command loan is the meshledger loan contract: a loan's owner books it,
// or its servicer boards it with its history; the servicer records
// payments, judges delinquency and offers assistance, the borrower
// accepts it; only the loan's parties (and the network's auditors) read
// it.
//
// Methods (JSON arguments and results):
//
//	create          {id, borrower, servicer, principal, rate_bps, term_months, first_due} → Loan
//	                (members with role owner, servicer or admin)
//	board           BoardRequest → Loan (members with role servicer; the caller services it)
//	pay             {id, amount} → Payment   (the loan's servicer only)
//	assess          {id} → Change            (the loan's servicer only)
//	offerAssistance OfferRequest → Offer     (the loan's servicer only)
//	accept          {id, option} → Plan      (the loan's borrower only, with its own key)
//	get             {id} → Loan              (the loan's parties, or an auditor)
//	servicing       {id} → Servicing         (the loan's parties, or an auditor)
//
// The caller of create becomes the loan's owner. Events, addressed to the
// loan's owner, servicer, securitizer (boarded loans) and borrower:
// LoanCreated and LoanBoarded (the Loan), PaymentRecorded (the Payment),
// PaymentMissed, LoanDelinquent and LoanCured (the Change that found
// them), AssistanceOffered (the Offer), AssistanceAccepted, PlanCompleted
// and PlanDefaulted (a PlanEvent).
//
// A boarded loan that names a pool contract or a portfolio contract
// reports each change to them in the same transaction, by a cross-contract
// call (onLoanBoarded, onPayment, onStatusChange with a loanlogic.Snapshot).
// A refused report fails the whole call, so a pool's disclosure and an
// owner's portfolio never disagree with the loans they count.
//
// State: "loan/<id>" → Loan and "servicing/<id>" → Servicing as JSON; the
// read policy lets the loan's parties read those keys (value, history,
// proofs) and nobody else any key; auditors read everything in any case.
// The rules live in loanlogic.
package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/sdk/contract"
)

func main() {}

func init() {
	contract.Method("create", create)
	contract.Method("board", board)
	contract.Method("pay", pay)
	contract.Method("assess", assess)
	contract.Method("offerAssistance", offerAssistance)
	contract.Method("accept", accept)
	contract.Method("get", get)
	contract.Method("servicing", servicing)
	contract.ReadPolicy(canRead)
	contract.Event[loanlogic.Loan](EventLoanCreated)
	contract.Event[loanlogic.Loan](EventLoanBoarded)
	contract.Event[loanlogic.Payment](EventPaymentRecorded)
	contract.Event[loanlogic.Change](EventPaymentMissed)
	contract.Event[loanlogic.Change](EventLoanDelinquent)
	contract.Event[loanlogic.Change](EventLoanCured)
	contract.Event[loanlogic.Offer](EventAssistanceOffered)
	contract.Event[PlanEvent](EventAssistanceAccepted)
	contract.Event[PlanEvent](EventPlanCompleted)
	contract.Event[PlanEvent](EventPlanDefaulted)
	// Declaring the records also caches their type info, so calls start
	// warm.
	contract.State[loanlogic.Loan](loanlogic.KeyPrefix)
	contract.State[loanlogic.Servicing](loanlogic.ServicingPrefix)
	// The snapshot sent to the pool and portfolio is no record of ours:
	// warming it builds its codec here rather than in every call.
	contract.Warm(loanlogic.Snapshot{})
}

// Event names.
const (
	EventLoanCreated        = "LoanCreated"
	EventLoanBoarded        = "LoanBoarded"
	EventPaymentRecorded    = "PaymentRecorded"
	EventPaymentMissed      = "PaymentMissed"
	EventLoanDelinquent     = "LoanDelinquent"
	EventLoanCured          = "LoanCured"
	EventAssistanceOffered  = "AssistanceOffered"
	EventAssistanceAccepted = "AssistanceAccepted"
	EventPlanCompleted      = "PlanCompleted"
	EventPlanDefaulted      = "PlanDefaulted"
)

func create(ctx *contract.Context, req loanlogic.CreateRequest) (*loanlogic.Loan, error) {
	if !loanlogic.MayCreate(ctx.HasRole) {
		return nil, fmt.Errorf("%w: booking a loan needs the role %s", loanlogic.ErrUnauthorized, strings.Join(loanlogic.CreatorRoles, ", "))
	}
	l, err := loanlogic.Create(ctx, ctx.Caller(), ctx.Time(), req)
	if err != nil {
		return nil, err
	}
	var aud [3]contract.Audience
	if err := ctx.EmitTo(EventLoanCreated, l, audience(l, aud[:0])...); err != nil {
		return nil, err
	}
	return l, nil
}

// pay records a payment. A boarded loan's servicing record follows it:
// the payment counts toward an active plan, the loan is judged again, and
// the pool and portfolio hear of it. A loan booked with create has no
// servicing record, and its payment costs what it always did but for the
// one read that finds none.
func pay(ctx *contract.Context, req loanlogic.PayRequest) (loanlogic.Payment, error) {
	now := ctx.Time()
	l, p, err := loanlogic.Pay(ctx, ctx.Caller(), now, req)
	if err != nil {
		return loanlogic.Payment{}, err
	}
	sv, ch, boarded, err := loanlogic.RecordServicedPayment(ctx, l, req.Amount, now)
	if err != nil {
		return loanlogic.Payment{}, err
	}
	if !boarded {
		var aud [3]contract.Audience
		if err := ctx.EmitTo(EventPaymentRecorded, p, audience(l, aud[:0])...); err != nil {
			return loanlogic.Payment{}, err
		}
		return p, nil
	}
	if err := ctx.EmitTo(EventPaymentRecorded, p, servicingAudience(l, sv)...); err != nil {
		return loanlogic.Payment{}, err
	}
	if err := announce(ctx, l, sv, ch); err != nil {
		return loanlogic.Payment{}, err
	}
	if err := report(ctx, sv, loanlogic.ReportPayment, loanlogic.SnapshotOf(l, sv, ch, req.Amount, now)); err != nil {
		return loanlogic.Payment{}, err
	}
	return p, nil
}

// audience addresses a loan's events to its parties, appended to aud:
// callers pass room for three on their stack, so that an event costs no
// allocation for its audience.
func audience(l *loanlogic.Loan, aud []contract.Audience) []contract.Audience {
	var ps [3]contract.Address
	for _, a := range l.AppendParties(ps[:0]) {
		aud = append(aud, contract.ToAddress(a))
	}
	return aud
}

// GetRequest is the argument of get.
type GetRequest struct {
	ID string `json:"id"`
}

// get answers the loan's parties and auditors. Anyone else is refused
// with the same message whether or not the loan exists, so that a query
// does not reveal which loans there are.
func get(ctx *contract.Context, req GetRequest) (*loanlogic.Loan, error) {
	l, _, err := readable(ctx, req.ID, false)
	return l, err
}

// servicing answers a boarded loan's servicing record to the same readers
// as get.
func servicing(ctx *contract.Context, req GetRequest) (*loanlogic.Servicing, error) {
	_, sv, err := readable(ctx, req.ID, true)
	if err != nil {
		return nil, err
	}
	if sv == nil {
		return nil, fmt.Errorf("%w: loan %q was not boarded", loanlogic.ErrNotBoarded, req.ID)
	}
	return sv, nil
}

// readable loads loan id for a caller who may read it: an auditor or one
// of the loan's parties, its securitizer included. The servicing record
// (nil if the loan was not boarded) is read only when wanted or needed to
// know the securitizer, so that a party's get reads, and proves, one key
// as before servicing existed.
func readable(ctx *contract.Context, id string, wantServicing bool) (*loanlogic.Loan, *loanlogic.Servicing, error) {
	auditor := ctx.HasRole(loanlogic.RoleAuditor)
	l, err := loanlogic.Load(ctx, id)
	var sv *loanlogic.Servicing
	if err == nil && (wantServicing || !auditor && !l.IsParty(ctx.Caller())) {
		sv, _, err = loanlogic.LoadServicing(ctx, id)
	}
	switch {
	case auditor:
		return l, sv, err
	case errors.Is(err, loanlogic.ErrNotFound), err == nil && !loanlogic.IsServicingParty(l, sv, ctx.Caller()):
		return nil, nil, fmt.Errorf("%w: the caller is not a party to a loan %q", loanlogic.ErrUnauthorized, id)
	case err != nil:
		return nil, nil, err
	}
	return l, sv, nil
}

// canRead is the read policy: the keys of a loan, for its parties.
func canRead(ctx *contract.Context, key []byte) bool {
	id, ok := strings.CutPrefix(string(key), loanlogic.KeyPrefix)
	if !ok {
		if id, ok = strings.CutPrefix(string(key), loanlogic.ServicingPrefix); !ok {
			return false
		}
	}
	l, err := loanlogic.Load(ctx, id)
	if err != nil {
		return false
	}
	if l.IsParty(ctx.Caller()) {
		return true
	}
	sv, _, err := loanlogic.LoadServicing(ctx, id)
	return err == nil && loanlogic.IsServicingParty(l, sv, ctx.Caller())
}
