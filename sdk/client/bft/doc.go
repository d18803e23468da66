// Package bft verifies a CometBFT chain's ledger headers through its
// validators' signatures, so that a client trusts a validator set, not the
// node it reads from.
//
// A BFT chain's ledger header carries no signature. The app hash CometBFT
// records after the height that made a ledger block is that header's hash;
// it appears in the CometBFT header of the next height, whose commit holds
// the validators' precommit signatures (docs/consensus.md). A Verifier
// fetches that light block from the node (GET
// /v1/consensus/commits/{height}) and checks, with CometBFT's own types:
//
//   - the light block is well formed and of the trusted chain id;
//   - its commit signs its header (the block ID is the header's hash);
//   - validators holding more than two thirds of the power of a set the
//     Verifier trusts signed it;
//   - its header's app hash is the ledger header's hash.
//
// Trust starts from a validator set the caller supplies, normally that of
// the CometBFT genesis it got from its own organisation (FromGenesis).
// When a header is signed by another set, the Verifier follows the
// changes: it finds, by bisection over light blocks from the node, the
// height where the set changed, verifies the header before it with the
// set it trusts, and trusts the next set only if that header named it
// (NextValidatorsHash) and more than two thirds of it signed the header
// where it took over. No step believes the node: every light block is
// checked before it counts.
//
// Guarantees: VerifyConsensus returns nil only when the checks above
// pass; every failure of a check wraps client.ErrVerify and one of this
// package's errors (ErrInsufficientPower, ErrBadCommit,
// ErrAppHashMismatch, ErrUntrustedValidators, ErrWrongChain,
// ErrMalformed). A node that cannot answer gives an error that does not
// wrap ErrVerify. A Verifier is safe for concurrent use.
//
// What it assumes: a validator set the network once ran does not later
// sign a different history. A header signed by more than two thirds of a
// trusted set is accepted at any later height until the Verifier has
// seen the set change, as CometBFT's light client accepts within its
// trusting period. Between organisations that know each other such a
// signature is attributable evidence; keys of a retired set must still be
// kept or destroyed, not handed on.
//
// This package must never be imported by sdk/client itself: it is where
// CometBFT enters a client program, and only programs reading a BFT chain
// pay for it.
package bft
