// Command loan is the meshledger loan contract: a loan's owner books it,
// its servicer records payments, and only the loan's parties (and the
// network's auditors) read it.
//
// Methods (JSON arguments and results):
//
//	create {id, borrower, servicer, principal, rate_bps, term_months, first_due} → Loan
//	       (members with role owner, servicer or admin)
//	pay    {id, amount} → Payment   (the loan's servicer only)
//	get    {id} → Loan              (the loan's owner, borrower or servicer, or an auditor)
//
// The caller of create becomes the loan's owner. Events: LoanCreated
// (the Loan) and PaymentRecorded (the Payment), addressed to the loan's
// owner, borrower and servicer. State: "loan/<id>" → Loan as JSON; its
// read policy lets the loan's parties read that key (value, history,
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
	contract.Method("pay", pay)
	contract.Method("get", get)
	contract.ReadPolicy(canRead)
	// Cached type info for the stored record, so calls start warm.
	contract.Warm(loanlogic.Loan{})
}

// Event names.
const (
	EventLoanCreated     = "LoanCreated"
	EventPaymentRecorded = "PaymentRecorded"
)

func create(ctx *contract.Context, req loanlogic.CreateRequest) (*loanlogic.Loan, error) {
	if !loanlogic.MayCreate(ctx.HasRole) {
		return nil, fmt.Errorf("%w: booking a loan needs the role %s", loanlogic.ErrUnauthorized, strings.Join(loanlogic.CreatorRoles, ", "))
	}
	l, err := loanlogic.Create(ctx, ctx.Caller(), ctx.Time(), req)
	if err != nil {
		return nil, err
	}
	if err := ctx.EmitTo(EventLoanCreated, l, audience(l)...); err != nil {
		return nil, err
	}
	return l, nil
}

func pay(ctx *contract.Context, req loanlogic.PayRequest) (loanlogic.Payment, error) {
	l, p, err := loanlogic.Pay(ctx, ctx.Caller(), ctx.Time(), req)
	if err != nil {
		return loanlogic.Payment{}, err
	}
	if err := ctx.EmitTo(EventPaymentRecorded, p, audience(l)...); err != nil {
		return loanlogic.Payment{}, err
	}
	return p, nil
}

// audience addresses a loan's events to its parties.
func audience(l *loanlogic.Loan) []contract.Audience {
	ps := l.Parties()
	aud := make([]contract.Audience, len(ps))
	for i, a := range ps {
		aud[i] = contract.ToAddress(a)
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
	if ctx.HasRole(loanlogic.RoleAuditor) {
		return loanlogic.Load(ctx, req.ID)
	}
	l, err := loanlogic.Load(ctx, req.ID)
	switch {
	case errors.Is(err, loanlogic.ErrNotFound), err == nil && !l.IsParty(ctx.Caller()):
		return nil, fmt.Errorf("%w: the caller is not a party to a loan %q", loanlogic.ErrUnauthorized, req.ID)
	case err != nil:
		return nil, err
	}
	return l, nil
}

// canRead is the read policy: the key of a loan, for its parties.
func canRead(ctx *contract.Context, key []byte) bool {
	id, ok := strings.CutPrefix(string(key), loanlogic.KeyPrefix)
	if !ok {
		return false
	}
	l, err := loanlogic.Load(ctx, id)
	return err == nil && l.IsParty(ctx.Caller())
}
