// Package poollogic is the business logic of the pool contract
// (contracts/pool): a securitizer's pools of loans and their disclosures,
// kept apart from the Wasm entry points so that the same code runs
// natively over an in-memory map.
//
// A pool names the one loan contract allowed to report to it. That
// contract calls the pool in the same transaction as each change to a
// boarded loan (boarding, a payment, a new delinquency status), passing a
// loanlogic.Snapshot of the loan; the pool replaces what it last knew of
// the loan and adjusts the disclosure by the difference, so no call ever
// scans the pool's loans.
//
// State: "pool/<pool>" → Pool, "disclosure/<pool>" → Disclosure,
// "member/<pool>/<loan>" → Member, all JSON. Money is int64 cents, rates
// basis points; a pool's balance is capped (MaxPoolBalance) so that its
// balance-weighted rate sum fits an int64.
//
// It must never use floating point, the local clock or map iteration.
package poollogic
