// Package memo computes a value once per key, however many goroutines ask
// at the same time, and keeps the values of the last few keys asked for.
//
// It is for derived views of immutable data — the proof tries of a
// committed block, the rendered event frames of a block — where every
// reader of a fresh block asks at once and recomputing per reader costs
// O(readers × block size). A failed computation is not kept: its error may
// be transient, so the next caller computes again.
//
// It lives under the module's internal/ because it is machinery, not API:
// both the ledger and the HTTP API use it, and nothing outside the module
// should.
package memo
