// Command loan is the meshledger loan contract: a loan's owner books it,
// its servicer records payments, anyone reads it.
//
// Methods (JSON arguments and results):
//
//	create {id, borrower, servicer, principal, rate_bps, term_months, first_due} → Loan
//	pay    {id, amount} → Payment   (servicer only)
//	get    {id} → Loan
//
// The caller of create becomes the loan's owner. Events: LoanCreated
// (the Loan) and PaymentRecorded (the Payment). State: "loan/<id>" → Loan
// as JSON. The rules live in loanlogic.
package main

import (
	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/sdk/contract"
)

func main() {}

func init() {
	contract.Method("create", create)
	contract.Method("pay", pay)
	contract.Method("get", get)
	// Cached type info for the stored record, so calls start warm.
	contract.Warm(loanlogic.Loan{})
}

// Event names.
const (
	EventLoanCreated     = "LoanCreated"
	EventPaymentRecorded = "PaymentRecorded"
)

func create(ctx *contract.Context, req loanlogic.CreateRequest) (*loanlogic.Loan, error) {
	l, err := loanlogic.Create(ctx, ctx.Caller(), ctx.Time(), req)
	if err != nil {
		return nil, err
	}
	if err := ctx.Emit(EventLoanCreated, l); err != nil {
		return nil, err
	}
	return l, nil
}

func pay(ctx *contract.Context, req loanlogic.PayRequest) (loanlogic.Payment, error) {
	_, p, err := loanlogic.Pay(ctx, ctx.Caller(), ctx.Time(), req)
	if err != nil {
		return loanlogic.Payment{}, err
	}
	if err := ctx.Emit(EventPaymentRecorded, p); err != nil {
		return loanlogic.Payment{}, err
	}
	return p, nil
}

// GetRequest is the argument of get.
type GetRequest struct {
	ID string `json:"id"`
}

func get(ctx *contract.Context, req GetRequest) (*loanlogic.Loan, error) {
	return loanlogic.Load(ctx, req.ID)
}
