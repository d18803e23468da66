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
//   - A client with a key proves who reads: every read carries a read
//     session (EIP-712 ReadSession, tx.SignSession) signed once and
//     renewed after 80% of its lifetime, and signed afresh once when the
//     node refuses it (401 session_*). GET /v1/chain and submissions go
//     without one (a signed transaction names its sender). A client
//     without a key reads anonymously.
//   - Every error the node answers is an *APIError carrying the stable
//     code of sdk/api; callers branch on the code, not the message, or
//     with errors.Is on ErrUnauthenticated, ErrNotAMember and ErrForbidden.
//   - Events delivers each stream item once, in stream order, across
//     reconnects (it resumes with Last-Event-ID and drops repeats).
//   - The Verifier (the one place that checks answers: headers, transaction
//     records, state, queries) accepts an answer only if its header is
//     signed by a trusted node address and every proof in it checks against
//     that header's roots; no field of the answer is trusted on its own.
//
// The surface is narrow on purpose: Submit is the one way to send a
// transaction the client signs (Wait to get its record) — contract calls,
// deploys, upgrades and the participant registry's operations (AddMemberOp,
// ProposeOp, ApproveOp...) are all Ops — SubmitRaw sends transactions
// signed elsewhere; reads that span pages (Contracts,
// History) and the event stream are iterators (iter.Seq2) that fetch more
// only as the loop asks.
//
// This package must never trust a node's answer in the Verifier without
// checking it, never write a key file over an existing one, and never log
// or send private keys.
package client
