// Package client is the Go client of a meshledger node's HTTP API v1: it
// signs transactions (EIP-712, secp256k1, via package ledger/tx), submits
// them, reads state, history, blocks and receipts, follows the event stream,
// and verifies what it reads against block headers signed by nodes the
// caller trusts.
//
// Guarantees:
//   - A Client is safe for concurrent use. Transactions signed with its key
//     get consecutive nonces from one counter, seeded from the node and
//     re-read whenever the node refuses a nonce, so any number of
//     goroutines can submit at once without gaps or repeats.
//   - Requests the node answers with 429 or 503, and connections it
//     refuses, are retried with capped exponential backoff and jitter,
//     honouring Retry-After, a bounded number of times, never past the
//     context's deadline. Other failures are returned at once.
//   - Every error the node answers is an *APIError carrying the stable
//     code of sdk/api; callers branch on the code, not the message.
//   - Subscribe delivers each stream item once, in stream order, across
//     reconnects (it resumes with Last-Event-ID and drops repeats).
//   - The Verify methods accept an answer only if its header is signed by a
//     trusted node address and every proof in it checks against that
//     header's roots; no field of the answer is trusted on its own.
//
// This package must never trust a node's answer in a Verify method without
// checking it, never write a key file over an existing one, and never log
// or send private keys.
package client
