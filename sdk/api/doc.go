// Package api holds the JSON request and response types of the meshledger
// HTTP API, version 1: the public wire contract shared by the node's server
// and every client.
//
// Guarantees: the JSON names and meanings of the fields here are stable
// within /v1. Fields may be added; none is renamed, retyped or removed.
// Binary data travels as 0x-prefixed hex (hexutil.Bytes), addresses and
// hashes as 0x-prefixed hex, heights, gas and millisecond times as JSON
// numbers. Every error response has the shape of ErrorResponse, and its code
// is one of the Code constants.
//
// This package must never depend on the node, the ledger or the HTTP
// framework: clients in other programs import it alone. Transactions travel
// in the wire form defined by package ledger/tx and appear here as raw JSON,
// so that this package need not know how they are signed.
package api
