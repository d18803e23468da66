// Package portfoliologic is the business logic of the portfolio contract
// (contracts/portfolio): a loan owner's view of its loans as a whole —
// delinquency rate, cure rate, roll rates between delinquency buckets and
// monthly payment trends — kept apart from the Wasm entry points so that
// the same code runs natively over an in-memory map.
//
// An owner opens its portfolio naming the one loan contract allowed to
// report to it. That contract calls the portfolio in the same transaction
// as each change to one of the owner's boarded loans, passing a
// loanlogic.Snapshot; the portfolio replaces what it last knew of the loan
// and adjusts its totals by the difference. Every figure is maintained
// incrementally: no call reads more than the portfolio, the one holding
// and the month's trend.
//
// State, keyed by the owner's address in lower-case hex:
// "portfolio/<owner>" → Portfolio, "holding/<owner>/<loan>" → Holding,
// "trend/<owner>/<YYYY-MM>" → Trend (month of block time, UTC), all JSON.
// Rates are basis points rounded half up.
//
// It must never use floating point, the local clock or map iteration.
package portfoliologic
