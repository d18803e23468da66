// Package explorer is the web explorer every node serves at "/": static
// ES modules embedded in the binary, with no build step and no network
// access, that talk to the node's /v1 API from the browser.
//
// The explorer signs read sessions and transactions in the browser with a
// key that never leaves it, and checks every value it shows from the
// ledger (Merkle-Patricia proofs against signed headers, header signatures
// against the block signers the user trusts) before marking it verified.
// docs/explorer.md says what is verified and what is trusted.
//
// The Go side only serves files: it never reads the ledger, needs no read
// session, and must never shadow a /v1 route.
package explorer
