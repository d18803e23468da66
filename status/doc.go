// Package status is the one vocabulary of receipt statuses: the result
// codes of a contract call, the reasons a deploy is refused, and the
// ledger's own outcomes (an unknown contract, an address in use). A
// receipt, a query result and their JSON on the wire all carry a Code.
//
// Every Code is consensus: it is part of the stored receipt encoding, and
// so of the receipt root. Never rename one, never reuse a string for a
// different meaning; add new codes instead.
//
// It is a leaf with no imports and sits outside the layers on purpose:
// the runtime (which may not import the ledger or the SDK), the ledger's
// block types and the light wire types of sdk/api (which may not link the
// runtime's engine) all name the same codes, and only a package below all
// of them can be shared by all of them.
package status
