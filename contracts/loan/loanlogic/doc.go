// Package loanlogic is the business logic of the loan contract
// (contracts/loan), kept apart from the Wasm entry points so that the very
// same code runs natively over an in-memory map (MapStore), e.g. to compare
// a payment in Wasm against plain Go.
//
// State: one JSON Loan record per loan under "loan/<id>", and for a loan
// a servicer boarded (Board) a Servicing record under "servicing/<id>".
// Money is int64 cents, rates are basis points a year, times are block
// time in Unix seconds; interest is monthly, rounded half up to the cent,
// and paid before principal (see Pay); installments are rounded up to the
// cent (see Installment); due dates keep the first due date's day of
// month, clamped to shorter months' last day (see DueDate).
//
// # Servicing
//
// Board stores an existing loan with its original terms and replays its
// payment history through the same allocation as Pay. Delinquency is
// judged (at boarding, on each payment, on assess and on accept) against
// the effective due date — an active plan's, else the loan's own next due
// date — in whole days past it (DaysPastDue) and the buckets current
// (0–29), 30 (30–59), 60 (60–89) and 90+ (BucketOf). A Change reports what
// a judgement found: a due date passed unpaid for the first time
// (Missed), a move to a worse delinquent bucket (Delinquent), a move from
// a delinquent bucket back to current (Cured), and a plan's completion or
// default.
//
// OfferAssistance computes three options from the loan at block time, with
// these figures (Arrears: the installments due before now and unpaid):
//   - forbearance: payments suspended for N installments from the next
//     scheduled due date; the arrears plus the N suspended installments are
//     due as one lump sum at the first due date after the suspension;
//   - repayment plan: N monthly plan installments from the next scheduled
//     due date, each the regular installment plus arrears/N rounded down to
//     the cent, the last absorbing the remainder (at most N−1 cents more);
//   - modification: the balance plus unpaid interest re-amortised at a new
//     rate and term from the next scheduled due date, its installment
//     rounded up to the cent like a new loan's.
//
// Only the borrower's own key accepts an option (Accept), within
// OfferValidity. A repayment plan completes when its N installments are
// paid and forbearance when the loan's own schedule reaches the lump sum's
// due date; either defaults (re-default) once 30 days behind the plan's
// schedule, and the loan is judged on its own schedule again. A
// modification rewrites the loan's terms at once.
//
// It must never use floating point, the local clock or map iteration: the
// result of every function depends only on its arguments and the Store.
package loanlogic

// The JSON codecs of the records and arguments are generated (see
// sdk/build/gencodec): they write exactly encoding/json's bytes and decode
// as it does, at a fraction of its cost in Wasm.
//go:generate go run github.com/meshledger/meshledger/sdk/build/cmd/gencodec -type Loan,Payment,PayRequest,CreateRequest,Servicing,HistoricPayment,BoardRequest,Snapshot,OfferRequest,Offer,Plan,AcceptRequest,Change,AssessRequest
