// Package loanlogic is the business logic of the loan contract
// (contracts/loan), kept apart from the Wasm entry points so that the very
// same code runs natively over an in-memory map (MapStore), e.g. to compare
// a payment in Wasm against plain Go.
//
// State: one JSON Loan record per loan under "loan/<id>". Money is int64
// cents, rates are basis points a year, times are block time in Unix
// seconds; interest is monthly, rounded half up to the cent, and paid
// before principal (see Pay).
//
// It must never use floating point, the local clock or map iteration: the
// result of every function depends only on its arguments and the Store.
package loanlogic
