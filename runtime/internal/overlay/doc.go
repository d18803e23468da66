// Package overlay is the per-call write buffer that sits between a contract
// and its committed state.
//
// A Buffer answers reads from the call's own earlier writes first and from
// the underlying store otherwise, merges both when scanning so that a scan
// sees exactly what a later commit would contain, and reports the call's
// writes in ascending key order with the last write to a key winning.
//
// Guarantees: every output (Writes, Reads, scan order) is a pure function of
// the operations applied and of the store's contents; nothing depends on map
// iteration order. A Buffer is reused across calls by Reset, so it keeps its
// allocations.
//
// It must never write to the underlying store: the caller decides whether
// the writes are applied.
package overlay
